"""Settings sources and their priority: options > environment > .env > provider defaults."""

from __future__ import annotations

import json

import pytest

from smtpdoctor.errors import InputError
from smtpdoctor.render.i18n import Lang, source_label, tr
from smtpdoctor.report import ValueSource, phrase
from smtpdoctor.settings import model
from smtpdoctor.settings.model import SmtpSettings, clean, load_settings_input, parse_bool, read_env_file


def _doc(run_cli, args, env=None, stdin=None):
    result = run_cli(["check", "--offline", "--format", "json", *args], env=env, stdin=stdin)
    return result, json.loads(result.out) if result.out.strip() else None


def test_priority_option_over_env_over_dotenv(run_cli, tmp_path):
    dotenv = tmp_path / "app.env"
    dotenv.write_text("SMTP_HOST=smtp.mail.ru\nSMTP_PORT=2525\nSMTP_USER=from-file@mail.ru\n")
    _, doc = _doc(run_cli, ["--env-file", str(dotenv), "--host", "smtp.yandex.ru"], env={"SMTP_PORT": "465"})
    s = doc["settings"]
    assert s["host"]["value"] == "smtp.yandex.ru" and s["host"]["source"]["kind"] == "option"
    assert s["port"]["value"] == "465" and s["port"]["source"] == {
        "kind": "env", "name": "SMTP_PORT", "file": None, "line": None, "label": "SMTP_PORT (environment)"}
    assert s["user"]["value"] == "from-file@mail.ru" and s["user"]["source"]["line"] == 3


def test_provider_defaults_are_suggestions_not_settings(run_cli):
    """Issue 21: a preset never stands in for a host the application lacks; an unset port is nodemailer's 587."""
    result, doc = _doc(run_cli, ["--provider", "resend"], env={"SMTP_PASS": "re_abcdefgh123", "SMTP_USER": "resend"})
    assert doc["provider"] == "resend" and result.code == 1
    assert doc["settings"]["host"]["value"] is None and "smtp.resend.com" in doc["settings"]["host"]["note"]
    assert doc["settings"]["port"]["value"] == "587"
    assert doc["settings"]["secure"]["value"] == "starttls"
    missing = next(f for f in doc["findings"] if f["code"] == "config.missing")
    assert missing["variant"] == "host_preset" and "SMTP_HOST=smtp.resend.com" in " ".join(missing["fix"])


def test_smtp_url_is_percent_decoded_and_individual_vars_win(clean_env):
    inp = load_settings_input({}, {"SMTP_URL": "smtps://me%40example.com:p%40ss%3Aword@mail.example.com:2465",
                                   "SMTP_PORT": "465"})
    assert inp.user.value == "me@example.com"
    assert inp.password.value == "p@ss:word"
    assert inp.port.value == "465" and inp.port.source.name == "SMTP_PORT"
    settings = clean(inp)
    assert settings.secure is True and settings.host == "mail.example.com"


@pytest.mark.parametrize("url,problem", [("http://mail.example.com", "scheme"), ("smtp://", "no_host"),
                                         ("smtp://u:secret@host:notaport", "syntax")])
def test_smtp_url_problems_are_ids_not_sentences(clean_env, url, problem):
    inp = load_settings_input({}, {"SMTP_URL": url})
    assert inp.url_problem == problem
    assert inp.url_error is None  # never the parser's message: it quotes the offending part (issue 14)
    assert tr(f"static.url.{problem}", Lang.EN) and tr(f"static.url.{problem}", Lang.RU)


def test_where_a_value_came_from_is_worded_by_the_renderer():
    assert not hasattr(model, "source_label")
    src = ValueSource(kind="dotenv", name="SMTP_PORT", file="/app/.env", line=4)
    assert source_label(src, Lang.EN) == "SMTP_PORT (from .env, line 4)"
    assert source_label(src, Lang.RU) == "SMTP_PORT (из .env, строка 4)"
    inp = load_settings_input({"password": "x"}, {}, option_names={"password": "--password-stdin"})
    assert inp.password.source.kind == "stdin"
    assert source_label(inp.password.source, Lang.RU) == "--password-stdin (из стандартного ввода)"


def test_password_from_stdin(run_cli):
    result, doc = _doc(run_cli, ["--password-stdin"], env={"SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "a@gmail.com"},
                       stdin="abcdefghijklmnop\n")
    assert result.code == 0
    assert doc["settings"]["password"]["source"]["kind"] == "stdin"


def test_password_option_warns_about_history(run_cli):
    result = run_cli(["check", "--offline", "--password", "abcdefghijklmnop"], env={"SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "a@gmail.com"})
    assert "shell history" in result.err


def test_secure_words():
    for word in ("true", "TRUE", "1", "yes", "Yes", "on"):
        assert parse_bool(word) is True
    for word in ("false", "False", "0", "no", "NO", "off"):
        assert parse_bool(word) is False
    assert parse_bool("maybe") is None


def test_broken_env_file_is_exit_2_with_line(run_cli, tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SMTP_HOST=smtp.gmail.com\nthis is not an assignment\n")
    result = run_cli(["check", "--offline", "--env-file", str(dotenv)])
    assert result.code == 2
    assert "line 2" in result.err
    assert "Traceback" not in result.all
    with pytest.raises(InputError) as raised:
        read_env_file(dotenv)
    assert raised.value.message_id == "error.env_syntax" and raised.value.params["line"] == 2
    assert "line 2" in tr("error.env_syntax", Lang.EN, **raised.value.params)
    assert "строка 2" in tr("error.env_syntax", Lang.RU, **raised.value.params)


def test_binary_and_missing_env_file(run_cli, tmp_path):
    binary = tmp_path / "bin.env"
    binary.write_bytes(b"\x00\x01\x02SMTP_HOST=x")
    assert run_cli(["check", "--offline", "--env-file", str(binary)]).code == 2
    missing = run_cli(["check", "--offline", "--env-file", str(tmp_path / "nope.env")])
    assert missing.code == 2 and "nope.env" in missing.err
    with pytest.raises(InputError) as raised:
        read_env_file(tmp_path / "nope.env")
    reason = raised.value.params["reason"]  # our words for a common errno, not the OS's English
    assert reason == phrase("reason.not_found")


def test_bad_lang_and_format_are_usage_errors(run_cli):
    assert run_cli(["check", "--offline", "--lang", "de"]).code == 2
    assert run_cli(["check", "--offline", "--format", "xml"]).code == 2


def test_language_from_environment(run_cli):
    env = {"SMTP_HOST": "smtp.gmail.com", "LANG": "ru_RU.UTF-8"}
    assert "Провайдер" in run_cli(["check", "--offline"], env=env).out
    env = {"SMTP_HOST": "smtp.gmail.com", "LANG": "ru_RU.UTF-8", "LC_ALL": "en_US.UTF-8"}
    assert "Provider" in run_cli(["check", "--offline"], env=env).out
    env = {"SMTP_HOST": "smtp.gmail.com", "LANG": "en_US.UTF-8", "SMTPDOCTOR_LANG": "ru"}
    assert "Провайдер" in run_cli(["check", "--offline"], env=env).out


# -- shown as given (issue 12, point 3) and first-hour messages (points 4-7, 9) ------------------------------

def test_invalid_port_is_shown_as_given(run_cli):
    import json

    text = run_cli(["check", "--offline", "--port", "abc", "--host", "smtp.gmail.com"])
    row = next(line for line in text.out.splitlines() if line.strip().startswith("port"))
    assert '"abc"' in row and "not valid" in row and "587" in row
    doc = json.loads(run_cli(["check", "--offline", "--format", "json", "--port", "abc"]).out)
    assert doc["settings"]["port"] | {"source": None} == {"value": "587", "given": "abc", "invalid": True, "source": None}


def test_invalid_secure_is_shown_as_given_not_as_false(run_cli):
    result = run_cli(["check", "--offline"], env={"SMTP_HOST": "smtp.gmail.com", "SMTP_SECURE": "maybe",
                                                  "COLUMNS": "200"})  # the settings row on one line
    row = next(line for line in result.out.splitlines() if "SMTP_SECURE (environment)" in line)
    assert '"maybe"' in row and "SMTP_SECURE=false" not in row


def test_batch_row_with_invalid_port_says_so(run_cli, tmp_path):
    import json

    rows = tmp_path / "rows.csv"
    rows.write_text("id,host,port,user,password\nt1,smtp.gmail.com,abc,me@gmail.com,abcdefghijklmnop\n")
    out = tmp_path / "out.jsonl"
    run_cli(["batch", str(rows), "--offline", "--output", str(out)])
    line = json.loads(out.read_text().splitlines()[0])
    assert line["invalid"] == {"port": "abc"}


def test_dns_not_found_fix_pastes_in_a_config_file_format():
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.render.findings import finding_text
    from smtpdoctor.render.i18n import Lang
    from smtpdoctor.report import Finding
    from smtpdoctor.settings.frameworks import SUPABASE_TOML_NAMING

    f = Finding(code="net.dns_not_found", params={"host": "mail.smtp2go.com", "detail": "NXDOMAIN"})
    for lang in Lang:
        fix = " ".join(finding_text(f, load_catalog(), lang, SUPABASE_TOML_NAMING.__dict__).fix)
        assert "`getent hosts mail.smtp2go.com`" in fix and "$" not in fix


def test_dns_not_found_on_a_providers_own_host_is_not_called_a_typo():
    from smtpdoctor.app import _known_host_readings
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.knowledge.providers import default_providers_path, load_providers
    from smtpdoctor.render.findings import finding_text
    from smtpdoctor.render.i18n import Lang
    from smtpdoctor.report import Finding

    f = Finding(code="net.dns_not_found", params={"host": "smtp.gmail.com", "detail": "timeout"})
    settings = SmtpSettings(port=587, secure=False, host="smtp.gmail.com")
    [read] = _known_host_readings([f], settings, load_providers(default_providers_path()))
    assert read.variant == "known_host" and "typo" not in finding_text(read, load_catalog(), Lang.EN).explanation


@pytest.mark.parametrize("args,expected", [
    (["dns", "gmail.com", "--relay", "nope"], "for --relay"),
    (["dns", "gmail.com", "--relay", "gmial"], "Did you mean gmail?"),
    (["check", "--offline", "--provider", "sendgird"], "Did you mean sendgrid?"),
    (["providers", "gmial"], "Did you mean gmail?"),
    (["dns", ""], "DOMAIN_OR_ADDRESS"),
])
def test_usage_messages_name_what_the_user_typed(run_cli, args, expected):
    result = run_cli(args)
    assert result.code == 2 and expected in result.err, result.all


def test_binary_batch_file_is_not_called_an_env_file(run_cli, tmp_path):
    binary = tmp_path / "rows.bin"
    binary.write_bytes(b"\x7fELF\x00\x00binary")
    result = run_cli(["batch", str(binary), "--offline"])
    assert ".env" not in result.all and "Traceback" not in result.all


def test_help_helps(run_cli):
    import re

    for command in ("check", "batch", "lint", "dns", "providers", "explain", "demo"):
        result = run_cli([command, "-h"])
        assert result.code == 0 and "Usage:" in result.out, command
        assert not re.search(r"<(str|int|float|path|list)[^>]*>|\{file\}|\{files\}", result.out), (command, result.out)
        assert "Exit codes: 0" in result.out and ("130" in result.out or command == "providers")  # its own codes
        if command != "check" and "--format" in result.out:
            assert "github" not in result.out.split("--format")[1].split("\n")[0], command
    root = run_cli(["-h"]).out
    assert "--install-completion" in root and "Exit codes" in root
    ru = run_cli(["check", "-h", "--lang", "ru"]).out
    assert "Проверить настройки SMTP" in ru and "Коды выхода" in ru
    assert "Коды выхода" in run_cli(["-h"], env={"LANG": "ru_RU.UTF-8"}).out


def test_explain_on_a_terminal_says_it_reads_standard_input(tmp_path):
    import os
    import subprocess
    import sys

    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "smtpdoctor", "explain"], stdin=slave, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "LANG": "C"})
    os.close(slave)
    first = proc.stderr.readline()  # said before it waits: not a silent hang
    os.write(master, b"\x04")  # then Ctrl-D ends the input, as the message says
    out, err = proc.communicate(timeout=60)
    os.close(master)
    assert proc.returncode == 0 and "standard input" in first and "Ctrl-D" in first, (first, out, err)


def test_send_to_message_is_real_mail():
    from email import message_from_string, policy
    from email.header import decode_header, make_header

    from smtpdoctor.probe.runner import test_message

    lines = test_message("karto.help@ro.ru", "me@example.com")
    assert all(line.isascii() for line in lines)  # RFC 2047 subject, quoted-printable body: 7-bit clean
    message = message_from_string("\r\n".join(lines), policy=policy.default)
    assert message["Date"] and message["Message-ID"].endswith("@ro.ru>")
    assert "=?utf-8?" in next(line for line in lines if line.startswith("Subject:"))
    subject = str(make_header(decode_header(next(line for line in lines if line.startswith("Subject:"))[9:])))
    assert "smtpdoctor" in subject and "проверка" in subject
    body = message.get_content()
    assert message.get_content_type() == "text/plain" and "test message" in body and "тестовое письмо" in body
