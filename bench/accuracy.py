"""How often `explain` names the right diagnosis for error output it has never seen.

    python bench/accuracy.py            # overall, per split and per code
    python bench/accuracy.py --misses   # also list the misses of the development split

Corpus: tests/corpus/public.jsonl (real records from public issue trackers, each with its URL) and
tests/corpus/captured.jsonl (real clients run against fault-injecting servers on loopback). An entry
counts as right when the first diagnosis `explain` gives (the most severe, most certain) is one of its
expected codes. The held-out split (about 30 %, chosen by a hash of the text, so nobody picks it) is
the honest figure: rules are written from standards and library sources, never from those entries.
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


def split_of(text: str) -> str:
    return "heldout" if int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:2], 16) < 77 else "dev"


def entries():
    for path in CORPUS:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    yield json.loads(line)


def diagnose_text(text: str, catalog, providers) -> list[str]:
    from smtpdoctor.logs.explain import run_explain

    report = run_explain(["-"], catalog, stdin=io.BytesIO(text.encode("utf-8")), providers=providers)
    return [f.code for f in report.findings]


def main(show_misses: bool) -> None:
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.knowledge.providers import default_providers_path, load_providers

    catalog, providers = load_catalog(), load_providers(default_providers_path())
    totals: Counter = Counter()
    right: Counter = Counter()
    per_code_expected: Counter = Counter()
    per_code_right: Counter = Counter()
    predicted: Counter = Counter()
    predicted_right: Counter = Counter()
    misses = []
    for entry in entries():
        split = split_of(entry["text"])
        got = diagnose_text(entry["text"], catalog, providers)
        first = got[0] if got else None
        ok = first in entry["expected"]
        totals[split] += 1
        right[split] += ok
        for code in entry["expected"][:1]:
            per_code_expected[code] += 1
            per_code_right[code] += ok
        if first:
            predicted[first] += 1
            predicted_right[first] += ok
        if not ok and split == "dev":
            misses.append((entry["id"], entry["expected"], got[:3], entry["text"][:160].replace("\n", " ⏎ ")))
    for split in ("dev", "heldout"):
        if totals[split]:
            print(f"{split:8} {right[split]:5}/{totals[split]:<5} = {100 * right[split] / totals[split]:5.1f} %")
    all_total, all_right = sum(totals.values()), sum(right.values())
    print(f"{'overall':8} {all_right:5}/{all_total:<5} = {100 * all_right / max(all_total, 1):5.1f} %")
    print("\ncode                              recall           precision")
    for code in sorted(per_code_expected, key=lambda c: -per_code_expected[c]):
        recall = per_code_right[code] / per_code_expected[code]
        precision = predicted_right[code] / predicted[code] if predicted[code] else float("nan")
        print(f"{code:32} {per_code_right[code]:4}/{per_code_expected[code]:<4} {100 * recall:5.1f} %   "
              f"{predicted_right[code]:4}/{predicted[code]:<4} {100 * precision:5.1f} %")
    if show_misses:
        print("\nmisses (dev split only):")
        for miss in misses:
            print(*miss, sep="  |  ")


if __name__ == "__main__":
    main("--misses" in sys.argv)
