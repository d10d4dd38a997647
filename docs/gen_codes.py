"""Regenerate docs/codes.md from the catalog: `python docs/gen_codes.py > docs/codes.md`."""

from smtpdoctor.knowledge.catalog import load_catalog

import re
from pathlib import Path

# The shared contract (a copy kept with the tests): every code it names; the rest are smtpdoctor's additions.
CONTRACT = Path(__file__).resolve().parents[1] / "tests" / "contract" / "diagnosis-codes.md"
CONTRACT_CODES = set(re.findall(r"`([a-z0-9_]+\.[a-z0-9_.]+)`", CONTRACT.read_text(encoding="utf-8")))

catalog = load_catalog()
print("# Finding codes\n")
print("Generated from `smtpdoctor/knowledge/diagnoses.toml` by `docs/gen_codes.py`. Codes are stable: never renamed or removed.")
print("Codes marked * are smtpdoctor's additions to the shared contract.\n")
print("| code | severity | English | Русский |")
print("|---|---|---|---|")
for code in catalog.codes():
    e = catalog.entry(code)
    mark = "" if code in CONTRACT_CODES else " *"
    # A variant may have its own severity (config.password_format app_password is an error): list it, so the
    # table says what the output can show.
    other = sorted({f"{v.severity.value}: {name}" for name, v in e.variants.items()
                    if getattr(v, "severity", None) is not None and v.severity != e.severity})
    severity = e.severity.value + (f" ({'; '.join(other)})" if other else "")
    print(f"| `{code}`{mark} | {severity} | {e.title.en} | {e.title.ru} |")
