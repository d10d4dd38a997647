"""Issue 14, hardening round two: each point against a real hostile server on loopback or a real file.

Secrets echoed by servers are in tests/test_secrets_echo.py; batch streaming in tests/test_batch.py.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import stat
import subprocess
import sys
import xml.dom.minidom
from pathlib import Path

import pytest

from smtpdoctor.testing.hostile import (
    TERMINAL_ESCAPES,
    HostileServer,
    escapes_in_replies,
    just_under,
    odd_digit_greeting,
    recording,
)

ROOT = Path(__file__).resolve().parents[1]
RAW_CONTROLS = ("\x1b", "\x00", "\x9b", "\x07", "\u202e")


def _env(port: int, **extra: str) -> dict[str, str]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_USER": "karto@example.com",
            "SMTP_PASS": "Plain-Text-Lab-1", "SMTP_FROM": "karto@example.com", **extra}


def _probe_args(fmt: str) -> list[str]:
    return ["check", "--allow-plaintext-auth", "--transcript", "--no-dns", "--timeout", "2", "--format", fmt]


def _no_crash(result) -> None:
    assert "Traceback" not in result.all and "internal error" not in result.all, result.all


# -- 2. a URL's userinfo is never quoted in a parse error -----------------------------------------------

@pytest.mark.parametrize("password", ["Hunter2/Secret", "Hunter2#Secret", "Hunter2?Secret", "Hunter2@Secret"])
def test_url_parse_error_never_quotes_the_password(run_cli, tmp_path, password):
    url = f"smtp://u:{password}@h.example:587"
    for args, env in ((["check", "--offline"], {"SMTP_URL": url}),
                      (["check", "--offline", "--format", "json"], {"MAILER_DSN": url}),
                      (["check", "--offline", "--source", "symfony"], {"MAILER_DSN": url})):
        result = run_cli(args, env=env)
        _no_crash(result)
        assert "Hunter2" not in result.all and "Secret" not in result.all, (args, result.all)
        assert (URL_PARSE_ERROR in result.out) is ("@" not in password), (args, result.all)  # "@": the last one splits
        if "@" not in password:
            assert result.code == 1
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"MAILER_DSN={url}\n")
    result = run_cli(["lint", str(dotenv)])
    assert "Hunter2" not in result.all and "Secret" not in result.all
    assert (URL_PARSE_ERROR in result.out) is ("@" not in password), result.all
    assert result.code == (1 if "@" not in password else 0), result.all


URL_PARSE_ERROR = "is not a usable smtp:// or smtps:// URL"


# -- 3. explain masks what its patterns missed ------------------------------------------------------

def test_explain_masking_gaps(run_cli, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("\n".join([
        "ERROR connect smtp://user@example.com:PW-one-777@smtp.example.com:587 failed: Connection timeout",
        "ERROR Invalid login: 535 Authentication failed Authorization: Basic dXNlcjpQVy10d28tNzc3",
        "ERROR 535 Authentication failed after AUTH LOGIN dXNlcg== UFctdGhyZWUtNzc3",
        '{"level":"error","msg":"Invalid login: 535 Authentication failed","pw":"PW-four-777"}',
        "ERROR Invalid login: 535 Authentication failed password = 'PW five-777'",
        "ERROR Invalid login: 535 Authentication failed for https://x.example/?secret%3DPW-six-777",
    ]) + "\n")
    for fmt in ("text", "json"):
        result = run_cli(["explain", "--format", fmt, str(log)])
        _no_crash(result)
        for leaked in ("PW-one", "UFctdHdv", "dXNlcjpQVy10d28", "UFctdGhyZWU", "PW-four", "five-777", "PW-six"):
            assert leaked not in result.all, (fmt, leaked)
        assert "auth.bad_credentials" in result.all


# -- 4. control characters and XML ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit"])
def test_terminal_escapes_from_a_server_are_neutralised(run_cli, fmt):
    with HostileServer(escapes_in_replies) as server:
        result = run_cli(_probe_args(fmt), env=_env(server.port, GITHUB_STEP_SUMMARY=os.devnull))
    _no_crash(result)
    for ch in RAW_CONTROLS:
        assert ch not in result.out, (fmt, repr(ch))
    if fmt == "junit":
        xml.dom.minidom.parseString(result.out.encode())  # well-formed
    if fmt == "json":  # JSON keeps the exact text: escaped in the document, identical once parsed
        doc = json.loads(result.out)
        assert TERMINAL_ESCAPES.decode() in doc["transcript"][1]
    else:
        assert "\\x1b[2J" in result.out


def test_escapes_in_a_log_line_and_in_an_error_line(run_cli, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"ERROR Invalid login: 535 Authentication failed \x1b[2J\x1b]0;owned\x07\n")
    result = run_cli(["explain", str(log)])
    assert "\x1b" not in result.all and "\\x1b[2J" in result.out
    result = run_cli(["explain", str(tmp_path / "no\x1b[2Jsuch.log")])
    assert result.code == 2 and "\x1b" not in result.all and "\\x1b[2J" in result.err


def test_rich_path_shows_markup_characters_and_escapes_literally(tmp_path):
    import io

    from smtpdoctor.render.text import line, write

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    write([line("a[/b]/c.log [bold]x[/bold] \x1b[2J")], out, color=True)
    assert "a[/b]/c.log [bold]x[/bold]" in out.getvalue() and "\\x1b[2J" in out.getvalue()


# -- 5. no internal crash on odd digits, odd TOML, hostile YAML, damaged gzip, a full disk ----------------

@pytest.mark.parametrize("code", ["²²⁰", "٢٢٠", "２２０"])
def test_reply_codes_in_other_digits_are_a_protocol_error(run_cli, code):
    with HostileServer(odd_digit_greeting(code)) as server:
        result = run_cli(_probe_args("json"), env=_env(server.port))
    _no_crash(result)
    doc = json.loads(result.out)
    assert [f["code"] for f in doc["findings"]] == ["net.protocol_error"]
    assert "ASCII digits" in doc["findings"][0]["explanation"]


@pytest.mark.parametrize("port", ["²", "5" * 5000, "٥٨٧", "１２３", "-587", "587.0"])
def test_ports_are_ascii_digits_only(run_cli, port):
    result = run_cli(["check", "--offline", "--format", "json"], env={"SMTP_HOST": "h.example", "SMTP_PORT": port})
    _no_crash(result)
    doc = json.loads(result.out)
    assert "config.invalid_port" in [f["code"] for f in doc["findings"]]
    assert doc["settings"]["port"]["value"] == "587"  # the default, not 587 read from Arabic-Indic digits


@pytest.mark.parametrize("toml", ["auth = 1\n", '[auth]\nemail = "x"\n', "[auth.email]\nsmtp = 5\n"])
def test_supabase_toml_of_the_wrong_shape(run_cli, tmp_path, toml):
    config = tmp_path / "config.toml"
    config.write_text(toml)
    result = run_cli(["check", "--offline", "--config", str(config)])
    _no_crash(result)
    assert result.code == 1


def test_supabase_toml_syntax_error_names_the_file_kind(run_cli, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[auth.email.smtp\nhost = 'x'\n")
    result = run_cli(["check", "--offline", "--config", str(config)])
    assert result.code == 2 and "Supabase config.toml" in result.err and "providers" not in result.err


@pytest.mark.parametrize("yaml_text", [
    "a: &a\n  b: *a\nspring:\n  mail:\n    host: h.example\n",
    "\n".join(["l0: &l0 {x: 1, y: 1}"] + [f"l{i}: &l{i} {{a: *l{i - 1}, b: *l{i - 1}, c: *l{i - 1}}}" for i in range(1, 25)])
    + "\nspring:\n  mail:\n    host: h.example\n",
    "x: " + "[" * 5000 + "]" * 5000 + "\n",
])
def test_hostile_yaml_is_bounded(run_cli, tmp_path, yaml_text):
    config = tmp_path / "application.yml"
    config.write_text(yaml_text)
    result = run_cli(["check", "--offline", "--config", str(config)])
    _no_crash(result)
    assert result.code in (1, 2)


ALIAS_BOMB = ("\n".join(["l0: &l0 {x: 1, y: 1}"] + [f"l{i}: &l{i} {{a: *l{i - 1}, b: *l{i - 1}, c: *l{i - 1}}}"
                                                     for i in range(1, 25)])
              + "\nspring:\n  mail:\n    host: h.example\n    port: 587\n")
TOO_DEEP = ("".join(f"{'  ' * i}k{i}:\n" for i in range(40)) + f"{'  ' * 40}v: 1\n"
            + "spring:\n  mail:\n    host: h.example\n    port: 587\n")


@pytest.mark.parametrize("yaml_text", [ALIAS_BOMB, TOO_DEEP], ids=["alias-bomb", "too-deep"])
@pytest.mark.parametrize("command", ["lint", "check"])
def test_yaml_beyond_the_walk_budget_is_refused_not_half_read(run_cli, tmp_path, yaml_text, command):
    """Dropping the Spring settings behind an alias bomb would report them as missing: exit 2 instead."""
    config = tmp_path / "application.yml"
    config.write_text(yaml_text)
    args = ["lint", str(config)] if command == "lint" else ["check", "--offline", "--config", str(config)]
    result = run_cli(args)
    _no_crash(result)
    assert result.code == 2, result.all
    assert "application.yml" in result.err and "not valid YAML" in result.err


def test_damaged_gzip_keeps_the_results_found_so_far(run_cli, tmp_path):
    data = gzip.compress(b"Error: Invalid login: 535 Authentication failed\n" * 3000)
    truncated = tmp_path / "cut.log.gz"
    truncated.write_bytes(data[: len(data) // 2])
    corrupt = tmp_path / "corrupt.log.gz"
    corrupt.write_bytes(data[:10] + bytes(b ^ 0x5A for b in data[10:40]) + data[40:])
    result = run_cli(["explain", "--format", "json", str(truncated)])
    _no_crash(result)
    doc = json.loads(result.out)
    codes = {d["code"]: d for d in doc["diagnoses"]}
    assert codes["auth.bad_credentials"]["count"] > 0 and "smtp.log_damaged" in codes
    assert result.code == 1
    result = run_cli(["explain", str(corrupt)])
    _no_crash(result)
    assert "smtp.log_damaged" in result.out


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_to_a_full_device(run_cli):
    result = run_cli(["check", "--offline", "-o", "/dev/full"], env={"SMTP_HOST": "h.example"})
    _no_crash(result)
    assert result.code == 2 and "/dev/full" in result.err


# -- 6. bounded reads -----------------------------------------------------------------------------------

@pytest.mark.parametrize("option", ["--env-file", "--config"])
def test_endless_settings_file_is_refused(run_cli, option):
    result = run_cli(["check", "--offline", option, "/dev/zero"])
    _no_crash(result)
    assert result.code == 2 and ("1 MiB" in result.err or "not a file" in result.err)


# -- 8. signals and pipes -----------------------------------------------------------------------------

def _spawn(args: list[str], env: dict[str, str], **kw) -> subprocess.Popen:
    full = {**{k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "GITHUB_"))}, **env}
    return subprocess.Popen([sys.executable, "-m", "smtpdoctor", *args], env=full, cwd=ROOT, **kw)


@pytest.mark.parametrize("lang,said", [("en", b"smtpdoctor: error: interrupted"), ("ru", "прервано".encode())])
def test_ctrl_c_during_a_probe_closes_at_once_without_quit(lang, said):
    lines: list[bytes] = []
    with HostileServer(recording(lines, ehlo_delay=30)) as server:
        proc = _spawn(_probe_args("text") + ["--lang", lang], _env(server.port), stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE)
        while not lines:  # the probe has sent EHLO and waits for the answer
            if proc.poll() is not None:
                break
            import time

            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert said in err, err  # Ctrl-C is said, in the reader's language, not a silent exit
    assert not any(line.upper().startswith(b"QUIT") for line in lines), lines


def test_check_into_a_closed_pipe_exits_quietly(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("Error: Invalid login: 535 Authentication failed\n")
    proc = _spawn(["explain", str(log)], {}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before anything is written: the first write fails with EPIPE
    err = proc.stderr.read()
    proc.wait(timeout=30)
    assert proc.returncode == 141 and err == b"", err


# -- 9. the overall time bound ----------------------------------------------------------------------------

def test_max_time_bounds_a_server_answering_just_under_the_timeout(run_cli):
    with HostileServer(just_under(0.7)) as server:
        result = run_cli(["check", "--allow-plaintext-auth", "--no-dns", "--timeout", "1", "--max-time", "1",
                          "--format", "json"], env=_env(server.port))
    _no_crash(result)
    doc = json.loads(result.out)
    assert "net.timeout" in [f["code"] for f in doc["findings"]]
    assert any(s["text"] and "--max-time" in s["text"] for s in doc["steps"]), doc["steps"]
    assert any(f["variant"] == "max_time" and "--max-time 1 s" in f["explanation"] for f in doc["findings"])


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_max_time_cutting_off_the_greeting_keeps_the_greeting_diagnosis(run_cli, lang):
    """TCP connected and the overall limit ran out while waiting for the greeting: that is neither a
    blocked port (net.timeout) nor the server's --timeout; the limit is named with its configured seconds."""
    from smtpdoctor.testing.hostile import silent

    with HostileServer(silent) as server:
        result = run_cli(["check", "--allow-plaintext-auth", "--no-dns", "--timeout", "3", "--max-time", "1",
                          "--format", "json", "--lang", lang], env=_env(server.port))
    _no_crash(result)
    doc = json.loads(result.out)
    (finding,) = [f for f in doc["findings"] if f["step"] == "greeting"]
    assert finding["code"] == "net.greeting_timeout" and finding["variant"] == "max_time"
    assert finding["params"]["max_time"] == 1.0
    unit = "s" if lang == "en" else "с"
    assert f"--max-time 1 {unit}" in finding["explanation"]
    assert "Render" not in finding["explanation"] and "Хостинги" not in finding["explanation"]
    assert doc["ports"] is None  # a connect that was never cut off needs no port race


def test_max_time_is_validated_and_documented(run_cli):
    assert run_cli(["check", "--offline", "--max-time", "0"]).code == 2
    documented = (ROOT / "docs" / "check.md").read_text()  # the README's reference lives in docs/ (issue 24)
    assert "--max-time" in documented


# -- 10. minor -------------------------------------------------------------------------------------------

def test_send_to_is_trimmed(run_cli):
    lines: list[bytes] = []
    with HostileServer(recording(lines)) as server:
        result = run_cli([*_probe_args("text"), "--send-to", " rcpt@example.org "], env=_env(server.port))
    _no_crash(result)
    assert b"RCPT TO:<rcpt@example.org>\r\n" in lines


@pytest.mark.parametrize("value", ["r@x.com MAIL FROM:<z>", "a@b@c", "r@x.com\r\nRSET", "<r@x.com>"])
def test_send_to_that_is_not_one_address_is_refused(run_cli, value):
    result = run_cli(["check", "--offline", "--send-to", value], env={"SMTP_HOST": "h.example"})
    assert result.code == 2 and "--send-to" in result.err


@pytest.mark.parametrize("name,ok", [("x MAIL FROM:<z>", False), ("mail.example.com", True), ("[127.0.0.1]", True),
                                     ("[IPv6:::1]", True), ("[::1]", False), ("-bad.example", False),
                                     ("a\r\nQUIT", False)])
def test_ehlo_name_is_a_host_name_or_an_address_literal(run_cli, name, ok):
    result = run_cli(["check", "--offline", "--ehlo-name", name], env={"SMTP_HOST": "h.example"})
    assert (result.code != 2) == ok, result.all


def test_output_is_created_0600_and_never_overwrites_settings(run_cli, tmp_path):
    report = tmp_path / "report.txt"
    run_cli(["check", "--offline", "-o", str(report)], env={"SMTP_HOST": "h.example"})
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    dotenv = tmp_path / ".env"
    dotenv.write_text("SMTP_HOST=h.example\n")
    for args in (["--env-file", str(dotenv), "-o", str(dotenv)], ["--config", str(dotenv), "-o", str(tmp_path / "x" / ".." / ".env")]):
        result = run_cli(["check", "--offline", *args])
        assert result.code == 2 and "--output" in result.err
        assert dotenv.read_text() == "SMTP_HOST=h.example\n"


def test_output_over_an_existing_world_readable_file_is_tightened_to_0600(run_cli, tmp_path):
    report = tmp_path / "report.json"
    report.write_text("old\n")
    report.chmod(0o644)
    run_cli(["check", "--offline", "--format", "json", "-o", str(report)], env={"SMTP_HOST": "h.example"})
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert report.read_text().startswith("{")


def test_csv_with_nul_is_named_as_such(run_cli, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_bytes(b"host,port\x00\nh.example,587\n")
    result = run_cli(["batch", "--offline", str(rows)])
    assert result.code == 2 and "CSV or JSON Lines" in result.err and ".env" not in result.err
