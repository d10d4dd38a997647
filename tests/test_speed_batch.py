"""`batch` under its own load (issue 23): a healthy server is never reported failed because the batch starved
the machine it runs on. Real starvation, not a mock: a thread holds the interpreter for most of a second (one
long C call, which never lets another Python thread run), exactly what a thousand TLS handshakes at once do to
every waiting check."""

from __future__ import annotations

import asyncio
import json
import threading
import time

from smtpdoctor.testing.hostile import HostileServer
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec


def _silent_first(upstream_port: int, silent: int = 1):
    """The first `silent` connections get nothing at all; later ones reach the real server behind (a TCP relay)."""
    seen = {"connections": 0}

    async def relay(reader, writer) -> None:
        seen["connections"] += 1
        if seen["connections"] <= silent:
            await asyncio.sleep(60)
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)

        async def pipe(source, sink) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)

    return relay, seen


def _hold_the_interpreter(after: float, seconds: float) -> threading.Thread:
    """After `after` s, one C call (sum over a range) that keeps the GIL for about `seconds`."""
    started = time.perf_counter()
    sum(range(200_000))
    n = int(200_000 * seconds / max(time.perf_counter() - started, 1e-6))

    def hog() -> None:
        time.sleep(after)
        sum(range(n))

    thread = threading.Thread(target=hog, daemon=True)
    thread.start()
    return thread


def _batch(run_cli, tmp_path, port: int, ca_file) -> tuple[int, list[dict]]:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"id": "healthy", "host": "127.0.0.1", "port": port, "user": DEMO_USER,
                                "password": DEMO_PASSWORD, "sender": DEMO_USER}) + "\n")
    result = run_cli(["batch", str(rows), "--ca-file", str(ca_file), "--timeout", "2", "--no-dns", "--format", "json"])
    return result.code, [json.loads(line) for line in result.out.splitlines() if line.startswith("{")]


def test_a_timeout_while_the_machine_was_starved_is_asked_again(run_cli, smtp_server, ca_file, tmp_path):
    server = smtp_server(ServerSpec())
    relay, seen = _silent_first(server.port)
    with HostileServer(relay) as front:
        hog = _hold_the_interpreter(after=0.4, seconds=0.8)
        code, rows = _batch(run_cli, tmp_path, front.port, ca_file)
        hog.join()
    assert code == 0 and rows[0]["ok"], rows  # the healthy server, asked again once the load was gone
    assert seen["connections"] >= 3  # the silent first try, the probe's TLS check beside it, the second try


def test_a_dead_server_is_still_reported(run_cli, smtp_server, ca_file, tmp_path):
    server = smtp_server(ServerSpec())
    relay, _ = _silent_first(server.port, silent=10)  # silent whenever asked, starved or not
    with HostileServer(relay) as front:
        hog = _hold_the_interpreter(after=0.4, seconds=0.8)
        code, rows = _batch(run_cli, tmp_path, front.port, ca_file)
        hog.join()
    assert code == 1 and not rows[0]["ok"] and "net.greeting_timeout" in rows[0]["codes"]
    assert len(rows) == 1  # reported once, after its second try
