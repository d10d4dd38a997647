"""Time to verdict: a healthy STARTTLS + AUTH check, next to swaks (Debian package `swaks`) doing the same
dialogue up to AUTH, in one paired run (25 alternating pairs after 2 warm-ups).

    python bench/verdict.py             # against the in-process aiosmtpd server (smtpdoctor/testing/server.py)
    python bench/verdict.py --postfix   # against a throwaway real Postfix on loopback (bench/postfix.py, root)
"""

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import median_ms, smtpdoctor_cmd, time_run

from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, Pki, ServerSpec, SmtpServer


def phases(env: dict, ca: Path) -> None:
    """Where the time goes inside one check: imports versus the network dialogue."""
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


def check_env(port: int, user: str, password: str) -> dict:
    return {"SMTP_HOST": "localhost", "SMTP_PORT": str(port), "SMTP_USER": user, "SMTP_PASS": password,
            "SMTP_FROM": user}


def swaks_cmd(port: int, ca: Path, user: str, password: str) -> list[str]:
    return ["swaks", "--server", "localhost", "--port", str(port), "--tls", "--tls-ca-path", str(ca),
            "--tls-verify", "--auth", "PLAIN", "--auth-user", user, "--auth-password", password,
            "--quit-after", "AUTH", "--to", user]


def paired(ours_cmd: list[str], env: dict, swaks: list[str]) -> None:
    # One paired run: the two alternate, so a busy moment of the machine hits both alike.
    import os

    # The floor: the interpreter importing the CLI framework and TLS, and nothing of ours. What the stack
    # costs before smtpdoctor does anything, next to the whole of swaks.
    floor_cmd = [sys.executable, "-c", "import typer, ssl"]
    ours, theirs, floor = [], [], []
    for _ in range(2):
        time_run(ours_cmd, env), time_run(swaks), time_run(floor_cmd)
    for _ in range(25):
        ours.append(time_run(ours_cmd, env)[0] * 1000)
        theirs.append(time_run(swaks)[0] * 1000)
        floor.append(time_run(floor_cmd)[0] * 1000)
    ratio = statistics.median(o / t for o, t in zip(ours, theirs))
    floor_ratio = statistics.median(f / t for f, t in zip(floor, theirs))
    print(f"smtpdoctor check (STARTTLS + AUTH + MAIL/RCPT)   median {statistics.median(ours):6.1f} ms")
    print(f"swaks --tls --auth --quit-after AUTH              median {statistics.median(theirs):6.1f} ms")
    print(f"python -c 'import typer, ssl' (the stack's floor) median {statistics.median(floor):6.1f} ms")
    print(f"paired ratio (median of 25 pairs)                       {ratio:.2f}x   (target 1.5x)")
    print(f"floor ratio: the imports alone                          {floor_ratio:.2f}x")
    print(f"SSL_CERT_FILE {'set: the whole CA bundle is parsed each run' if os.environ.get('SSL_CERT_FILE') else 'unset: the hashed CA directory is read lazily'}")


def against_aiosmtpd() -> None:
    import os

    pki = Pki()
    with tempfile.TemporaryDirectory() as tmp, SmtpServer(ServerSpec(), pki) as server:
        ca = pki.ca_file(Path(tmp))
        env = check_env(server.port, DEMO_USER, DEMO_PASSWORD)
        elapsed, code = time_run([*smtpdoctor_cmd(), "check", "--ca-file", str(ca)], env)
        assert code == 0, "the healthy check must pass before it is timed"
        ours_cmd = [*smtpdoctor_cmd(), "check", "--ca-file", str(ca)]
        if not shutil.which("swaks"):
            print("swaks not installed (apt-get install swaks)")
            print(f"smtpdoctor check median {median_ms(ours_cmd, runs=20, env=env):6.1f} ms")
        else:
            paired(ours_cmd, env, swaks_cmd(server.port, ca, DEMO_USER, DEMO_PASSWORD))
        phases({**os.environ, **env}, ca)


def healthy_problem(ours_cmd: list[str], env: dict, swaks: list[str]) -> str | None:
    """Both tools must succeed against the server before either is timed; None when they do."""
    import os

    proc = subprocess.run([*ours_cmd, "--format", "json"], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120)
    try:
        steps = {step["name"]: step["status"] for step in json.loads(proc.stdout)["steps"]}
    except (ValueError, KeyError, TypeError):
        return f"smtpdoctor check gave no JSON report (exit {proc.returncode})"
    if proc.returncode != 0 or steps.get("tls") != "ok" or steps.get("auth") != "ok":
        return f"smtpdoctor check is not healthy: exit {proc.returncode}, steps {steps}"
    proc = subprocess.run(swaks, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 or "\n<~  235 " not in proc.stdout:
        return f"swaks did not authenticate: exit {proc.returncode}"
    return None


def against_postfix() -> int:
    import os

    from postfix import PostfixError, PostfixServer, unavailable_reason

    reason = unavailable_reason()
    if not reason and not shutil.which("swaks"):
        reason = "swaks is not installed (apt-get install swaks)"
    if reason:
        print(f"verdict against Postfix skipped: {reason}")
        return 0
    version = subprocess.run(["postconf", "-h", "-d", "mail_version"], capture_output=True, text=True).stdout.strip()
    try:
        with PostfixServer() as server:
            env = check_env(server.port, server.user, server.password)
            ours_cmd = [*smtpdoctor_cmd(), "check", "--ca-file", str(server.ca_file)]
            swaks = swaks_cmd(server.port, server.ca_file, server.user, server.password)
            problem = healthy_problem(ours_cmd, env, swaks)
            if problem:
                said = "; ".join(server.log_problems()) or "nothing"
                print(f"verdict against Postfix not timed: {problem}; Postfix logged: {said}")
                return 1
            print(f"Postfix {version} on 127.0.0.1:{server.port}: STARTTLS (may), AUTH PLAIN/LOGIN via Cyrus SASL "
                  "sasldb after TLS only, relay for authenticated clients, discard transport")
            paired(ours_cmd, env, swaks)
            phases({**os.environ, **env}, server.ca_file)
    except PostfixError as exc:
        print(f"verdict against Postfix failed: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--postfix"]:
        sys.exit(against_postfix())
    if sys.argv[1:]:
        sys.exit("usage: python bench/verdict.py [--postfix]")
    against_aiosmtpd()
