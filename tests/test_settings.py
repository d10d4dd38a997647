"""Settings sources and their priority: options > environment > .env > provider defaults."""

from __future__ import annotations

import json

import pytest

from smtpdoctor.errors import InputError
from smtpdoctor.render.i18n import Lang, source_label, tr
from smtpdoctor.report import ValueSource, phrase
from smtpdoctor.settings import model
from smtpdoctor.settings.model import clean, load_settings_input, parse_bool, read_env_file


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


def test_provider_defaults_fill_the_gaps(run_cli):
    _, doc = _doc(run_cli, ["--provider", "resend"], env={"SMTP_PASS": "re_abcdefgh123", "SMTP_USER": "resend"})
    assert doc["provider"] == "resend"
    assert doc["settings"]["host"]["value"] == "smtp.resend.com"
    assert doc["settings"]["port"]["value"] == "465"
    assert doc["settings"]["secure"]["value"] == "implicit"


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
    assert (inp.url_error is not None) is (problem == "syntax")
    assert "secret" not in (inp.url_error or "")
    if problem != "syntax":
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
