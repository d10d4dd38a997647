"""Golden files: the rendered output of every command in English and Russian, compared byte for byte.

Any change to what a user reads (a phrase, a plural, a column, a wrap) shows up as a diff of
tests/golden/<name>.<lang>.txt that a reviewer reads in both languages. To accept a change on purpose:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_golden.py

then review `git diff tests/golden/`. Each file holds standard output; standard error follows a
"--- stderr ---" line when a command writes there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from smtpdoctor.knowledge.platforms import load_platforms
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec

# Read at import time: the clean_env fixture strips SMTP_*, SMTPDOCTOR_*, LANG*, LC_* before each test runs,
# and a test run inside a CI job or a shell must not see a different setting than the one who started it.
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

GOLDEN = Path(__file__).parent / "golden"
LANGS = ("en", "ru")

GMAIL_MISCONFIGURED = {  # implicit TLS on the STARTTLS port, and the app password pasted with Google's spaces
    "SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "587", "SMTP_SECURE": "true", "SMTP_USER": "me@gmail.com",
    "SMTP_PASS": "abcd efgh ijkl mnop", "SMTP_FROM": "me@gmail.com",
}
SMTP2GO_RAMBLER = {  # a relay that cannot pass the public mailbox's DMARC
    "SMTP_HOST": "mail.smtp2go.com", "SMTP_PORT": "2525", "SMTP_USER": "karto", "SMTP_PASS": "s3cretpass",
    "SMTP_FROM": "karto.help@ro.ru",
}
LINT_ENV = "SMTP_HOST=smtp.yandex.ru\nSMTP_PORT=465\nSMTP_SECURE=false\nSMTP_USER=me@yandex.ru\n" \
           "SMTP_PASS=app-password-here\nSMTP_FROM=me@yandex.ru\n"
APP_LOG = """\
2024-05-01T10:00:01Z [mailer] Sending mail to user@example.com
Error: Invalid login: 535-5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials
2024-05-01T10:00:05Z [mailer] retrying
smtplib.SMTPAuthenticationError: (534, b'5.7.9 Application-specific password required. For more information, go to https://support.google.com/mail/?p=InvalidSecondFactor')
Error: connect ECONNREFUSED 127.0.0.1:587
ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)
"""
GMAIL_535 = "535 5.7.8 Username and Password not accepted"
DJANGO_ENV = ("# Django, read by django-environ\nEMAIL_HOST=smtp.gmail.com\nEMAIL_PORT=587\nEMAIL_USE_TLS=True\n"
              "EMAIL_USE_SSL=True\nEMAIL_HOST_USER=me@gmail.com\nEMAIL_HOST_PASSWORD=MyDog2019!\n"
              "DEFAULT_FROM_EMAIL=me@gmail.com\n")
BROKEN_DSN = "MAILER_DSN=smtp://me@example.com:p@ss#w/rd@mail.example.com:587\n"  # the password not percent-encoded

# name -> (arguments, environment, files written into the working directory, expected exit code)
CASES = {
    "check-offline-gmail": (["check", "--offline"], GMAIL_MISCONFIGURED, {}, 1),
    "check-offline-smtp2go-rambler": (["check", "--offline"], SMTP2GO_RAMBLER, {}, 0),
    "check-github-gmail": (["check", "--offline", "--format", "github"], GMAIL_MISCONFIGURED, {}, 1),
    "check-junit-gmail": (["check", "--offline", "--format", "junit"], GMAIL_MISCONFIGURED, {}, 1),
    "dns-reserved-smtp2go": (["dns", "me@example.test", "--relay", "smtp2go"], {}, {}, 0),
    "lint-port-secure": (["lint", "mail.env"], {}, {"mail.env": LINT_ENV}, 1),
    "providers": (["providers"], {}, {}, 0),
    "providers-gmail": (["providers", "gmail"], {}, {}, 0),
    "explain-app-log": (["explain", "app.log"], {}, {"app.log": APP_LOG}, 1),
    "demo-list": (["demo", "--list"], {}, {}, 0),
    # Issue 18: fixes as edits to the user's own file, in its own terms; a tip only where it applies.
    "lint-django-both-flags": (["lint", ".env"], {}, {".env": DJANGO_ENV}, 1),
    "check-offline-dsn-unencoded": (["check", "--offline", "--env-file", ".env"], {}, {".env": BROKEN_DSN}, 1),
}


@pytest.fixture
def golden_env(run_cli, clean_env, tmp_path):
    """run_cli with nothing from this machine that changes the output: no hosting platform detected, no
    framework settings (MAIL_*, EMAIL_*...), files given by relative name from a fresh directory."""
    for platform in load_platforms().platforms.values():
        for alternative in platform.detect:
            for name in alternative:
                clean_env.delenv(name, raising=False)
    for key in list(os.environ):
        if key.startswith(("MAIL_", "EMAIL_", "GOTRUE_", "MAILER_", "SPRING_MAIL", "DEFAULT_FROM_EMAIL", "SERVER_EMAIL")):
            clean_env.delenv(key, raising=False)
    clean_env.chdir(tmp_path)
    return run_cli


def rendered(result) -> str:
    return result.out + (f"--- stderr ---\n{result.err}" if result.err else "")


def compare(name: str, lang: str, text: str) -> None:
    path = GOLDEN / f"{name}.{lang}.txt"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"golden file {path.relative_to(GOLDEN.parent.parent)} is missing; create it with "
                    f"UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_golden.py and review it")
    expected = path.read_text(encoding="utf-8")
    # A plain == keeps pytest's line diff, which is what a reviewer needs to see.
    assert text == expected, f"{path.name} differs; if the change is intended, regenerate with UPDATE_GOLDEN=1"


def assert_sane(text: str, lang: str) -> None:
    assert "Traceback" not in text
    assert not re.search(r"\{[a-z_][a-z0-9_|]*\}", text), "an unfilled {placeholder}"
    if lang == "en":
        assert not re.search(r"[А-Яа-яЁё]", text), "Cyrillic in the English output"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", CASES)
def test_golden(golden_env, tmp_path, name, lang):
    args, env, files, code = CASES[name]
    for file_name, content in files.items():
        (tmp_path / file_name).write_text(content, encoding="utf-8")
    result = golden_env([*args, "--lang", lang], env=env)
    text = rendered(result)
    # Elapsed times in the CI formats change from run to run: JUnit's time="0.019" and ms/мс figures.
    text = re.sub(r'time="\d+(\.\d+)?"', 'time="<T>"', text)
    text = re.sub(r"\(\d+ (ms|мс)\)", r"(<N> \1)", text)
    assert_sane(text, lang)
    compare(name, lang, text)
    assert result.code == code


@pytest.mark.parametrize("lang", LANGS)
def test_golden_check_live_auth_failure(golden_env, smtp_server, ca_file, lang):
    """A full check against the embedded server on loopback that refuses the login with Gmail's 535."""
    server = smtp_server(ServerSpec(auth_failure=GMAIL_535))
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER,
           "SMTP_PASS": DEMO_PASSWORD, "SMTP_FROM": DEMO_USER}
    result = golden_env(["check", "--ca-file", str(ca_file), "--timeout", "5", "--lang", lang], env=env)
    text = rendered(result)
    # What differs between runs, replaced before comparing:
    #   "(12 ms)" / "(12 мс)"  step timings             -> "(<N> ms)" / "(<N> мс)"
    #   the server's random port (the whole number)     -> "<PORT>"
    #   the session's temporary CA file path            -> "<CA_FILE>"
    text = re.sub(r"\(\d+ (ms|мс)\)", r"(<N> \1)", text)
    text = re.sub(rf"(?<!\d){server.port}(?!\d)", "<PORT>", text)
    text = text.replace(str(ca_file), "<CA_FILE>")
    assert_sane(text, lang)
    assert DEMO_PASSWORD not in text
    compare("check-live-auth-failure", lang, text)
    assert result.code == 1
