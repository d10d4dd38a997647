"""Timeout budget: with --timeout 2, a port that accepts TCP and never speaks, and a port whose
connection attempts go unanswered (a full accept backlog drops the SYNs; the provider's other ports
are probed meanwhile). Target: a verdict within 2.5 s for each.

    python bench/timeout_budget.py
"""

import json
import subprocess
import tempfile
import time
from pathlib import Path

from common import smtpdoctor_cmd

from smtpdoctor.testing.server import BlackholePort, Pki, ServerSpec, SilentSMTP, SmtpServer, closed_port


def run(env: dict, *args: str) -> tuple[float, list[str]]:
    import os

    started = time.perf_counter()
    proc = subprocess.run([*smtpdoctor_cmd(), "check", "--timeout", "2", "--format", "json", *args],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - started
    return elapsed, [f["code"] for f in json.loads(proc.stdout)["findings"]]


if __name__ == "__main__":
    pki = Pki()
    base = {"SMTP_USER": "u@example.com", "SMTP_PASS": "p", "SMTP_HOST": "127.0.0.1"}
    with tempfile.TemporaryDirectory() as tmp, SmtpServer(ServerSpec(smtp_class=SilentSMTP), pki) as silent:
        elapsed, codes = run({**base, "SMTP_PORT": str(silent.port)})
        print(f"silent after connect      {elapsed:5.2f} s  {codes}")
        with BlackholePort() as hole:
            providers = Path(tmp) / "providers.toml"
            providers.write_text(
                '[loopback]\nname = "Loopback"\nkind = "relay"\nhosts = ["127.0.0.1"]\n'
                f'ports = [{{ port = {hole.port}, mode = "starttls" }}, {{ port = {closed_port()}, mode = "starttls" }}, '
                f'{{ port = {closed_port()}, mode = "tls" }}]\ndefault_port = {hole.port}\n'
                'username = { rule = "dashboard" }\npassword = { kind = "smtp_password" }\nsender_rule = "verified_domain"\n')
            elapsed, codes = run({**base, "SMTP_PORT": str(hole.port)}, "--providers", str(providers))
            print(f"SYNs dropped, alternates  {elapsed:5.2f} s  {codes}")
