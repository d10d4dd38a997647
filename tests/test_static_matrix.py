"""The settings mistakes people really make -> the finding codes `check --offline` must give."""

from __future__ import annotations

import json

import pytest

GMAIL = {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "587", "SMTP_SECURE": "false",
         "SMTP_USER": "karto.help@gmail.com", "SMTP_PASS": "abcdefghijklmnop"}

CASES = [
    # (id, env, codes that must appear, codes that must not)
    ("healthy gmail", GMAIL, set(), {"config.secure_port_mismatch", "config.whitespace"}),
    ("587 with SMTP_SECURE=true", {**GMAIL, "SMTP_SECURE": "true"}, {"config.secure_port_mismatch"}, set()),
    ("465 with SMTP_SECURE=false", {**GMAIL, "SMTP_PORT": "465"}, {"config.secure_port_mismatch"}, set()),
    ("465 without SMTP_SECURE is fine (nodemailer auto)", {k: v for k, v in {**GMAIL, "SMTP_PORT": "465"}.items() if k != "SMTP_SECURE"}, set(), {"config.secure_port_mismatch"}),
    ("seed: gmail app password with spaces", {**GMAIL, "SMTP_PASS": "abcd efgh ijkl mnop"}, {"config.whitespace"}, {"config.password_format"}),
    ("gmail account password instead of app password", {**GMAIL, "SMTP_PASS": "MyDog2019!"}, {"config.password_format"}, set()),
    ("seed: SMTP not configured", {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "587"}, {"config.missing"}, set()),
    ("empty password", {**GMAIL, "SMTP_PASS": ""}, {"config.missing"}, set()),
    ("sendgrid with address as user", {"SMTP_HOST": "smtp.sendgrid.net", "SMTP_PORT": "587", "SMTP_USER": "me@example.com", "SMTP_PASS": "SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "SMTP_FROM": "me@example.com"}, {"config.username_format"}, {"config.password_format"}),
    ("sendgrid key without SG.", {"SMTP_HOST": "smtp.sendgrid.net", "SMTP_USER": "apikey", "SMTP_PASS": "not-a-key", "SMTP_FROM": "me@example.com"}, {"config.password_format"}, {"config.username_format"}),
    ("resend user must be resend", {"SMTP_HOST": "smtp.resend.com", "SMTP_PORT": "465", "SMTP_SECURE": "true", "SMTP_USER": "apikey", "SMTP_PASS": "re_123456789abc", "SMTP_FROM": "a@example.com"}, {"config.username_format"}, set()),
    ("CR/LF in user", {**GMAIL, "SMTP_USER": "a@gmail.com\r\nRCPT TO:<x@y.z>"}, {"config.header_injection"}, set()),
    ("windows .env CR at end", {**GMAIL, "SMTP_HOST": "smtp.gmail.com\r"}, {"config.whitespace"}, {"config.header_injection"}),
    ("host with https://", {**GMAIL, "SMTP_HOST": "https://smtp.gmail.com"}, {"config.unknown_host"}, set()),
    ("host with trailing slash", {**GMAIL, "SMTP_HOST": "smtp.gmail.com/"}, {"config.unknown_host"}, set()),
    ("host with trailing dot", {**GMAIL, "SMTP_HOST": "smtp.gmail.com."}, {"config.unknown_host"}, set()),
    ("typo smtp.gmial.com", {**GMAIL, "SMTP_HOST": "smtp.gmial.com"}, {"config.unknown_host"}, set()),
    ("mail domain as host", {**GMAIL, "SMTP_HOST": "gmail.com"}, {"config.unknown_host"}, set()),
    ("imap host as smtp", {**GMAIL, "SMTP_HOST": "imap.gmail.com"}, {"config.unknown_host"}, set()),
    ("host with port", {**GMAIL, "SMTP_HOST": "smtp.gmail.com:587"}, {"config.unknown_host"}, set()),
    ("IMAPS port", {**GMAIL, "SMTP_PORT": "993"}, {"config.invalid_port"}, set()),
    ("POP3 port", {**GMAIL, "SMTP_PORT": "110"}, {"config.invalid_port"}, set()),
    ("port not a number", {**GMAIL, "SMTP_PORT": "five"}, {"config.invalid_port"}, set()),
    ("port out of range", {**GMAIL, "SMTP_PORT": "70000"}, {"config.invalid_port"}, set()),
    ("SMTP_SECURE=maybe", {**GMAIL, "SMTP_SECURE": "maybe"}, {"config.invalid_value"}, set()),
    ("SMTP_SECURE=YES is understood", {**GMAIL, "SMTP_PORT": "465", "SMTP_SECURE": "YES"}, set(), {"config.invalid_value", "config.secure_port_mismatch"}),
    ("quotes kept in value", {**GMAIL, "SMTP_HOST": '"smtp.gmail.com"'}, {"config.whitespace"}, set()),
    ("quotes kept in password", {**GMAIL, "SMTP_PASS": "'abcdefghijklmnop'"}, {"config.whitespace"}, set()),
    ("stray semicolon", {**GMAIL, "SMTP_HOST": "smtp.gmail.com;"}, {"config.whitespace"}, set()),
    ("port 25", {**GMAIL, "SMTP_HOST": "mail.example.com", "SMTP_PORT": "25"}, {"config.port_25"}, set()),
    ("outlook password refused", {"SMTP_HOST": "smtp-mail.outlook.com", "SMTP_PORT": "587", "SMTP_SECURE": "false", "SMTP_USER": "me@outlook.com", "SMTP_PASS": "hunter2hunter2"}, {"auth.basic_auth_disabled"}, set()),
    ("m365 port 465 not offered", {"SMTP_HOST": "smtp.office365.com", "SMTP_PORT": "465", "SMTP_SECURE": "true", "SMTP_USER": "me@contoso.com", "SMTP_PASS": "x" * 12}, {"config.port_unsupported"}, set()),
    ("invalid sender", {**GMAIL, "SMTP_FROM": "karto.help@@gmail"}, {"config.sender_invalid"}, set()),
    ("sender differs from gmail login", {**GMAIL, "SMTP_FROM": "other@example.com"}, {"sender.not_owned"}, set()),
    ("seed 2: rambler sender through smtp2go", {"SMTP_HOST": "mail.smtp2go.com", "SMTP_PORT": "587", "SMTP_USER": "KARTO", "SMTP_PASS": "s3cretSMTPuser", "SMTP_FROM": "karto.help@ro.ru"}, {"sender.dmarc_rejected"}, set()),
    ("yahoo sender through sendgrid", {"SMTP_HOST": "smtp.sendgrid.net", "SMTP_USER": "apikey", "SMTP_PASS": "SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "SMTP_FROM": "me@yahoo.com"}, {"sender.dmarc_rejected"}, set()),
    ("relay without any sender", {"SMTP_HOST": "smtp.sendgrid.net", "SMTP_USER": "apikey", "SMTP_PASS": "SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}, {"config.sender_invalid"}, set()),
    ("brevo API key instead of SMTP key", {"SMTP_HOST": "smtp-relay.brevo.com", "SMTP_USER": "8a7b6c@smtp-brevo.com", "SMTP_PASS": "xkeysib-" + "a" * 64, "SMTP_FROM": "a@example.com"}, {"config.password_format"}, set()),
    ("SES with the IAM secret", {"SMTP_HOST": "email-smtp.eu-west-1.amazonaws.com", "SMTP_USER": "AKIAABCDEFGHIJKLMNOP", "SMTP_PASS": "a" * 40, "SMTP_FROM": "a@example.com"}, {"config.password_format"}, set()),
    ("on Render with 587", {**GMAIL, "RENDER": "true"}, {"net.egress_blocked"}, set()),
    ("SMTP_URL works", {"SMTP_URL": "smtps://karto.help%40gmail.com:abcdefghijklmnop@smtp.gmail.com:465"}, set(), {"config.missing", "config.secure_port_mismatch", "config.username_format"}),
    ("SMTP_URL broken", {"SMTP_URL": "smtp://user:pass@host:notaport", "SMTP_USER": "u", "SMTP_PASS": "p"}, {"config.invalid_value"}, set()),
    ("aliases SMTP_USERNAME/SMTP_PASSWORD", {"SMTP_HOST": "smtp.gmail.com", "SMTP_USERNAME": "a@gmail.com", "SMTP_PASSWORD": "abcdefghijklmnop"}, set(), {"config.missing"}),
]


@pytest.mark.parametrize("env,expected,absent", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_offline_matrix(run_cli, env, expected, absent):
    result = run_cli(["check", "--offline", "--format", "json"], env=env)
    doc = json.loads(result.out)
    codes = {f["code"] for f in doc["findings"]}
    assert expected <= codes, codes
    assert not (absent & codes), codes
    has_error = any(f["severity"] == "error" for f in doc["findings"])
    assert result.code == (1 if has_error else 0)
    assert doc["ok"] is (not has_error)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_finding_text_is_complete(run_cli, lang):
    """No rendered finding shows an unfilled {placeholder}, in either language."""
    for _, env, _, _ in CASES:
        doc = json.loads(run_cli(["check", "--offline", "--format", "json", "--lang", lang], env=env).out)
        for f in doc["findings"]:
            for text in [f["title"], f["explanation"], *f["fix"]]:
                assert "{" not in text, (f["code"], text)
                assert text.strip()


def test_seed_mistake_gives_exact_fix_in_both_languages(run_cli):
    env = {**GMAIL, "SMTP_SECURE": "true"}
    en = run_cli(["check", "--offline", "--lang", "en"], env=env)
    ru = run_cli(["check", "--offline", "--lang", "ru"], env=env)
    assert en.code == ru.code == 1
    assert "SMTP_SECURE=false" in en.out and "TLS mode and port disagree" in en.out
    assert "SMTP_SECURE=false" in ru.out and "Режим TLS не соответствует порту" in ru.out


def test_strict_fails_on_warnings(run_cli):
    env = {**GMAIL, "SMTP_PASS": "abcd efgh ijkl mnop"}  # a warning only
    assert run_cli(["check", "--offline"], env=env).code == 0
    assert run_cli(["check", "--offline", "--strict"], env=env).code == 1


def test_text_output_names_source_and_masks_password(run_cli, tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SMTP_HOST=smtp.gmail.com\nSMTP_USER=karto.help@gmail.com\n# comment\nSMTP_PORT=993\n")
    result = run_cli(["check", "--offline", "--env-file", str(dotenv)], env={"SMTP_PASS": "abcdefghijklmnop"})
    assert "SMTP_PORT (from .env, line 4)" in result.out
    assert "abcdefghijklmnop" not in result.out
    assert "16 characters" in result.out


def test_nul_in_an_option_is_refused(run_cli):
    """Environment variables cannot hold NUL, but options given in-process (and batch rows) can."""
    doc = json.loads(run_cli(["check", "--offline", "--format", "json", "--user", "a\0b@gmail.com"], env=GMAIL).out)
    assert "config.header_injection" in {f["code"] for f in doc["findings"]}
