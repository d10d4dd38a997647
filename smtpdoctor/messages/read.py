"""From one message (or one provider event) to per-recipient records, and from records to what `explain` reports.

A message is read by the first of these that applies:
  1. an RFC 5965 feedback report (a complaint) — one record per reported recipient;
  2. provider events inside the message (an Amazon SNS notification sent by email);
  3. an RFC 3464 / RFC 6533 delivery-status part, or its fields pasted into a text part — one record per
     recipient block, completed from the human-readable text (the SMTP command, a longer diagnostic);
  4. an RFC 3834 auto-reply;
  5. a delivery notice in a known non-standard format (knowledge/bounce_formats.toml), or one whose sender or
     subject says it is a notice — one record per recipient the text names.
Anything else is counted as "not a bounce".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from smtpdoctor.messages import dsn
from smtpdoctor.messages.events import EventRecord, load_events
from smtpdoctor.messages.formats import Formats, inline_headers, load_formats
from smtpdoctor.messages.parse import Parsed, parse
from smtpdoctor.messages.reasons import Reasons, load_reasons
from smtpdoctor.report import BounceRecord, Evidence, EvidenceKind, Location

MAX_DIAGNOSTIC = 4096  # characters of a diagnostic kept (a hostile notice repeats a line for megabytes)
_REPLY = re.compile(r"(?<![\w.:/=#+\-\[])([245]\d\d)(?=[ \-]|$)")
_ADDRESS = re.compile(r"[^<>\s@\"(),;:]+@[^<>\s@\"(),;:]+\.[A-Za-z]{2,}")
_ACTION_KIND = {"failed": "failure", "delayed": "delay", "delivered": "delivered", "relayed": "delivered",
                "expanded": "delivered"}
_SUCCESS_KINDS = {"complaint": "feedback", "autoreply": "vacation", "delivered": "delivered"}


@dataclass
class Found:
    """A record being read: the fields as the message or event gives them."""

    recipient: str | None
    kind: str = "failure"
    format: str = ""
    original_recipient: str | None = None
    action: str | None = None
    status: str | None = None
    reply_code: str | None = None
    diagnostic: str = ""
    remote_host: str | None = None
    command: str | None = None
    reporting_mta: str | None = None
    date: str | None = None
    sender: str | None = None
    subject: str | None = None
    message_id: str | None = None
    feedback_type: str | None = None
    hint: str | None = None  # a reason the provider states
    fallback: str | None = None  # a reason the format implies when the words name none
    also: str = ""  # more text to read when the diagnostic names nothing (the notice's subject)
    hard: bool | None = None  # what the provider says
    remark: str = ""  # the reporting MTA's comment on the status ("Status: 5.2.1 (mailbox disabled, ...)")
    notifier: str | None = None  # the address the notice came from (its From:)


@dataclass
class Knowledge:
    reasons: Reasons
    formats: Formats
    notice_from: re.Pattern
    notice_subject: re.Pattern
    autoreply_headers: tuple[tuple[str, re.Pattern], ...]
    autoreply_subject: re.Pattern


@cache
def knowledge() -> Knowledge:
    from smtpdoctor.knowledge.tomlcache import load_shipped

    data = load_shipped("bounce_formats.toml")
    notice, auto = data["notice"], data["autoreply"]
    return Knowledge(load_reasons(), load_formats(), re.compile("|".join(notice["from"]), re.I),
                     re.compile("|".join(notice["subject"]), re.I),
                     tuple((name, re.compile(rx, re.I)) for name, rx in auto["headers"]),
                     re.compile("|".join(auto["subject"]), re.I))


# -- one message ----------------------------------------------------------------------------------------------

def message_records(data: bytes) -> tuple[list[Found], str]:
    """The records of one message and what it was: "report" (a bounce, complaint, auto-reply, event) or "other"."""
    k = knowledge()
    parsed = parse(data)
    if parsed.feedback:
        return _complaints(parsed), "report"
    found = _embedded_events(parsed)
    if found:
        return found, "report"
    reports = parsed.reports or [t for t in parsed.texts if _has_report_fields(t)]
    if reports:
        found = _dsn_records(parsed, reports, k)
        if found:
            return found, "report"
    if _is_autoreply(parsed, k):
        return [_autoreply(parsed)], "report"
    found = _notice_records(parsed, k)
    return found, "report" if found else "other"


_REPORT_FIELD = re.compile(r"^(?:Final|Original)-Recipient\s*:", re.I | re.M)
_STATUS_FIELD = re.compile(r"^(?:Status|Action|Diagnostic-Code)\s*:", re.I | re.M)


def _has_report_fields(text: str) -> bool:
    return bool(_REPORT_FIELD.search(text) and _STATUS_FIELD.search(text))


def _original(parsed: Parsed, after: list[str] | None = None) -> dict[str, str]:
    if parsed.original:
        return parsed.original
    return inline_headers(after) if after else {}


def _sender_of(parsed: Parsed, original: dict[str, str], message: dict[str, str] | None = None) -> str | None:
    for value in ((message or {}).get("x-postfix-sender"), (message or {}).get("x-original-sender"),
                  original.get("return-path"), original.get("from"), original.get("sender"), parsed.headers.get("to")):
        if value:
            addresses = _ADDRESS.findall(value)
            if addresses:
                return addresses[0]
    return None


def _base(parsed: Parsed, original: dict[str, str], fmt: str, message: dict[str, str] | None = None) -> dict:
    return {"format": fmt, "sender": _sender_of(parsed, original, message), "subject": original.get("subject"),
            "message_id": original.get("message-id"), "date": parsed.headers.get("date"),
            "notifier": next(iter(_ADDRESS.findall(parsed.headers.get("from", ""))), None)}


def _complaints(parsed: Parsed) -> list[Found]:
    found: list[Found] = []
    original = parsed.original
    for text in parsed.feedback:
        fields: dict[str, list[str]] = {}
        for item in dsn.field_lines(text):
            if item is not None:
                fields.setdefault(item[0], []).append(item[1])
        recipients = [a for v in fields.get("original-rcpt-to", []) for a in _ADDRESS.findall(v)]
        recipients += [a for v in fields.get("removal-recipient", []) for a in _ADDRESS.findall(v)]
        if not recipients:
            recipients = _ADDRESS.findall(original.get("to", "")) or [None]
        base = _base(parsed, original, "arf")
        if fields.get("original-mail-from"):
            base["sender"] = next(iter(_ADDRESS.findall(fields["original-mail-from"][0])), base["sender"])
        base["date"] = (fields.get("arrival-date") or fields.get("received-date") or [base["date"]])[0]
        for recipient in dict.fromkeys(recipients):
            found.append(Found(recipient, kind="complaint", feedback_type=(fields.get("feedback-type") or [None])[0],
                               reporting_mta=dsn.typed_value((fields.get("reporting-mta") or [None])[0])[1],
                               diagnostic="", **base))
    return found


def _embedded_events(parsed: Parsed) -> list[Found]:
    texts = parsed.json + [t for t in parsed.texts[:1] if t.lstrip().startswith("{")]
    found: list[Found] = []
    events = load_events()
    import json

    for text in texts:
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            try:  # a mail system folded a long line inside a JSON string ("...Ny\n aan...")
                document = json.loads(text.replace("\n ", ""), strict=False)
            except (ValueError, RecursionError):
                continue
        found += [from_event(record) for record in events.records(document)]
    return found


def _dsn_records(parsed: Parsed, reports: list[str], k: Knowledge) -> list[Found]:
    notice = "\n".join(parsed.texts)
    fmt = k.formats.recognise(_probe(parsed, notice))
    block = k.formats.block(notice, fmt) if notice else None
    sections = {s.address.lower(): s for s in k.formats.sections(block.lines, fmt)} if block else {}
    whole = " ".join(" ".join(block.lines).split())[:MAX_DIAGNOSTIC] if block else ""
    original = _original(parsed, block.after if block else None)
    found: list[Found] = []
    for report in reports:
        message, recipients = dsn.report_blocks(report)
        base = _base(parsed, original, fmt.id if fmt else "rfc3464", message)
        reporting = dsn.typed_value(message.get("reporting-mta"))[1]
        for fields in recipients:
            recipient = (dsn.address(fields.get("final-recipient")) or dsn.address(fields.get("original-recipient"), True)
                         or dsn.address(fields.get("x-actual-recipient")))
            action = (fields.get("action") or "").split()[0].lower() if fields.get("action") else None
            diag_type, diagnostic = dsn.typed_value(fields.get("diagnostic-code"))
            section = sections.get((recipient or "").lower())
            if section is None and len(recipients) == 1 and len(sections) == 1:
                section = next(iter(sections.values()))  # the notice names the one recipient otherwise (a pipe)
            text = section.text if section else ("" if sections or len(recipients) > 1 else whole)
            if not diagnostic and text:
                diagnostic = text
            elif diagnostic and _CONTINUED.match(diagnostic):
                # the recipient's own lines, or the whole notice when it reports one recipient (bounded work)
                quoted = section.lines if section else block.lines if block and len(recipients) == 1 else []
                diagnostic = _whole_reply(diagnostic, quoted)
            # RFC 3464 section 2.3.4 lets a comment follow the code: "Status: 5.2.1 (mailbox disabled, not accepting
            # messages)" is the reporting MTA's own reading of the failure, read with the diagnostic's words.
            remark = fields["status"].split("(", 1)[1].rstrip(") ") if "(" in (fields.get("status") or "") else ""
            if not diagnostic and remark:  # "Status: 4.0.0 (host name lookup failure)"
                diagnostic, remark = remark, ""
            status = _status_of(dsn.status_in(fields.get("status")), dsn.status_in(diagnostic))
            command = k.formats.command_of("\n".join(section.lines)) if section else None
            if command is None and diagnostic:
                command = k.formats.command_of(diagnostic)
            kind = _ACTION_KIND.get(action or "", "failure")
            if (fields.get("status") or "").strip().startswith("2"):
                kind = "delivered"  # RFC 3463: class 2 is success, whatever the Action says
            found.append(Found(
                recipient, kind=kind,
                original_recipient=dsn.address(fields.get("original-recipient"), True), action=action, status=status,
                reply_code=_reply_code(diagnostic) or _reply_code(text), diagnostic=diagnostic or "",
                remote_host=dsn.typed_value(fields.get("remote-mta"))[1] or (k.formats.host_of(text) if text else None),
                command=command, reporting_mta=reporting, fallback=_fallback(fmt, diag_type), remark=remark,
                **{**base, "date": fields.get("last-attempt-date") or message.get("arrival-date") or base["date"]}))
    if fmt is not None and fmt.command:
        for f in found:
            f.command = f.command or fmt.command
    return found


def _status_of(field: str | None, quoted: str | None) -> str | None:
    """The record's status: the Status field, unless it says only "X.0.0" (other or undefined, RFC 3463 section
    3.1) and the remote server's reply in the Diagnostic-Code gives an enhanced code of the same class with a
    subject: the reporting MTA knew no more than the class, the receiving server said what failed."""
    if field and quoted and field.endswith(".0.0") and quoted[0] == field[0] and not quoted.endswith(".0.0"):
        return quoted
    return field or quoted


# RFC 5321 section 4.2.1: every line of a multi-line reply but the last has a hyphen after the code ("552-5.7.0 ...").
# Sendmail puts the reply's first line alone in the Diagnostic-Code; its transcript ("<<< 552-5.7.0 ...") has them all.
_CONTINUED = re.compile(r"\s*([245]\d\d)-")


def _whole_reply(first: str, lines: list[str]) -> str:
    """A multi-line reply of which the diagnostic holds only the first line, whole, from the notice's lines that
    quote it (a transcript's "<<<" lines, or the reply as it was): the first line, then its continuation lines up to
    and including the one with a space after the code. Unchanged when the notice does not quote it."""
    code = _CONTINUED.match(first).group(1)
    wanted = " ".join(first.split())
    run: list[str] = []
    for line in lines[:2000]:
        text = line.strip()
        if text.startswith("<<<"):
            text = text[3:].strip()
        if not run:
            if " ".join(text.split()) == wanted:
                run.append(text)
            continue
        if not text.startswith(code) or text[3:4] not in ("-", " "):
            break
        run.append(text)
        if text[3:4] == " ":
            break
    return " ".join(run)[:MAX_DIAGNOSTIC] if len(run) > 1 else first


def _recipients_only(sections: list, parsed: Parsed) -> list:
    """The sections that name a failed recipient: the addresses X-Failed-Recipients lists when it names any of
    them, and never the bounce's own addressee (the original sender, which notices quote: "A message sent by")."""
    if parsed.failed_recipients:
        failed = {a.lower() for a in parsed.failed_recipients}
        listed = [s for s in sections if s.address.lower() in failed]
        if listed:
            return listed
    own = {a.lower() for a in _ADDRESS.findall(parsed.headers.get("to", ""))}
    others = [s for s in sections if s.address.lower() not in own]
    return others or sections


def _fallback(fmt, diag_type: str | None) -> str | None:
    """What a format implies, or a diagnostic of type X-Unix: the exit status of a local delivery program
    (sendmail's prog mailer, a pipe), whose number says nothing more."""
    if fmt is not None and fmt.reason:
        return fmt.reason
    return "mailererror" if diag_type == "x-unix" else None


def _probe(parsed: Parsed, text: str) -> str:
    headers = parsed.headers
    lines = [f"{name.title()}: {headers[name]}" for name in ("from", "subject", "x-mailer", "x-failed-recipients")
             if headers.get(name)]
    return "\n".join(lines) + "\n" + text[:8192]


def _is_autoreply(parsed: Parsed, k: Knowledge) -> bool:
    headers = parsed.headers
    if k.notice_from.search(headers.get("from", "")) or parsed.failed_recipients:
        return False
    if k.formats.recognise(_probe(parsed, "\n".join(parsed.texts)[:8192])) is not None:
        return False
    if any(rx.search(headers.get(name, "")) for name, rx in k.autoreply_headers if headers.get(name)):
        return True
    return bool(k.autoreply_subject.search(headers.get("subject", "")))


def _autoreply(parsed: Parsed) -> Found:
    headers = parsed.headers
    sender = next(iter(_ADDRESS.findall(headers.get("from", ""))), None)
    text = "\n".join(parsed.texts).strip()
    return Found(sender, kind="autoreply", format="rfc3834", diagnostic=" ".join(text.split())[:MAX_DIAGNOSTIC],
                 date=headers.get("date"), subject=headers.get("subject"), message_id=headers.get("message-id"),
                 sender=next(iter(_ADDRESS.findall(headers.get("to", ""))), None))


def _notice_records(parsed: Parsed, k: Knowledge) -> list[Found]:
    text = "\n".join(parsed.texts)
    probe = _probe(parsed, text)
    fmt = k.formats.recognise(probe)
    headers = parsed.headers
    if fmt is None and not (parsed.failed_recipients or k.notice_from.search(headers.get("from", ""))
                            or k.notice_subject.search(headers.get("subject", ""))):
        return []
    block = k.formats.block(text, fmt)
    original = _original(parsed, block.after)
    sections = _recipients_only(k.formats.sections(block.lines, fmt), parsed)
    named = {s.address.lower() for s in sections}
    recipients = [(s.address, s.text, "\n".join(s.lines)) for s in sections]
    whole = " ".join(" ".join(block.lines).split())
    for address in parsed.failed_recipients:
        if address.lower() not in named:
            recipients.append((address, whole, "\n".join(block.lines)))
            named.add(address.lower())
    if not recipients:
        to = _ADDRESS.findall(original.get("to", "")) or [None]
        recipients = [(address, whole, "\n".join(block.lines)) for address in to[:1]]
    base = _base(parsed, original, fmt.id if fmt else "notice")
    quoted = k.formats.quoted_fields(text, fmt)
    base["subject"] = base["subject"] or quoted.get("subject")
    reporting = quoted.get("reporting_mta")
    found: list[Found] = []
    for address, section, raw in recipients:
        diagnostic = section[:MAX_DIAGNOSTIC]
        command = k.formats.command_of(raw) or (fmt.command if fmt else None)
        found.append(Found(address, status=dsn.status_in(diagnostic), reply_code=_reply_code(diagnostic),
                           diagnostic=diagnostic, remote_host=k.formats.host_of(raw), command=command,
                           fallback=fmt.reason if fmt else None, also=headers.get("subject", ""),
                           kind=_notice_kind(headers), reporting_mta=reporting, **base))
    return found


_DELAY = re.compile(r"\b(?:delayed|delay|warning|has not yet been delivered|will be retried|retrying)\b", re.I)


def _notice_kind(headers: dict[str, str]) -> str:
    return "delay" if _DELAY.search(headers.get("subject", "")) else "failure"


def _reply_code(text: str | None) -> str | None:
    if not text:
        return None
    codes = _REPLY.findall(text[:2048])
    return next((c for c in codes if c[0] in "45"), codes[0] if codes else None)


def from_event(record: EventRecord) -> Found:
    fields = record.fields
    diagnostic = dsn.typed_value(fields.get("diagnostic"))[1] or ""
    status = dsn.status_in(fields.get("status")) or dsn.status_in(diagnostic)
    return Found(record.recipient, kind=record.kind, format=record.provider, status=status,
                 reply_code=fields.get("reply_code") or _reply_code(diagnostic), diagnostic=diagnostic,
                 action=fields.get("action"), remote_host=fields.get("remote_host"),
                 reporting_mta=dsn.typed_value(fields.get("reporting_mta"))[1], date=fields.get("date"),
                 sender=fields.get("sender"), subject=fields.get("subject"), message_id=fields.get("message_id"),
                 feedback_type=fields.get("feedback_type"), hard=record.hard,
                 # The provider's own classification: certain for an address it suppressed, otherwise coarser
                 # than the receiving server's words, which are read first.
                 hint=record.reason if record.reason == "suppressed" else None,
                 fallback=record.reason if record.reason != "suppressed" else None,
                 command=load_formats().command_of(diagnostic) if diagnostic else None)


# -- the reading ----------------------------------------------------------------------------------------------

def finish(found: Found, at: Location | None = None) -> BounceRecord:
    """The record with its reason, catalog code, hard/soft and who must act."""
    reasons = knowledge().reasons
    diagnostic = found.diagnostic[:MAX_DIAGNOSTIC]
    if found.kind in _SUCCESS_KINDS:
        reason = _SUCCESS_KINDS[found.kind]
    elif found.kind == "suppressed" and found.hint in (None, "suppressed"):
        reason = "suppressed"
    else:
        temporary = found.kind == "delay" or (found.reply_code or "").startswith("4")
        reason = reasons.classify(diagnostic, found.status, found.command, found.hint, found.fallback, found.also,
                                  found.kind, temporary, found.reply_code, found.remark,
                                  _same_domain(found.notifier, found.recipient), found.remote_host)
    entry = reasons.by_id[reason]
    hard = _hard(found, entry.bounce)
    block_list = reasons.block_list(diagnostic) if reason == "blocked" and diagnostic else None
    variant = "listed" if block_list else entry.variant
    shown = diagnostic or None  # masked (logs.mask) when the record is kept for output: Collector.add
    return BounceRecord(
        recipient=found.recipient, reason=reason, code=entry.code, variant=variant, kind=found.kind, hard=hard,
        side=entry.side, original_recipient=found.original_recipient, action=found.action, status=found.status,
        reply_code=found.reply_code, diagnostic=Evidence(EvidenceKind.SERVER, shown) if shown else None,
        remote_host=found.remote_host, command=found.command, reporting_mta=found.reporting_mta, date=found.date,
        sender=found.sender, subject=found.subject, message_id=found.message_id, feedback_type=found.feedback_type,
        block_list=block_list, format=found.format, at=at)


def _same_domain(one: str | None, other: str | None) -> bool:
    """Whether two addresses share their registered domain (the notice came from the recipient's own system)."""
    if not one or not other or "@" not in one or "@" not in other:
        return False
    mine, theirs = _registered(one), _registered(other)
    return bool(mine) and mine == theirs


# Second-level labels under which country domains register names (example.co.jp, example.com.au, example.ac.uk)
_SECOND_LEVEL = frozenset({"co", "ne", "or", "ac", "ad", "go", "gr", "lg", "ed", "com", "net", "org", "gov", "edu"})


def _registered(address: str) -> tuple[str, ...]:
    labels = address.rpartition("@")[2].lower().rstrip(".").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return tuple(labels[-keep:]) if len(labels) >= keep else ()


def _hard(found: Found, bounce: str) -> bool | None:
    if found.kind in _SUCCESS_KINDS or bounce == "none":
        return None
    if found.hard is not None:
        return found.hard
    if found.kind == "delay":
        return False
    if bounce in ("hard", "soft"):
        return bounce == "hard"
    klass = (found.status or found.reply_code or "5")[0]
    return klass != "4"
