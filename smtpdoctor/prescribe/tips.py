"""When a provider's "good to know" (providers.toml `corrections`: where popular guides are out of date) applies
to a run: only when the run has a finding that tip is about (prescriptions.toml [tips])."""

from __future__ import annotations

from smtpdoctor.report import Report


def tip_applies(report: Report) -> bool:
    from smtpdoctor.prescribe.rules import load_rules

    about = load_rules().tips.get(report.provider or "", ())
    return any(f.code in about for f in report.findings)
