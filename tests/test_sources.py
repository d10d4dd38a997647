"""Settings where they live: each framework format read from a realistic file, with its own names in fixes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CONFIGS = Path(__file__).parent / "configs"


def check(run_cli, *args, env=None):
    result = run_cli(["check", "--offline", "--format", "json", *args], env=env)
    assert "Traceback" not in result.all, result.all
    return result, json.loads(result.out)


def codes(doc) -> set[str]:
    return {f["code"] for f in doc["findings"]}


def finding(doc, code):
    return next(f for f in doc["findings"] if f["code"] == code)


def test_django_detected_with_its_names(run_cli):
    _, doc = check(run_cli, "--env-file", str(CONFIGS / "django.env"))
    assert doc["source"] == {"format": "django", "detected": True}
    assert doc["settings"]["port"]["source"]["name"] == "EMAIL_PORT" and doc["settings"]["port"]["source"]["line"] == 5
    mismatch = finding(doc, "config.secure_port_mismatch")
    fix = " ".join(mismatch["fix"])
    assert "EMAIL_USE_TLS=True" in fix and "EMAIL_PORT=465" in fix and "SMTP_" not in fix


def test_django_both_tls_and_ssl(run_cli):
    env = {"EMAIL_HOST": "smtp.gmail.com", "EMAIL_PORT": "587", "EMAIL_HOST_USER": "a@gmail.com",
           "EMAIL_HOST_PASSWORD": "abcdefghijklmnop", "EMAIL_USE_TLS": "True", "EMAIL_USE_SSL": "True"}
    _, doc = check(run_cli, "--source", "django", env=env)
    assert finding(doc, "config.invalid_value")["variant"] == "django_tls_ssl"


def test_django_port_with_a_space_from_the_environment(run_cli):
    env = {"EMAIL_HOST": "smtp.gmail.com", "EMAIL_PORT": "587 ", "EMAIL_HOST_USER": "a@gmail.com",
           "EMAIL_HOST_PASSWORD": "abcdefghijklmnop", "EMAIL_USE_TLS": "True"}
    _, doc = check(run_cli, env=env)
    ws = finding(doc, "config.whitespace")
    assert ws["source"]["name"] == "EMAIL_PORT" and "EMAIL_PORT" in ws["fix"][0]


def test_laravel_starttls_is_not_a_laravel_value(run_cli):
    _, doc = check(run_cli, "--env-file", str(CONFIGS / "laravel.env"))
    assert doc["source"]["format"] == "laravel"
    invalid = finding(doc, "config.invalid_value")
    assert invalid["source"]["name"] == "MAIL_ENCRYPTION" and "tls" in invalid["explanation"]
    assert doc["provider"] == "mailru" and doc["settings"]["sender"]["value"] == "karto.help@mail.ru"


def test_laravel_log_mailer_sends_nothing(run_cli):
    _, doc = check(run_cli, env={"MAIL_MAILER": "log", "MAIL_HOST": "smtp.gmail.com", "MAIL_USERNAME": "a@gmail.com",
                                 "MAIL_PASSWORD": "abcdefghijklmnop"})
    assert finding(doc, "config.invalid_value")["variant"] == "mailer_not_smtp"


def test_symfony_dsn_and_verify_peer(run_cli):
    _, doc = check(run_cli, "--env-file", str(CONFIGS / "symfony.env"))
    assert doc["source"]["format"] == "symfony" and doc["provider"] == "sendgrid"
    assert doc["settings"]["user"]["value"] == "apikey" and "implicit TLS" in doc["settings"]["secure"]["value"]
    assert codes(doc) == {"config.tls_verification_disabled"}
    assert "SG.aaaa" not in json.dumps(doc)


def test_symfony_gmail_bridge(run_cli):
    _, doc = check(run_cli, env={"MAILER_DSN": "gmail+smtp://karto.help%40gmail.com:abcdefghijklmnop@default"})
    assert doc["settings"]["host"]["value"] == "smtp.gmail.com" and doc["provider"] == "gmail"
    assert not [f for f in doc["findings"] if f["severity"] == "error"]


def test_supabase_gotrue_env(run_cli):
    _, doc = check(run_cli, "--env-file", str(CONFIGS / "supabase.env"))
    assert doc["source"]["format"] == "supabase" and doc["provider"] == "smtp2go"
    assert doc["settings"]["sender"]["source"]["name"] == "GOTRUE_SMTP_ADMIN_EMAIL"
    assert "sender.dmarc_rejected" in codes(doc)


def test_supabase_config_toml_with_env_reference(run_cli):
    toml = CONFIGS / "supabase" / "config.toml"
    _, unresolved = check(run_cli, "--config", str(toml))
    assert finding(unresolved, "config.missing")["variant"] == "unresolved"
    _, doc = check(run_cli, "--config", str(toml), env={"RESEND_API_KEY": "re_123456789abcdef"})
    assert doc["source"]["format"] == "supabase" and doc["provider"] == "resend"
    assert doc["settings"]["host"]["source"]["line"] == 12
    route = finding(doc, "sender.dmarc_rejected")
    assert route["severity"] == "error"
    assert "re_123456789abcdef" not in json.dumps(doc)


def test_spring_properties(run_cli):
    _, doc = check(run_cli, "--config", str(CONFIGS / "application.properties"), env={"MAIL_PASSWORD": "abcdefghijklmnop"})
    assert doc["source"]["format"] == "spring" and doc["provider"] == "yandex"
    mismatch = finding(doc, "config.secure_port_mismatch")
    assert "spring.mail.properties.mail.smtp.ssl.enable=true" in " ".join(mismatch["fix"])
    assert "sender.not_owned" in codes(doc)


def test_spring_yaml_with_placeholder_default(run_cli):
    _, doc = check(run_cli, "--config", str(CONFIGS / "application.yml"))
    assert doc["provider"] == "microsoft365"
    missing = finding(doc, "config.missing")
    assert missing["source"]["name"] == "spring.mail.password" and missing["source"]["line"] == 8


def test_options_still_win_over_a_format(run_cli):
    _, doc = check(run_cli, "--env-file", str(CONFIGS / "django.env"), "--port", "465")
    assert doc["settings"]["port"]["source"]["kind"] == "option"
    assert "config.secure_port_mismatch" not in codes(doc)


def test_unknown_source_and_broken_yaml(run_cli, tmp_path):
    assert run_cli(["check", "--offline", "--source", "rails"]).code == 2
    bad = tmp_path / "application.yml"
    bad.write_text("spring:\n  mail:\n    host: [unclosed\n")
    result = run_cli(["check", "--offline", "--config", str(bad)])
    assert result.code == 2 and "application.yml" in result.err


@pytest.mark.parametrize("name", ["django.env", "laravel.env", "symfony.env", "supabase.env"])
def test_lint_for_pre_commit(run_cli, name):
    result = run_cli(["lint", str(CONFIGS / name)])
    assert "Traceback" not in result.all
    assert result.code in (0, 1)
    assert name in result.out or result.code == 0


def test_lint_skips_files_without_mail_settings(run_cli, tmp_path):
    other = tmp_path / ".env"
    other.write_text("DATABASE_URL=postgres://x\n")
    result = run_cli(["lint", str(other)])
    assert result.code == 0 and result.out == ""
