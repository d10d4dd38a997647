"""Log scan throughput: `smtpdoctor explain --format json` on a 200 MB log (about 0.1 % SMTP errors)
next to `grep -c -E` over the catalog's keywords on the same file.

    python bench/explain_throughput.py [--mb 200] [--runs 3]

Each figure is the median of `--runs` runs, the commands taking turns (so a load that comes and goes hits
them alike). Both the wall time and the CPU time (user + system, of the child) are given: other work on the
machine stretches the first, much less the second; the load average is printed with them.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import smtpdoctor_cmd

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.evidence import engine_for
from smtpdoctor.logs.scan import FALLBACK_NEEDLES, LogScanner


# The twenty keywords a person would type to find SMTP failures in a log (issue 20, item 6).
PERSON_KEYWORDS = ("smtp|SMTP|535|534|550|553|554|421|454|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAUTH|ESOCKET|"
                   "Invalid login|Authentication|STARTTLS|certificate|Greeting")


def ere_escape(literal: str) -> str:
    import re

    return re.sub(r"([.\[\]()*+?{}|^$\\])", r"\\\1", literal)


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # Not DEVNULL: GNU grep notices /dev/null and stops at the first match.
    subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=600)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def medians(cmds: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float]]:
    """name -> (median wall, median CPU), the commands run in turn."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            times[name].append(timed(cmd))
    return {name: (statistics.median(w for w, _ in ts), statistics.median(c for _, c in ts)) for name, ts in times.items()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "app.log"
        subprocess.run([sys.executable, str(Path(__file__).parent / "make_log.py"), str(log), "--mb", str(args.mb)], check=True)
        size_mib = log.stat().st_size / 1048576
        keywords = Path(tmp) / "keywords.txt"
        needles = sorted({*engine_for(load_catalog()).needles(), *FALLBACK_NEEDLES})
        keywords.write_text("\n".join(ere_escape(n) for n in needles))
        check = subprocess.run(["grep", "-c", "-i", "-E", "-f", str(keywords), str(log)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr  # a broken keyword file would make grep look very fast
        subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL)  # warm the page cache
        load = os.getloadavg()[0]
        got = medians({
            "smtpdoctor explain --format json": [*smtpdoctor_cmd(), "explain", "--format", "json", str(log)],
            "grep -c -i -E -f keywords": ["grep", "-c", "-i", "-E", "-f", str(keywords), str(log)],
            "grep -c -E -f keywords": ["grep", "-c", "-E", "-f", str(keywords), str(log)],
            "grep -c -E (20 keywords a person types)": ["grep", "-c", "-E", PERSON_KEYWORDS, str(log)],
        }, args.runs)
        engine = LogScanner(engine_for(load_catalog())).prefilter.engine
        print(f"log: {size_mib:.0f} MiB, {len(needles)} keywords, prefilter {engine}; "
              f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after, {os.cpu_count()} CPUs")
        ours_wall, ours_cpu = got["smtpdoctor explain --format json"]
        for name, (wall, cpu) in got.items():
            print(f"{name:40s} wall {wall:6.2f} s {size_mib / wall:7.1f} MiB/s   CPU {cpu:6.2f} s {size_mib / cpu:7.1f} MiB/s"
                  + ("" if cpu == ours_cpu else f"   explain takes {ours_wall / wall:5.2f}x (CPU {ours_cpu / cpu:5.2f}x)"))
        print("target: at most 3x the 20-keyword grep")
