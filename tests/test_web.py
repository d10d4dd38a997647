"""`smtpdoctor serve` over HTTP, against the real Uvicorn server on loopback: the pages, the same diagnoses as
`smtpdoctor explain`, the reply for the customer, languages, the code catalog, and the request limits.
The browser's view is tests/test_web_browser.py; hostile input is tests/test_web_hostile.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.customer import customer_replies
from smtpdoctor.web.app import ServeConfig, accepted_lang
from web_server import Page, multipart, post_explain, request

LOGS = Path(__file__).parent / "logs"
SECRET = "Qx9-leak-probe-Staple-77"
CYRILLIC = re.compile("[а-яА-ЯёЁ]")


@pytest.fixture(scope="module")
def page():
    running = Page(ServeConfig(port=0))
    yield running
    running.stop()


def _cli_codes(path: Path) -> list[str]:
    out = subprocess.run([sys.executable, "-m", "smtpdoctor", "explain", "--format", "json", str(path)],
                         capture_output=True, text=True, check=False).stdout
    return [d["code"] for d in json.loads(out)["diagnoses"]]


def _page_codes(html: str) -> list[str]:
    return re.findall(r'<article class="finding \w+" id="d\d+"[^>]*>\s*<header>.*?class="code"[^>]*>([\w.]+)<', html, re.S)


def test_the_start_page_is_the_explain_form_with_its_promises(page):
    reply = request(page.url + "/")
    assert reply.status == 200
    assert 'enctype="multipart/form-data"' in reply.text and 'name="text"' in reply.text and 'type="file"' in reply.text
    assert "20 MB" in reply.text  # the limit is stated
    csp = reply.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert reply.headers["cache-control"] == "no-store" and reply.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in reply.text and " style=" not in reply.text  # nothing inline: the CSP would block it
    from smtpdoctor import __version__

    assert f"smtpdoctor {__version__}" in reply.text


@pytest.mark.parametrize("log", ["nodemailer.log", "phpmailer.log", "laravel.log", "django.log"])
def test_a_pasted_log_gets_the_same_diagnoses_as_explain(page, log):
    path = LOGS / log
    reply = post_explain(page.url, path.read_text(encoding="utf-8"))
    assert reply.status == 200
    assert _page_codes(reply.text) == _cli_codes(path)


def test_each_diagnosis_links_its_lines_and_the_lines_link_back(page):
    reply = post_explain(page.url, (LOGS / "nodemailer.log").read_text(encoding="utf-8"))
    html = reply.text
    # the first diagnosis of nodemailer.log is at line 2: listed under it, highlighted in the text, linked back
    first = html.index('id="d1"')
    assert re.search(r'href="#L2"', html[first:html.index("</article>", first)])
    assert re.search(r'<div class="line hit error" id="L2">.*?<a class="tag" href="#d1"', html)
    assert 'href="/codes/auth.bad_credentials?lang=en"' in html
    reply_text = customer_replies()["auth.bad_credentials"].en
    assert reply_text in reply.shown and 'data-copy="d1-reply"' in html


def test_an_uploaded_file_is_read_like_a_pasted_one(page):
    content = (LOGS / "phpmailer.log").read_bytes()
    reply = post_explain(page.url, files={"file": ("mail.log", content)})
    assert reply.status == 200 and _page_codes(reply.text) == _cli_codes(LOGS / "phpmailer.log")


def test_a_gzipped_upload_is_explained_and_its_text_shown(page):
    import gzip

    content = gzip.compress((LOGS / "nodemailer.log").read_bytes())
    reply = post_explain(page.url, files={"file": ("mail.log.gz", content)})
    assert _page_codes(reply.text) == _cli_codes(LOGS / "nodemailer.log")
    assert 'id="L2"' in reply.text


def test_nothing_to_explain_is_said_not_crashed_on(page):
    reply = post_explain(page.url, "   \n")
    assert reply.status == 400 and "nothing to explain" in reply.text


def test_a_text_without_smtp_trouble_says_so(page):
    reply = post_explain(page.url, "2025-01-01 app started\n2025-01-01 listening on 3000\n")
    assert reply.status == 200 and "No SMTP problems recognised in 2 lines." in reply.text


def test_secrets_in_the_pasted_text_are_masked_everywhere_on_the_page(page):
    text = (f"2025-10-02T09:00:01Z SMTP_PASS={SECRET}\n"
            f"2025-10-02T09:00:02Z Error: Invalid login: 535-5.7.8 Username and Password not accepted. pass={SECRET}\n"
            f"smtp://me:{SECRET}@smtp.example.com:587\n")
    reply = post_explain(page.url, text)
    assert reply.status == 200 and "auth.bad_credentials" in reply.text
    assert SECRET not in reply.text  # not in the example, the highlighted text, nor the text put back in the form
    assert "********" in reply.text


def test_a_long_log_shows_only_the_lines_around_its_diagnoses(page):
    filler = "".join(f"2025-01-01T00:00:{i % 60:02d}Z request {i} ok\n" for i in range(5000))
    text = filler + "2025-01-01T01:00:00Z Error: Invalid login: 535 5.7.8 Authentication failed\n" + filler
    reply = post_explain(page.url, text)
    assert 'id="L5001"' in reply.text and 'id="L4999"' in reply.text and 'id="L2500"' not in reply.text
    assert "⋯ 4998 lines without findings" in reply.text and "⋯ 4998 lines without findings" in reply.text


def test_russian_from_accept_language_and_english_by_choice(page):
    ru = request(page.url + "/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
    assert '<html lang="ru">' in ru.text and "Разбор журнала" in ru.text
    en = request(page.url + "/?lang=en", headers={"Accept-Language": "ru"})
    assert '<html lang="en">' in en.text and not CYRILLIC.search(en.text.replace("Русский", ""))
    result = post_explain(page.url, (LOGS / "nodemailer.log").read_text(encoding="utf-8"), lang="ru")
    assert "Ответ клиенту" in result.text and customer_replies()["auth.bad_credentials"].ru in result.shown
    # the result page switches language by sending its text again (the form keeps it)
    assert 'name="switch" value="en"' in result.text and "Invalid login" in result.text


@pytest.mark.parametrize("header, lang", [("", "en"), ("ru", "ru"), ("de-DE,de;q=0.9,ru;q=0.8,en;q=0.5", "ru"),
                                          ("en-GB;q=0.2, ru;q=0.9", "ru"), ("ru;q=0, en", "en"), ("fr", "en"),
                                          ("ru;q=abc,en;q=0.1", "en")])
def test_accept_language_is_read_by_its_weights(header, lang):
    assert accepted_lang(header).value == lang


def test_every_code_has_its_catalog_page_in_both_languages(page):
    catalog = load_catalog()
    listing = request(page.url + "/codes").text
    for code in catalog.entries:
        assert f'href="/codes/{code}?lang=en"' in listing
    for code in list(catalog.entries)[::7]:
        for lang in ("en", "ru"):
            reply = request(f"{page.url}/codes/{code}?lang={lang}")
            assert reply.status == 200 and customer_replies()[code].get(lang) in reply.shown
    missing = request(page.url + "/codes/no.such_code")
    assert missing.status == 404 and "no diagnosis with the code no.such_code" in missing.text


def test_every_catalog_code_has_a_reply_for_the_customer_in_plain_words():
    replies = customer_replies()
    codes = set(load_catalog().entries)
    assert codes - set(replies) == set(), "codes without a reply for the customer (customer_replies.toml)"
    assert set(replies) - codes == set(), "replies for codes that do not exist"
    jargon = re.compile(r"\b(SMTP|STARTTLS|AUTH|EHLO|HELO|MX|\d{3}[ -]\d\.\d\.\d+|TCP|MAIL FROM|RCPT)\b")
    for code, reply in replies.items():
        assert reply.en and reply.ru and "{" not in reply.en + reply.ru, code
        assert not CYRILLIC.search(reply.en), code
        assert len(CYRILLIC.findall(reply.ru)) > len(reply.ru) / 2, code
        assert not jargon.search(reply.en) and not jargon.search(reply.ru), (code, jargon.search(reply.en + reply.ru))
        assert len(reply.en) <= 400 and len(reply.ru) <= 450, code  # short enough to paste into a ticket


def test_a_body_over_the_stated_limit_is_refused_before_it_is_read(page):
    body, content_type = multipart({"text": "x" * (21 << 20)})
    reply = request(page.url + "/explain", body, {"Content-Type": content_type})
    assert reply.status == 413 and "larger than 20 MB" in reply.text


def test_an_upload_never_touches_the_disk(page, monkeypatch, tmp_path):
    # Starlette spools an upload over 1 MB to a temporary file; this page keeps it in memory.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    content = (LOGS / "nodemailer.log").read_bytes() + b"2025-01-01 filler line\n" * 150_000  # ~3.5 MB
    reply = post_explain(page.url, files={"file": ("big.log", content)})
    assert reply.status == 200 and "auth.bad_credentials" in reply.text
    assert list(tmp_path.iterdir()) == []


def test_check_is_off_unless_allowed(page):
    shown = request(page.url + "/check")
    assert shown.status == 403 and "--allow-check" in shown.text and 'name="password"' not in shown.text
    body = b"host=smtp.gmail.com&port=587&mode=auto"
    posted = request(page.url + "/check", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert posted.status == 403 and "Check a mail server" in posted.text and "Probe" not in posted.text


def test_an_unknown_page_is_a_page_not_a_stack_trace(page):
    reply = request(page.url + "/nope")
    assert reply.status == 404 and "There is no such page." in reply.text
    assert request(page.url + "/", method="DELETE").status in (404, 405)


def test_the_stylesheet_and_script_are_served_from_the_page_itself(page):
    css, js = request(page.url + "/static/style.css"), request(page.url + "/static/app.js")
    assert css.status == 200 and css.headers["content-type"].startswith("text/css") and ".finding" in css.text
    assert js.status == 200 and "clipboard" in js.text
    assert request(page.url + "/static/../app.py").status == 404


def test_a_time_limit_ends_a_scan_that_would_run_for_minutes():
    """A 2 MB gzip of 2 GB of log lines: the request ends at its limit with a page that says so, and the scan
    in its thread is stopped too (else every such request would keep a core busy for minutes)."""
    import gzip

    member = gzip.compress(b"2025-01-01T00:00:00Z worker heartbeat ok, queue empty, nothing to send\n" * 100_000)
    bomb = member * 300  # gzip members one after another are one file: 2 GB of lines in about 2 MB
    running = Page(ServeConfig(port=0, time_limit=2))
    try:
        started = time.monotonic()
        reply = post_explain(running.url, files={"file": ("bomb.log.gz", bomb)})
        assert reply.status == 503 and "longer than 2 s" in reply.text
        assert time.monotonic() - started < 10
        quick = post_explain(running.url, (LOGS / "phpmailer.log").read_text(encoding="utf-8"))
        assert quick.status == 200
    finally:
        running.stop()
    # the scan itself: told to stop, its thread is free within a read (without it: minutes of a busy core)
    from smtpdoctor.web.explain import explain_bytes

    stop, ended = threading.Event(), threading.Event()

    def scan() -> None:
        try:
            explain_bytes(bomb, stop)
        except Exception:  # noqa: BLE001 - the stop surfaces as a read error of the input
            pass
        ended.set()

    threading.Thread(target=scan, daemon=True).start()
    time.sleep(0.5)
    stop.set()
    assert ended.wait(5), "the scan did not stop when told to"


def test_serve_starts_prints_its_url_and_warns_off_loopback(tmp_path):
    from smtpdoctor.web.serve import is_loopback, url_of

    assert url_of("127.0.0.1", 8587) == "http://127.0.0.1:8587/" and url_of("::1", 1) == "http://[::1]:1/"
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and not is_loopback("0.0.0.0")
    proc = subprocess.Popen([sys.executable, "-m", "smtpdoctor", "serve", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("smtpdoctor serve: open http://127.0.0.1:") and "Ctrl-C" in first
        url = first.split("open ")[1].split()[0]
        assert request(url).status == 200
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.stderr.read() == ""  # no access log, no warning on loopback


def test_serve_refuses_a_busy_port_with_a_message(run_cli):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_cli(["serve", "--port", str(busy.getsockname()[1])])
    assert result.code == 2 and "cannot listen on 127.0.0.1" in result.err and "Traceback" not in result.all


def test_the_cli_does_not_import_the_web_stack():
    code = ("import sys, smtpdoctor.cli as c; c.main(['--version']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette','uvicorn','jinja2','multipart')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")
