"""Batch throughput: 1,000 configurations over loopback servers (healthy, bad password, app password
required, sender rejected, no STARTTLS, silent), --timeout 2; wall time and peak memory, next to
checking the same list one by one.

    python bench/batch.py [--configs 1000] [--sequential-sample 100]
    python bench/batch.py --healthy-runs 40 [--configs 1000] [--concurrency 64]

--healthy-runs N: the false-failure rate instead. N whole batches of all-healthy configurations (every server
answers, every login is right); a run that reports any configuration as failed is a false failure, caused by
nothing but the batch's own load on the machine. Prints how many of the N runs had one, and their codes.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import smtpdoctor_cmd

from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, Pki, ServerSpec, SilentSMTP, SmtpServer

SPECS = [
    ("healthy", ServerSpec(), 0.55),
    ("bad-password", ServerSpec(auth_failure="535 5.7.8 Authentication credentials invalid"), 0.15),
    ("app-password", ServerSpec(auth_failure="534 5.7.9 Application-specific password required"), 0.1),
    ("sender", ServerSpec(mail_reply="550 The from address does not match a verified Sender Identity."), 0.1),
    ("no-starttls", ServerSpec(starttls=False, auth_require_tls=False), 0.05),
    ("silent", ServerSpec(smtp_class=SilentSMTP), 0.05),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--configs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--sequential-sample", type=int, default=100)
    parser.add_argument("--per-host", type=int, default=None, help="default: the same as --concurrency")
    parser.add_argument("--timeout", default="2")
    parser.add_argument("--healthy-runs", type=int, default=0)
    args = parser.parse_args()
    if args.healthy_runs:
        healthy_runs(args)
        return
    rng = random.Random(3)
    pki = Pki()
    servers = []
    with tempfile.TemporaryDirectory() as tmp:
        ca = pki.ca_file(Path(tmp))
        for name, spec, weight in SPECS:
            for _ in range(2):  # two servers of each kind
                servers.append((name, SmtpServer(spec, pki).start(), weight / 2))
        rows = []
        for i in range(args.configs):
            name, server, _ = rng.choices(servers, weights=[w for _, _, w in servers])[0]
            rows.append({"id": f"{name}-{i}", "host": "localhost", "port": server.port, "user": DEMO_USER,
                         "password": DEMO_PASSWORD, "sender": DEMO_USER})
        path = Path(tmp) / "configs.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows))
        common = ["--ca-file", str(ca), "--timeout", args.timeout, "--no-dns"]
        started = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", *smtpdoctor_cmd(), "batch", str(path), *common,
                               "--concurrency", str(args.concurrency), "--per-host", str(args.per_host or args.concurrency),
                               "--format", "json"],
                              capture_output=True, text=True)
        wall = time.perf_counter() - started
        peak_kb = int(proc.stderr.strip().splitlines()[-1])
        summary = json.loads(next(line for line in reversed(proc.stderr.splitlines()) if line.startswith("{")))
        print(f"batch: {args.configs} configs, concurrency {args.concurrency}: {wall:.1f} s wall, peak RSS {peak_kb / 1024:.0f} MiB")
        print(f"  summary: ok {summary['ok']}, failed {summary['failed']}, codes {summary['codes']}")
        sample = rows[: args.sequential_sample]
        times = []
        for row in sample:
            env = {**os.environ, "SMTP_HOST": "localhost", "SMTP_PORT": str(row["port"]), "SMTP_USER": DEMO_USER,
                   "SMTP_PASS": DEMO_PASSWORD, "SMTP_FROM": DEMO_USER}
            t = time.perf_counter()
            subprocess.run([*smtpdoctor_cmd(), "check", *common], env=env, capture_output=True)
            times.append(time.perf_counter() - t)
        estimate = sum(times) / len(times) * args.configs
        print(f"sequential `smtpdoctor check`: {len(sample)} of them took {sum(times):.1f} s "
              f"(median {statistics.median(times) * 1000:.0f} ms, slowest {max(times):.2f} s) -> about {estimate:.0f} s for all")
        slowest = max(times)
        print(f"target ~ slowest x configs / concurrency = {slowest:.2f} x {args.configs} / {args.concurrency} "
              f"= {slowest * args.configs / args.concurrency:.1f} s")
        for _, server, _ in servers:
            server.stop()


def healthy_runs(args) -> None:
    """N batches where every configuration is healthy: any failure reported is the batch's own doing."""
    from collections import Counter

    pki = Pki()
    servers = [SmtpServer(ServerSpec(), pki).start() for _ in range(12)]
    rng = random.Random(5)
    per_host = args.per_host or args.concurrency
    failed_runs, codes, walls = 0, Counter(), []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ca = pki.ca_file(Path(tmp))
            path = Path(tmp) / "healthy.jsonl"
            path.write_text("\n".join(json.dumps({"id": f"ok-{i}", "host": "localhost", "port": rng.choice(servers).port,
                                                  "user": DEMO_USER, "password": DEMO_PASSWORD, "sender": DEMO_USER})
                                      for i in range(args.configs)))
            cmd = [*smtpdoctor_cmd(), "batch", str(path), "--ca-file", str(ca), "--timeout", args.timeout, "--no-dns",
                   "--concurrency", str(args.concurrency), "--per-host", str(per_host), "--format", "json"]
            print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
            for run in range(args.healthy_runs):
                started = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, text=True)
                walls.append(time.perf_counter() - started)
                rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
                bad = [row for row in rows if not row.get("ok")]
                if bad or proc.returncode != 0 or len(rows) != args.configs:
                    failed_runs += 1
                    codes.update(code for row in bad for code in row.get("codes", ()))
                print(f"  run {run + 1:2}: exit {proc.returncode}, {len(bad)} of {args.configs} reported failed, "
                      f"{walls[-1]:.1f} s", flush=True)
    finally:
        for server in servers:
            server.stop()
    print(f"{failed_runs} of {args.healthy_runs} all-healthy runs reported a failure (concurrency {args.concurrency}, "
          f"per-host {per_host}, --timeout {args.timeout}, {args.configs} configurations; median "
          f"{statistics.median(walls):.1f} s); codes: {dict(codes)}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
