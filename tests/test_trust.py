"""The trust store: loaded once, ahead of time when the console command will probe, and the same trust
either way — a server signed by the --ca-file CA is verified, an insecure run verifies nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from smtpdoctor.probe import trust
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec

ENTRY = "import sys; from smtpdoctor.entry import main; sys.argv[0] = 'smtpdoctor'; raise SystemExit(main())"


def _console(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP", "SMTPDOCTOR"))}
    return subprocess.run([sys.executable, "-c", ENTRY, *args], env={**clean, **env}, capture_output=True,
                          text=True, timeout=60)


def test_console_check_verifies_the_ca_file_chain_with_the_store_loaded_ahead(smtp_server, ca_file):
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


def test_one_context_per_trust_and_the_prefetched_store_is_used(ca_file):
    trust.warm()
    first = trust.client_context(ca_file, insecure=False)
    assert trust.client_context(ca_file, insecure=False) is first
    assert first.cert_store_stats()["x509_ca"] >= 1  # the --ca-file CA at least
    loose = trust.client_context(None, insecure=True)
    assert loose is not first and not loose.check_hostname and loose.cert_store_stats()["x509_ca"] == 0
