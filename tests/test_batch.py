"""`smtpdoctor batch`: many configurations against real loopback servers, JSON Lines out, a summary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from conftest import SECRET
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec, SilentSMTP


def _rows(healthy, wrong, silent):
    return [
        {"id": "ok-1", "host": "localhost", "port": healthy, "user": DEMO_USER, "password": "env:SMTP_TENANT_PW", "sender": DEMO_USER},
        {"id": "bad-pass", "SMTP_HOST": "localhost", "SMTP_PORT": wrong, "SMTP_USER": DEMO_USER, "SMTP_PASS": SECRET},
        {"id": "silent", "host": "127.0.0.1", "port": silent, "user": DEMO_USER, "password": DEMO_PASSWORD},
        {"id": "missing-env", "host": "localhost", "port": healthy, "user": DEMO_USER, "password": "env:SMTP_NOT_SET_ANYWHERE"},
    ]


def test_jsonl_batch(run_cli, smtp_server, ca_file, tmp_path):
    healthy = smtp_server(ServerSpec())
    wrong = smtp_server(ServerSpec())
    silent = smtp_server(ServerSpec(smtp_class=SilentSMTP))
    path = tmp_path / "tenants.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in _rows(healthy.port, wrong.port, silent.port)) + "\n\n")
    result = run_cli(["batch", str(path), "--ca-file", str(ca_file), "--timeout", "1", "--format", "json"],
                     env={"SMTP_TENANT_PW": DEMO_PASSWORD})
    records = {r["id"]: r for r in map(json.loads, result.out.splitlines())}
    assert records["ok-1"]["ok"] is True and "ok.connected" in records["ok-1"]["codes"]
    assert "auth.bad_credentials" in records["bad-pass"]["codes"]
    assert "net.greeting_timeout" in records["silent"]["codes"]
    assert "config.missing" in records["missing-env"]["codes"]
    summary = json.loads(result.err.strip().splitlines()[-1])
    assert summary["total"] == 4 and summary["ok"] == 1 and summary["failed"] == 3
    assert summary["codes"]["auth.bad_credentials"] == 1
    assert result.code == 1
    assert SECRET not in result.all and DEMO_PASSWORD not in result.all


def test_csv_batch_with_bad_rows(run_cli, tmp_path):
    path = tmp_path / "tenants.csv"
    path.write_text("id,host,port,secure,user,password,sender,provider\n"
                    "t1,smtp.gmail.com,587,true,a@gmail.com,abcdefghijklmnop,a@gmail.com,\n"
                    "t2,smtp.sendgrid.net,587,false,apikey,SG.x,karto.help@ro.ru,\n"
                    "t3,smtp.example.org,587,false,u,p,u@example.org,nosuchprovider\n"
                    "t4,too,many,cells,a,b,c,d,e,f\n")
    result = run_cli(["batch", str(path), "--offline"])
    records = {r["id"]: r for r in map(json.loads, result.out.splitlines())}
    assert "config.secure_port_mismatch" in records["t1"]["codes"]
    assert "sender.dmarc_rejected" in records["t2"]["codes"]
    assert "error" in records["t3"] and "error" in records["row-4"]
    assert result.code == 2  # some rows could not be read
    assert "4 configurations" in result.err


def test_ctrl_c_keeps_results_so_far(smtp_server, ca_file, tmp_path):
    silent = smtp_server(ServerSpec(smtp_class=SilentSMTP))
    healthy = smtp_server(ServerSpec())
    rows = [{"id": f"h{i}", "host": "localhost", "port": healthy.port, "user": DEMO_USER, "password": DEMO_PASSWORD}
            for i in range(3)]
    rows += [{"id": f"s{i}", "host": "127.0.0.1", "port": silent.port, "user": DEMO_USER, "password": DEMO_PASSWORD}
             for i in range(40)]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    proc = subprocess.Popen([sys.executable, "-m", "smtpdoctor", "batch", str(path), "--ca-file", str(ca_file),
                             "--timeout", "3", "--concurrency", "4", "--no-dns"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "LANG": "C"})
    # Interrupt once the healthy rows are out (not after a fixed sleep: on a busy machine the interpreter may
    # not even have started by then), while the silent ones are still being probed.
    first: list[str] = []
    while len(first) < 3:
        line = proc.stdout.readline()
        if not line:
            break
        first.append(line)
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=30)
    out = "".join(first) + rest
    assert proc.returncode == 130, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert {r["id"] for r in lines} >= {"h0", "h1", "h2"}
    assert len(lines) < len(rows)
    assert "Traceback" not in err and "Interrupted" in err


def test_one_bad_row_is_a_row_error_and_the_batch_goes_on(run_cli, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_bytes(b"id,host,port\n"
                     b"a,h.example,587\n"
                     b'big,"' + b"x" * (300 * 1024) + b'",587\n'
                     b"nul,h.example\x00,587\n"
                     b"b,h.example,587\n")
    result = run_cli(["batch", "--offline", "--format", "json", str(rows)])
    lines = [json.loads(line) for line in result.out.splitlines()]
    by_row = {line["row"]: line for line in lines}
    assert by_row[1]["id"] == "a" and "error" not in by_row[1]
    assert "error" in by_row[2] and "error" in by_row[3]
    assert by_row[4]["id"] == "b" and "error" not in by_row[4]
    summary = json.loads(result.err)
    assert summary["total"] == 4 and summary["unreadable"] == 2
    deep = tmp_path / "rows.jsonl"
    deep.write_text(json.dumps({"id": "a", "host": "h.example"}) + "\n" + '{"id": ' + "[" * 100_000 + "]" * 100_000
                    + "}\n" + json.dumps({"id": "b", "host": "h.example"}) + "\n")
    result = run_cli(["batch", "--offline", str(deep)])
    ids = [json.loads(line).get("id") for line in result.out.splitlines()]
    assert ids == ["a", "row-2", "b"] and "Traceback" not in result.err


def test_batch_stdin_results_appear_as_rows_arrive(tmp_path):
    """`batch -` on a stdin that stays open: the first result is written before any EOF."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_")}
    proc = subprocess.Popen([sys.executable, "-m", "smtpdoctor", "batch", "--offline", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        proc.stdin.write(b'{"id": "first", "host": "h.example"}\n')
        proc.stdin.flush()
        line = proc.stdout.readline()  # blocks until the row's result is written; stdin is still open
        assert json.loads(line)["id"] == "first"
        proc.stdin.write(b'{"id": "second", "host": "h.example"}\n')
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["id"] == "second"
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    assert proc.returncode == 1


def test_batch_into_a_closed_pipe_stops_probing(tmp_path):
    from smtpdoctor.testing.hostile import Counting, HostileServer, recording

    server_behaviour = Counting(recording([], ehlo_delay=0.2))
    with HostileServer(server_behaviour) as server:
        rows = tmp_path / "rows.jsonl"
        rows.write_text("".join(json.dumps({"id": f"r{i}", "host": "127.0.0.1", "port": server.port}) + "\n"
                                for i in range(300)))
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_")}
        proc = subprocess.Popen([sys.executable, "-m", "smtpdoctor", "batch", "--no-dns", "--concurrency", "2",
                                 "--timeout", "2", str(rows)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        proc.stdout.readline()
        proc.stdout.close()  # `| head -1`
        err = proc.stderr.read()
        proc.wait(timeout=60)
        served = server_behaviour.connections
    assert proc.returncode == 141 and err == b"", err
    assert served < 30, served  # stopped at the next result, not after all 300 rows
