"""How often `explain` names the right diagnosis for error output it has never seen.

    python bench/accuracy.py            # overall, per split, per client group and per code
    python bench/accuracy.py --misses   # also list the misses of the development splits (never the held-out)

Corpus: tests/corpus/public.jsonl (real records from public issue trackers, each with its URL) and
tests/corpus/captured.jsonl (real clients run against fault-injecting servers on loopback): the first
corpus, with its held-out split (about 30 %, chosen by a hash of the text). tests/corpus/round3.jsonl: the
third round's entries (more real clients against new faults, and the HTTP sending APIs' documented error
bodies as their SDKs print them), with a held-out split of its own (about 35 %, by a hash of the text salted
with "round3", decided before any rule of that round was written). An entry counts as right when the first
diagnosis `explain` gives (the most severe, most certain) is one of its expected codes. It is a duplicate when
`explain` gives more than one error or warning for it: every entry is one failure. The held-out splits are the
honest figures: rules are written from standards and library sources, never from those entries.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = [ROOT / "tests" / "corpus" / "public.jsonl", ROOT / "tests" / "corpus" / "captured.jsonl"]
ROUND3 = ROOT / "tests" / "corpus" / "round3.jsonl"
SPLITS = ("dev", "heldout", "dev3", "heldout3")
# Client groups the figures are given for: the library families a person would name.
GROUPS = {
    "nodemailer": "node", "supabase": "node",
    "smtplib": "python", "django": "python", "aiosmtplib": "python",
    "phpmailer": "php", "symfony": "php", "symfony-mailer": "php", "swiftmailer": "php", "laravel": "php",
    "wordpress": "php",
    "javamail": "java", "spring": "java", "dotnet": ".net", "go": "go", "ruby": "ruby", "perl-net-smtp": "perl",
    "swaks": "cli", "curl": "cli", "msmtp": "cli", "s-nail": "cli", "mutt": "cli", "sendemail": "cli",
    "mailutils": "cli",
    "yagmail": "python", "flask-mail": "python", "fastapi-mail": "python", "redmail": "python",
    "emailjs": "node", "commons-email": "java",
    "postfix": "mta", "exim": "mta",
}


def split_of(text: str) -> str:
    return "heldout" if int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:2], 16) < 77 else "dev"


def split3_of(text: str) -> str:
    return "heldout3" if int(hashlib.sha256(("round3|" + text).encode("utf-8")).hexdigest()[:2], 16) < 90 else "dev3"


def group_of(entry: dict) -> str:
    if entry.get("api"):
        return "http-api"
    return GROUPS.get(entry["client"], "other")


def entries():
    for path in [*CORPUS, ROUND3]:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    entry["split"] = split3_of(entry["text"]) if path == ROUND3 else split_of(entry["text"])
                    yield entry


def diagnose_text(text: str, catalog, providers):
    from smtpdoctor.logs.explain import run_explain

    report = run_explain(["-"], catalog, stdin=io.BytesIO(text.encode("utf-8")), providers=providers)
    return report.findings


def main(show_misses: bool) -> None:
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.knowledge.providers import default_providers_path, load_providers
    from smtpdoctor.report import Severity

    catalog, providers = load_catalog(), load_providers(default_providers_path())
    totals: Counter = Counter()
    right: Counter = Counter()
    doubled: Counter = Counter()
    per_code_expected: Counter = Counter()
    per_code_right: Counter = Counter()
    predicted: Counter = Counter()
    predicted_right: Counter = Counter()
    misses, duplicates = [], []
    for entry in entries():
        split, group = entry["split"], group_of(entry)
        findings = diagnose_text(entry["text"], catalog, providers)
        got = [f.code for f in findings]
        first = got[0] if got else None
        ok = first in entry["expected"]
        failures = [f for f in findings if f.severity in (Severity.ERROR, Severity.WARNING)]
        for key in (split, (split, group)):
            totals[key] += 1
            right[key] += ok
            doubled[key] += len(failures) > 1
        for code in entry["expected"][:1]:
            per_code_expected[code] += 1
            per_code_right[code] += ok
        if first:
            predicted[first] += 1
            predicted_right[first] += ok
        shown = entry["text"][:160].replace("\n", " ⏎ ")
        if not ok and split.startswith("dev"):
            misses.append((entry["id"], entry["expected"], got[:3], shown))
        if len(failures) > 1 and split.startswith("dev"):
            duplicates.append((entry["id"], entry["expected"], got[:3], shown))
    for split in SPLITS:
        if totals[split]:
            print(f"{split:9} {right[split]:5}/{totals[split]:<5} = {100 * right[split] / totals[split]:5.1f} %"
                  f"   duplicates {doubled[split]:3} = {100 * doubled[split] / totals[split]:4.1f} %")
    all_total = sum(totals[s] for s in SPLITS)
    all_right, all_doubled = sum(right[s] for s in SPLITS), sum(doubled[s] for s in SPLITS)
    print(f"{'overall':9} {all_right:5}/{all_total:<5} = {100 * all_right / max(all_total, 1):5.1f} %"
          f"   duplicates {all_doubled:3} = {100 * all_doubled / max(all_total, 1):4.1f} %")
    print("\nclient group   " + "".join(f"{s:>19}" for s in SPLITS))
    for group in sorted({g for key in totals if isinstance(key, tuple) for g in [key[1]]}):
        cells = []
        for split in SPLITS:
            n = totals[(split, group)]
            cells.append(f"{right[(split, group)]:4}/{n:<4} {100 * right[(split, group)] / n:5.1f} %" if n else "")
        print(f"{group:14} " + "".join(f"{c:>19}" for c in cells))
    print("\ncode                              recall           precision")
    for code in sorted(per_code_expected, key=lambda c: -per_code_expected[c]):
        recall = per_code_right[code] / per_code_expected[code]
        precision = predicted_right[code] / predicted[code] if predicted[code] else float("nan")
        print(f"{code:32} {per_code_right[code]:4}/{per_code_expected[code]:<4} {100 * recall:5.1f} %   "
              f"{predicted_right[code]:4}/{predicted[code]:<4} {100 * precision:5.1f} %")
    if show_misses:
        print("\nmisses (development splits only):")
        for miss in misses:
            print(*miss, sep="  |  ")
        print("\nduplicates (development splits only):")
        for dup in duplicates:
            print(*dup, sep="  |  ")


if __name__ == "__main__":
    main("--misses" in sys.argv)
