"""Records as they are read, into what `explain` reports: the records kept for output (up to --max-matches, secrets
masked), counts over all of them (by reason, recipient domain, remote host), the permanently failed addresses,
and one finding per catalog code and variant (per sender domain where the fix names it)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from smtpdoctor.logs.mask import mask_secrets
from smtpdoctor.report import (BounceRecord, BounceSummary, Decision, Evidence, EvidenceKind, Finding, Occurrences,
                               Severity)

# Codes whose fix needs the sender's domain (`smtpdoctor dns <domain>`): a finding per domain.
_PER_SENDER_DOMAIN = frozenset({"delivery.auth_failed", "delivery.not_rfc5322", "delivery.ptr_required"})


class Collector:
    """Records as they are read: kept up to `cap`, counted all, grouped into one finding per code and variant."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.records: list[BounceRecord] = []
        self.total = 0
        self.messages = 0
        self.other = 0
        self.damaged = 0
        self.by_reason: Counter = Counter()
        self.by_domain: Counter = Counter()
        self.by_host: Counter = Counter()
        self.hard: dict[str, tuple[str, str, str]] = {}  # lower-cased address -> (address as written, reason, code)
        self.groups: dict[tuple, list] = {}  # key -> [first record, count, first at, last at, reasons Counter, lists]

    def add(self, record: BounceRecord) -> None:
        self.total += 1
        domain = _domain(record.sender) if record.code in _PER_SENDER_DOMAIN else None
        key = (record.code, record.variant, domain, record.kind == "delay")
        kept = len(self.records) < self.cap
        if (kept or key not in self.groups) and record.diagnostic is not None:
            # Secrets are masked in what is shown: the records kept and each finding's example (masking every
            # record of a large mbox would cost a third of the reading).
            record = replace(record, diagnostic=Evidence(EvidenceKind.SERVER, mask_secrets(record.diagnostic.text)))
        if kept:
            self.records.append(record)
        self.by_reason[record.reason] += 1
        failure = record.kind in ("failure", "delay", "suppressed")
        if failure and record.recipient and "@" in record.recipient:
            self.by_domain[record.recipient.rsplit("@", 1)[1].lower()] += 1
        if failure and record.remote_host:
            self.by_host[record.remote_host.lower()] += 1
        if record.hard and record.recipient and record.kind in ("failure", "suppressed"):
            self.hard.setdefault(record.recipient.lower(), (record.recipient, record.reason, record.code))
        group = self.groups.get(key)
        if group is None:
            self.groups[key] = [record, 1, record.at, record.at, Counter([record.reason]),
                                Counter([record.block_list] if record.block_list else [])]
        else:
            group[1] += 1
            group[3] = record.at
            group[4][record.reason] += 1
            if record.block_list:
                group[5][record.block_list] += 1

    def summary(self) -> BounceSummary:
        return BounceSummary(
            messages=self.messages, records=tuple(self.records), total=self.total,
            by_reason=tuple(self.by_reason.most_common()), by_domain=tuple(self.by_domain.most_common()),
            by_host=tuple(self.by_host.most_common()),
            hard=tuple(self.hard.values()), other=self.other,
            damaged=self.damaged)

    def findings(self) -> list[Finding]:
        out = []
        for (code, variant, domain, delayed), (first, count, start, last, reasons, lists) in self.groups.items():
            params: dict = {"count": count, "reasons": tuple(sorted(reasons)), "side": first.side}
            shown = " ".join(p for p in (first.reply_code, first.status) if p)
            if shown:
                params["reply"] = shown
            if first.recipient:
                params["recipient"] = first.recipient
                if "@" in first.recipient:
                    params["domain"] = first.recipient.rsplit("@", 1)[1]
            sender_domain = domain or _domain(first.sender)
            if sender_domain:
                params["sender_domain"] = sender_domain
            if lists:
                params["list"] = tuple(name for name, _ in lists.most_common(3))
            if first.remote_host:
                params["host"] = first.remote_host
            severity = Severity.WARNING if delayed and first.kind not in ("complaint", "autoreply", "delivered") else None
            seen = Occurrences(count, start, last) if start is not None else None
            decided = Decision("bounce", first.reason, first.command)
            # An auto-reply's text is the recipient's message, not a server's reply: it stays in the records only.
            evidence = first.diagnostic if first.kind != "autoreply" else None
            out.append(Finding(code=code, variant=variant, severity=severity, params=params, evidence=evidence,
                               provider=None, certain=first.reason not in ("undefined", "onhold"), seen=seen,
                               decided_by=decided))
        return out


def _domain(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip(">").lower() or None

