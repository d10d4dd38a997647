"""The settings mistakes people really make -> the finding codes `check --offline` must give."""

from __future__ import annotations

import json
import re

import pytest

from smtpdoctor.checks.static import run_static_checks_by_name
from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.providers import default_providers_path, load_providers
from smtpdoctor.render.findings import finding_text
from smtpdoctor.render.i18n import Lang
from smtpdoctor.report import Finding, Phrase, Severity, ValueSource, phrase
from smtpdoctor.settings.model import clean, clean_host, clean_text, load_settings_input

PROVIDERS = load_providers(default_providers_path())
CATALOG = load_catalog()
CYRILLIC = re.compile("[\u0400-\u04ff]")

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


def static_findings(env: dict[str, str], options: dict[str, str | None] | None = None,
                    env_file=None) -> list[Finding]:
    """The static checks called directly, the way `check --offline` runs them."""
    inp = load_settings_input(options or {}, env, env_file)
    host = clean_host(inp.host.value) if inp.host and inp.host.value.strip() else None
    preset = PROVIDERS.recognise(host, clean_text(inp.user.value) if inp.user else None,
                                 clean_text(inp.sender.value) if inp.sender else None)
    checks = run_static_checks_by_name(inp, clean(inp, preset), preset, PROVIDERS, env)
    return [f for found in checks.values() for f in found]


def rendered(finding: Finding, lang: Lang) -> str:
    text = finding_text(finding, CATALOG, lang)
    return "\n".join([text.title, text.explanation, *text.fix])


def only(findings: list[Finding], code: str) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, [f.code for f in findings]
    return matching[0]


@pytest.mark.parametrize("env,expected,absent", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_static_checks_directly(env, expected, absent):
    codes = {f.code for f in static_findings(env)}
    assert expected <= codes, codes
    assert not (absent & codes), codes


def _plain(value) -> bool:
    """A parameter is language-neutral: no English or Russian prose hides in a plain string."""
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    if isinstance(value, Phrase):
        return all(_plain(v) for v in value.params.values()) or value.id == "static.provider_text"
    return not (isinstance(value, str) and CYRILLIC.search(value))


@pytest.mark.parametrize("lang", list(Lang))
def test_every_finding_text_is_complete(lang):
    """No rendered finding shows an unfilled {placeholder}, in either language; params are typed, not text."""
    for _, env, _, _ in CASES:
        for f in static_findings(env):
            assert not any("@" in name for name in f.params), f
            assert all(_plain(v) for v in f.params.values()), f
            text = finding_text(f, CATALOG, lang)
            for line in [text.title, text.explanation, *text.fix]:
                assert "{" not in line, (f.code, line)
                assert line.strip()
                if lang is Lang.EN:
                    assert not CYRILLIC.search(line), (f.code, line)


def test_seed_mistake_gives_exact_fix_in_both_languages(run_cli):
    env = {**GMAIL, "SMTP_SECURE": "true"}
    assert run_cli(["check", "--offline", "--lang", "en"], env=env).code == 1
    mismatch = only(static_findings(env), "config.secure_port_mismatch")
    assert mismatch.params["secure_fix"] is False and mismatch.params["port_fix"] == 465
    assert mismatch.params["secure_meaning"] == phrase("static.mode.tls")
    en, ru = rendered(mismatch, Lang.EN), rendered(mismatch, Lang.RU)
    assert "SMTP_SECURE=false" in en and "TLS mode and port disagree" in en
    assert "SMTP_SECURE=false" in ru and "Режим TLS не соответствует порту" in ru
    assert "implicit TLS (TLS from the first byte)" in en and "неявный TLS (шифрование с первого байта)" in ru


def test_password_shape_is_its_length_only():
    """The issue: a password's shape must not reveal its character classes, only its length."""
    findings = static_findings({**GMAIL, "SMTP_PASS": "MyDog2019!"})
    wrong = only(findings, "config.password_format")
    assert wrong.variant == "app_password" and wrong.params["n"] == 10
    assert not {"shape", "classes"} & set(wrong.params)
    en, ru = rendered(wrong, Lang.EN), rendered(wrong, Lang.RU)
    assert "10 characters" in en and "16 letters" in en
    assert "10 символов" in ru and "16 букв" in ru
    for text in (en, ru):
        assert "MyDog2019!" not in text
        assert not re.search(r"digit|capital|lower-case|цифр|заглавн|строчн", text)
    spaces = only(static_findings({**GMAIL, "SMTP_PASS": "abcd efgh ijkl mnop"}), "config.whitespace")
    assert spaces.variant == "app_password_spaces" and spaces.params == {"n": 19}
    assert "19 characters" in rendered(spaces, Lang.EN) and "19 символов" in rendered(spaces, Lang.RU)
    one = only(static_findings({"SMTP_HOST": "smtp.sendgrid.net", "SMTP_USER": "apikey", "SMTP_PASS": "x",
                                "SMTP_FROM": "a@example.com"}), "config.password_format")
    assert "1 character;" in rendered(one, Lang.EN) or "1 character " in rendered(one, Lang.EN)
    assert "1 символ," in rendered(one, Lang.RU)


def test_secret_whitespace_is_described_not_shown():
    f = only(static_findings({**GMAIL, "SMTP_PASS": " 'abcdefghijklmnop'\r"}), "config.whitespace")
    assert f.variant == "secret"
    assert f.params["detail"] == (phrase("static.whitespace.crlf"), phrase("static.whitespace.spaces"),
                                  phrase("static.whitespace.quotes"))
    en, ru = rendered(f, Lang.EN), rendered(f, Lang.RU)
    assert "a carriage return (`\\r`) at the end, spaces before or after it and surrounding quotes" in en
    assert "кавычки вокруг пароля" in ru and " и " in ru
    assert "abcdefghijklmnop" not in en + ru


def test_outlook_date_comes_from_the_provider_data():
    env = {"SMTP_HOST": "smtp-mail.outlook.com", "SMTP_USER": "me@outlook.com", "SMTP_PASS": "hunter2hunter2"}
    f = only(static_findings(env), "auth.basic_auth_disabled")
    assert PROVIDERS.get("outlook").basic_auth_off_since.isoformat() == "2024-09-16"
    date = f.params["reply"].params["date"]
    assert date.params["day"] == 16 and date.params["year"] == 2024
    assert "provider policy since 16 September 2024" in rendered(f, Lang.EN)
    assert "политика провайдера с 16 сентября 2024 года" in rendered(f, Lang.RU)


def test_host_details_in_both_languages():
    f = only(static_findings({**GMAIL, "SMTP_HOST": "smtp..gmail"}), "config.unknown_host")
    assert f.params["detail"] == phrase("static.host.invalid")
    assert "That is not a valid host name." in rendered(f, Lang.EN)
    assert "Это некорректное имя хоста." in rendered(f, Lang.RU)
    f = only(static_findings({**GMAIL, "SMTP_HOST": "gmail.com"}), "config.unknown_host")
    assert "gmail.com is the mail domain; Gmail's sending server is smtp.gmail.com." in rendered(f, Lang.EN)
    assert "gmail.com — это почтовый домен, а сервер отправки для него — smtp.gmail.com (Gmail)." in rendered(f, Lang.RU)


def test_sender_texts_in_both_languages():
    f = only(static_findings({**GMAIL, "SMTP_FROM": "karto.help@@gmail"}), "config.sender_invalid")
    assert f.params["shown"] == '"karto.help@@gmail"'  # the user's value, as given
    assert "not a valid email address." in rendered(f, Lang.EN)
    assert "это некорректный адрес почты." in rendered(f, Lang.RU) and "не корректн" not in rendered(f, Lang.RU)
    missing = only(static_findings({"SMTP_HOST": "smtp.sendgrid.net", "SMTP_USER": "apikey",
                                    "SMTP_PASS": "SG." + "a" * 22 + "." + "b" * 43}), "config.sender_invalid")
    assert "Укажите в SMTP_FROM адрес на домене, подтверждённом в SendGrid." in rendered(missing, Lang.RU)


def test_yandex_is_named_in_russian():
    env = {"SMTP_HOST": "smtp.yandex.ru", "SMTP_PORT": "465", "SMTP_USER": "karto", "SMTP_PASS": "abcdefghijklmnop"}
    f = only(static_findings(env), "config.username_format")
    assert "Yandex Mail expects the full email address" in rendered(f, Lang.EN)
    ru = rendered(f, Lang.RU)
    assert "Яндекс Почта ожидает полный адрес почты" in ru and "Yandex Mail" not in ru


def test_dmarc_policy_comes_from_the_provider_data():
    base = {"SMTP_HOST": "smtp.sendgrid.net", "SMTP_USER": "apikey", "SMTP_PASS": "SG." + "a" * 22 + "." + "b" * 43}
    yahoo = only(static_findings({**base, "SMTP_FROM": "me@yahoo.com"}), "sender.dmarc_rejected")
    assert yahoo.params["policy"] == "p=reject" and yahoo.severity is Severity.ERROR
    assert PROVIDERS.dmarc_policy("yahoo.com") == "reject" and PROVIDERS.dmarc_policy("gmail.com") == "quarantine"
    assert PROVIDERS.dmarc_policy("example.com") is None
    unknown = only(static_findings({**base, "SMTP_FROM": "me@zoho.com"}), "sender.dmarc_rejected")
    assert unknown.params["policy"] == phrase("static.dmarc.check_with", domain="zoho.com")
    assert "проверьте её командой `smtpdoctor dns zoho.com`" in rendered(unknown, Lang.RU)


def test_dmarc_unaligned_template_reads_natively():
    f = Finding("sender.dmarc_rejected", variant="unaligned", params={"domain": "example.com", "relay": "SendGrid",
                                                                       "policy": "p=reject"})
    ru = rendered(f, Lang.RU)
    assert "не пройдут ни одной из проверок DMARC" in ru and "ни одну из нужных" not in ru


SENDGRID = {"SMTP_HOST": "smtp.sendgrid.net", "SMTP_PORT": "587", "SMTP_USER": "apikey",
            "SMTP_PASS": "SG." + "a" * 22 + "." + "b" * 43, "SMTP_FROM": "a@example.com"}


def test_render_block_is_the_platform_rule_only():
    """Render's block comes from platforms.toml through checks/platform.py, never from the static checks."""
    assert not any(f.code == "net.egress_blocked" for f in static_findings({**GMAIL, "RENDER": "true"}))


@pytest.mark.parametrize("env", [GMAIL, SENDGRID], ids=["gmail", "sendgrid"])
def test_render_block_is_reported_once_from_the_platform_data(run_cli, env):
    doc = json.loads(run_cli(["check", "--offline", "--format", "json"], env={**env, "RENDER": "true"}).out)
    blocks = [f for f in doc["findings"] if f["code"] == "net.egress_blocked"]
    assert [(f["variant"], f["params"]["platform_id"]) for f in blocks] == [("platform", "render")]
    assert doc["platform"] == "render"


def test_render_block_is_silenced_by_platform_none(run_cli):
    doc = json.loads(run_cli(["check", "--offline", "--format", "json", "--platform", "none"],
                             env={**GMAIL, "RENDER": "true"}).out)
    assert not any(f["code"] == "net.egress_blocked" for f in doc["findings"])


def test_password_mistakes_come_from_the_provider_data():
    assert [m.variant for m in PROVIDERS.get("brevo").password.mistakes] == ["api_key_not_smtp_key"]
    assert [m.variant for m in PROVIDERS.get("ses").password.mistakes] == ["iam_secret"]
    for preset in PROVIDERS.presets.values():
        for mistake in preset.password.mistakes:
            assert mistake.variant in CATALOG.entry("config.password_format").variants, (preset.id, mistake)


def test_strict_fails_on_warnings(run_cli):
    env = {**GMAIL, "SMTP_PASS": "abcd efgh ijkl mnop"}  # a warning only
    assert run_cli(["check", "--offline"], env=env).code == 0
    assert run_cli(["check", "--offline", "--strict"], env=env).code == 1


def test_text_output_names_source_and_masks_password(run_cli, tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SMTP_HOST=smtp.gmail.com\nSMTP_USER=karto.help@gmail.com\n# comment\nSMTP_PORT=993\n")
    result = run_cli(["check", "--offline", "--env-file", str(dotenv)], env={"SMTP_PASS": "abcdefghijklmnop"})
    assert "abcdefghijklmnop" not in result.all
    port = only(static_findings({"SMTP_PASS": "abcdefghijklmnop"}, env_file=dotenv), "config.invalid_port")
    assert port.source == ValueSource(kind="dotenv", name="SMTP_PORT", file=str(dotenv), line=4)
    assert "SMTP_PORT (from .env, line 4)" in rendered(port, Lang.EN)
    assert "SMTP_PORT (из .env, строка 4)" in rendered(port, Lang.RU)


def test_nul_in_an_option_is_refused(run_cli):
    """Environment variables cannot hold NUL, but options given in-process (and batch rows) can."""
    doc = json.loads(run_cli(["check", "--offline", "--format", "json", "--user", "a\0b@gmail.com"], env=GMAIL).out)
    assert "config.header_injection" in {f["code"] for f in doc["findings"]}


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("how", ["env", "spring"])
def test_an_invalid_host_with_no_better_guess_gets_no_concrete_fix(run_cli, tmp_path, how, lang):
    """SMTP_HOST=x: nothing to suggest, so no "Set SMTP_HOST=x." that repeats the mistake."""
    args = ["check", "--offline", "--format", "json", "--lang", lang]
    if how == "env":
        doc = json.loads(run_cli(args, env={**GMAIL, "SMTP_HOST": "x"}).out)
        var = "SMTP_HOST"
    else:
        config = tmp_path / "application.properties"
        config.write_text("spring.mail.host=x\nspring.mail.port=587\nspring.mail.username=a@example.com\n")
        doc = json.loads(run_cli(args + ["--config", str(config)]).out)
        var = "spring.mail.host"
    (host,) = [f for f in doc["findings"] if f["code"] == "config.unknown_host"]
    assert host["variant"] == "no_suggestion" and "suggested" not in host["params"]
    assert not any(f"{var}=x" in step for step in host["fix"]), host["fix"]
    assert all(var in step for step in host["fix"])


def test_an_invalid_host_with_a_real_correction_still_names_it(run_cli):
    doc = json.loads(run_cli(["check", "--offline", "--format", "json"],
                             env={**GMAIL, "SMTP_HOST": "smtp.gmail.com:587"}).out)
    (host,) = [f for f in doc["findings"] if f["code"] == "config.unknown_host"]
    assert host["variant"] is None and "SMTP_HOST=smtp.gmail.com" in host["fix"][0]
    assert [(e["key"], e["value"]) for e in host["edits"]] == [("SMTP_HOST", "smtp.gmail.com")]  # issue 18: an edit


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_missing_setting_fix_names_no_platform_when_none_was_detected(run_cli, lang):
    env = {k: v for k, v in GMAIL.items() if k != "SMTP_PASS"}
    doc = json.loads(run_cli(["check", "--offline", "--format", "json", "--lang", lang], env=env).out)
    assert doc["platform"] is None
    (missing,) = [f for f in doc["findings"] if f["code"] == "config.missing"]
    assert "SMTP_PASS" in missing["fix"][0] and ".env" in missing["fix"][0]
    assert not any("Render" in step or "Save Changes" in step for step in missing["fix"]), missing["fix"]
