"""Findings -> one finished Report: severities resolved, duplicates merged, sorted, the verdict counted.

`check`, `dns`, `explain` and every `batch` row end here; renderers and `batch` only read the Report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.report import Finding, Report, Severity, Verdict


def resolve(finding: Finding, catalog: Catalog) -> Finding:
    """The finding with its severity set: the producer's override, else the variant's, else the code's."""
    if finding.severity is not None:
        return finding
    return replace(finding, severity=catalog.severity_of(finding))


def merge(static: Iterable[Finding], probed: Iterable[Finding]) -> list[Finding]:
    """The probe confirms what static checks predicted: one finding per code, the probe's preferred."""
    probed = list(probed)
    probed_codes = {f.code for f in probed}
    # A server-confirmed wrong TLS mode supersedes the static port/mode mismatch.
    if "tls.wrong_mode" in probed_codes:
        probed_codes.add("config.secure_port_mismatch")
    return [f for f in static if f.code not in probed_codes] + probed


_DECISIVE = {"provider_phrase": 0, "enhanced_code": 1, "phrase": 2, "enhanced_class": 3, "reply_code": 4,
             "wrapper": 5, "generic": 6}


def _order(f: Finding) -> tuple:
    """Most severe first; then the certain before the less certain; then the one decided by the stronger
    evidence (a log names the same failure in several records: its most specific reading leads)."""
    count = f.seen.count if f.seen else 0
    strength = _DECISIVE.get(f.decided_by.kind, 7) if f.decided_by else 7
    return (f.severity.rank, not f.certain, strength, -count)


def verdict_of(findings: Iterable[Finding]) -> Verdict:
    errors = [f for f in findings if f.severity is Severity.ERROR]
    warnings = [f for f in findings if f.severity is Severity.WARNING]
    return Verdict(errors=len(errors), warnings=len(warnings),
                   first_error=errors[0] if errors else None, first_warning=warnings[0] if warnings else None)


def diagnose(findings: Iterable[Finding], catalog: Catalog, command: str, **context) -> Report:
    resolved = sorted((resolve(f, catalog) for f in findings), key=_order)
    return Report(command=command, findings=tuple(resolved), verdict=verdict_of(resolved), **context)
