"""Issue 21, part 1: settings as the application has them.

A provider recognised from the login never stands in for a host the application lacks; a port it does not set
is its framework's default; names one slip away from the right ones are pointed out with their line; a mixed
.env says which format was read and why; `--config .env` is read, and says so; Rails ActionMailer is read;
internationalised domains pass, shown both ways; a byte that is not UTF-8 in a setting is a finding in every
output format, never a crash and never the secret.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.dom.minidom
from pathlib import Path

import pytest

from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec

GMAIL_APP_PASSWORD = "abcdefghijklmnop"


def check_json(run_cli, *args, env=None):
    result = run_cli(["check", "--offline", "--format", "json", *args], env=env)
    assert "Traceback" not in result.all and "internal error" not in result.all, result.all
    return result, json.loads(result.out)


def findings(doc, code, variant=...):
    return [f for f in doc["findings"] if f["code"] == code and (variant is ... or f["variant"] == variant)]


@pytest.fixture
def here(clean_env, tmp_path):
    """A fresh working directory with no framework variables of this machine in the environment."""
    for key in list(os.environ):
        if key.startswith(("MAIL_", "EMAIL_", "GOTRUE_", "MAILER_", "SPRING_MAIL")):
            clean_env.delenv(key, raising=False)
    clean_env.chdir(tmp_path)
    return tmp_path


# -- 1. an unset host is an error whatever the preset suggests ---------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ru"])
def test_no_host_beside_a_gmail_login_is_an_error_with_gmails_host_as_the_fix(run_cli, here, lang):
    env = {"SMTP_USER": "me@gmail.com", "SMTP_PASS": GMAIL_APP_PASSWORD}
    result, doc = check_json(run_cli, "--lang", lang, env=env)
    assert result.code == 1 and doc["ok"] is False
    (missing,) = findings(doc, "config.missing", "host_preset")
    assert missing["severity"] == "error" and "localhost" in missing["explanation"]
    assert "SMTP_HOST=smtp.gmail.com" in " ".join(missing["fix"]) and "Gmail" in " ".join(missing["fix"])
    assert doc["settings"]["host"]["value"] is None  # the application has no host: not smtp.gmail.com
    assert "smtp.gmail.com" in doc["settings"]["host"]["note"]
    text = run_cli(["check", "--offline", "--lang", lang], env=env)
    last = text.out.strip().splitlines()[-1]
    assert text.code == 1 and ("SMTP host is not set" in last or "SMTP-хост не задан" in last), last


def test_a_misspelled_host_is_the_error_and_the_slip_is_pointed_out_with_its_line(run_cli, here):
    (here / ".env").write_text("SMTP_HOTS=smtp.gmail.com\nSMTP_USER=me@gmail.com\nSMTP_PASS=abcdefghijklmnop\n")
    result, doc = check_json(run_cli, "--env-file", ".env")
    assert result.code == 1
    assert findings(doc, "config.missing", "host_preset")
    (slip,) = findings(doc, "config.ignored_name")
    assert slip["source"]["name"] == "SMTP_HOTS" and slip["source"]["line"] == 1
    assert slip["params"]["suggested"] == "SMTP_HOST" and "`SMTP_HOST`" in " ".join(slip["fix"])


@pytest.mark.parametrize("env,variant", [
    # Django's EMAIL_PORT default is 25: Gmail does not take STARTTLS logins there.
    ({"EMAIL_HOST": "smtp.gmail.com", "EMAIL_HOST_USER": "me@gmail.com", "EMAIL_HOST_PASSWORD": GMAIL_APP_PASSWORD,
      "EMAIL_USE_TLS": "True"}, "port_default"),
    # Rails: tls on, but the mail gem's port is still 25.
    ({"SMTP_ADDRESS": "smtp.gmail.com", "SMTP_USER_NAME": "me@gmail.com", "SMTP_PASSWORD": GMAIL_APP_PASSWORD,
      "SMTP_TLS": "true"}, "port_default"),
    # Laravel 11+ config/mail.php: 2525.
    ({"MAIL_MAILER": "smtp", "MAIL_HOST": "smtp.gmail.com", "MAIL_USERNAME": "me@gmail.com",
      "MAIL_PASSWORD": GMAIL_APP_PASSWORD}, "port_default"),
    # nodemailer: 587, STARTTLS: what Gmail takes. Not an error; the settings table says whose default it is.
    ({"SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "me@gmail.com", "SMTP_PASS": GMAIL_APP_PASSWORD}, None),
])
def test_an_unset_port_is_the_frameworks_default_and_an_error_only_when_it_does_not_fit(run_cli, here, env, variant):
    result, doc = check_json(run_cli, env=env)
    port_findings = findings(doc, "config.missing", "port_default")
    if variant is None:
        assert result.code == 0 and not port_findings and doc["settings"]["port"]["value"] == "587"
        assert "nodemailer" in doc["settings"]["port"]["text"]
    else:
        (found,) = port_findings
        assert result.code == 1 and found["severity"] == "error"
        assert str(found["params"]["suggested"]) in ("587", "465")


def test_spring_without_a_host_sends_nothing_and_says_so(run_cli, here):
    (here / "application.properties").write_text(
        "spring.mail.username=me@gmail.com\nspring.mail.password=abcdefghijklmnop\nspring.mail.port=587\n")
    result, doc = check_json(run_cli, "--config", "application.properties")
    (missing,) = findings(doc, "config.missing", "host_preset_off")
    assert result.code == 1 and "spring.mail.host=smtp.gmail.com" in " ".join(missing["fix"])


PROVIDERS_TEMPLATE = """
[loopback]
name = "Loopback Mail"
kind = "mailbox"
hosts = ["127.0.0.1"]
domains = ["smtpdoctor.test"]
ports = [{{ port = {port}, mode = "starttls" }}]
default_port = {port}
username = {{ rule = "address" }}
password = {{ kind = "password" }}
sender_rule = "account"
"""


def test_online_the_suggested_host_is_probed_and_said_so_but_the_verdict_is_the_missing_host(
        run_cli, here, smtp_server, ca_file):
    server = smtp_server(ServerSpec())
    providers = here / "providers.toml"
    providers.write_text(PROVIDERS_TEMPLATE.format(port=server.port))
    env = {"SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD, "SMTP_FROM": DEMO_USER}
    result = run_cli(["check", "--format", "json", "--providers", str(providers), "--ca-file", str(ca_file),
                      "--no-dns", "--timeout", "5"], env=env)
    doc = json.loads(result.out)
    assert doc["provider"] == "loopback"
    assert [s["status"] for s in doc["steps"] if s["name"] == "auth"] == ["ok"]  # the rest was tested
    assert "probe" in doc["settings"]["host"]["note"] and "127.0.0.1" in doc["settings"]["host"]["note"]
    assert findings(doc, "config.missing", "host_preset") and result.code == 1 and doc["ok"] is False


# -- 2. names one slip away, in every format ---------------------------------------------------------------

@pytest.mark.parametrize("env,slip,meant", [
    ({"SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "me@gmail.com", "SMTP_PASWORD": "x"}, "SMTP_PASWORD", "SMTP_PASSWORD"),
    ({"SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "me@gmail.com", "SMTP_FORM": "me@gmail.com"}, "SMTP_FORM", "SMTP_FROM"),
    ({"EMAIL_HOST": "smtp.gmail.com", "EMAIL_HOST_USER": "me@gmail.com", "EMAIL_HOST_PASWORD": "x"},
     "EMAIL_HOST_PASWORD", "EMAIL_HOST_PASSWORD"),
    ({"MAIL_HOST": "smtp.gmail.com", "MAIL_USERNAM": "me@gmail.com"}, "MAIL_USERNAM", "MAIL_USERNAME"),
    ({"GOTRUE_SMTP_HOST": "smtp.gmail.com", "GOTRUE_SMTP_PAS": "x"}, "GOTRUE_SMTP_PAS", "GOTRUE_SMTP_PASS"),
    ({"SMTP_HOST": "smtp.gmail.com", "smtp_user": "me@gmail.com"}, "smtp_user", "SMTP_USER"),
])
def test_names_one_slip_away_are_pointed_out(run_cli, here, env, slip, meant):
    # Names apps set for themselves next to the right ones are not misspellings of them.
    (here / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    _, doc = check_json(run_cli, "--env-file", ".env", env=COMMON_OWN_NAMES)
    (found,) = findings(doc, "config.ignored_name")
    assert found["source"]["name"] == slip and found["source"]["line"] == list(env).index(slip) + 1
    assert found["params"]["suggested"] == meant


COMMON_OWN_NAMES = {"SMTP_FROM_NAME": "Me", "SMTP_SENDER_NAME": "Me", "SMTP_REPLY_TO": "r@example.com", "SMTP_TLS": "1",
                    "SMTP_SSL": "0", "MAIL_FROM_NAME": "Me", "EMAIL_SUBJECT_PREFIX": "[app] ", "SMTP_SERVICE": "gmail"}


@pytest.mark.parametrize("name,text,slip,meant,line", [
    ("application.properties", "spring.mail.host=smtp.gmail.com\nspring.mail.usename=me@gmail.com\n",
     "spring.mail.usename", "spring.mail.username", 2),
    ("application.properties", "spring.mail.host=smtp.gmail.com\nspring.mail.user=me@gmail.com\n",
     "spring.mail.user", "spring.mail.username", 2),
    ("config.toml", '[auth.email.smtp]\nhost = "smtp.gmail.com"\nport = 587\npassword = "x"\n',
     "[auth.email.smtp] password", "pass", 4),
    ("production.rb", 'config.action_mailer.smtp_settings = {\n  host: "smtp.gmail.com",\n  username: "me@gmail.com"\n}\n',
     "smtp_settings[:host]", "address", 2),
    ("production.rb", 'config.action_mailer.smtp_settings = {\n  address: "smtp.gmail.com",\n  username: "me@gmail.com"\n}\n',
     "smtp_settings[:username]", "user_name", 3),
])
def test_keys_of_framework_files_one_slip_away_are_pointed_out(run_cli, here, name, text, slip, meant, line):
    (here / name).write_text(text)
    _, doc = check_json(run_cli, "--config", name)
    slips = {f["source"]["name"]: f for f in findings(doc, "config.ignored_name")}
    assert slips[slip]["params"]["suggested"] == meant and slips[slip]["source"]["line"] == line


# -- 3. a mixed .env says which format it read and why -----------------------------------------------------

def test_laravel_with_leftover_smtp_names_is_read_as_laravel_and_says_which_names_it_ignored(run_cli, here):
    (here / ".env").write_text("MAIL_MAILER=smtp\nMAIL_HOST=smtp.gmail.com\nMAIL_PORT=587\nMAIL_USERNAME=me@gmail.com\n"
                               "MAIL_PASSWORD=abcdefghijklmnop\nSMTP_HOST=smtp.mailgun.org\nSMTP_PASS=leftover-secret\n")
    result, doc = check_json(run_cli, "--env-file", ".env")
    assert doc["source"]["format"] == "laravel" and doc["settings"]["host"]["value"] == "smtp.gmail.com"
    (read,) = findings(doc, "config.format_read", "mixed")
    assert read["severity"] == "warning" and read["params"]["other"] == "nodemailer"
    assert "`SMTP_HOST` (.env, line 6)" in read["explanation"] and "`MAIL_HOST`" in read["explanation"]
    assert "--source nodemailer" in " ".join(read["fix"])
    assert "leftover-secret" not in result.all


def test_a_project_file_decides_between_two_formats(run_cli, here):
    (here / "composer.lock").write_text(json.dumps({"packages": [{"name": "laravel/framework", "version": "v10.48.0"}]}))
    (here / ".env").write_text("MAIL_HOST=smtp.gmail.com\nSMTP_HOST=smtp.gmail.com\nSMTP_PORT=587\nSMTP_USER=me@gmail.com\n")
    _, doc = check_json(run_cli, "--env-file", ".env")
    (read,) = findings(doc, "config.format_read", "mixed")
    assert doc["source"]["format"] == "laravel" and "composer.lock" in read["explanation"]


def test_a_detected_format_says_why_but_lint_stays_quiet_about_a_good_file(run_cli, here):
    (here / ".env").write_text("EMAIL_HOST=smtp.gmail.com\nEMAIL_PORT=587\nEMAIL_USE_TLS=True\n"
                               "EMAIL_HOST_USER=me@gmail.com\nEMAIL_HOST_PASSWORD=abcdefghijklmnop\n"
                               "DEFAULT_FROM_EMAIL=me@gmail.com\n")
    result, doc = check_json(run_cli, "--env-file", ".env")
    (read,) = findings(doc, "config.format_read")
    assert result.code == 0 and read["severity"] == "info" and "`EMAIL_HOST`" in read["explanation"]
    lint = run_cli(["lint", ".env"])
    assert lint.code == 0 and lint.out == ""


# -- 4. --config with a .env ---------------------------------------------------------------------------------

def test_config_with_a_dotenv_is_read_as_an_env_file_and_says_so(run_cli, here):
    (here / ".env").write_text("SMTP_HOST=smtp.gmail.com\nSMTP_PORT=587\nSMTP_USER=me@gmail.com\nSMTP_PASS=abcdefghijklmnop\n")
    result, doc = check_json(run_cli, "--config", ".env")
    assert result.code == 0 and doc["settings"]["host"]["value"] == "smtp.gmail.com"
    assert doc["settings"]["host"]["source"] == {"kind": "dotenv", "name": "SMTP_HOST", "file": ".env", "line": 1,
                                                 "label": "SMTP_HOST (from .env, line 1)"}
    (note,) = findings(doc, "config.format_read", "config_as_env")
    assert note["params"]["file"] == ".env"


def test_config_with_a_file_that_is_no_settings_file_is_a_clear_usage_error(run_cli, here):
    (here / "settings.py").write_text("import os\nEMAIL_HOST = os.environ['EMAIL_HOST']\n")
    result = run_cli(["check", "--offline", "--config", "settings.py"])
    assert result.code == 2 and "settings.py" in result.err and "line 1" in result.err
    assert "Traceback" not in result.all


# -- 5. Rails ActionMailer ------------------------------------------------------------------------------------

PRODUCTION_RB = """\
require "active_support/core_ext/integer/time"

Rails.application.configure do
  config.action_mailer.delivery_method = :smtp
=begin
  config.action_mailer.smtp_settings = { address: "old.example.com" }
=end
  config.action_mailer.smtp_settings = {
    address:              ENV.fetch("SMTP_ADDRESS", "smtp.gmail.com"), # the default is Gmail's
    :port =>              Integer(ENV.fetch("SMTP_PORT", 465)),
    user_name:            ENV["SMTP_USER_NAME"],
    password:             Rails.application.credentials.dig(:smtp, :password),
    authentication:       :plain,
    tls:                  true,
    enable_starttls_auto: true,
  }
end
"""


def _rails_project(here: Path, mail_version: str | None) -> Path:
    (here / "config" / "environments").mkdir(parents=True)
    path = here / "config" / "environments" / "production.rb"
    path.write_text(PRODUCTION_RB)
    if mail_version:
        (here / "Gemfile.lock").write_text(f"GEM\n  specs:\n    mail ({mail_version})\n    rails (7.1.3)\n")
    return path


def test_rails_smtp_settings_are_read_from_the_ruby_file(run_cli, here):
    path = _rails_project(here, "2.8.1")
    result, doc = check_json(run_cli, "--config", str(path), env={"SMTP_USER_NAME": "me@gmail.com"})
    assert doc["source"]["format"] == "rails" and doc["provider"] == "gmail"
    s = doc["settings"]
    assert s["host"]["value"] == "smtp.gmail.com" and s["host"]["source"]["name"] == "smtp_settings[:address]"
    assert s["host"]["source"]["line"] == 9 and s["port"]["value"] == "465" and s["secure"]["value"] == "implicit"
    assert s["user"]["value"] == "me@gmail.com"
    assert "2.8.1" in s["secure"]["note"] and "Gemfile.lock" in s["secure"]["note"]
    (unread,) = findings(doc, "config.missing", "unreadable")  # the password lives in Rails credentials
    assert unread["source"]["name"] == "smtp_settings[:password]" and unread["severity"] == "warning"
    assert not findings(doc, "config.invalid_value", "rails_tls_starttls")  # fine on mail 2.8


def test_rails_tls_with_starttls_auto_is_an_error_from_mail_2_9(run_cli, here):
    path = _rails_project(here, "2.9.0")
    result, doc = check_json(run_cli, "--config", str(path), env={"SMTP_USER_NAME": "me@gmail.com"})
    (bad,) = findings(doc, "config.invalid_value", "rails_tls_starttls")
    assert result.code == 1 and bad["source"]["name"] == "smtp_settings[:tls]"


def test_rails_string_false_is_true_to_ruby_and_verify_none_is_flagged(run_cli, here):
    (here / "mailer.rb").write_text('ActionMailer::Base.smtp_settings = {\n  address: "smtp.gmail.com", port: 587,\n'
                                    '  tls: ENV["SMTP_TLS"],\n  openssl_verify_mode: OpenSSL::SSL::VERIFY_NONE,\n}\n')
    _, doc = check_json(run_cli, "--config", "mailer.rb", env={"SMTP_TLS": "false"})
    (string_true,) = findings(doc, "config.invalid_value", "ruby_string_true")
    assert string_true["params"]["key"] == "tls" and doc["settings"]["secure"]["value"] == "implicit"
    assert findings(doc, "config.tls_verification_disabled")


def test_rails_env_names_only(run_cli, here):
    env = {"SMTP_ADDRESS": "smtp.gmail.com", "SMTP_PORT": "587", "SMTP_USER_NAME": "me@gmail.com",
           "SMTP_PASSWORD": GMAIL_APP_PASSWORD, "SMTP_ENABLE_STARTTLS": "always"}
    result, doc = check_json(run_cli, "--source", "rails", env=env)
    assert result.code == 0 and doc["source"]["format"] == "rails"
    assert doc["settings"]["host"]["source"]["name"] == "SMTP_ADDRESS" and doc["settings"]["secure"]["value"] == "starttls"
    _, detected = check_json(run_cli, env=env)
    assert detected["source"] == {"format": "rails", "detected": True}


def test_rails_lint_treats_env_references_as_deploy_time(run_cli, here):
    (here / "production.rb").write_text('config.action_mailer.smtp_settings = {\n  address: "smtp.gmail.com",\n'
                                        '  port: 587,\n  user_name: ENV["SMTP_USER_NAME"],\n'
                                        '  password: ENV["SMTP_PASSWORD"],\n  enable_starttls: true,\n}\n')
    result = run_cli(["lint", "production.rb"])
    assert result.code == 0 and result.out == "", result.out


@pytest.mark.parametrize("text", [
    "x = " + '\\"' * 400_000,  # a million escaped quotes: the tokenizer must not go quadratic
    "config.action_mailer.smtp_settings = {" + "(" * 100_000 + "}",
    "config.action_mailer.smtp_settings = { address: " + "[" * 50_000 + " }",
    "config.action_mailer.smtp_settings = " + "{ a: " * 30_000,
    '\ufeffconfig.action_mailer.smtp_settings = { address: "\x00" }',
])
def test_hostile_ruby_files_end_quickly_and_cleanly(run_cli, here, text):
    (here / "hostile.rb").write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = run_cli(["check", "--offline", "--format", "json", "--config", "hostile.rb"])
    assert time.monotonic() - started < 10
    assert "Traceback" not in result.all and "internal error" not in result.all
    if result.code != 2:  # read as Rails: what could not be read is said, never taken as settings that are fine
        doc = json.loads(result.out)
        assert doc["source"]["format"] == "rails"
        assert result.code == 1 or findings(doc, "config.missing", "unreadable") \
            or findings(doc, "config.missing", "rails_no_settings"), doc["findings"]


# -- 6. internationalised domains ---------------------------------------------------------------------------

def test_an_idn_address_and_host_pass_and_are_shown_both_ways(run_cli, here):
    env = {"SMTP_HOST": "smtp.пример.рф", "SMTP_PORT": "587", "SMTP_USER": "me@пример.рф", "SMTP_PASS": "x",
           "SMTP_FROM": "Me <me@пример.рф>"}
    result, doc = check_json(run_cli, env=env)
    assert result.code == 0, doc["findings"]
    assert doc["settings"]["host"]["value"] == "smtp.xn--e1afmkfd.xn--p1ai"
    assert doc["settings"]["host"]["text"] == "smtp.пример.рф (smtp.xn--e1afmkfd.xn--p1ai)"
    assert doc["settings"]["sender"]["text"] == "me@пример.рф (me@xn--e1afmkfd.xn--p1ai)"
    text = run_cli(["check", "--offline"], env=env).out
    assert "me@пример.рф (me@xn--e1afmkfd.xn--p1ai)" in text


def test_a_unicode_local_part_is_valid_but_needs_smtputf8(run_cli, here):
    env = {"SMTP_HOST": "smtp.example.com", "SMTP_PORT": "587", "SMTP_USER": "u", "SMTP_PASS": "x",
           "SMTP_FROM": "почта@пример.рф"}
    result, doc = check_json(run_cli, env=env)
    (warn,) = findings(doc, "config.sender_invalid")
    assert warn["variant"] == "smtputf8" and warn["severity"] == "warning" and result.code == 0


# -- 7. a byte that is not UTF-8 ----------------------------------------------------------------------------

SECRET_WITH_BAD_BYTE = "Qx9\udcffleak-Staple-77"  # os.environ keeps the byte 0xFF as a lone surrogate (PEP 383)
VISIBLE = "Qx9"


@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit"])
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_password_with_a_byte_that_is_not_utf8_is_a_finding_in_every_format(run_cli, here, fmt, lang):
    env = {"SMTP_HOST": "smtp.example.com", "SMTP_PORT": "587", "SMTP_USER": "me@example.com",
           "SMTP_PASS": SECRET_WITH_BAD_BYTE, "GITHUB_ACTIONS": "false"}
    result = run_cli(["check", "--offline", "--format", fmt, "--lang", lang], env=env)
    assert result.code == 1, result.all
    assert "Traceback" not in result.all and "internal error" not in result.all
    assert "leak-Staple" not in result.all and "\\xff" not in result.all.lower() and "\udcff" not in result.all
    if fmt == "json":
        doc = json.loads(result.out)
        (bad,) = findings(doc, "config.invalid_value", "not_utf8_secret")
        assert bad["params"] == {"at": 4} and bad["source"]["name"] == "SMTP_PASS"
    if fmt == "junit":
        xml.dom.minidom.parseString(result.out)


def test_a_visible_setting_with_a_bad_byte_is_shown_escaped_first(run_cli, here):
    env = {"SMTP_HOST": "smtp.example.com", "SMTP_PORT": "587", "SMTP_USER": "me\udcff@example.com", "SMTP_PASS": "x"}
    result, doc = check_json(run_cli, env=env)
    (bad,) = findings(doc, "config.invalid_value", "not_utf8")
    assert bad["params"]["shown"] == '"me\\xff@example.com"' and bad["params"]["at"] == 3
    assert doc["findings"][0]["variant"] == "not_utf8"  # the cause comes first; no SMTPUTF8 warning from a �
    assert not findings(doc, "config.sender_invalid")
    json.dumps(doc).encode("utf-8")  # strictly valid UTF-8 JSON


@pytest.mark.parametrize("args,env", [
    (["--password", "ab\udcffcd"], {}),
    (["--host", "smtp.ex\udcffample.com"], {"SMTP_PASS": "x"}),
    ([], {"SMTP_PASS": "x", "SMTP_OAUTH2_TOKEN": "tok\udcffen"}),
    ([], {"SMTP_PASS": "x", "SMTP_URL": "smtp://u:p\udcffw@smtp.example.com:587"}),
    ([], {"SMTP_PASS": "x", "MAILER_DSN": "smtp://u:p\udcffw@smtp.example.com:587"}),
    ([], {"SMTP_PASS": "x", "MAIL_HOST": "smtp.example.com", "MAIL_PASSWORD": "p\udcffw"}),
])
def test_bad_bytes_in_options_urls_tokens_and_framework_names_never_crash(run_cli, here, args, env):
    base = {"SMTP_HOST": "smtp.example.com", "SMTP_PORT": "587", "SMTP_USER": "me@example.com", **env}
    for fmt in ("text", "json"):
        result = run_cli(["check", "--offline", "--format", fmt, *args], env=base)
        assert result.code == 1, result.all
        assert "Traceback" not in result.all and "internal error" not in result.all
        if fmt == "json":
            assert any(f["variant"] in ("not_utf8", "not_utf8_secret") for f in json.loads(result.out)["findings"])


@pytest.mark.parametrize("name,text", [
    ("application.properties", b"spring.mail.host=smtp.example.com\nspring.mail.password=ab\xffcd\n"),
    ("config.toml", b'[auth.email.smtp]\npass = "ab\xffcd"\nhost = "smtp.example.com"\n'),
    ("production.rb", b'config.action_mailer.smtp_settings = {\n  password: "ab\xffcd"\n}\n'),
])
def test_a_config_file_with_a_bad_byte_is_a_usage_error_naming_the_line_not_the_byte(run_cli, here, name, text):
    (here / name).write_bytes(text)
    result = run_cli(["check", "--offline", "--config", name])
    assert result.code == 2 and "line 2" in result.err and name in result.err
    assert "0xff" not in result.all and "position" not in result.all


def test_the_real_environment_with_a_bad_byte_through_a_real_process(tmp_path):
    """The environment as the OS hands it over: bytes, not a Python string."""
    env = {key: value for key, value in os.environb.items() if not key.startswith((b"SMTP_", b"LANG", b"LC_"))}
    env.update({b"SMTP_HOST": b"smtp.example.com", b"SMTP_PORT": b"587", b"SMTP_USER": b"me@example.com",
                b"SMTP_PASS": b"Qx9\xffleak-Staple-77", b"NO_COLOR": b"1"})
    for fmt in ("text", "json"):
        done = subprocess.run([sys.executable, "-m", "smtpdoctor", "check", "--offline", "--format", fmt],
                              env=env, capture_output=True, cwd=tmp_path, timeout=60)
        assert done.returncode == 1, done.stderr
        assert b"leak-Staple" not in done.stdout + done.stderr and b"\xff" not in done.stdout + done.stderr
        assert b"Traceback" not in done.stderr
        if fmt == "json":
            json.loads(done.stdout.decode("utf-8"))


@pytest.mark.parametrize("env", [
    {"MAIL_HOST": "smtp.example.com", "MAIL_MAILER": "smtp://me:Qx9-leak-Staple-77@smtp.example.com:587"},
    {"EMAIL_HOST": "smtp.example.com", "EMAIL_USE_TLS": "smtp://me:Qx9-leak-Staple-77@smtp.example.com:587"},
    {"SMTP_ADDRESS": "smtp.example.com", "SMTP_ENABLE_STARTTLS": "smtp://me:Qx9-leak-Staple-77@smtp.example.com"},
    {"SMTP_HOST": "smtp://me:Qx9-leak-\udcffStaple-77@smtp.example.com", "SMTP_PASS": "x"},
])
def test_a_url_with_a_password_echoed_from_any_setting_is_masked(run_cli, here, env):
    for fmt in ("text", "json", "github", "junit"):
        result = run_cli(["check", "--offline", "--format", fmt], env={"GITHUB_ACTIONS": "false", **env})
        assert "Staple-77" not in result.all and "Traceback" not in result.all, result.all
        assert "internal error" not in result.all and result.code == 1
