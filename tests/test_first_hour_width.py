"""Issue 24, item 1: every command's text fits the terminal — COLUMNS is honoured in a pipe too, 80 columns is the
floor designed for — with no value cut, no URL, host or command split, and the same blocks in the same order on a
terminal and in a pipe."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smtpdoctor.knowledge.platforms import load_platforms
from smtpdoctor.knowledge.providers import default_providers_path, load_providers
from smtpdoctor.render.columns import break_points, terminal_columns
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec

LANGS = ("en", "ru")
PROVIDERS = load_providers(default_providers_path())
GMAIL_MISCONFIGURED = {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "587", "SMTP_SECURE": "true",
                       "SMTP_USER": "me@gmail.com", "SMTP_PASS": "abcd efgh ijkl mnop", "SMTP_FROM": "me@gmail.com"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def _too_wide(text: str, columns: int) -> list[str]:
    """Lines wider than the terminal, except a line that is one word too long to fit anywhere (a URL alone)."""
    return [line for line in text.splitlines() if len(line) > columns and len(line.split()) > 1]


@pytest.fixture
def at(run_cli, clean_env, tmp_path):
    """run_cli at a width, from an empty directory and no hosting platform detected."""
    for platform in load_platforms().platforms.values():
        for names in platform.detect:
            for name in names:
                clean_env.delenv(name, raising=False)
    clean_env.chdir(tmp_path)

    def run(columns: int | None, args: list[str], env: dict | None = None):
        return run_cli(args, env={**({"COLUMNS": str(columns)} if columns else {}), **(env or {})})

    return run


COMMANDS = {
    "providers": (["providers"], {}),
    "providers-ses": (["providers", "ses"], {}),
    "providers-mailgun": (["providers", "mailgun"], {}),
    "platforms": (["platforms"], {}),
    "check": (["check", "--offline"], GMAIL_MISCONFIGURED),
    "demo-list": (["demo", "--list"], {}),
    "help": (["-h"], {}),
    "check-help": (["check", "-h"], {}),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", COMMANDS)
def test_every_line_fits_80_columns(at, name, lang):
    args, env = COMMANDS[name]
    result = at(80, [*args, "--lang", lang], env)
    assert result.code in (0, 1) and result.out.strip(), result.all
    assert not _too_wide(result.out, 80), "\n".join(_too_wide(result.out, 80))


def test_columns_is_honoured_in_a_pipe_and_80_is_the_floor(at):
    narrow, wide = at(80, ["platforms"]).out, at(160, ["platforms"]).out
    rows = lambda text: [line for line in text.splitlines() if line.startswith("vercel")]  # noqa: E731
    assert len(narrow.splitlines()) > len(wide.splitlines())
    assert rows(wide) and "VERCEL_REGION" in rows(wide)[0]  # one line a platform when there is room
    assert at(40, ["platforms"]).out == narrow == at(None, ["platforms"]).out  # below 80, and unset: 80
    assert terminal_columns(None, {"COLUMNS": "132"}) == 132 and terminal_columns(None, {"COLUMNS": "x"}) == 80


@pytest.mark.parametrize("lang", LANGS)
def test_providers_cut_no_value_at_80_columns(at, lang):
    out = at(80, ["providers", "--lang", lang]).out
    lines = out.splitlines()
    assert "…" not in out and len(lines) < 143  # the table of the issue ran to 143 lines, its values cut
    for preset in PROVIDERS.presets.values():
        for host in preset.hosts[:2] or [preset.example_host()]:
            assert any(host in line for line in lines), host  # every host whole, on one line
        for port in preset.ports:
            mode = "TLS" if port.mode.secure else "STARTTLS"
            assert any(f"{port.port} ({mode})" in line for line in lines), (preset.id, port.port)
    for word in ("postmaster@mg.example.com", "smtp-broadcasts.postmarkapp.com", "smtp-legacy.office365.com"):
        assert any(word in line for line in lines), word


@pytest.mark.parametrize("lang", LANGS)
def test_providers_fit_a_table_when_there_is_room(at, lang):
    out = at(200, ["providers", "--lang", lang]).out
    gmail = next(line for line in out.splitlines() if line.startswith("gmail "))
    assert "smtp.gmail.com" in gmail and "587 (STARTTLS)" in gmail  # one row: id, name, hosts, ports, login


@pytest.mark.parametrize("lang", LANGS)
def test_platforms_split_no_variable_at_80_columns(at, lang):
    lines = at(80, ["platforms", "--lang", lang]).out.splitlines()
    for platform in load_platforms().platforms.values():
        for names in platform.detect:
            for name in names:
                assert any(re.search(rf"(?<![\w]){name}(?![\w])", line) for line in lines), name
        assert any(line.startswith(platform.id) for line in lines), platform.id


@pytest.mark.parametrize("lang", LANGS)
def test_help_never_splits_an_option_or_a_command(at, lang):
    for args in (["-h"], ["check", "-h"], ["batch", "-h"], ["serve", "-h"]):
        out = at(80, [*args, "--lang", lang]).out
        assert not re.search(r"\w-\n\s+\w", out), out  # no word broken at its hyphen (--install-/completion)
        assert not _too_wide(out, 80)
    root = at(80, ["-h", "--lang", lang]).out
    assert any("`smtpdoctor --install-completion`" in line for line in root.splitlines()), root
    assert "..." not in root.split("\n\n")[3], root  # the list of commands: short texts, none cut with "..."


def test_a_long_server_reply_in_a_step_is_wrapped_and_its_url_kept_whole(at, smtp_server, ca_file):
    reply = ("535 5.7.8 Username and Password not accepted. For more information, go to "
             "https://support.google.com/mail/?p=BadCredentials - gsmtp")
    server = smtp_server(ServerSpec(auth_failure=reply))
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD,
           "SMTP_FROM": DEMO_USER}
    out = at(80, ["check", "--ca-file", str(ca_file), "--timeout", "5", "--no-dns"], env).out
    assert not _too_wide(out, 80), out
    login = out.split("FAIL", 1)[1].split("\n\n", 1)[0]
    assert "\n          " in login  # wrapped under the step's name, past the status column
    assert any("https://support.google.com/mail/?p=BadCredentials" in line for line in out.splitlines())


def test_breaks_fall_between_words_and_never_inside_a_code_span():
    text = "Run `smtpdoctor check --install-completion` now, then https://example.com/a/very/long/path please"
    for width in range(20, 60):
        lines = [text[a:b] for a, b in break_points(text, width, width)]
        assert " ".join(lines).split() == text.split()  # nothing lost, nothing split
        assert any("`smtpdoctor check --install-completion`" in line for line in lines)


# -- the same on a terminal as in a pipe ----------------------------------------------------------------------

def _on_a_terminal(args: list[str], env: dict[str, str], columns: int = 80) -> str:
    """The command run on a pseudo-terminal (colours, spinner), its screen text without the escapes."""
    leader, follower = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "smtpdoctor", *args], stdin=subprocess.DEVNULL, stdout=follower,
                            stderr=follower, env=env, close_fds=True)
    os.close(follower)
    chunks, deadline = [], time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(leader)
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))


def _env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("SMTP_", "SMTPDOCTOR_", "LANG", "LC_", "COLUMNS", "NO_COLOR"))}
    return {**keep, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), **extra}


HEADINGS = ("Provider:", "Settings:", "Probe:", "Findings:")


@pytest.mark.slow
def test_a_terminal_shows_the_blocks_in_the_order_of_a_pipe():
    args = ["demo", "--scenario", "bad-password", "--lang", "en"]
    screen = _on_a_terminal(args, _env(COLUMNS="80"))
    piped = subprocess.run([sys.executable, "-m", "smtpdoctor", *args], env=_env(COLUMNS="80"), capture_output=True,
                           text=True, timeout=60).stdout
    for text in (screen, piped):
        where = [text.find(f"\n{heading}") for heading in HEADINGS]
        assert all(n >= 0 for n in where) and where == sorted(where), (where, text)
    steps = lambda text: re.findall(r"^\s+(?:ok|FAIL|skip)\s+\S+", text, re.M)  # noqa: E731
    assert steps(screen) == steps(piped)
    assert not _too_wide(screen.split("Provider:", 1)[1], 80), screen
