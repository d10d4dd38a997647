"""Provider presets load, are self-consistent, and are recognised from hosts and addresses."""

from __future__ import annotations

import json

import pytest

from smtpdoctor.errors import InputError
from smtpdoctor.knowledge.providers import TlsMode, default_providers_path, load_providers

CATALOG = load_providers(default_providers_path())
REQUIRED = {"gmail", "outlook", "microsoft365", "yahoo", "mailru", "sendgrid", "smtp2go", "resend", "mailgun",
            "mailgun_eu", "rambler", "yandex", "icloud", "zoho", "brevo", "postmark", "ses", "mailjet"}


def test_required_providers_present():
    assert REQUIRED <= set(CATALOG.presets)


@pytest.mark.parametrize("preset", CATALOG.presets.values(), ids=lambda p: p.id)
def test_preset_is_self_consistent(preset):
    for spec in preset.ports:
        if spec.port in (465, 2465, 8465):
            assert spec.mode is TlsMode.TLS
        if spec.port in (587, 2525, 2587, 25):
            assert spec.mode is TlsMode.STARTTLS
    for host in preset.hosts:
        assert CATALOG.by_host(host).id == preset.id
    assert CATALOG.by_host(preset.example_host()).id == preset.id
    for domain in preset.domains:
        assert CATALOG.by_domain(domain).id == preset.id
    assert preset.notes is not None and preset.notes.en and preset.notes.ru


def test_recognition_order():
    assert CATALOG.recognise("email-smtp.us-east-1.amazonaws.com").id == "ses"
    assert CATALOG.recognise("smtppro.zoho.eu").id == "zoho"
    assert CATALOG.recognise(None, "karto.help@ro.ru").id == "rambler"
    assert CATALOG.recognise("", None, "me@yandex.ru").id == "yandex"
    # A custom host is not Gmail just because the login is a Gmail address.
    assert CATALOG.recognise("mail.example.com", "me@gmail.com") is None


def test_broken_providers_file_names_file_line_and_key(tmp_path, run_cli):
    bad = tmp_path / "providers.toml"
    bad.write_text('[acme]\nname = "Acme"\nkind = "relay"\nhosts = ["smtp.acme.test"]\n'
                   'ports = [{ port = 587, mode = "starttls" }]\ndefault_port = 465\n'
                   'username = { rule = "dashboard" }\npassword = { kind = "smtp_password" }\nsender_rule = "verified_domain"\n')
    with pytest.raises(InputError) as info:
        load_providers(bad)
    # The table whose validation failed, and the line it starts on (both, not either).
    assert info.value.params["key"] == "acme" and info.value.params["line"] == 1
    result = run_cli(["providers", "--providers", str(bad)])
    assert result.code == 2 and str(bad) in result.err and "acme" in result.err


def test_providers_syntax_error_has_line(tmp_path, run_cli):
    bad = tmp_path / "p.toml"
    bad.write_text('[x]\nname = "X"\nhosts = [\n')
    result = run_cli(["providers"], env={"SMTPDOCTOR_PROVIDERS": str(bad)})
    assert result.code == 2 and "p.toml" in result.err and "line" in result.err


def test_wrong_key_type_points_at_its_line(tmp_path):
    text = (default_providers_path().read_text(encoding="utf-8")
            .replace('default_port = 587\nusername = { rule = "address" }\npassword = { kind = "app_password", pattern = "^[a-z]{16}$"',
                     'default_port = "five"\nusername = { rule = "address" }\npassword = { kind = "app_password", pattern = "^[a-z]{16}$"', 1))
    bad = tmp_path / "p.toml"
    bad.write_text(text)
    with pytest.raises(InputError) as info:
        load_providers(bad)
    line = int(info.value.params["line"])
    assert 'default_port = "five"' in text.splitlines()[line - 1]


def test_providers_command_table_and_json(run_cli):
    table = run_cli(["providers"])
    assert table.code == 0 and "smtp.sendgrid.net" in table.out
    doc = json.loads(run_cli(["providers", "--format", "json"]).out)
    assert {p["id"] for p in doc["providers"]} >= REQUIRED


def test_provider_detail_has_env_lines_in_both_languages(run_cli):
    en = run_cli(["providers", "sendgrid"])
    ru = run_cli(["providers", "sendgrid", "--lang", "ru"])
    for out in (en.out, ru.out):
        assert "SMTP_USER=apikey" in out and "SMTP_HOST=smtp.sendgrid.net" in out
    assert "Ready-to-paste" in en.out and "Готовые переменные" in ru.out
    assert run_cli(["providers", "nope"]).code == 2


@pytest.mark.parametrize("lang, words", [("en", "no such file or directory"), ("ru", "нет такого файла или каталога")])
def test_missing_providers_file_is_worded_not_named_by_its_exception(run_cli, tmp_path, lang, words):
    result = run_cli(["providers", "--providers", str(tmp_path / "nope.toml"), "--lang", lang])
    assert result.code == 2
    assert words in result.err and "FileNotFoundError" not in result.err
