"""Time to a verdict where users wait: the failure cases, each side by side with swaks at the same timeout.

    python bench/failures.py [--runs 3] [--only NAME ...]

Cases (all on loopback, whole-process wall time, medians of alternating runs; swaks is run once when one
run of it takes longer than 20 s):
  * black-holed port (its SYNs dropped: smtpdoctor.testing.dropping), the host's other ports refused;
    `--timeout 4`, `--timeout 5` and the defaults — the reading must be "the host is up", not a platform block;
  * black-holed port while another port of the provider answers (`--providers`): net.egress_blocked naming it;
  * a dual-stack name whose IPv6 drops SYNs and whose IPv4 answers (`localhost` listed as ::1 and 127.0.0.1
    in an /etc/hosts bind-mounted in a private mount namespace: root and `unshare` needed, else skipped);
    `--timeout 5` and the defaults;
  * a silent server and a tarpit sending its greeting a byte a second, at the defaults;
  * a STARTTLS client on an implicit-TLS port, `--timeout 5` and the defaults.
Both tools are given the same trust store: the system's (SSL_CERT_FILE when set) plus the test CA.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from common import smtpdoctor_cmd

from smtpdoctor.testing import hostile
from smtpdoctor.testing.dropping import DroppingListener
from smtpdoctor.testing.hostile import HostileServer
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, Pki, ServerSpec, SmtpServer

NAMESPACE_MARK = "SMTPDOCTOR_BENCH_NAMESPACE"
SMTPDOCTOR_DEFAULT = 10.0  # check --timeout when not given
SWAKS_DEFAULT = 30.0


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, str, int]:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out, _ = proc.communicate()
    return time.perf_counter() - started, out, proc.returncode


def codes_of(out: str) -> str:
    try:
        doc = json.loads(out)
    except ValueError:
        return "(no JSON)"
    shown = []
    for f in doc.get("findings", []):
        params = f.get("params") or {}
        named = params.get("working_port") or params.get("answered")
        shown.append(f"{f['code']}{'/' + f['variant'] if f.get('variant') else ''}"
                     f"{f' (port {named})' if named else ''}")
    return ", ".join(shown)


def both_trust(ca: Path, directory: Path) -> Path:
    """The system store and the test CA in one file, for swaks: the trust smtpdoctor loads (like for like)."""
    system = os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
    combined = directory / "system-and-test-ca.pem"
    parts = [Path(system).read_text()] if Path(system).is_file() else []
    combined.write_text("".join(parts) + ca.read_text())
    return combined


class Bench:
    def __init__(self, runs: int, directory: Path) -> None:
        self.runs = runs
        self.dir = directory
        self.pki = Pki()
        self.ca = self.pki.ca_file(directory)
        self.trust = both_trust(self.ca, directory)
        self.rows: list[str] = []

    def ours(self, host: str, port: int, timeout: float | None, *extra: str, secure: bool = False) -> tuple[list, dict]:
        cmd = [*smtpdoctor_cmd(), "check", "--format", "json", "--no-dns", "--ca-file", str(self.ca), *extra]
        if timeout is not None:
            cmd += ["--timeout", f"{timeout:g}"]
        env = {"SMTP_HOST": host, "SMTP_PORT": str(port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD,
               "SMTP_FROM": DEMO_USER, "SMTP_SECURE": "true" if secure else "false"}
        return cmd, env

    def swaks(self, host: str, port: int, timeout: float | None) -> list[str]:
        cmd = ["swaks", "--server", host, "--port", str(port), "--tls", "--tls-verify", "--tls-ca-path", str(self.trust),
               "--auth", "PLAIN", "--auth-user", DEMO_USER, "--auth-password", DEMO_PASSWORD,
               "--quit-after", "AUTH", "--to", DEMO_USER]
        return cmd + ["--timeout", f"{timeout:g}s"] if timeout is not None else cmd

    def pair(self, name: str, timeout: float | None, ours: tuple[list, dict], swaks: list[str]) -> None:
        mine, theirs, seen = [], [], ""
        for i in range(self.runs):
            elapsed, out, _ = timed(*ours)
            mine.append(elapsed)
            seen = codes_of(out)
            if shutil.which("swaks") and (i == 0 or statistics.median(theirs) < 20):
                theirs.append(timed(swaks)[0])
        ours_t = statistics.median(mine)
        limit = timeout if timeout is not None else SMTPDOCTOR_DEFAULT
        swaks_limit = timeout if timeout is not None else SWAKS_DEFAULT
        theirs_text = f"{statistics.median(theirs):6.2f} s ({len(theirs)} run{'s' if len(theirs) > 1 else ''}, " \
                      f"timeout {swaks_limit:g} s)" if theirs else "swaks not installed"
        timeout_text = f"--timeout {timeout:g}" if timeout is not None else "defaults"
        row = (f"| {name}, {timeout_text} | {ours_t:6.2f} s ({ours_t / limit:.2f}x of {limit:g} s; "
               f"{min(mine):.2f}-{max(mine):.2f}) | {theirs_text} | {seen} |")
        self.rows.append(row)
        print(row, flush=True)


def black_holed(bench: Bench, timeouts) -> None:
    with DroppingListener() as hole:
        for timeout in timeouts:
            bench.pair("SYNs dropped, other ports refused", timeout, bench.ours("127.0.0.1", hole.port, timeout),
                       bench.swaks("127.0.0.1", hole.port, timeout))


def black_holed_with_alternate(bench: Bench, timeouts) -> None:
    with DroppingListener() as hole, SmtpServer(ServerSpec(), bench.pki) as server:
        providers = bench.dir / "providers.toml"
        providers.write_text(
            '[loopback]\nname = "Loopback"\nkind = "relay"\nhosts = ["127.0.0.1"]\n'
            f'ports = [{{ port = {hole.port}, mode = "starttls" }}, {{ port = {server.port}, mode = "starttls" }}]\n'
            f'default_port = {hole.port}\nusername = {{ rule = "dashboard" }}\npassword = {{ kind = "smtp_password" }}\n'
            'sender_rule = "verified_domain"\n')
        for timeout in timeouts:
            bench.pair("SYNs dropped, another port answers", timeout,
                       bench.ours("127.0.0.1", hole.port, timeout, "--providers", str(providers)),
                       bench.swaks("127.0.0.1", hole.port, timeout))


def dual_stack(bench: Bench, timeouts) -> None:
    if os.environ.get(NAMESPACE_MARK) != "1" or not private_hosts(bench.dir):
        print("| IPv6 dropped, IPv4 answers | skipped: needs root and `unshare -m` for a private /etc/hosts | | |")
        return
    try:
        with SmtpServer(ServerSpec(), bench.pki) as server, DroppingListener("::1", server.port):
            for timeout in timeouts:
                bench.pair("localhost: IPv6 drops SYNs, IPv4 answers", timeout,
                           bench.ours("localhost", server.port, timeout), bench.swaks("localhost", server.port, timeout))
    finally:
        subprocess.run(["umount", "/etc/hosts"], capture_output=True)


def silent_and_tarpit(bench: Bench, timeouts) -> None:
    for name, behaviour in (("silent server", hostile.silent), ("tarpit, greeting 1 B/s", hostile.slowloris_greeting)):
        with HostileServer(behaviour) as server:
            for timeout in timeouts:
                bench.pair(name, timeout, bench.ours("127.0.0.1", server.port, timeout),
                           bench.swaks("127.0.0.1", server.port, timeout))


def wrong_mode(bench: Bench, timeouts) -> None:
    with SmtpServer(ServerSpec(implicit_tls=True), bench.pki) as server:
        for timeout in timeouts:
            bench.pair("STARTTLS client on an implicit-TLS port", timeout, bench.ours("localhost", server.port, timeout),
                       bench.swaks("localhost", server.port, timeout))


CASES = {
    "blackhole": (black_holed, (4, 5, None)),
    "alternate": (black_holed_with_alternate, (4,)),
    "dualstack": (dual_stack, (5, None)),
    "silent": (silent_and_tarpit, (None,)),
    "wrongmode": (wrong_mode, (5, None)),
}


def in_namespace() -> None:
    """Re-run this script in a private mount namespace, where the dual-stack case may list `localhost` as both
    ::1 and 127.0.0.1 in an /etc/hosts of its own (the machine's is never touched)."""
    if os.environ.get(NAMESPACE_MARK) or os.geteuid() != 0 or not shutil.which("unshare"):
        return
    os.environ[NAMESPACE_MARK] = "1"
    os.execvp("unshare", ["unshare", "-m", "--propagation", "private", sys.executable, *sys.argv])


def private_hosts(directory: Path) -> bool:
    """/etc/hosts with `localhost` as ::1 and 127.0.0.1, bind-mounted in this namespace (undone after the case)."""
    hosts = directory / "hosts"
    kept = [line for line in Path("/etc/hosts").read_text().splitlines()
            if "localhost" not in line.split("#")[0].split()[1:]]
    hosts.write_text("\n".join([*kept, "::1 localhost", "127.0.0.1 localhost"]) + "\n")
    return subprocess.run(["mount", "--bind", str(hosts), "/etc/hosts"], capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=sorted(CASES))
    args = parser.parse_args()
    in_namespace()
    with tempfile.TemporaryDirectory() as tmp, ExitStack():
        bench = Bench(args.runs, Path(tmp))
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
        print("| case | smtpdoctor (median, x its timeout; range) | swaks | smtpdoctor's reading |")
        print("|---|---|---|---|")
        for name in args.only or CASES:
            run, timeouts = CASES[name]
            run(bench, timeouts)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
