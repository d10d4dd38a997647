"""Batch throughput: 1,000 configurations over loopback servers (healthy, bad password, app password
required, sender rejected, no STARTTLS, silent), --timeout 2; wall time and peak memory, next to
checking the same list one by one.

    python bench/batch.py [--configs 1000] [--sequential-sample 100]
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
    args = parser.parse_args()
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
        common = ["--ca-file", str(ca), "--timeout", "2", "--no-dns"]
        started = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", *smtpdoctor_cmd(), "batch", str(path), *common,
                               "--concurrency", str(args.concurrency), "--per-host", str(args.concurrency), "--format", "json"],
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


if __name__ == "__main__":
    main()
