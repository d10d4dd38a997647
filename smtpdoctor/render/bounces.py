"""`explain` on mail: the bounce findings as text blocks, the counts by reason, recipient domain and remote host,
the `bounces` JSON object, and the CSV of permanently failed addresses (for a suppression list)."""

from __future__ import annotations

import csv
import io

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.render.findings import finding_text
from smtpdoctor.render.i18n import Lang, tr
from smtpdoctor.render.text import MARK, QUOTE, STYLE, Block, evidence_block, line
from smtpdoctor.report import BounceRecord, BounceSummary, Finding, Report

TOP = 10  # rows of each count shown in text


def is_bounce_finding(f: Finding) -> bool:
    return f.decided_by is not None and f.decided_by.kind == "bounce"


def _where(loc) -> str:
    return f"{loc.file}:{loc.line}"


def bounce_blocks(result: Report, catalog: Catalog, lang: Lang) -> list[Block]:
    summary = result.bounces
    if summary is None:
        return []
    blocks: list[Block] = []
    for f in result.findings:
        if is_bounce_finding(f):
            blocks += finding_blocks(f, catalog, lang)
    if not summary.total:
        blocks.append(line(tr("bounces.summary.none", lang, n=summary.messages)))
        return blocks
    blocks.append(line(tr("bounces.summary.read", lang, n=summary.messages, records=summary.total), "dim"))
    if summary.other:
        blocks.append(line(tr("bounces.summary.other", lang, n=summary.other), "dim"))
    if summary.damaged:
        blocks.append(line(tr("bounces.summary.damaged", lang, n=summary.damaged), "yellow"))
    reasons = [(f"{reason} ({tr('bounces.reason.' + reason, lang)})", n) for reason, n in summary.by_reason]
    blocks += _counts("bounces.summary.by_reason", reasons, lang)
    blocks += _counts("bounces.summary.by_domain", summary.by_domain, lang)
    blocks += _counts("bounces.summary.by_host", summary.by_host, lang)
    if summary.hard:
        blocks.append(line(tr("bounces.summary.hard", lang, n=len(summary.hard)), "bold"))
    blocks.append(line())
    return blocks


def _counts(heading: str, rows, lang: Lang) -> list[Block]:
    rows = list(rows)
    if not rows:
        return []
    shown = ", ".join(f"{name} {n}" for name, n in rows[:TOP])
    if len(rows) > TOP:
        shown += ", " + tr("bounces.summary.more", lang, n=len(rows) - TOP)
    return [Block(indent=0).add(tr(heading, lang) + ": ", "bold").add(shown)]


def finding_blocks(f: Finding, catalog: Catalog, lang: Lang) -> list[Block]:
    """One bounce finding: its title, how many recipients and where, the other side's words, what it means, who
    must act, and the fix."""
    text = finding_text(f, catalog, lang, quote_limit=QUOTE)
    sev = f.severity or catalog.severity_of(f)
    head = Block(wrap=False).add(f"{MARK[sev]} {tr('severity.' + sev.value, lang)}", STYLE[sev])
    head.add("  ").add(text.title, "bold").add("  ").add(f.code, "dim")
    blocks = [head]
    if f.seen is not None:
        blocks.append(line(tr("bounces.finding.recipients", lang, n=f.seen.count, first=_where(f.seen.first),
                              last=_where(f.seen.last)), indent=4))
    if f.evidence is not None:
        blocks.append(evidence_block(f.evidence, lang))
    if text.explanation:
        blocks.append(line(text.explanation, indent=4))
    lists = f.params.get("list")
    if lists and len(lists) > 1:
        blocks.append(line(tr("bounces.finding.lists", lang, list=", ".join(lists)), indent=4))
    side = f.params.get("side")
    if isinstance(side, str) and side and side != "none":
        blocks.append(Block(indent=4).add(tr("bounces.side.label", lang) + ": ", "bold").add(tr("bounces.side." + side, lang)))
    if text.steps or text.links:
        blocks.append(line(tr("heading.fix", lang) + ":", "bold", indent=4))
        blocks += [line(f"{i}. {step}", indent=6) for i, step in enumerate(text.steps, 1)]
        blocks += [line(link, "dim", indent=6, wrap=False) for link in text.links]
    blocks.append(line())
    return blocks


# -- JSON ------------------------------------------------------------------------------------------------------

def record_json(r: BounceRecord) -> dict:
    return {
        "recipient": r.recipient, "original_recipient": r.original_recipient, "kind": r.kind, "action": r.action,
        "status": r.status, "reply_code": r.reply_code,
        "diagnostic": r.diagnostic.text if r.diagnostic is not None else None,
        "remote_host": r.remote_host, "command": r.command, "reporting_mta": r.reporting_mta, "date": r.date,
        "sender": r.sender, "subject": r.subject, "message_id": r.message_id, "hard": r.hard, "reason": r.reason,
        "code": r.code, "variant": r.variant, "side": r.side, "feedback_type": r.feedback_type,
        "block_list": r.block_list, "format": r.format,
        "file": r.at.file if r.at else None, "line": r.at.line if r.at else None,
    }


def bounces_json(summary: BounceSummary | None) -> dict | None:
    if summary is None:
        return None
    return {
        "messages": summary.messages, "total": summary.total, "truncated": summary.total > len(summary.records),
        "other": summary.other, "damaged": summary.damaged,
        "by_reason": dict(summary.by_reason), "by_domain": dict(summary.by_domain), "by_host": dict(summary.by_host),
        "hard": [{"address": address, "reason": reason, "code": code} for address, reason, code in summary.hard],
        "records": [record_json(r) for r in summary.records],
    }


# -- CSV -------------------------------------------------------------------------------------------------------

# A cell a spreadsheet would run as a formula (=, +, -, @, a tab or CR first): quoted with a leading apostrophe,
# as OWASP's "CSV injection" advice says; an address from a hostile bounce must not become a formula.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def hard_csv(summary: BounceSummary | None) -> str:
    """The permanently failed addresses, once each, with the reason (RFC 4180, CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["address", "reason", "code"])
    if summary is not None:
        for address, reason, code in summary.hard:
            writer.writerow([_cell(address), reason, code])
    return out.getvalue()


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value
