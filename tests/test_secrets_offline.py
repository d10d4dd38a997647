"""No output of the settings checks ever contains the password, in any language or format."""

from __future__ import annotations

import base64

import pytest

from conftest import SECRET

FORMS = [SECRET, base64.b64encode(SECRET.encode()).decode(),
         base64.b64encode(f"\0karto.help@gmail.com\0{SECRET}".encode()).decode()]

ENVS = [
    {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "465", "SMTP_SECURE": "false", "SMTP_USER": "karto.help@gmail.com", "SMTP_PASS": SECRET},
    {"SMTP_HOST": "smtp.sendgrid.net", "SMTP_USER": "apikey", "SMTP_PASS": f'"{SECRET} "', "SMTP_FROM": "x@ro.ru"},
    {"SMTP_URL": f"smtps://karto.help%40gmail.com:{SECRET}@smtp.gmail.com:465"},
    {"SMTP_URL": f"smtp://u:{SECRET}@host:badport", "SMTP_USER": "u"},
    {"SMTP_HOST": "smtp-mail.outlook.com", "SMTP_USER": "a@outlook.com", "SMTP_PASS": SECRET + "\r"},
]


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("args", [["--format", "json"], ["--lang", "ru"], [], ["--strict", "--format", "json", "--lang", "ru"]])
def test_password_never_printed(run_cli, env, args):
    result = run_cli(["check", "--offline", *args], env=env)
    for form in FORMS:
        assert form not in result.all
    assert "Traceback" not in result.all
