"""Log scan throughput: `smtpdoctor explain --format json` on a 200 MB log (about 0.1 % SMTP errors)
next to `grep -c -E` over the catalog's keywords on the same file.

    python bench/explain_throughput.py [--mb 200]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import smtpdoctor_cmd

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.evidence import engine_for
from smtpdoctor.logs.scan import FALLBACK_NEEDLES


# The twenty keywords a person would type to find SMTP failures in a log (issue 20, item 6).
PERSON_KEYWORDS = ("smtp|SMTP|535|534|550|553|554|421|454|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAUTH|ESOCKET|"
                   "Invalid login|Authentication|STARTTLS|certificate|Greeting")


def ere_escape(literal: str) -> str:
    import re

    return re.sub(r"([.\[\]()*+?{}|^$\\])", r"\\\1", literal)


def timed(cmd: list[str], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        # Not DEVNULL: GNU grep notices /dev/null and stops at the first match.
        subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=600)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=200)
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
        ours = timed([*smtpdoctor_cmd(), "explain", "--format", "json", str(log)])
        grep = timed(["grep", "-c", "-i", "-E", "-f", str(keywords), str(log)])
        grep_cs = timed(["grep", "-c", "-E", "-f", str(keywords), str(log)])
        grep_20 = timed(["grep", "-c", "-E", PERSON_KEYWORDS, str(log)])
        print(f"log: {size_mib:.0f} MiB, {len(needles)} keywords")
        print(f"smtpdoctor explain --format json   {ours:6.2f} s  {size_mib / ours:7.1f} MiB/s")
        print(f"grep -c -i -E -f keywords          {grep:6.2f} s  {size_mib / grep:7.1f} MiB/s   ratio {grep / ours:.2f}")
        print(f"grep -c -E -f keywords             {grep_cs:6.2f} s  {size_mib / grep_cs:7.1f} MiB/s   ratio {grep_cs / ours:.2f}")
        print(f"grep -c -E (20 keywords a person types) {grep_20:6.2f} s  {size_mib / grep_20:7.1f} MiB/s   ratio {grep_20 / ours:.2f}")
        print(f"explain takes {ours / grep:.2f}x the time of grep -i, {ours / grep_cs:.2f}x of grep over its own keywords, "
              f"{ours / grep_20:.2f}x of the 20-keyword grep (target: at most 3x)")
