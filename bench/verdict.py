"""Time to verdict: a healthy STARTTLS + AUTH check, next to swaks (Debian package `swaks`) doing the same
dialogue up to AUTH, in one paired run (25 alternating rounds after 2 warm-ups): swaks trusting only the test
CA, swaks given the same trust store as smtpdoctor (the system's and the test CA: like for like), and the
stack's floor (`python -c "import typer, ssl"`). Wall and CPU time (the CPU a loaded machine disturbs least).

    python bench/verdict.py             # against the in-process aiosmtpd server (smtpdoctor/testing/server.py)
    python bench/verdict.py --postfix   # against a throwaway real Postfix on loopback (bench/postfix.py, root)
"""

import json
import os
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


def first_run(cmd: list[str], env: dict, runs: int = 10) -> None:
    """A first run (an empty parsed-data cache) against a warm one, alternating. An installed wheel carries its
    data files parsed (smtpdoctor/knowledge/parsed/, built by hatch_build.py); a source checkout parses them."""
    import smtpdoctor

    warm_cache = tempfile.mkdtemp()
    time_run(cmd, {**env, "XDG_CACHE_HOME": warm_cache})
    first, warm = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as empty:
            first.append(cpu_run(cmd, {**env, "XDG_CACHE_HOME": empty}))
        warm.append(cpu_run(cmd, {**env, "XDG_CACHE_HOME": warm_cache}))
    shutil.rmtree(warm_cache, ignore_errors=True)
    shipped = (Path(smtpdoctor.__file__).parent / "knowledge" / "parsed").is_dir()
    ratio = [statistics.median(f[i] / w[i] for f, w in zip(first, warm)) for i in (0, 1)]
    print(f"  first run / warm run: {ratio[0]:.2f}x wall, {ratio[1]:.2f}x CPU "
          f"({'data parsed at build time shipped' if shipped else 'a source checkout: no data parsed at build time'})")


def check_env(port: int, user: str, password: str) -> dict:
    return {"SMTP_HOST": "localhost", "SMTP_PORT": str(port), "SMTP_USER": user, "SMTP_PASS": password,
            "SMTP_FROM": user}


def swaks_cmd(port: int, ca: Path, user: str, password: str) -> list[str]:
    return ["swaks", "--server", "localhost", "--port", str(port), "--tls", "--tls-ca-path", str(ca),
            "--tls-verify", "--auth", "PLAIN", "--auth-user", user, "--auth-password", password,
            "--quit-after", "AUTH", "--to", user]


def same_trust(ca: Path, directory: Path) -> Path:
    """The trust smtpdoctor loads, for swaks: the system store (SSL_CERT_FILE when set) and the test CA in one
    file. Given only the test certificate, swaks parses one certificate where smtpdoctor parses ~140."""
    system = Path(os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt")
    combined = directory / "system-and-test-ca.pem"
    combined.write_text((system.read_text() if system.is_file() else "") + ca.read_text())
    return combined


def cpu_run(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of one run: the CPU time (user + system of the child) is what a busy machine
    disturbs least."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time_run(cmd, env)[0]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def paired(ours_cmd: list[str], env: dict, swaks: list[str], swaks_like: list[str], runs: int = 25) -> None:
    # One paired run: the four alternate, so a busy moment of the machine hits all alike.
    # The floor: the interpreter importing the CLI framework and TLS, and nothing of ours. What the stack
    # costs before smtpdoctor does anything, next to the whole of swaks.
    floor_cmd = [sys.executable, "-c", "import typer, ssl"]
    commands = {"ours": (ours_cmd, env), "swaks": (swaks, None), "like": (swaks_like, None), "floor": (floor_cmd, None)}
    if os.environ.get("SSL_CERT_FILE"):  # also without it: the system's hashed CA directory, read lazily
        commands["hashed"] = (["env", "-u", "SSL_CERT_FILE", *ours_cmd], env)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(2):
        for cmd, cmd_env in commands.values():
            time_run(cmd, cmd_env)
    for _ in range(runs):
        for name, (cmd, cmd_env) in commands.items():
            times[name].append(cpu_run(cmd, cmd_env))

    def median(name: str, i: int = 0) -> float:
        return statistics.median(t[i] for t in times[name]) * 1000

    def ratio(a: str, b: str, i: int = 0) -> float:
        return statistics.median(x[i] / y[i] for x, y in zip(times[a], times[b]))

    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs; {runs} rounds")
    print(f"smtpdoctor check (STARTTLS + AUTH + MAIL/RCPT)        median {median('ours'):6.1f} ms  (CPU {median('ours', 1):5.1f} ms)")
    print(f"swaks --tls --auth --quit-after AUTH (test CA only)   median {median('swaks'):6.1f} ms  (CPU {median('swaks', 1):5.1f} ms)")
    print(f"swaks, same trust store (system + test CA)            median {median('like'):6.1f} ms  (CPU {median('like', 1):5.1f} ms)")
    print(f"python -c 'import typer, ssl' (the stack's floor)     median {median('floor'):6.1f} ms  (CPU {median('floor', 1):5.1f} ms)")
    print(f"paired ratios (median of {runs}):        wall    CPU")
    print(f"  smtpdoctor / floor                   {ratio('ours', 'floor'):5.2f}x {ratio('ours', 'floor', 1):5.2f}x   (target 1.75x)")
    print(f"  smtpdoctor / swaks                   {ratio('ours', 'swaks'):5.2f}x {ratio('ours', 'swaks', 1):5.2f}x   (target 2.2x)")
    print(f"  smtpdoctor / swaks, same trust store {ratio('ours', 'like'):5.2f}x {ratio('ours', 'like', 1):5.2f}x   (target 1.5x)")
    print(f"  floor / swaks                        {ratio('floor', 'swaks'):5.2f}x {ratio('floor', 'swaks', 1):5.2f}x")
    if "hashed" in times:
        print(f"  smtpdoctor without SSL_CERT_FILE / floor {ratio('hashed', 'floor'):5.2f}x {ratio('hashed', 'floor', 1):5.2f}x"
              "   (the CA directory read lazily: no bundle parsed)")
    print(f"SSL_CERT_FILE {'set: the whole CA bundle is parsed each run' if os.environ.get('SSL_CERT_FILE') else 'unset: the hashed CA directory is read lazily'}")


def against_aiosmtpd() -> None:
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
            paired(ours_cmd, env, swaks_cmd(server.port, ca, DEMO_USER, DEMO_PASSWORD),
                   swaks_cmd(server.port, same_trust(ca, Path(tmp)), DEMO_USER, DEMO_PASSWORD), runs())
        phases({**os.environ, **env}, ca)
        first_run(ours_cmd, env)


def healthy_problem(ours_cmd: list[str], env: dict, swaks: list[str]) -> str | None:
    """Both tools must succeed against the server before either is timed; None when they do."""
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
            like = swaks_cmd(server.port, same_trust(server.ca_file, server.ca_file.parent), server.user, server.password)
            paired(ours_cmd, env, swaks, like, runs())
            phases({**os.environ, **env}, server.ca_file)
    except PostfixError as exc:
        print(f"verdict against Postfix failed: {exc}")
        return 1
    return 0


def runs() -> int:
    return int(os.environ.get("BENCH_RUNS", "25"))


if __name__ == "__main__":
    if sys.argv[1:] == ["--postfix"]:
        sys.exit(against_postfix())
    if sys.argv[1:]:
        sys.exit("usage: python bench/verdict.py [--postfix]   (BENCH_RUNS=N rounds, default 25)")
    against_aiosmtpd()
