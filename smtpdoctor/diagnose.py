"""Findings -> one finished Report: severities resolved, duplicates merged, sorted (a cause before the findings
that declare themselves its consequences, `Finding.because_of`), the verdict counted.

`check`, `dns`, `explain` and every `batch` row end here; renderers and `batch` only read the Report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


def _first_by_code(findings: Iterable[Finding]) -> dict[str, Finding]:
    first: dict[str, Finding] = {}
    for f in findings:
        first.setdefault(f.code, f)
    return first


def _loops(f: Finding, first: Mapping[str, Finding]) -> bool:
    seen, cause = {f.code}, f.because_of
    while cause is not None and cause in first:
        if cause in seen:
            return True
        seen.add(cause)
        cause = first[cause].because_of
    return False


def standing_causes(findings: list[Finding]) -> list[Finding]:
    """`because_of` kept only where the cause is a finding of this run and the chain of causes does not loop
    back: a cause the run did not find leaves the finding standing on its own."""
    first = _first_by_code(findings)
    return [f if f.because_of is None or (f.because_of in first and not _loops(f, first))
            else replace(f, because_of=None) for f in findings]


def causes_first(findings: list[Finding]) -> list[Finding]:
    """Each consequence right after its cause, and a cause ranked by the gravest thing it causes: a warning
    that the resolver fails comes before the errors it explains. Expects standing_causes() applied."""
    ordered = sorted(findings, key=_order)
    under: dict[str, list[Finding]] = {}
    for f in ordered:
        if f.because_of is not None:
            under.setdefault(f.because_of, []).append(f)

    def gravest(f: Finding, seen: frozenset[str] = frozenset()) -> int:
        if f.code in seen:  # the same code twice down a chain: counted once
            return f.severity.rank
        return min([f.severity.rank, *(gravest(g, seen | {f.code}) for g in under.get(f.code, ()))])

    def family(f: Finding) -> list[Finding]:
        return [f, *(g for c in under.pop(f.code, ()) for g in family(c))]  # pop: a code's consequences once

    roots = [f for f in ordered if f.because_of is None]
    rank = {id(f): gravest(f) for f in roots}
    roots.sort(key=lambda f: (rank[id(f)], *_order(f)[1:]))
    return [g for f in roots for g in family(f)]


def root_cause(finding: Finding, findings: Iterable[Finding]) -> Finding:
    """The finding a chain of `because_of` ends at: where to start."""
    first = _first_by_code(findings)
    seen = {finding.code}
    while finding.because_of in first and finding.because_of not in seen:
        finding = first[finding.because_of]
        seen.add(finding.code)
    return finding


def verdict_of(findings: Iterable[Finding]) -> Verdict:
    findings = list(findings)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    warnings = [f for f in findings if f.severity is Severity.WARNING]
    # "Start with" names a cause, never a consequence of another finding of the same run.
    return Verdict(errors=len(errors), warnings=len(warnings),
                   first_error=root_cause(errors[0], findings) if errors else None,
                   first_warning=root_cause(warnings[0], findings) if warnings else None)


def diagnose(findings: Iterable[Finding], catalog: Catalog, command: str, **context) -> Report:
    resolved = causes_first(standing_causes([resolve(f, catalog) for f in findings]))
    return Report(command=command, findings=tuple(resolved), verdict=verdict_of(resolved), **context)
