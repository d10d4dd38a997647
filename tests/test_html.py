"""`--format html` (issue 22): one self-contained file per report — inline CSS, no script, nothing loaded from
anywhere — for check, explain, dns and batch's summary; secrets redacted as in every format."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from smtpdoctor.testing.server import ServerSpec

LOGS = Path(__file__).parent / "logs"
SECRET = "Qx9-leak-probe-Staple-77"


class Doc(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.loads: list[tuple[str, str, str]] = []  # anything the file would fetch by itself
        self.csp = None
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "meta" and values.get("http-equiv") == "Content-Security-Policy":
            self.csp = values["content"]
        for name in ("src", "srcset", "poster", "data"):
            if name in values:
                self.loads.append((tag, name, values[name]))
        if tag == "link":
            self.loads.append((tag, "href", values.get("href", "")))
        if any(name.startswith("on") for name in values):
            self.loads.append((tag, "on*", ""))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data


def self_contained(text: str) -> Doc:
    assert text.startswith("<!doctype html>") and text.rstrip().endswith("</html>")
    doc = Doc()
    doc.feed(text)
    assert "script" not in doc.tags and doc.loads == [], doc.loads
    assert "url(" not in doc.style and "@import" not in doc.style  # no font, image or sheet fetched by the CSS
    # the file's own policy allows exactly its own style sheet: nothing else could run or load
    digest = base64.b64encode(hashlib.sha256(doc.style.encode("utf-8")).digest()).decode()
    assert doc.csp.startswith("default-src 'none'") and f"'sha256-{digest}'" in doc.csp
    return doc


def test_explain_as_html_has_the_same_diagnoses_as_json(run_cli):
    html = run_cli(["explain", "--format", "html", str(LOGS / "nodemailer.log")])
    data = json.loads(run_cli(["explain", "--format", "json", str(LOGS / "nodemailer.log")]).out)
    assert html.code == 1 and html.err == ""
    self_contained(html.out)
    shown = re.findall(r'<span class="code">([\w.]+)</span>', html.out)
    assert shown == [d["code"] for d in data["diagnoses"]]
    assert "Reply for the customer" in html.out and "The last failure is" in html.out


def test_explain_as_html_in_russian(run_cli):
    result = run_cli(["explain", "--format", "html", "--lang", "ru", str(LOGS / "phpmailer.log")])
    assert '<html lang="ru">' in result.out and "Ответ клиенту" in result.out and "Исправление" not in result.err
    self_contained(result.out)


def test_explain_as_html_masks_secrets_and_shows_markup_as_text(run_cli):
    log = (f"2025-10-02T09:00:01Z Error: Invalid login: 535 5.7.8 pass={SECRET} <script>alert(1)</script>\u202e\x1b[2J\n")
    result = run_cli(["explain", "--format", "html"], stdin=log)
    doc = self_contained(result.out)
    assert SECRET not in result.out and "&lt;script&gt;alert(1)&lt;/script&gt;" in result.out
    assert "\\u202e\\x1b[2J" in result.out and "\x1b" not in result.out and doc.tags.count("article") == 1


def test_check_as_html_offline_redacts_the_password(run_cli, tmp_path):
    out = tmp_path / "report.html"
    env = {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "465", "SMTP_SECURE": "false", "SMTP_USER": "me@gmail.com",
           "SMTP_PASS": SECRET}
    result = run_cli(["check", "--offline", "--format", "html", "-o", str(out)], env=env)
    text = out.read_text(encoding="utf-8")
    assert result.code == 1 and SECRET not in text and SECRET not in result.all
    self_contained(text)
    assert "config.secure_port_mismatch" in text and "Gmail" in text and "<table>" in text


def test_check_as_html_with_the_live_probe(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec(auth_failure=f"535 5.7.8 Authentication failed for {SECRET}"), password="other")
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": "me@example.com", "SMTP_PASS": SECRET}
    result = run_cli(["check", "--format", "html", "--ca-file", str(ca_file), "--no-dns"], env=env)
    self_contained(result.out)
    assert result.code == 1 and SECRET not in result.all
    assert '<ol class="steps">' in result.out and "auth.bad_credentials" in result.out


def test_dns_as_html(run_cli):
    from dns_server import LoopbackDns

    zone = ('good.test. 300 IN MX 10 mx.good.test.\ngood.test. 300 IN TXT "v=spf1 +all"\n'
            'mx.good.test. 300 IN A 127.0.0.1\n')
    with LoopbackDns(zone) as server:
        result = run_cli(["dns", "good.test", "--format", "html", "--nameserver", server.address, "--lang", "ru"])
    self_contained(result.out)
    assert "good.test" in result.out and "v=spf1 +all" in result.out and "dns.spf_permissive" in result.out


def test_batch_summary_as_html(run_cli, tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"id": "a", "host": "smtp.gmail.com", "port": 465, "secure": "false",
                                "user": "me@gmail.com", "password": SECRET}) + "\n", encoding="utf-8")
    result = run_cli(["batch", str(rows), "--offline", "--format", "html"])
    assert result.code == 1 and SECRET not in result.all
    self_contained(result.err)
    assert "config.secure_port_mismatch" in result.err and json.loads(result.out.splitlines()[0])["id"] == "a"


def test_html_is_refused_where_it_makes_no_sense(run_cli):
    result = run_cli(["demo", "--format", "html"])
    assert result.code == 2 and "text, json" in result.err
