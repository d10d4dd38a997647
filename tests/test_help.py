"""`--help` in both languages: Russian through and through (Click's own words too), English as it always was.

Option names, metavars (HOST, FILE) and default values are what the user types, so they stay as they are;
everything else in Russian help must be Russian (the same rule as tests/test_language.py)."""

from __future__ import annotations

import re

import pytest

from smtpdoctor import cli
from smtpdoctor.render.i18n import Lang, has_message, tr
from test_language import CYRILLIC, _latin_words

COMMANDS = ("check", "fix", "batch", "lint", "dns", "providers", "platforms", "explain", "demo", "serve")
OPTION_ROW = re.compile(r"^  (-\S.*?)(?: {2,}(.*))?$")  # "  --host HOST     text": the term is the user's to type
DEFAULT_NOTE = re.compile(r"по\s+умолчанию:\s+[^\]\s]+\]")  # "[по умолчанию: no-strict]": the value is typed


def _click_commands():
    root = cli._command(["-h"])
    return [("root", root), *root.commands.items()]


def _prose(help_text: str) -> str:
    """Russian help without what the user types: the usage line, option names and metavars, command names."""
    lines = help_text.splitlines()
    assert lines[0].startswith("Использование: smtpdoctor"), lines[0]
    kept = []
    for text in lines[1:]:
        row = OPTION_ROW.match(text)
        if row:
            text = row.group(2) or ""
        elif re.match(r"^  [a-z]+ {2,}", text) and text.split()[0] in COMMANDS:
            text = text.split(None, 1)[1]
        kept.append(text)
    return DEFAULT_NOTE.sub("]", _unwrapped("\n".join(kept)))


def _unwrapped(text: str) -> str:
    """Click's wrapper may break a line after a hyphen (`no-` / `offline]`): rejoin such words."""
    return re.sub(r"(?<=\w-)\n\s+", "", text)


@pytest.mark.parametrize("command", ["", *COMMANDS])
@pytest.mark.parametrize("how", ["option", "locale"])
def test_russian_help_is_russian(run_cli, command, how):
    args = [command, "-h"] if command else ["-h"]
    result = run_cli([*args, "--lang", "ru"]) if how == "option" else run_cli(args, env={"LANG": "ru_RU.UTF-8"})
    assert result.code == 0, result.all
    out = result.out
    for english in ("Usage:", "Options:", "Arguments:", "Commands:", "[default:", "required]", "Show this message"):
        assert english not in out, (english, out)
    assert "Параметры:" in out and "Коды выхода" in out and "Показать эту справку и выйти." in out
    bad = _latin_words(_prose(out))
    assert not bad, (bad, out)


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_russian_help_keeps_what_the_user_types(run_cli, command):
    args = [command, "-h"] if command else ["-h"]
    english, russian = run_cli(args).out, run_cli([*args, "--lang", "ru"]).out
    # Every option name and metavar column is the same in both languages.
    terms = [m.group(1).strip() for m in map(OPTION_ROW.match, english.splitlines()) if m]
    assert terms and terms == [m.group(1).strip() for m in map(OPTION_ROW.match, russian.splitlines()) if m]
    assert russian.splitlines()[0].removeprefix("Использование:") == english.splitlines()[0].removeprefix("Usage:")
    defaults = re.findall(r"default:\s+([^\]\s]+)\]", _unwrapped(english))
    assert defaults == re.findall(r"по\s+умолчанию:\s+([^\]\s]+)\]", _unwrapped(russian))


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_english_help_is_as_before(run_cli, command):
    args = [command, "-h"] if command else ["-h"]
    out = run_cli(args).out
    assert out.startswith("Usage: smtpdoctor") and "\nOptions:\n" in out and "Exit codes: 0" in out
    assert "-h, --help  " in out and "Show this message and exit." in out
    assert not CYRILLIC.search(out)
    assert "[default: text]" in " ".join(out.split()) or command in ("", "lint", "serve")
    if command in ("batch", "lint", "dns"):
        assert "[required]" in out and "\nArguments:\n" in out
    if command == "":
        assert "\nCommands:\n" in out and all(f"  {name} " in out for name in COMMANDS)
        assert "Why does my app's email not send" in out
    if command == "check":
        for text in ("SMTP host (overrides SMTP_HOST)", "seconds for each wait: the connection, each reply",
                     "text, json, github, junit or html", "DNS server IP[:PORT] to ask"):
            assert text in " ".join(out.split()), text


def test_every_option_and_argument_has_a_text_in_both_languages():
    for name, command in _click_commands():
        assert has_message(f"newuser.help.{name}"), name
        for param in command.params:
            if param.hidden:
                continue
            message_id = cli.help_message_id(name, param.name)
            assert message_id, f"{name}: {param.name} has no newuser.help.option* text"
            assert tr(message_id, Lang.EN) and tr(message_id, Lang.RU)
            assert param.help == tr(message_id, Lang.EN), (name, param.name)


def test_root_takes_lang_for_its_help_only(run_cli):
    assert "Команды:" in run_cli(["--lang", "ru", "-h"]).out
    assert run_cli(["--lang", "ru", "check", "-h"]).out.startswith("Использование: smtpdoctor check")
