"""How often `explain` reads a bounce's reason as the labels say (Sisimai's vocabulary), per reason and overall.

    python bench/bounces.py                 # agreement on the dev and held-out splits, per reason
    python bench/bounces.py --misses        # also list the misses of the development split
    python bench/bounces.py --sisimai       # the same messages through Perl Sisimai (libsisimai-perl), side by side
    python bench/bounces.py --mbox-gb 1     # a 1 GB mbox made of the corpus: time and peak memory, both readers

Corpus: tests/corpus/bounces/ (a copy of the shared set: 357 labelled messages from Sisimai's public
set-of-emails, BSD 2-Clause, see its LICENSE-set-of-emails). Per message the labels list its recipients in order;
a recipient counts as right when the record at the same position carries the labelled reason.

The split was fixed before any rule was written, by a hash of the file name (about 30 % held out): rules were
tuned on the dev part only; the held-out figure is the honest one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "tests" / "corpus" / "bounces"


def split_of(name: str) -> str:
    """Fixed before any rule was written: sha256 of the file's base name, first byte < 77 -> held out."""
    return "heldout" if int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:2], 16) < 77 else "dev"


def labels() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def read_reasons(path: Path) -> list[tuple[str, str | None, str | None]]:
    from smtpdoctor.messages.read import finish, message_records

    found, _ = message_records(path.read_bytes())
    return [(r.reason, r.status, r.recipient) for r in (finish(f) for f in found)]


def score(rows, reader) -> dict:
    out = {"dev": Counter(), "heldout": Counter()}
    per_reason = {"dev": Counter(), "heldout": Counter()}
    per_reason_right = {"dev": Counter(), "heldout": Counter()}
    misses = []
    for row in rows:
        name = row["file"].split("/")[-1]
        split = split_of(name)
        got = reader(CORPUS / row["file"])
        for index, want in enumerate(row["recipients"]):
            reason = got[index][0] if index < len(got) else None
            ok = reason == want["reason"]
            out[split]["total"] += 1
            out[split]["right"] += ok
            per_reason[split][want["reason"]] += 1
            per_reason_right[split][want["reason"]] += ok
            if not ok and split == "dev":
                misses.append((name, index + 1, want["reason"], reason, got[index][1:] if index < len(got) else None))
    return {"totals": out, "per_reason": per_reason, "right": per_reason_right, "misses": misses}


def sisimai_reader():
    """Perl Sisimai over each file: (reason, status, recipient) per record, in its order."""
    script = ("use strict; use Sisimai; my $v = Sisimai->make($ARGV[0], 'delivered' => 1, 'vacation' => 1) || [];"
              "for my $e (@$v) { printf \"%s\\t%s\\t%s\\n\", $e->reason, $e->deliverystatus, $e->recipient->address }")

    def read(path: Path):
        out = subprocess.run(["perl", "-e", script, str(path)], capture_output=True, text=True, timeout=60).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line.strip()]

    return read


def report(title: str, result: dict) -> None:
    print(f"== {title}")
    for split in ("dev", "heldout"):
        t = result["totals"][split]
        if t["total"]:
            print(f"  {split:8} {t['right']}/{t['total']} = {100 * t['right'] / t['total']:.1f} %")
    print("  per reason (dev right/total | held-out right/total):")
    reasons = sorted(set(result["per_reason"]["dev"]) | set(result["per_reason"]["heldout"]))
    for reason in reasons:
        d, dr = result["per_reason"]["dev"][reason], result["right"]["dev"][reason]
        h, hr = result["per_reason"]["heldout"][reason], result["right"]["heldout"][reason]
        print(f"    {reason:16} {dr:3}/{d:<3} | {hr:3}/{h:<3}")


def mbox_bench(gigabytes: float, with_sisimai: bool) -> None:
    """A big mbox made of the corpus messages repeated (in /tmp, deleted after): wall time, CPU time and peak RSS
    of each reader, measured by /usr/bin/time (CPU time is the fair figure on a machine that is busy)."""
    emls = sorted((CORPUS / "eml").glob("*.eml"))
    blob = b"".join(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n" + _mboxrd(p.read_bytes()) + b"\n" for p in emls)
    target = int(gigabytes * (1 << 30))
    folder = Path(tempfile.mkdtemp(prefix="smtpdoctor-mbox-"))
    path = folder / "bounces.mbox"
    try:
        with path.open("wb") as out:
            written = 0
            while written < target:
                out.write(blob)
                written += len(blob)
        messages = written // len(blob) * len(emls)
        print(f"mbox: {written / (1 << 20):.0f} MiB, {messages} messages")
        ours = _timed([str(ROOT / ".venv" / "bin" / "smtpdoctor"), "explain", "--format", "json", "--max-matches", "0",
                       str(path)])
        doc = json.loads(ours["stdout"]) if ours["stdout"].strip().startswith("{") else {}
        print(f"smtpdoctor:   wall {ours['wall']:.1f} s, CPU {ours['cpu']:.1f} s, peak RSS {ours['rss']:.0f} MiB, "
              f"{(doc.get('bounces') or {}).get('total')} records")
        if with_sisimai and shutil.which("perl"):
            script = ("use Sisimai; my $v = Sisimai->make($ARGV[0], 'delivered' => 1, 'vacation' => 1) || [];"
                      "print scalar(@$v), qq(\\n);")
            theirs = _timed(["perl", "-e", script, str(path)])
            print(f"Perl Sisimai: wall {theirs['wall']:.1f} s, CPU {theirs['cpu']:.1f} s, peak RSS {theirs['rss']:.0f} MiB, "
                  f"{theirs['stdout'].strip()} records")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _timed(command: list[str]) -> dict:
    """Run under /usr/bin/time: wall seconds, user+system CPU seconds, peak RSS in MiB, and standard output."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as times:
        result = subprocess.run(["/usr/bin/time", "-o", times.name, "-f", "%e %U %S %M", *command],
                                capture_output=True, text=True)
        wall, user, system, rss = times.read().split()[-4:]
    return {"wall": float(wall), "cpu": float(user) + float(system), "rss": int(rss) / 1024, "stdout": result.stdout}


def _mboxrd(raw: bytes) -> bytes:
    import re

    raw = raw.replace(b"\r\n", b"\n")
    raw = re.sub(rb"(?m)^(>*From )", rb">\1", raw)
    return raw if raw.endswith(b"\n") else raw + b"\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--sisimai", action="store_true")
    parser.add_argument("--mbox-gb", type=float, default=0)
    args = parser.parse_args()
    os.environ.setdefault("SMTPDOCTOR_NO_CACHE", "")
    rows = labels()
    started = time.perf_counter()
    ours = score(rows, read_reasons)
    elapsed = time.perf_counter() - started
    report(f"smtpdoctor ({elapsed:.2f} s for {len(rows)} messages)", ours)
    if args.misses:
        print("  dev misses (file, index, labelled, read, (status, recipient)):")
        for miss in ours["misses"]:
            print("   ", *miss)
    if args.sisimai:
        started = time.perf_counter()
        theirs = score(rows, sisimai_reader())
        elapsed = time.perf_counter() - started
        report(f"Perl Sisimai {_sisimai_version()} ({elapsed:.1f} s, one perl process per message)", theirs)
    if args.mbox_gb:
        mbox_bench(args.mbox_gb, args.sisimai)


def _sisimai_version() -> str:
    try:
        return subprocess.run(["perl", "-MSisimai", "-e", "print $Sisimai::VERSION"], capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "(not installed)"


if __name__ == "__main__":
    main()
