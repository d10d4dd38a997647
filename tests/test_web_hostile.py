"""Hostile input to `smtpdoctor serve` (issue 22): markup, scripts, bidi overrides and terminal escapes in a
pasted log render as text; a POST from another site, a rebinding host name, and a check aimed at a private,
loopback or link-local address (SSRF) are refused. Real server on loopback; no address outside
127.0.0.1/::1 is ever contacted (refused targets are refused before any connection).

How these were shown to fail on a broken build: with autoescape=False in render/html.py the XSS tests fail
(raw <script> and <img onerror> in the page); with `refusal()` in web/check.py returning None the SSRF tests
fail (the page probes this machine: only loopback spellings are used, so a broken build sends nothing
elsewhere); with `same_origin()` returning True the CSRF test fails."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest

from smtpdoctor.web.app import ServeConfig
from smtpdoctor.web.check import not_public
from web_server import Page, post_explain, request

# Every line is a log line a customer might paste; each tries to become markup, a link or a terminal command.
XSS_CORPUS = [
    "2025-10-02T09:00:01Z Error: Invalid login: 535 5.7.8 <script>alert('xss-1')</script>",
    '2025-10-02T09:00:02Z 550 5.1.1 "><img src=x onerror=alert("xss-2")> user unknown',
    "2025-10-02T09:00:03Z 421 4.7.0 see <a href=\"javascript:alert('xss-3')\">help</a> try again later",
    "2025-10-02T09:00:04Z 554 5.7.1 javascript:alert('xss-4') rejected as spam",
    "2025-10-02T09:00:05Z 535 5.7.8 Authentication failed \u202e)'5-ssx'(trela\u202c and \u2066isolate\u2069",
    "2025-10-02T09:00:06Z 535 5.7.8 Authentication failed \x1b[2J\x1b]0;owned\x07 \x9b31m",
    "2025-10-02T09:00:07Z 550 5.7.1 </textarea><svg onload=alert('xss-7')> {{7*7}} {% raw %}",
    "2025-10-02T09:00:08Z Error: Greeting never received <iframe srcdoc='<script>alert(8)</script>'></iframe>",
    "2025-10-02T09:00:09Z 535 5.7.8 <style>body{display:none}</style><base href=//evil.example/>",
]


class Tags(HTMLParser):
    """What a browser would build: every element, and every attribute that runs or loads something."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[str] = []
        self.active: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (name in ("href", "src", "action", "formaction") and value
                                         and value.strip().lower().startswith(("javascript:", "data:text", "//"))):
                self.active.append((tag, name, value or ""))


def parsed(text: str) -> Tags:
    tags = Tags()
    tags.feed(text)
    return tags


@pytest.fixture(scope="module")
def page():
    running = Page(ServeConfig(port=0))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def checking():
    """The Check page on, private addresses refused (the default once --allow-check is given)."""
    running = Page(ServeConfig(port=0, allow_check=True))
    yield running
    running.stop()


def test_the_xss_corpus_renders_as_text(page):
    reply = post_explain(page.url, "\n".join(XSS_CORPUS) + "\n")
    assert reply.status == 200 and "auth.bad_credentials" in reply.text
    tags = parsed(reply.text)
    assert tags.elements.count("script") == 1  # /static/app.js, and nothing else
    assert not {"img", "svg", "iframe", "style", "base"} & set(tags.elements), tags.elements
    assert tags.active == [], tags.active
    # shown as written: the markup as text, a control character or a bidi override as a visible escape
    shown = reply.shown
    assert "<script>alert('xss-1')</script>" in shown and '"><img src=x onerror=alert("xss-2")>' in shown
    assert "\\u202e" in shown and "\\x1b[2J" in shown and "\\x9b31m" in shown
    assert "\u202e" not in reply.text and "\x1b" not in reply.text and "\x9b" not in reply.text
    assert "{{7*7}}" in shown  # not a template: pasted text is data, never rendered as Jinja


def test_markup_in_the_url_and_the_form_is_escaped_too(page, checking):
    missing = request(page.url + "/codes/%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert missing.status == 404 and "img" not in parsed(missing.text).elements and parsed(missing.text).active == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in missing.text
    body = urlencode({"host": '"><img src=x onerror=alert(1)>', "port": "587", "mode": "auto",
                      "sender": '"><svg onload=alert(2)>'}).encode()
    reply = request(checking.url + "/check", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400 and "is not a server name" in reply.shown
    assert not {"img", "svg"} & set(parsed(reply.text).elements) and parsed(reply.text).active == []
    odd_lang = request(page.url + "/?lang=%22%3E%3Cscript%3Ealert(3)%3C/script%3E")
    assert odd_lang.status == 200 and '<html lang="en">' in odd_lang.text and "alert(3)" not in odd_lang.text


def test_a_post_from_another_site_is_refused(page):
    text = "2025-10-02T09:00:01Z Error: Invalid login: 535 5.7.8 Authentication failed\n"
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Origin": page.url.replace("127.0.0.1", "localhost")}):
        reply = post_explain(page.url, text, headers=headers)
        assert reply.status == 403 and "only be sent from this page" in reply.text, headers
        assert "auth.bad_credentials" not in reply.text
    assert post_explain(page.url, text, headers={"Origin": page.url}).status == 200
    assert post_explain(page.url, text, headers={"Sec-Fetch-Site": "same-origin"}).status == 200


def test_a_rebinding_host_name_is_refused(page):
    port = page.url.rsplit(":", 1)[1]
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.nip.io", f"[::2]:{port}"):
        reply = request(page.url + "/", headers={"Host": host})
        assert reply.status == 421, host
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost"):
        assert request(page.url + "/", headers={"Host": host}).status == 200, host


# Only spellings of this machine: on a broken build (the guard off) the page would connect to them, and no test
# may send a packet anywhere else. The other address classes are judged by not_public() below, offline.
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "::1", "0x7f.1", "2130706433", "127.1",
                                  "0.0.0.0", "::ffff:127.0.0.1", "[::ffff:7f00:1]"])
def test_check_refuses_private_loopback_and_link_local_targets(checking, host):
    body = urlencode({"host": host, "port": "587", "mode": "auto", "user": "me@example.com",
                      "password": "Qx9-leak-probe-Staple-77"}).encode()
    reply = request(checking.url + "/check", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400, reply.text[-600:]
    assert "--allow-private" in reply.text and ("private, loopback or link-local" in reply.text
                                               or "could not be found" in reply.text)
    assert "Probe" not in reply.text and "Qx9-leak-probe-Staple-77" not in reply.text  # no probe, no password back


def test_check_refuses_ports_that_are_not_mail_ports(checking):
    body = urlencode({"host": "localhost", "port": "6379", "mode": "auto"}).encode()
    reply = request(checking.url + "/check", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400 and "Port 6379 is not a mail port" in reply.text


@pytest.mark.parametrize("value", ["smtp://me:pw@host", "host name", "a/b", "me@host", "host\r\nRCPT TO:<x>", "-", ""])
def test_check_refuses_what_is_no_host_name(checking, value):
    body = urlencode({"host": value, "port": "587", "mode": "auto"}).encode()
    reply = request(checking.url + "/check", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400 and ("is not a server name" in reply.shown or "Enter the server" in reply.shown)


def test_addresses_that_carry_a_private_one_are_private():
    for address in ("10.0.0.1", "192.168.1.1", "172.16.5.4", "169.254.169.254", "fe80::1", "fe80::1%eth0",
                    "100.64.0.1", "192.0.2.10", "::ffff:10.1.2.3", "64:ff9b::a00:1", "2002:7f00:1::",
                    "2001:0:4136:e378:8000:63bf:f5ff:fffe", "fd00::1", "ff02::1", "224.0.0.1", "255.255.255.255", "::"):
        assert not_public(address), address
    for address in ("8.8.8.8", "2a00:1450:4010:c05::6d", "::ffff:8.8.8.8"):
        assert not not_public(address), address


def test_a_check_form_reply_never_gives_the_password_back(checking):
    body = urlencode({"host": "bad host", "port": "587", "mode": "auto", "user": "me",
                      "password": "Qx9-leak-probe-Staple-77"}).encode()
    reply = request(checking.url + "/check", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400 and "Qx9-leak-probe-Staple-77" not in reply.text
    assert re.search(r'<input id="password" name="password" type="password"[^>]*value=""', reply.text)
    assert html.unescape('value="me"') in reply.text  # the rest of the form is kept
