"""Settings where they live: each framework format read from a realistic file, with its own names in fixes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from smtpdoctor.checks.static import run_static_checks_by_name
from smtpdoctor.errors import UsageError
from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.providers import default_providers_path, load_providers
from smtpdoctor.render.findings import finding_text
from smtpdoctor.render.i18n import Lang, message_ids, render_param
from smtpdoctor.report import Finding, phrase
from smtpdoctor.settings.frameworks import NAMINGS, PHRASE_PREFIX, SUPABASE_TOML_NAMING, SourceFormat, read_source
from smtpdoctor.settings.model import clean, clean_host, clean_text

CONFIGS = Path(__file__).parent / "configs"
PROVIDERS = load_providers(default_providers_path())
CATALOG = load_catalog()


def read(env: dict[str, str] | None = None, env_file: Path | None = None, config: list[Path] | None = None,
         fmt: str | None = None):
    """A settings format read and checked directly: (SourceRead, all findings: the format's and the static ones)."""
    source = read_source(fmt, {}, env or {}, env_file, config or [])
    inp = source.inp
    host = clean_host(inp.host.value) if inp.host and inp.host.value.strip() else None
    preset = PROVIDERS.recognise(host, clean_text(inp.user.value) if inp.user else None,
                                 clean_text(inp.sender.value) if inp.sender else None)
    checks = run_static_checks_by_name(inp, clean(inp, preset), preset, PROVIDERS, env or {})
    return source, [*source.findings, *(f for found in checks.values() for f in found)]


def text_of(f: Finding, source, lang: Lang) -> tuple[str, str]:
    """(explanation, fix) rendered in `lang` with the format's own names."""
    text = finding_text(f, CATALOG, lang, source.naming.__dict__)
    return text.explanation, " ".join(text.fix)


def first(findings: list[Finding], code: str) -> Finding:
    return next(f for f in findings if f.code == code)


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
    source, findings = read(env_file=CONFIGS / "django.env")
    direct = first(findings, "config.secure_port_mismatch")
    _, en = text_of(direct, source, Lang.EN)
    _, ru = text_of(direct, source, Lang.RU)
    assert "EMAIL_USE_TLS=True (and EMAIL_USE_SSL=False)" in en and "EMAIL_PORT=465" in en and "SMTP_" not in en
    assert "EMAIL_USE_TLS=True (и EMAIL_USE_SSL=False)" in ru and "EMAIL_PORT=465" in ru and "SMTP_" not in ru


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


def laravel_project(tmp_path: Path, version: str | None, env_text: str | None = None) -> Path:
    """A Laravel project directory: .env and, when a version is given, the composer.lock that names it."""
    env = tmp_path / ".env"
    env.write_text(env_text if env_text is not None else (CONFIGS / "laravel.env").read_text())
    if version is not None:
        (tmp_path / "composer.lock").write_text(json.dumps(
            {"packages": [{"name": "laravel/framework", "version": f"v{version}"}]}))
    return env


def test_laravel_starttls_is_not_a_laravel_value(run_cli, tmp_path):
    # Laravel before 11.35 reads MAIL_ENCRYPTION, so a value it does not know is worth a finding.
    env_file = laravel_project(tmp_path, "10.48.4")
    _, doc = check(run_cli, "--env-file", str(env_file))
    assert doc["source"]["format"] == "laravel"
    invalid = finding(doc, "config.invalid_value")
    assert invalid["source"]["name"] == "MAIL_ENCRYPTION" and "tls" in invalid["explanation"]
    source, findings = read(env_file=env_file)
    direct = first(findings, "config.invalid_value")
    assert direct.source.name == "MAIL_ENCRYPTION" and direct.params["expected"] == phrase("frameworks.expected.laravel_encryption")
    en, _ = text_of(direct, source, Lang.EN)
    ru, _ = text_of(direct, source, Lang.RU)
    assert "expected tls (STARTTLS, port 587) or ssl (port 465), or null" in en
    assert "ожидается tls (STARTTLS, порт 587) или ssl (порт 465), либо null" in ru
    assert doc["provider"] == "mailru" and doc["settings"]["sender"]["value"] == "karto.help@mail.ru"


def test_laravel_log_mailer_sends_nothing(run_cli):
    _, doc = check(run_cli, env={"MAIL_MAILER": "log", "MAIL_HOST": "smtp.gmail.com", "MAIL_USERNAME": "a@gmail.com",
                                 "MAIL_PASSWORD": "abcdefghijklmnop"})
    assert finding(doc, "config.invalid_value")["variant"] == "mailer_not_smtp"


def test_symfony_dsn_and_verify_peer(run_cli):
    _, doc = check(run_cli, "--env-file", str(CONFIGS / "symfony.env"))
    assert doc["source"]["format"] == "symfony" and doc["provider"] == "sendgrid"
    assert doc["settings"]["user"]["value"] == "apikey" and doc["settings"]["secure"]["value"] == "implicit"
    assert codes(doc) - {"config.format_read"} == {"config.tls_verification_disabled"}  # read as: a note (issue 21)
    assert "SG.aaaa" not in json.dumps(doc)


def test_symfony_names_are_worded_in_each_language():
    from smtpdoctor.render.findings import apply_naming
    from smtpdoctor.render.i18n import Lang

    naming = dict(NAMINGS[SourceFormat.SYMFONY].__dict__)
    fix = "Set SMTP_HOST=smtp.gmail.com and SMTP_SECURE=true."
    assert apply_naming(fix, naming, Lang.EN) == "Set the host in MAILER_DSN=smtp.gmail.com and smtps:// in MAILER_DSN."
    assert apply_naming(fix, naming, Lang.RU) == "Set MAILER_DSN (хост)=smtp.gmail.com and smtps:// в MAILER_DSN."
    ids = set(message_ids())
    for each in [*NAMINGS.values(), SUPABASE_TOML_NAMING]:
        for value in each.__dict__.values():
            assert not value.startswith(PHRASE_PREFIX) or value in ids, value
            assert value.startswith(PHRASE_PREFIX) or not re.search(r"(^|\s)(the|and|of|from|in|uses)(\s|$)", value), value


def test_symfony_broken_dsn_quotes_the_parser():
    _, findings = read(env={"MAILER_DSN": "smtp://user:pass@host:notaport"}, fmt="symfony")
    f = first(findings, "config.invalid_value")
    # Our words, never the URL parser's message: that may quote the password.
    assert f.variant == "url" and f.params["detail"] == phrase("static.url.syntax")


def test_unknown_source_format_is_a_phrase():
    with pytest.raises(UsageError) as raised:
        read_source("wordpress", {}, {}, None, [])
    reason = raised.value.params["reason"]
    assert reason.id == "frameworks.source_choices"
    assert render_param(reason, Lang.EN).startswith("one of nodemailer, django")
    assert render_param(reason, Lang.RU).startswith("одно из значений: nodemailer, django")


def test_django_bool_expected_in_both_languages():
    env = {"EMAIL_HOST": "smtp.gmail.com", "EMAIL_USE_TLS": "yes please"}
    source, findings = read(env=env, fmt="django")
    f = first(findings, "config.invalid_value")
    assert f.params["expected"] == phrase("frameworks.expected.true_false")
    assert "True or False" in text_of(f, source, Lang.EN)[0]
    assert "True или False" in text_of(f, source, Lang.RU)[0]


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
    source, findings = read(config=[toml])
    unresolved = first(findings, "config.missing")
    assert unresolved.params == {"ref": "RESEND_API_KEY"} and unresolved.source.line is not None
    en, ru = text_of(unresolved, source, Lang.EN)[0], text_of(unresolved, source, Lang.RU)[0]
    assert "refers to the environment variable `RESEND_API_KEY`, which is not set" in en
    assert "ссылается на переменную окружения `RESEND_API_KEY`" in ru
    assert "re_123456789abcdef" not in json.dumps(doc)


def test_spring_properties(run_cli):
    _, doc = check(run_cli, "--config", str(CONFIGS / "application.properties"), env={"MAIL_PASSWORD": "abcdefghijklmnop"})
    assert doc["source"]["format"] == "spring" and doc["provider"] == "yandex"
    mismatch = finding(doc, "config.secure_port_mismatch")
    assert "spring.mail.properties.mail.smtp.ssl.enable=true" in " ".join(mismatch["fix"])
    source, findings = read(env={"MAIL_PASSWORD": "abcdefghijklmnop"}, config=[CONFIGS / "application.properties"])
    direct = first(findings, "config.secure_port_mismatch")
    for lang, words in ((Lang.EN, "the ssl.enable/starttls.enable properties"), (Lang.RU, "свойства ssl.enable/starttls.enable")):
        _, fix = text_of(direct, source, lang)
        assert "spring.mail.properties.mail.smtp.ssl.enable=true" in fix and words in fix, fix
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
    assert run_cli(["check", "--offline", "--source", "wordpress"]).code == 2
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


# -- each framework's own reading of its TLS settings, by version (knowledge/frameworks.toml) -------------

LARAVEL_465_TLS = ("MAIL_MAILER=smtp\nMAIL_HOST=smtp.mail.ru\nMAIL_PORT=465\nMAIL_USERNAME=karto.help@mail.ru\n"
                   "MAIL_PASSWORD=Abc123def456Ghi7\nMAIL_ENCRYPTION=tls\nMAIL_FROM_ADDRESS=karto.help@mail.ru\n")


@pytest.mark.parametrize("version,mismatch,note", [
    (None, False, "Laravel 12.0 assumed"),  # 11.35+/12: MAIL_ENCRYPTION is not read; 465 is TLS from the first byte
    ("11.20.0", False, "Laravel 11.20.0 (from composer.lock)"),  # 9.1-11.34: port 465 wins over tls
    ("8.83.27", True, "Laravel 8.83.27 (from composer.lock)"),  # SwiftMailer: tls on 465 is STARTTLS, never works
])
def test_laravel_tls_on_465_follows_the_version(run_cli, tmp_path, version, mismatch, note):
    env_file = laravel_project(tmp_path, version, LARAVEL_465_TLS)
    _, doc = check(run_cli, "--env-file", str(env_file))
    assert ("config.secure_port_mismatch" in codes(doc)) is mismatch, doc["findings"]
    assert doc["settings"]["secure"]["note"].startswith(note), doc["settings"]["secure"]
    _, ru = check(run_cli, "--env-file", str(env_file), "--lang", "ru")
    assert ru["settings"]["secure"]["note"] != doc["settings"]["secure"]["note"]


def test_laravel_11_35_0_made_tls_implicit_on_587(run_cli, tmp_path):
    env_file = laravel_project(tmp_path, "11.35.0", LARAVEL_465_TLS.replace("MAIL_PORT=465", "MAIL_PORT=587"))
    _, doc = check(run_cli, "--env-file", str(env_file))
    assert "config.secure_port_mismatch" in codes(doc) and doc["settings"]["secure"]["value"] == "implicit"


def test_symfony_smtp_without_port_is_tls_on_465():
    source = read_source("symfony", {}, {"MAILER_DSN": "smtp://user:pass@smtp.example.com"}, None, [])
    assert source.inp.port.value == "465" and source.inp.secure.value == "true"
    local = read_source("symfony", {}, {"MAILER_DSN": "smtp://localhost"}, None, [])
    assert local.inp.port.value == "25" and local.inp.secure.value == "false"


def test_spring_ssl_wins_over_starttls_without_error(tmp_path):
    props = tmp_path / "application.properties"
    props.write_text("spring.mail.host=smtp.yandex.ru\nspring.mail.port=465\nspring.mail.username=a@yandex.ru\n"
                     "spring.mail.properties.mail.smtp.ssl.enable=true\nspring.mail.properties.mail.smtp.starttls.enable=true\n")
    source, findings = read(config=[props])
    assert "config.invalid_value" not in {f.code for f in findings}  # JavaMail skips STARTTLS on an SSL socket
    assert source.inp.secure.value == "true" and source.decision.mode == "implicit"


def test_django_both_flags_is_the_invalid_rule():
    source = read_source("django", {}, {"EMAIL_HOST": "smtp.gmail.com", "EMAIL_USE_TLS": "True", "EMAIL_USE_SSL": "True"},
                         None, [])
    assert source.decision.mode == "invalid" and source.findings[0].variant == "django_tls_ssl"


def test_version_specifiers():
    from smtpdoctor.settings.semantics import version_matches

    assert version_matches(">=9.1,<11.35", "11.34.2") and not version_matches(">=9.1,<11.35", "11.35")
    assert version_matches("==11.35.0", "11.35") and version_matches("*", None) and not version_matches("<9", None)
