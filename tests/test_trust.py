"""The trust store: loaded once, ahead of time when the console command will probe, and the same trust
either way — a server signed by the --ca-file CA is verified, an insecure run verifies nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smtpdoctor.probe import trust
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec

ENTRY = "import sys; from smtpdoctor.entry import main; sys.argv[0] = 'smtpdoctor'; raise SystemExit(main())"


def _console(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP", "SMTPDOCTOR"))}
    return subprocess.run([sys.executable, "-c", ENTRY, *args], env={**clean, **env}, capture_output=True,
                          text=True, timeout=60)


def test_console_check_verifies_the_ca_file_chain(smtp_server, ca_file):
    server = smtp_server(ServerSpec())
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER,
           "SMTP_PASS": DEMO_PASSWORD, "SMTP_FROM": DEMO_USER}
    result = _console(["check", "--ca-file", str(ca_file), "--format", "json"], env)
    assert result.returncode == 0, result.stderr
    steps = {s["name"]: s["status"] for s in json.loads(result.stdout)["steps"]}
    assert steps["tls"] == "ok" and steps["auth"] == "ok"


def test_console_check_without_the_ca_file_finds_the_certificate_untrusted(smtp_server):
    server = smtp_server(ServerSpec())
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER,
           "SMTP_PASS": DEMO_PASSWORD, "SMTP_FROM": DEMO_USER}
    result = _console(["check", "--format", "json"], env)
    assert result.returncode == 1
    assert "tls.cert_untrusted" in [f["code"] for f in json.loads(result.stdout)["findings"]]


def test_the_store_loaded_ahead_is_the_one_the_probe_uses():
    code = ("from smtpdoctor.probe import trust\n"
            "trust.warm(); trust._warming.join(); ahead = trust._prefetched\n"
            "assert ahead is not None\n"
            "assert trust.client_context(None, False) is ahead and trust._prefetched is None\n"
            "assert trust.client_context(None, False) is ahead  # and it is kept for the next connection\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_a_store_loaded_ahead_for_another_environment_is_not_used(tmp_path, ca_file):
    code = ("import os; from smtpdoctor.probe import trust\n"
            "trust.warm(); trust._warming.join(); ahead = trust._prefetched\n"
            f"os.environ['SSL_CERT_FILE'] = {str(ca_file)!r}\n"
            "ctx = trust.client_context(None, False)\n"
            "assert ctx is not ahead and ctx.cert_store_stats()['x509_ca'] == 1, ctx.cert_store_stats()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={k: v for k, v in os.environ.items() if k != "SSL_CERT_FILE"})
    assert result.returncode == 0, result.stderr


def test_an_early_exit_waits_for_the_store_instead_of_crashing(tmp_path):
    """A usage error ends the program while the store may still be loading: the interpreter must wait for
    that thread (a daemon thread inside OpenSSL at shutdown crashed the process: exit 139 instead of 2)."""
    import ssl

    bundle = os.environ.get("SSL_CERT_FILE") or ssl.get_default_verify_paths().cafile
    if not bundle or not os.path.isfile(bundle):
        pytest.skip("no CA bundle file on this system")
    big = tmp_path / "big-bundle.pem"
    big.write_bytes(Path(bundle).read_bytes() * 8)  # a slow store makes the race certain
    for _ in range(3):
        result = _console(["check", "--no-such-option"], {"SSL_CERT_FILE": str(big)})
        assert result.returncode == 2, (result.returncode, result.stderr[-300:])


def test_concurrent_first_use_builds_one_context(ca_file):
    import threading

    from smtpdoctor.probe.trust import client_context

    got = []
    threads = [threading.Thread(target=lambda: got.append(client_context(ca_file, insecure=False))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and all(context is got[0] for context in got)


def test_insecure_verifies_nothing_and_loads_no_store():
    loose = trust.client_context(None, insecure=True)
    assert not loose.check_hostname and loose.cert_store_stats()["x509_ca"] == 0
    assert loose is not trust.client_context(None, insecure=False)
