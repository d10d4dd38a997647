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
        ours_cmd = [*smtpdoctor_cmd(), "check", "--ca-file", str(ca)]
        if not shutil.which("swaks"):
            print("swaks not installed (apt-get install swaks)")
            print(f"smtpdoctor check median {median_ms(ours_cmd, runs=20, env=env):6.1f} ms")
        else:
            swaks = ["swaks", "--server", "localhost", "--port", str(server.port), "--tls", "--tls-ca-path", str(ca),
                     "--tls-verify", "--auth", "PLAIN", "--auth-user", DEMO_USER, "--auth-password", DEMO_PASSWORD,
                     "--quit-after", "AUTH", "--to", DEMO_USER]
            # One paired run: the two alternate, so a busy moment of the machine hits both alike.
            ours, theirs = [], []
            for _ in range(2):
                time_run(ours_cmd, env), time_run(swaks)
            for _ in range(25):
                ours.append(time_run(ours_cmd, env)[0] * 1000)
                theirs.append(time_run(swaks)[0] * 1000)
            ratio = statistics.median(o / t for o, t in zip(ours, theirs))
            print(f"smtpdoctor check (STARTTLS + AUTH + MAIL/RCPT)   median {statistics.median(ours):6.1f} ms")
            print(f"swaks --tls --auth --quit-after AUTH              median {statistics.median(theirs):6.1f} ms")
            print(f"paired ratio (median of 25 pairs)                       {ratio:.2f}x   (target 1.5x)")
            print(f"SSL_CERT_FILE {'set: the whole CA bundle is parsed each run' if os.environ.get('SSL_CERT_FILE') else 'unset: the hashed CA directory is read lazily'}")
        phases({**os.environ, **env}, ca)
