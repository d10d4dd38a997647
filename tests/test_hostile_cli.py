"""Issue 21, item 6: failures end cleanly. Output that cannot be written stops every command with exit 2 and
a message (never a traceback, a hang or the interpreter's exit 1/120); batch rows that cannot be read,
rendered or trusted are row errors and the rest go on; standard input and --providers are read bounded.

The process-level cases run the real CLI as a subprocess: closed descriptors, /dev/full and shutdown
flushes only exist there."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SECRET
from dns_server import LoopbackDns
from smtpdoctor.testing.hostile import Counting, HostileServer, recording

ROOT = Path(__file__).resolve().parents[1]
FULL = "/dev/full"
needs_full = pytest.mark.skipif(not os.path.exists(FULL), reason="needs /dev/full")
ZONE = """
example.test. 300 IN MX 10 mx.example.test.
example.test. 300 IN TXT "v=spf1 -all"
mx.example.test. 300 IN A 127.0.0.1
"""


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("SMTP_", "SMTPDOCTOR_", "GITHUB_", "LANG", "LC_", "NO_COLOR", "PYTHONIOENCODING"))}
    return {**keep, **(extra or {})}


def _run(args: list[str], *, env: dict[str, str] | None = None, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
         close: tuple[int, ...] = (), timeout: float = 60, input: bytes | None = None) -> tuple[int, bytes, bytes]:
    """The real CLI in a child process; `close`: descriptors the child starts without (`>&-`, `<&-`)."""
    def closing() -> None:
        for fd in close:
            os.close(fd)

    proc = subprocess.Popen([sys.executable, "-m", "smtpdoctor", *args], cwd=ROOT, env=_env(env),
                            stdin=subprocess.PIPE if input is not None else stdin, stdout=stdout,
                            stderr=subprocess.PIPE, preexec_fn=closing if close else None)
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"smtpdoctor {' '.join(args)} hung (> {timeout} s)") from None
    return proc.returncode, out or b"", err


def _clean(err: bytes) -> None:
    assert b"Traceback" not in err and b"Exception ignored" not in err and b"internal error" not in err, err


# -- 1. a write failure stops every command with exit 2 and a message ------------------------------------------

def _commands(tmp_path: Path, dns: str) -> dict[str, list[str]]:
    env_file = tmp_path / "app.env"
    env_file.write_text("SMTP_HOST=smtp.gmail.com\nSMTP_PORT=465\nSMTP_SECURE=false\nSMTP_USER=a@gmail.com\n")
    log = tmp_path / "app.log"
    log.write_text("Error: Invalid login: 535-5.7.8 Username and Password not accepted\n")
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"id": "a", "host": "h.example"}) + "\n")
    return {
        "check": ["check", "--offline", "--env-file", str(env_file)],
        "check-json": ["check", "--offline", "--env-file", str(env_file), "--format", "json"],
        "explain": ["explain", str(log)],
        "batch": ["batch", "--offline", str(rows)],
        "dns": ["dns", "example.test", "--nameserver", dns, "--dns-timeout", "2"],
        "lint": ["lint", str(env_file)],
        "providers": ["providers"],
        "platforms": ["platforms"],
        "demo": ["demo"],
        "demo-list": ["demo", "--list"],
        "version": ["--version"],
        "help": ["--help"],
    }


@pytest.fixture(scope="module")
def dns():
    with LoopbackDns(ZONE) as server:
        yield server.address


@needs_full
@pytest.mark.parametrize("sink", ["dev-full", "closed"])
@pytest.mark.parametrize("name", ["check", "check-json", "explain", "batch", "dns", "lint", "providers", "platforms",
                                  "demo", "demo-list", "version", "help"])
def test_output_that_cannot_be_written_stops_any_command_with_exit_2(tmp_path, dns, name, sink):
    args = _commands(tmp_path, dns)[name]
    if sink == "dev-full":
        with open(FULL, "wb") as full:
            code, _, err = _run(args, stdout=full)
        said = b"no space left on the device"
    else:
        code, _, err = _run(args, stdout=subprocess.DEVNULL, close=(1,))
        said = b"it is closed"
    _clean(err)
    assert code == 2, (code, err)
    assert b"cannot write to standard output" in err and said in err, err


@needs_full
def test_write_failure_is_said_in_russian(tmp_path):
    with open(FULL, "wb") as full:
        code, _, err = _run(["providers", "--lang", "ru"], stdout=full)
    assert code == 2 and "не удалось записать в стандартный вывод (на устройстве нет места)" in err.decode(), err


def test_a_closed_stderr_keeps_the_exit_code(tmp_path):
    """Nothing can be said, but a bad option is still exit 2, not the interpreter's 1 from a failed print."""
    code, _, err = _run(["check", "--offline", "--lang", "xx"], close=(2,), stdout=subprocess.DEVNULL)
    assert code == 2
    if os.path.exists(FULL):
        with open(FULL, "wb") as full:
            proc = subprocess.run([sys.executable, "-m", "smtpdoctor", "check", "--offline", "--lang", "xx"], cwd=ROOT,
                                  env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=full,
                                  timeout=60)
        assert proc.returncode == 2


def test_a_closed_stdin_reads_as_empty():
    code, _, err = _run(["check", "--offline", "--password-stdin"], close=(0,), stdin=None)
    _clean(err)
    assert code == 2 and b"--password-stdin was given but standard input is empty" in err, err
    code, _, err = _run(["check", "--offline", "--oauth2-token-stdin"], close=(0,), stdin=None)
    assert code == 2 and b"--oauth2-token-stdin was given" in err, err
    code, _, err = _run(["explain"], close=(0,), stdin=None)
    _clean(err)
    assert code == 0, err


def test_a_closed_stdout_does_not_stop_a_report_written_to_a_file(tmp_path):
    report = tmp_path / "report.json"
    code, _, err = _run(["check", "--offline", "--format", "json", "-o", str(report)], close=(1,),
                        stdout=subprocess.DEVNULL, env={"SMTP_HOST": "h.example"})
    _clean(err)
    assert code == 1 and json.loads(report.read_text())["schema"] == 1, err


# -- 2. batch never hangs on a write failure or an unrenderable row ----------------------------------------

def _many_rows(path: Path, n: int = 200) -> Path:
    path.write_text("".join(json.dumps({"id": f"r{i}", "host": "h.example", "port": 587}) + "\n" for i in range(n)))
    return path


@needs_full
@pytest.mark.parametrize("sink", ["-o /dev/full", "stdout /dev/full", "closed stdout"])
def test_batch_stops_on_a_write_failure_instead_of_hanging(tmp_path, sink):
    rows = _many_rows(tmp_path / "rows.jsonl")  # more rows than the queue holds: the reader would wait forever
    args = ["batch", "--offline", "--concurrency", "2", str(rows)]
    if sink == "-o /dev/full":
        code, _, err = _run([*args, "-o", FULL], timeout=30)
        said = b"cannot write the report to /dev/full (no space left on the device)"
    elif sink == "stdout /dev/full":
        with open(FULL, "wb") as full:
            code, _, err = _run(args, stdout=full, timeout=30)
        said = b"cannot write to standard output (no space left on the device)"
    else:
        code, _, err = _run(args, stdout=subprocess.DEVNULL, close=(1,), timeout=30)
        said = b"cannot write to standard output (it is closed)"
    _clean(err)
    assert code == 2 and said in err, err
    assert b"0 configurations" not in err  # no summary that looks like a clean, empty run


def test_a_lone_surrogate_in_a_row_is_a_row_error_and_the_rest_go_on(tmp_path):
    rows = tmp_path / "rows.jsonl"
    lines = ['{"id": "\\ud800", "host": "h.example"}', '{"id": "p", "host": "h.example", "password": "a\\udfffb"}',
             '{"id": "k", "host": "h.example", "\\ud83d": "x"}']
    lines += [json.dumps({"id": f"r{i}", "host": "h.example"}) for i in range(20)]
    rows.write_text("\n".join(lines) + "\n")
    code, out, err = _run(["batch", "--offline", "--concurrency", "1", str(rows)], timeout=30)
    _clean(err)
    records = [json.loads(line) for line in out.decode().splitlines()]
    by_row = {r["row"]: r for r in records}
    assert [by_row[n].get("error_id") for n in (1, 2, 3)] == ["cli.batch.row_surrogate"] * 3, records[:3]
    assert {r["id"] for r in records if "error" not in r} == {f"r{i}" for i in range(20)}
    assert code == 2  # some rows could not be read


def test_a_result_the_output_cannot_hold_becomes_a_row_error_and_the_rest_go_on(tmp_path):
    """An output that refuses one result's text (UnicodeEncodeError: an encoding that cannot hold it) costs
    that row only: a row error in its place, no worker lost, no reader left waiting for room in the queue."""
    import threading

    from smtpdoctor.app import CheckOptions
    from smtpdoctor.batch import run_batch
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.knowledge.providers import default_providers_path, load_providers

    rows = _many_rows(tmp_path / "rows.jsonl", 50)
    written: list = []

    def emit(result) -> None:  # an ASCII-only output, and the id "r3" shown as "жr3"
        text = ("\u0436" if result.id == "r3" else "") + result.id
        text.encode("ascii")  # raises UnicodeEncodeError for that one row, as such an output would
        written.append(result)

    done: dict = {}
    thread = threading.Thread(target=lambda: done.setdefault("summary", run_batch(
        rows, load_providers(default_providers_path()), load_catalog(), CheckOptions(offline=True), {}, emit,
        concurrency=1)), daemon=True)
    thread.start()
    thread.join(30)
    assert "summary" in done, "run_batch hung after a result could not be written"
    by_row = {r.number: r for r in written}
    assert sorted(by_row) == list(range(1, 51))
    assert by_row[4].id == "row-4" and by_row[4].error.id == "cli.batch.row_unrenderable"
    assert done["summary"].total == 50 and done["summary"].unreadable == 1 and done["summary"].write_error is None


# -- 3. a 5,000-digit number is a value, not the end of the batch ------------------------------------------

def test_a_5000_digit_number_in_a_row_does_not_abort_the_batch(run_cli, tmp_path):
    rows = tmp_path / "rows.jsonl"
    digits = "9" * 5000
    rows.write_text(f'{{"id": "port", "host": "h.example", "port": {digits}}}\n'
                    f'{{"id": "other", "host": "h.example", "tenant": {digits}, "weight": 1e5000}}\n'
                    f'{{"id": {digits}, "host": "h.example"}}\n'
                    + json.dumps({"id": "after", "host": "h.example", "port": 587}) + "\n")
    result = run_cli(["batch", "--offline", str(rows)])
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    records = {r["row"]: r for r in map(json.loads, result.out.splitlines())}
    assert sorted(records) == [1, 2, 3, 4]
    assert "config.invalid_port" in records[1]["codes"]
    assert records[2]["id"] == "other" and "error" not in records[2]
    assert records[3]["id"] == digits and records[4]["id"] == "after"
    assert result.code == 1


# -- 4. a huge first row, an empty file: never "0 configurations", exit 0 ---------------------------------

def test_a_first_jsonl_row_over_256_kib_is_a_row_error_and_the_rest_are_read(run_cli, tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"id": "huge", "note": "x" * 300_000}) + "\n"
                    + json.dumps({"id": "b", "host": "h.example"}) + "\n")
    result = run_cli(["batch", "--offline", "--format", "json", str(rows)])
    records = [json.loads(line) for line in result.out.splitlines()]
    assert records[0]["row"] == 1 and records[0]["error_id"] == "hardening.batch.row_too_long"
    assert records[1]["id"] == "b" and "error" not in records[1]
    assert json.loads(result.err)["total"] == 2
    assert result.code == 2


@pytest.mark.parametrize("content,said,said_ru", [
    ("", "holds no configuration to check", "нет ни одной конфигурации"),
    ("\n\n", "holds no configuration to check", "нет ни одной конфигурации"),
    ("id,host,port\n", "holds no configuration to check", "нет ни одной конфигурации"),
    ("h" * 300_000 + "\nx,y\n", "the first line is longer than 256 KiB", "первая строка длиннее 256 КиБ"),
    ("id,host\rx,h.example\r", "end with a carriage return alone", "одним возвратом каретки"),  # classic Mac OS
])
def test_a_file_with_no_configuration_is_never_exit_0(run_cli, tmp_path, content, said, said_ru):
    rows = tmp_path / "rows.csv"
    rows.write_bytes(content.encode())
    result = run_cli(["batch", "--offline", str(rows)])
    assert result.code == 2 and said in result.err and "internal error" not in result.err, result.all
    result = run_cli(["batch", "--offline", str(rows), "--lang", "ru"])
    assert result.code == 2 and said_ru in result.err, result.all


# -- 5. env: in an untrusted batch file ------------------------------------------------------------------

def _sent_secret(lines: list[bytes], secret: str) -> bool:
    for line in lines:
        for word in line.split():
            try:
                if secret.encode() in base64.b64decode(word, validate=True):
                    return True
            except ValueError:
                continue
    return secret.encode() in b"".join(lines)


def _env_rows(tmp_path: Path, port: int, var: str) -> Path:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"id": "pull", "host": "127.0.0.1", "port": port, "user": "me",
                                "password": f"env:{var}"}) + "\n")
    return rows


def test_env_in_a_batch_row_cannot_pull_any_variable(run_cli, tmp_path):
    lines: list[bytes] = []
    counting = Counting(recording(lines))
    with HostileServer(counting) as server:
        rows = _env_rows(tmp_path, server.port, "CI_DEPLOY_TOKEN")
        args = ["batch", "--no-dns", "--allow-plaintext-auth", "--timeout", "3", "--format", "json", str(rows)]
        result = run_cli(args, env={"CI_DEPLOY_TOKEN": SECRET})
        refused_connections = counting.connections
        record = json.loads(result.out)
        assert record["error_id"] == "cli.batch.env_not_allowed"
        assert "CI_DEPLOY_TOKEN" in record["error"] and "--allow-env CI_DEPLOY_TOKEN" in record["error"]
        assert SECRET not in result.all and refused_connections == 0 and not _sent_secret(lines, SECRET)
        assert result.code == 2
        # Not set at all: the same refusal (a row cannot probe which names exist).
        assert json.loads(run_cli(args).out)["error_id"] == "cli.batch.env_not_allowed"
        ru = run_cli([*args, "--lang", "ru"], env={"CI_DEPLOY_TOKEN": SECRET})
        assert "--allow-env CI_DEPLOY_TOKEN" in json.loads(ru.out)["error"] and "переменную окружения" in ru.out
        # Named by the person running the batch: allowed.
        allowed = run_cli([*args, "--allow-env", "CI_DEPLOY_TOKEN"], env={"CI_DEPLOY_TOKEN": SECRET})
        assert "error" not in json.loads(allowed.out), allowed.all
        assert counting.connections > 0 and _sent_secret(lines, SECRET)
        assert SECRET not in allowed.all
        # SMTP_* names are always open (what a tenant list is expected to use).
        lines.clear()
        rows = _env_rows(tmp_path, server.port, "SMTP_TENANT_PASS")
        smtp = run_cli([*args[:-1], str(rows)], env={"SMTP_TENANT_PASS": SECRET})
        assert "error" not in json.loads(smtp.out), smtp.all
        assert _sent_secret(lines, SECRET) and SECRET not in smtp.all


# -- 6. bounded reads: --password-stdin, --oauth2-token-stdin, --providers ------------------------------------

@pytest.mark.parametrize("option,limit", [("--password-stdin", "4 KiB"), ("--oauth2-token-stdin", "64 KiB")])
def test_stdin_secrets_are_read_bounded(option, limit):
    big = b"a" * 20_000_000 + b"\n"  # 20 MB on one line: refused after the limit, not held in memory
    code, out, err = _run(["check", "--offline", option], env={"SMTP_HOST": "h.example"}, input=big)
    _clean(err)
    assert code == 2 and option.encode() in err and f"longer than {limit}".encode() in err, err
    assert b"a" * 100 not in out + err


def test_stdin_password_at_the_limit_and_not_utf8(run_cli):
    ok = run_cli(["check", "--offline", "--password-stdin"], env={"SMTP_HOST": "h.example"}, stdin="p" * 4096 + "\n")
    assert ok.code == 1 and "longer than" not in ok.err, ok.all
    over = run_cli(["check", "--offline", "--password-stdin"], env={"SMTP_HOST": "h.example"}, stdin="p" * 4097)
    assert over.code == 2 and "longer than 4 KiB" in over.err
    code, _, err = _run(["check", "--offline", "--password-stdin"], env={"SMTP_HOST": "h.example"}, input=b"\xff\xfe\n")
    _clean(err)
    assert code == 2 and b"--password-stdin: it is not UTF-8 text" in err, err


@pytest.mark.parametrize("how", ["option", "env"])
def test_an_endless_providers_file_is_refused(how):
    args = ["providers"] + (["--providers", "/dev/zero"] if how == "option" else [])
    code, _, err = _run(args, env={"SMTPDOCTOR_PROVIDERS": "/dev/zero"} if how == "env" else None, timeout=30)
    _clean(err)
    assert code == 2 and b"/dev/zero" in err and b"larger than 1 MiB" in err, err


# -- 7. odd environments and arguments ----------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("args", [["providers"], ["demo", "--list", "--lang", "ru"],
                                  ["check", "--offline", "--lang", "ru"]])
def test_an_output_encoding_that_cannot_hold_the_text_is_no_crash(encoding, args):
    code, out, err = _run(args, env={"PYTHONIOENCODING": encoding, "SMTP_HOST": "h.example"})
    _clean(err)
    assert code in (0, 1) and out, err


def test_debug_is_taken_where_the_internal_error_message_says(run_cli):
    """The internal-error message says "rerun with --debug": after the command's own options, too."""
    result = run_cli(["check", "--offline", "--debug"], env={"SMTP_HOST": "h.example"})
    assert result.code == 1 and "No such option" not in result.err, result.all
