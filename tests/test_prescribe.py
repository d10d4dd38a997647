"""Issue 18: a fix is an edit to the user's own settings, in their own terms, proven before it is shown.

Against real servers on loopback (aiosmtpd with real TLS and AUTH, smtpdoctor/testing/server.py) where the probe is
involved; offline otherwise. Each test names the wrong fix the issue reported and checks it is gone.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec, SilentSMTP

GMAIL = {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "587", "SMTP_SECURE": "false",
         "SMTP_USER": "karto.help@gmail.com", "SMTP_PASS": "abcdefghijklmnop", "SMTP_FROM": "karto.help@gmail.com"}
OUTLOOK_139 = "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [PR3P189CA0011.EURP189.PROD.OUTLOOK.COM]"


def doc_of(result) -> dict:
    assert "Traceback" not in result.all, result.all
    return json.loads(result.out)


def only(doc: dict, code: str) -> dict:
    found = [f for f in doc["findings"] if f["code"] == code]
    assert len(found) == 1, [f["code"] for f in doc["findings"]]
    return found[0]


def edits(finding: dict) -> list[tuple[str, str | None]]:
    return [(e["key"], e["value"]) for e in finding["edits"]]


def errors(doc: dict) -> list[str]:
    return [f["code"] for f in doc["findings"] if f["severity"] == "error"]


def live(run_cli, server, ca_file, env: dict, *extra: str, fmt: str = "json", lang: str = "en"):
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER,
           "SMTP_PASS": DEMO_PASSWORD, "SMTP_FROM": DEMO_USER, **env}
    return run_cli(["check", "--ca-file", str(ca_file), "--timeout", "4", "--format", fmt, "--lang", lang, *extra], env=env)


# -- TLS mode: one edit, proven by the probe ------------------------------------------------------------------

def test_wrong_tls_mode_is_one_edit_the_probe_has_proven(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec())
    doc = doc_of(live(run_cli, server, ca_file, {"SMTP_SECURE": "true"}))
    wrong = only(doc, "tls.wrong_mode")
    assert edits(wrong) == [("SMTP_SECURE", "false")]
    assert wrong["edits"][0]["file"] is None and wrong["edits"][0]["line"] == "SMTP_SECURE=false"
    assert wrong["verified"] == "probe"
    assert wrong["alternatives"] == []  # an unknown server: no port the data can vouch for
    assert not any("465" in step for step in wrong["fix"]), wrong["fix"]


def test_verify_fix_runs_the_probe_again_with_the_edit(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec(implicit_tls=True))
    result = live(run_cli, server, ca_file, {"SMTP_SECURE": "false"}, "--verify-fix", "--timeout", "6")
    wrong = only(doc_of(result), "tls.wrong_mode")
    assert edits(wrong) == [("SMTP_SECURE", "true")]
    assert wrong["recheck"] == {"passed": True, "codes": []} and wrong["verified"] == "probe"
    text = live(run_cli, server, ca_file, {"SMTP_SECURE": "false"}, "--verify-fix", "--timeout", "6", fmt="text").out
    assert "--verify-fix: run again with this change, the check passed" in text


def test_verify_fix_reports_what_the_server_still_refuses(run_cli, smtp_server, ca_file):
    """The edit cures the TLS mode; the password is wrong too: the recheck says so rather than "passed"."""
    server = smtp_server(ServerSpec(auth_failure="535 5.7.8 Authentication credentials invalid"))
    result = live(run_cli, server, ca_file, {"SMTP_SECURE": "true", "SMTP_PASS": "not-the-password"}, "--verify-fix")
    wrong = only(doc_of(result), "tls.wrong_mode")
    assert wrong["recheck"]["passed"] is False and "auth.bad_credentials" in wrong["recheck"]["codes"]
    assert "tls.wrong_mode" not in wrong["recheck"]["codes"]


def test_django_both_flags_on_a_starttls_port_get_ssl_off_not_both_options(run_cli, smtp_server, ca_file, tmp_path):
    """Issue 18, first bullet: the probe proved STARTTLS on that port; the fix is EMAIL_USE_SSL=False, once."""
    server = smtp_server(ServerSpec())
    env_file = tmp_path / ".env"
    env_file.write_text(f"EMAIL_HOST=127.0.0.1\nEMAIL_PORT={server.port}\nEMAIL_USE_TLS=True\nEMAIL_USE_SSL=True\n"
                        f"EMAIL_HOST_USER={DEMO_USER}\nEMAIL_HOST_PASSWORD={DEMO_PASSWORD}\nDEFAULT_FROM_EMAIL={DEMO_USER}\n")
    doc = doc_of(run_cli(["check", "--env-file", str(env_file), "--ca-file", str(ca_file), "--timeout", "4",
                          "--format", "json"]))
    both = only(doc, "config.invalid_value")
    assert both["variant"] == "django_tls_ssl"
    assert both["edits"] == [{"file": str(env_file), "key": "EMAIL_USE_SSL", "value": "False", "line": "EMAIL_USE_SSL=False",
                              "at": 4}]
    assert both["verified"] == "probe"
    assert not any("Port 465" in step or "Port 587" in step for step in both["fix"]), both["fix"]


def test_django_both_flags_offline_on_587(run_cli, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("EMAIL_HOST=smtp.gmail.com\nEMAIL_PORT=587\nEMAIL_USE_TLS=true\nEMAIL_USE_SSL=true\n"
                        "EMAIL_HOST_USER=me@gmail.com\nEMAIL_HOST_PASSWORD=abcdefghijklmnop\n")
    both = only(doc_of(run_cli(["check", "--offline", "--env-file", str(env_file), "--format", "json"])),
                "config.invalid_value")
    assert edits(both) == [("EMAIL_USE_SSL", "false")]  # the file's own spelling of booleans
    assert both["verified"] == "settings"


def test_django_that_never_encrypts_gets_tls_turned_on(run_cli, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("EMAIL_HOST=smtp.gmail.com\nEMAIL_PORT=587\nEMAIL_USE_TLS=False\n"
                        "EMAIL_HOST_USER=me@gmail.com\nEMAIL_HOST_PASSWORD=abcdefghijklmnop\n")
    result = run_cli(["check", "--offline", "--env-file", str(env_file), "--format", "json"])
    plain = only(doc_of(result), "auth.requires_tls")
    assert plain["variant"] == "framework_plain" and result.code == 1
    assert edits(plain) == [("EMAIL_USE_TLS", "True")]


# -- frameworks, each in its own terms -------------------------------------------------------------------------

SPRING_PROPERTIES = ("spring.mail.host=smtp.gmail.com\nspring.mail.port=587\nspring.mail.username=me@gmail.com\n"
                     "spring.mail.password=abcdefghijklmnop\nspring.mail.properties.mail.smtp.auth=true\n"
                     "spring.mail.properties.mail.smtp.ssl.enable=true\nspring.mail.properties.mail.smtp.starttls.enable=true\n")
SPRING_YAML = ("spring:\n  mail:\n    host: smtp.gmail.com\n    port: 587\n    username: me@gmail.com\n"
               "    password: abcdefghijklmnop\n    properties:\n      mail:\n        smtp:\n          ssl:\n"
               "            enable: true\n          starttls:\n            enable: true\n")


@pytest.mark.parametrize("name,text,line", [("application.properties", SPRING_PROPERTIES,
                                             "spring.mail.properties.mail.smtp.ssl.enable=false"),
                                            ("application.yml", SPRING_YAML, "            enable: false")])
def test_spring_ssl_and_starttls_on_587_gets_ssl_enable_false(run_cli, tmp_path, name, text, line):
    """Issue 18: not "set starttls.enable=true" (already true): the fix is ssl.enable=false, and only that."""
    path = tmp_path / name
    path.write_text(text)
    doc = doc_of(run_cli(["check", "--offline", "--config", str(path), "--format", "json"]))
    mismatch = only(doc, "config.secure_port_mismatch")
    assert edits(mismatch) == [("spring.mail.properties.mail.smtp.ssl.enable", "false")]
    assert mismatch["edits"][0]["line"] == line and mismatch["edits"][0]["file"] == str(path)


def test_microsoft365_on_587_with_secure_true_never_gets_465(run_cli):
    env = {"SMTP_HOST": "smtp.office365.com", "SMTP_PORT": "587", "SMTP_SECURE": "true", "SMTP_USER": "me@contoso.com",
           "SMTP_PASS": "x" * 12, "SMTP_FROM": "me@contoso.com"}
    doc = doc_of(run_cli(["check", "--offline", "--format", "json"], env=env))
    mismatch = only(doc, "config.secure_port_mismatch")
    assert edits(mismatch) == [("SMTP_SECURE", "false")] and mismatch["alternatives"] == []
    text = run_cli(["check", "--offline"], env=env).out
    assert "SMTP_PORT=465" not in text and "set SMTP_PORT" not in text


def test_the_alternative_is_listed_where_the_provider_accepts_it(run_cli):
    doc = doc_of(run_cli(["check", "--offline", "--format", "json"], env={**GMAIL, "SMTP_SECURE": "true"}))
    mismatch = only(doc, "config.secure_port_mismatch")
    assert edits(mismatch) == [("SMTP_SECURE", "false")]  # 587 is Gmail's recommended port: the TLS mode moves
    assert [[(e["key"], e["value"]) for e in alt] for alt in mismatch["alternatives"]] == [[("SMTP_PORT", "465")]]
    text = run_cli(["check", "--offline"], env={**GMAIL, "SMTP_SECURE": "true"}).out
    assert "Or this, which Gmail accepts too:" in text


def test_the_provider_recommended_port_leads(run_cli):
    """Yandex recommends 465: 587 with SMTP_SECURE=true gets the port moved, STARTTLS on 587 as the alternative."""
    env = {"SMTP_HOST": "smtp.yandex.ru", "SMTP_PORT": "587", "SMTP_SECURE": "true", "SMTP_USER": "me@yandex.ru",
           "SMTP_PASS": "abcdefghijklmnop", "SMTP_FROM": "me@yandex.ru"}
    mismatch = only(doc_of(run_cli(["check", "--offline", "--format", "json"], env=env)), "config.secure_port_mismatch")
    assert edits(mismatch) == [("SMTP_PORT", "465")]
    assert [[(e["key"], e["value"]) for e in alt] for alt in mismatch["alternatives"]] == [[("SMTP_SECURE", "false")]]


def _composer(path: Path, version: str) -> None:
    path.write_text(json.dumps({"packages": [{"name": "laravel/framework", "version": version}]}))


@pytest.mark.parametrize("version,key,line", [("v8.83.27", "MAIL_ENCRYPTION", "MAIL_ENCRYPTION=tls"),
                                              ("v10.48.0", None, None),
                                              ("v12.1.0", "MAIL_SCHEME", "MAIL_SCHEME=null")])
def test_laravel_is_told_by_its_version(run_cli, tmp_path, version, key, line):
    """MAIL_ENCRYPTION up to 10.x / 11.34, MAIL_SCHEME from 11.35; on 9.1-11.34 the port alone decides."""
    _composer(tmp_path / "composer.lock", version)
    switch = "MAIL_ENCRYPTION=ssl" if key != "MAIL_SCHEME" else "MAIL_SCHEME=smtps"
    env_file = tmp_path / ".env"
    env_file.write_text(f"MAIL_MAILER=smtp\nMAIL_HOST=smtp.gmail.com\nMAIL_PORT=587\n{switch}\nMAIL_USERNAME=me@gmail.com\n"
                        "MAIL_PASSWORD=abcdefghijklmnop\nMAIL_FROM_ADDRESS=me@gmail.com\n")
    doc = doc_of(run_cli(["check", "--offline", "--env-file", str(env_file), "--format", "json"]))
    if key is None:
        assert "config.secure_port_mismatch" not in errors(doc)  # 10.x ignores ssl off 465: nothing to cure
        return
    mismatch = only(doc, "config.secure_port_mismatch")
    assert [e["line"] for e in mismatch["edits"]] == [line]


def test_supabase_toml_edits_are_valid_toml(run_cli, tmp_path):
    path = tmp_path / "supabase" / "config.toml"
    path.parent.mkdir()
    path.write_text('[auth.email.smtp]\nenabled = true\nhost = "smtp.gmial.com"\nport = 25\nuser = "me@gmail.com"\n'
                    'pass = "env(SMTP_PASS)"\nadmin_email = "me@gmail.com"\n')
    doc = doc_of(run_cli(["check", "--offline", "--config", str(path), "--format", "json"],
                         env={"SMTP_PASS": "abcdefghijklmnop"}))
    lines = [e["line"] for f in doc["findings"] for e in f["edits"]]
    assert 'host = "smtp.gmail.com"' in lines and "port = 587" in lines, lines
    for found in lines:
        assert tomllib.loads(found)  # each line as the file holds it: valid TOML
    keys = [e["key"] for f in doc["findings"] for e in f["edits"]]
    assert "[auth.email.smtp] host" in keys and "[auth.email.smtp] port" in keys


# -- URLs and DSNs: the parse error first and alone, the percent-encoded URL as the edit -------------------------

PASSWORD = "p@ss#w/rd?Q9"


@pytest.mark.parametrize("key,source", [("SMTP_URL", []), ("MAILER_DSN", [])])
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_broken_url_is_said_first_and_alone_with_the_encoded_url_as_its_edit(run_cli, tmp_path, key, source, lang):
    env_file = tmp_path / ".env"
    env_file.write_text(f"{key}=smtp://me@example.com:{PASSWORD}@mail.example.com:587\n")
    result = run_cli(["check", "--offline", "--env-file", str(env_file), "--format", "json", "--lang", lang, *source])
    doc = doc_of(result)
    assert errors(doc) == ["config.invalid_value"], errors(doc)  # not three "missing setting" errors
    url = only(doc, "config.invalid_value")
    assert url["variant"] == "url" and doc["findings"][0]["code"] == "config.invalid_value"
    assert edits(url) == [(key, "smtp://me%40example.com:********@mail.example.com:587")]
    text = run_cli(["check", "--offline", "--env-file", str(env_file), "--lang", lang]).out
    start = "Start with: A setting" if lang == "en" else "Начните с пункта «Значение настройки"
    assert start in " ".join(text.split())
    for shown in (result.all, text):
        for form in (PASSWORD, "p%40ss%23w%2Frd%3FQ9", "ss#w/rd"):
            assert form not in shown


def test_the_url_edit_keeps_the_password_only_in_clear_for_fix_write(tmp_path):
    from smtpdoctor.app import CheckOptions, run_check
    from smtpdoctor.knowledge.providers import default_providers_path, load_providers
    from smtpdoctor.settings.frameworks import read_source

    env_file = tmp_path / ".env"
    env_file.write_text(f"MAILER_DSN=smtp://me@example.com:{PASSWORD}@mail.example.com:587\n")
    read = read_source(None, {}, {}, env_file, [])
    report = run_check(read.inp, {}, load_providers(default_providers_path()), CheckOptions(offline=True), source=read)
    (edit,) = [e for f in report.findings if f.prescription is not None for e in f.prescription.edits]
    assert PASSWORD not in repr(edit) and "********" in edit.value
    from smtpdoctor.settings.frameworks import read_symfony, Entry
    from smtpdoctor.report import ValueSource

    fixed = read_symfony({"MAILER_DSN": Entry(edit.clear_value, ValueSource("env", "MAILER_DSN"))}, [])
    assert fixed.inp.password.value == PASSWORD and fixed.inp.user.value == "me@example.com"
    assert fixed.inp.host.value == "mail.example.com" and not fixed.findings


# -- the sender the server names, or prose when none ----------------------------------------------------------

def test_sender_not_owned_takes_the_address_the_server_names(run_cli):
    doc = doc_of(run_cli(["demo", "--scenario", "sender-not-owned", "--format", "json"]))
    owned = only(doc, "sender.not_owned")
    assert edits(owned) == [("SMTP_FROM", DEMO_USER)] and owned["verified"] == "probe"
    text = run_cli(["demo", "--scenario", "sender-not-owned"]).out
    assert "same address as SMTP_USER" not in text and "is not that mailbox" not in text


def test_sender_not_owned_when_from_is_the_login_already_gets_prose(run_cli, smtp_server, ca_file):
    """The reply names the login itself, which the From already is: no edit can cure it; no "set SMTP_FROM"."""
    reply = f"553 5.7.1 <{DEMO_USER}>: Sender address rejected: not owned by user {DEMO_USER}"
    server = smtp_server(ServerSpec(rcpt_reply=reply))
    for lang in ("en", "ru"):
        owned = only(doc_of(live(run_cli, server, ca_file, {}, lang=lang)), "sender.not_owned")
        assert owned["edits"] == [] and owned["verified"] is None
        assert "smtpd_sender_login_maps" in " ".join(owned["fix"])
        assert not any("SMTP_FROM" in step for step in owned["fix"]), owned["fix"]


# -- what the probe has ruled out is not advised --------------------------------------------------------------

def test_a_silent_server_gets_no_tls_advice_the_probe_ruled_out(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec(smtp_class=SilentSMTP))
    result = live(run_cli, server, ca_file, {"SMTP_SECURE": "false"}, "--timeout", "3")
    silent = only(doc_of(result), "net.greeting_timeout")
    assert silent["edits"] == []
    assert not any("SMTP_SECURE=true" in step for step in silent["fix"]), silent["fix"]
    assert "tried TLS from the first byte" in silent["fix"][0]


def test_the_retirement_warning_is_not_shown_after_the_server_refused(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec(auth_failure=OUTLOOK_139))
    doc = doc_of(live(run_cli, server, ca_file, {"SMTP_USER": "me@contoso.com", "SMTP_FROM": "me@contoso.com"},
                      "--provider", "microsoft365"))
    codes = [f["code"] for f in doc["findings"]]
    assert "auth.basic_auth_disabled" in codes and "auth.basic_auth_retiring" not in codes, codes


def test_a_source_link_is_a_link_line_not_a_numbered_step(run_cli):
    env = {"SMTP_HOST": "smtp.office365.com", "SMTP_PORT": "587", "SMTP_USER": "me@contoso.com", "SMTP_PASS": "x" * 12,
           "SMTP_FROM": "me@contoso.com"}
    doc = doc_of(run_cli(["check", "--offline", "--format", "json"], env=env))
    retiring = only(doc, "auth.basic_auth_retiring")
    assert retiring["links"] and retiring["links"][0].startswith("Source: https://")
    assert not any(step.startswith("Source:") for step in retiring["fix"])
    text = run_cli(["check", "--offline"], env=env).out
    assert not re.search(r"^\s+\d+\. Source:", text, re.M) and re.search(r"^\s+Source: https://", text, re.M)


# -- prose that fits ------------------------------------------------------------------------------------------

def test_good_to_know_only_when_it_applies(run_cli):
    resend = {"SMTP_HOST": "smtp.resend.com", "SMTP_PORT": "465", "SMTP_SECURE": "true", "SMTP_USER": "resend",
              "SMTP_PASS": "re_123456789abcdef", "SMTP_FROM": "me@rambler.ru"}
    for lang, heading in (("en", "Good to know"), ("ru", "Полезно знать")):
        text = run_cli(["check", "--offline", "--lang", lang], env=resend).out
        assert heading not in text and "rambler.ru in Resend" not in text and "rambler.ru в Resend" not in text
    text = run_cli(["check", "--offline"], env={**GMAIL, "SMTP_PASS": "MyDog2019!"}).out
    assert "Good to know" in text and "less secure apps" in text
    assert "Good to know: " not in text  # its own line: no capital after a colon
    ru = run_cli(["check", "--offline", "--lang", "ru"], env={**GMAIL, "SMTP_PASS": "MyDog2019!"}).out
    assert "Полезно знать: " not in ru and "Полезно знать" in ru


def test_advice_the_password_check_gave_is_not_repeated_by_the_servers_refusal(run_cli, smtp_server, ca_file):
    """Mail.ru: the app-password advice once, not four times."""
    server = smtp_server(ServerSpec(auth_failure="535 5.7.8 Error: authentication failed"), user="me@mail.ru")
    env = {"SMTP_USER": "me@mail.ru", "SMTP_PASS": "MyMailPass2020", "SMTP_FROM": "me@mail.ru"}
    text = live(run_cli, server, ca_file, env, "--provider", "mailru", fmt="text").out
    assert "auth.bad_credentials" in text and "config.password_format" in text
    assert len(re.findall(r"external application", text)) == 1, text
    assert "Good to know" not in text


# -- explain speaks the framework the log names -----------------------------------------------------------------

DJANGO_LOG = """[2024-05-01 10:00:00,123] ERROR django.request: Internal Server Error: /signup/
Traceback (most recent call last):
  File "/app/venv/lib/python3.11/site-packages/django/core/mail/backends/smtp.py", line 94, in open
    self.connection.login(self.username, self.password)
smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials')
"""
LARAVEL_LOG = ('[2024-05-01 10:01:00] production.ERROR: Failed to authenticate on SMTP server with username '
               '"me@gmail.com" using 3 possible authenticators. Authenticator LOGIN returned Expected response code 235 '
               'but got code "535", with message "535-5.7.8 Username and Password not accepted.\n')
SPRING_LOG = ("jakarta.mail.AuthenticationFailedException: 535-5.7.8 Username and Password not accepted. For more "
              "information, go to https://support.google.com/mail/?p=BadCredentials\n")
PHPMAILER_LOG = "2024-05-01 10:00:00 SMTP ERROR: Password command failed: 535-5.7.8 Username and Password not accepted.\nSMTP Error: Could not authenticate.\n"
NODEMAILER_LOG = "Error: Invalid login: 535-5.7.8 Username and Password not accepted.\n    code: 'EAUTH', command: 'AUTH PLAIN'\n"


@pytest.mark.parametrize("log,name", [(DJANGO_LOG, "EMAIL_HOST_PASSWORD"), (LARAVEL_LOG, "MAIL_PASSWORD"),
                                      (SPRING_LOG, "spring.mail.password"), (PHPMAILER_LOG, "$mail->Password"),
                                      (NODEMAILER_LOG, "SMTP_PASS")])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_explain_fixes_use_the_names_of_the_framework_the_log_names(run_cli, tmp_path, log, name, fmt):
    path = tmp_path / "app.log"
    path.write_text(log)
    result = run_cli(["explain", str(path), "--format", fmt])
    out = result.out if fmt == "text" else " ".join(s for d in doc_of(result)["diagnoses"] for s in d["fix"])
    assert name in out, out
    if name != "SMTP_PASS":
        assert "SMTP_PASS" not in out and "SMTP_USER" not in out, out


def test_a_marker_cut_by_a_chunk_boundary_is_still_seen():
    from smtpdoctor.prescribe.logsource import Sniffer

    class Trickle(io.BytesIO):
        def read(self, size=-1):
            return super().read(min(7, size) if size and size > 0 else 7)

    stream = Sniffer(Trickle(DJANGO_LOG.encode()))
    while stream.read(1 << 20):
        stream.look()  # as explain does on each match: here, the last line
    assert stream.framework() == "django"
    quiet = Sniffer(io.BytesIO(DJANGO_LOG.encode()))
    while quiet.read(1 << 20):
        pass  # no match: nothing looked at
    assert quiet.framework() is None


# -- Russian: the phrases a native reader flagged -------------------------------------------------------------

FLAGGED = ["Укажите в хост в MAILER_DSN", "Логин в MAILER_DSN не задана", "имя логин", "(не задано)", "Начните с: ",
           "Последний сбой — ", "без более точного шаблона", "сбойный уровень", "Классическая причина",
           "hosted dashboard", "self-hosted", "Полезно знать: "]


def test_the_flagged_russian_phrases_are_gone_from_every_message():
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.knowledge.tomlcache import shipped_text
    from smtpdoctor.render.i18n import _messages

    texts = [entry["ru"] for entry in _messages().values() if isinstance(entry.get("ru"), str)]
    texts.append(shipped_text("diagnoses.toml"))
    texts.append(shipped_text("frameworks.toml").split("[[framework]]", 1)[1])
    for flagged in FLAGGED[:3] + FLAGGED[4:11]:
        assert not any(flagged in text for text in texts), flagged
    assert load_catalog()


def test_russian_output_of_a_symfony_dsn_reads_right(run_cli, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("MAILER_DSN=smtp://mail.example.com:587\n")
    out = run_cli(["check", "--offline", "--env-file", str(env_file), "--lang", "ru"]).out
    for flagged in FLAGGED:
        assert flagged not in out, flagged
    assert "MAILER_DSN (логин)" in out and "Начните с пункта «" in " ".join(out.split())


# -- cost ---------------------------------------------------------------------------------------------------------

def test_a_healthy_check_loads_no_prescription_machinery():
    code = ("import sys, os\nfrom smtpdoctor.cli import main\n"
            "os.environ.update(SMTP_HOST='smtp.gmail.com', SMTP_PORT='587', SMTP_USER='me@gmail.com', "
            "SMTP_PASS='abcdefghijklmnop', SMTP_FROM='me@gmail.com')\n"
            "main(['check', '--offline', '--format', 'json'])\n"
            "print(sorted(m for m in sys.modules if m.startswith('smtpdoctor.prescribe.')), file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "SMTPDOCTOR_NO_CACHE": ""})
    loaded = result.stderr.strip().splitlines()[-1]
    assert loaded == "[]", result.stderr
