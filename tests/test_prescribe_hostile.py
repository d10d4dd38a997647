"""Issue 18's prescriptions on hostile or awkward input: a URL built to make re-spelling slow, passwords full of
reserved characters, comments and CRLF around the value to edit, a compressed log. Each clear, bounded, and with
no secret in any output."""

from __future__ import annotations

import gzip
import json
import time
import tomllib
from urllib.parse import quote

import pytest

from smtpdoctor.prescribe.urls import MASK, build, parse_loose


def doc_of(result) -> dict:
    assert "Traceback" not in result.all, result.all
    return json.loads(result.out)


def test_a_url_of_at_signs_is_read_in_bounded_time(run_cli, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("MAILER_DSN=smtp://" + "a@" * 200_000 + "mail.example.com:587\n")
    started = time.monotonic()
    result = run_cli(["check", "--offline", "--env-file", str(env_file), "--format", "json"])
    assert time.monotonic() - started < 5
    assert result.code in (1, 2) and "Traceback" not in result.all


@pytest.mark.parametrize("password", ["p@ss:w/rd?#[]", "пароль+пробел %41", "a+b=c&d;e,f!$'()*", "ends with %"])
def test_every_reserved_character_is_encoded_and_reads_back(password):
    broken = f"smtp://me@example.com:{password}@mail.example.com:587/?verify_peer=1"
    parts = parse_loose(broken)
    assert parts is not None and parts.host == "mail.example.com" and parts.port == "587"
    encoded = build(parts)
    from smtpdoctor.settings.model import split_url
    from urllib.parse import unquote

    split = split_url(encoded)
    assert split is not None and unquote(split.password) == parts.password and split.hostname == "mail.example.com"
    assert parts.password not in build(parts, masked=True) and MASK in build(parts, masked=True)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit"])
def test_the_password_in_a_respelt_dsn_reaches_no_output(run_cli, tmp_path, lang, fmt):
    password = "Qx9-leak@probe/Staple#77"
    env_file = tmp_path / ".env"
    env_file.write_text(f"MAILER_DSN=smtp://me%40example.com:{password}@mail.example.com:587\n")
    result = run_cli(["check", "--offline", "--env-file", str(env_file), "--format", fmt, "--lang", lang])
    for form in (password, quote(password, safe=""), quote(password, safe="").lower(), "Staple#77", "Staple%2377"):
        assert form not in result.all, form


def test_a_yaml_value_with_a_comment_keeps_it_in_the_line(run_cli, tmp_path):
    path = tmp_path / "application.yml"
    path.write_text("spring:\n  mail:\n    host: smtp.gmail.com\n    port: 587\n    username: me@gmail.com\n"
                    "    password: abcdefghijklmnop\n    properties:\n      mail:\n        smtp:\n"
                    "          ssl:\n            enable: true   # copied from a guide\n"
                    "          starttls:\n            enable: true\n")
    doc = doc_of(run_cli(["check", "--offline", "--config", str(path), "--format", "json"]))
    (edit,) = [e for f in doc["findings"] for e in f["edits"]]
    assert edit["line"] == "            enable: false   # copied from a guide" and edit["at"] == 11


def test_crlf_and_quotes_around_a_host_become_one_clean_edit(run_cli, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_bytes(b'SMTP_HOST="smtp.gmail.com "\r\nSMTP_PORT=587\r\nSMTP_USER=me@gmail.com\r\n'
                         b"SMTP_PASS=abcdefghijklmnop\r\nSMTP_FROM=me@gmail.com\r\n")
    doc = doc_of(run_cli(["check", "--offline", "--env-file", str(env_file), "--format", "json"]))
    host = [f for f in doc["findings"] if f["code"] == "config.whitespace" and f["source"]["name"] == "SMTP_HOST"]
    assert host and [(e["key"], e["value"], e["line"]) for e in host[0]["edits"]] == [
        ("SMTP_HOST", "smtp.gmail.com", "SMTP_HOST=smtp.gmail.com")]


def test_a_toml_string_with_quotes_is_escaped_valid_toml(run_cli, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[auth.email.smtp]\nenabled = true\nhost = "\\"smtp.gmail.com\\""\nport = 587\n'
                    'user = "me@gmail.com"\npass = "abcdefghijklmnop"\nadmin_email = "me@gmail.com"\n')
    doc = doc_of(run_cli(["check", "--offline", "--config", str(path), "--format", "json"]))
    lines = [e["line"] for f in doc["findings"] for e in f["edits"]]
    assert lines == ['host = "smtp.gmail.com"'], lines
    assert tomllib.loads(lines[0]) == {"host": "smtp.gmail.com"}


def test_a_compressed_log_still_names_its_framework(run_cli, tmp_path):
    path = tmp_path / "app.log.gz"
    path.write_bytes(gzip.compress(
        b'Traceback (most recent call last):\n  File "/app/django/core/mail/backends/smtp.py", line 94, in open\n'
        b"smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted.')\n"))
    out = run_cli(["explain", str(path)]).out
    assert "EMAIL_HOST_PASSWORD" in out and "SMTP_PASS" not in out


def test_an_edit_never_quotes_the_password_when_the_secret_is_short(run_cli):
    """A password of "false": the edit SMTP_SECURE=false is our own value, shown whole; the password is not."""
    env = {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "587", "SMTP_SECURE": "true", "SMTP_USER": "me@gmail.com",
           "SMTP_PASS": "false", "SMTP_FROM": "me@gmail.com"}
    doc = doc_of(run_cli(["check", "--offline", "--format", "json"], env=env))
    (mismatch,) = [f for f in doc["findings"] if f["code"] == "config.secure_port_mismatch"]
    assert [(e["key"], e["value"]) for e in mismatch["edits"]] == [("SMTP_SECURE", "false")]
