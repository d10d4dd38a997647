"""Issue 24, item 2: help and usage errors that tell the truth, per command, in the reader's language — Click's
own words too — with LANGUAGE honoured as gettext does."""

from __future__ import annotations

import pytest

from smtpdoctor import cli
from smtpdoctor.render.i18n import Lang, detect_lang

COMMANDS = ("check", "fix", "batch", "lint", "dns", "providers", "platforms", "explain", "demo", "serve")


def _epilog(text: str) -> str:
    return " ".join(text.split("Exit codes:" if "Exit codes:" in text else "Коды выхода:", 1)[1].split())


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_lists_its_own_exit_codes(run_cli, command):
    root = cli._command(["-h"])
    takes_strict = any(p.name == "strict" for p in root.commands[command].params)
    for lang in ("en", "ru"):
        epilog = _epilog(run_cli([command, "-h", "--lang", lang]).out)
        assert ("--strict" in epilog) == takes_strict, (command, lang, epilog)
        assert ("141" in epilog) == (command != "serve"), epilog  # serve writes no report to a pipe
        assert (" 1 " in f" {epilog}") == (command not in ("providers", "platforms", "serve")), epilog
        assert "2 " in epilog
    assert "Shell completion" in run_cli(["-h"]).out and "Shell completion" not in run_cli([command, "-h"]).out


@pytest.mark.parametrize("command, usage", [
    ("providers", "smtpdoctor providers [OPTIONS] [PROVIDER]"),
    ("explain", "smtpdoctor explain [OPTIONS] [FILE]..."),
    ("lint", "smtpdoctor lint [OPTIONS] FILE..."),
    ("dns", "smtpdoctor dns [OPTIONS] DOMAIN_OR_ADDRESS"),
    ("batch", "smtpdoctor batch [OPTIONS] FILE"),
])
def test_usage_lines_show_optional_arguments_optional(run_cli, command, usage):
    assert run_cli([command, "-h"]).out.splitlines()[0] == f"Usage: {usage}"
    assert run_cli([command, "-h", "--lang", "ru"]).out.splitlines()[0] == f"Использование: {usage}"


@pytest.mark.parametrize("how", [{"LANG": "ru_RU.UTF-8"}, {"LANGUAGE": "ru", "LANG": "en_US.UTF-8"}])
def test_a_mistyped_option_is_said_in_russian_with_the_option_meant(run_cli, how):
    result = run_cli(["check", "--hots", "smtp.gmail.com"], env=how)
    assert result.code == 2 and result.out == ""
    err = result.err
    assert err.startswith("Использование: smtpdoctor check [OPTIONS]\n"), err
    assert "smtpdoctor: ошибка: нет такого параметра: --hots. Возможно, имелось в виду --host?" in err
    for english in ("Usage:", "Error:", "No such option", "Try ", "Possible options"):
        assert english not in err, (english, err)


def test_a_mistyped_option_in_english_names_the_one_meant(run_cli):
    result = run_cli(["check", "--hots", "smtp.gmail.com"])
    assert result.code == 2 and "no such option: --hots. Did you mean --host?" in result.err, result.err
    assert "(Possible options:" not in result.err


@pytest.mark.parametrize("lang, expected", [
    ("en", "DOMAIN_OR_ADDRESS is missing"), ("ru", "не указан DOMAIN_OR_ADDRESS"),
])
def test_a_missing_argument_is_named_as_the_help_names_it(run_cli, lang, expected):
    result = run_cli(["dns", "--lang", lang])
    assert result.code == 2 and expected in result.err and "'target'" not in result.err, result.err
    assert "DOMAIN_OR_ADDRESS" in result.err.splitlines()[0]  # the usage line


@pytest.mark.parametrize("args, en, ru", [
    (["check", "--timeout", "abc"], "--timeout: 'abc' is not a number", "--timeout: 'abc' — не число"),
    (["batch", "--concurrency", "x", "f.csv"], "--concurrency: 'x' is not a whole number", "не целое число"),
    (["check", "--port"], "--port needs a value after it", "после --port нужно указать значение"),
    (["check", "--offline=yes"], "--offline takes no value", "--offline не принимает значения"),
    (["dns", "a.test", "b.test"], "unexpected argument: b.test", "лишний аргумент: b.test"),
    (["providres"], "no such command: providres. Did you mean providers?",
     "нет такой команды: providres. Возможно, имелось в виду providers?"),
])
def test_clicks_own_messages_in_both_languages(run_cli, args, en, ru):
    english = run_cli(args)
    russian = run_cli(args, env={"LANG": "ru_RU.UTF-8"})
    assert english.code == russian.code == 2
    assert en in english.err, english.err
    assert ru in russian.err and "Error" not in russian.err and "Usage" not in russian.err, russian.err
    assert russian.err.startswith("Использование: smtpdoctor"), russian.err  # the usage line, also for a parser error


@pytest.mark.parametrize("env, lang", [
    ({"LANGUAGE": "ru", "LC_ALL": "en_US.UTF-8"}, Lang.RU),  # LANGUAGE first, as gettext reads it
    ({"LANGUAGE": "de:ru:en", "LANG": "en_US.UTF-8"}, Lang.RU),  # its first language we speak
    ({"LANGUAGE": "de", "LANG": "ru_RU.UTF-8"}, Lang.EN),  # a list naming none: gettext's untranslated texts
    ({"LANGUAGE": "", "LC_ALL": "ru_RU.UTF-8", "LANG": "en_US"}, Lang.RU),  # empty: the next one decides
    ({"LC_ALL": "C", "LANG": "ru_RU.UTF-8"}, Lang.EN),
    ({"LC_MESSAGES": "ru_RU.UTF-8", "LANG": "en_US.UTF-8"}, Lang.RU),
    ({"SMTPDOCTOR_LANG": "en", "LANGUAGE": "ru"}, Lang.EN),  # our own variable over the locale
    ({}, Lang.EN),
])
def test_language_is_chosen_as_gettext_chooses_it(env, lang):
    assert detect_lang(None, env) is lang


def test_language_variable_turns_help_and_reports_russian(run_cli):
    env = {"LANGUAGE": "ru:en", "LANG": "en_US.UTF-8"}
    assert run_cli(["providers", "-h"], env=env).out.startswith("Использование:")
    assert "Известные провайдеры" in run_cli(["providers"], env=env).out
