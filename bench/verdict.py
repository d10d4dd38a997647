"""Time to verdict: a healthy STARTTLS + AUTH check against a loopback server, median of 20 runs,
next to swaks (Debian package `swaks`) doing the same dialogue up to AUTH.

    python bench/verdict.py
"""

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from common import median_ms, smtpdoctor_cmd, time_run

from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, Pki, ServerSpec, SmtpServer


def phases(env: dict, ca: Path) -> None:
    """Where the time goes inside one check: imports versus the network dialogue."""
    import subprocess

    code = ("import time; t0=time.perf_counter(); import smtpdoctor.cli, smtpdoctor.app, smtpdoctor.probe.runner, "
            "smtpdoctor.render.text; t1=time.perf_counter(); from smtpdoctor.cli import main; "
            f"main(['check','--ca-file','{ca}','--format','json']); t2=time.perf_counter(); "
            "import sys; print(f'{(t1-t0)*1000:.1f} {(t2-t1)*1000:.1f}', file=sys.stderr)")
    out = []
    for _ in range(10):
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        out.append([float(x) for x in proc.stderr.split()[-2:]])
    imports = statistics.median(o[0] for o in out)
    rest = statistics.median(o[1] for o in out)
    print(f"  inside one check: imports {imports:.0f} ms, settings + probe + render {rest:.0f} ms")


if __name__ == "__main__":
    import os

    pki = Pki()
    with tempfile.TemporaryDirectory() as tmp, SmtpServer(ServerSpec(), pki) as server:
        ca = pki.ca_file(Path(tmp))
        env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER,
               "SMTP_PASS": DEMO_PASSWORD, "SMTP_FROM": DEMO_USER}
        elapsed, code = time_run([*smtpdoctor_cmd(), "check", "--ca-file", str(ca)], env)
        assert code == 0, "the healthy check must pass before it is timed"
        ours = median_ms([*smtpdoctor_cmd(), "check", "--ca-file", str(ca)], runs=20, env=env)
        print(f"smtpdoctor check (STARTTLS + AUTH + MAIL/RCPT)   median {ours:6.1f} ms")
        if shutil.which("swaks"):
            swaks = ["swaks", "--server", "localhost", "--port", str(server.port), "--tls", "--tls-ca-path", str(ca),
                     "--tls-verify", "--auth", "PLAIN", "--auth-user", DEMO_USER, "--auth-password", DEMO_PASSWORD,
                     "--quit-after", "AUTH", "--to", DEMO_USER]
            _, code = time_run(swaks)
            theirs = median_ms(swaks, runs=20)
            print(f"swaks --tls --auth --quit-after AUTH (exit {code})      median {theirs:6.1f} ms   ratio {ours / theirs:.2f}x")
        else:
            print("swaks not installed (apt-get install swaks)")
        phases({**os.environ, **env}, ca)
