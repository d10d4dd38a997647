"""RFC 3464 (and RFC 6533) delivery-status fields: the per-message block and one block per recipient.

Read leniently, as MTAs write them: blocks separated by empty lines, though some put every field in one block
(a new recipient then starts at its Final-Recipient); field names in any case; folded values unfolded; the
address types "rfc822" and "utf-8" (RFC 6533 section 3: an address may carry \\x{HEX} escapes) and the xtext
of Original-Recipient (RFC 3461 section 4) decoded. The same reader takes report fields pasted into a text
part ("Technical report:" in Amazon WorkMail's notices) and RFC 5965 feedback-report fields.
"""

from __future__ import annotations

import re

_FIELD = re.compile(r"([A-Za-z][A-Za-z0-9-]{0,60})[ \t]*:[ \t]*(.*)")
_XTEXT = re.compile(r"\+([0-9A-F]{2})")
_UTF8_ESCAPE = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
# The fields of the per-message block (RFC 3464 section 2.2, RFC 6533, Postfix's and others' X- fields).
_PER_MESSAGE = frozenset({"reporting-mta", "dsn-gateway", "received-from-mta", "arrival-date", "original-envelope-id",
                          "x-postfix-sender", "x-original-sender", "x-sender", "x-postfix-queue-id"})
_RECIPIENT_STARTS = frozenset({"final-recipient", "original-recipient"})
MAX_FIELDS = 200_000  # fields read from one report: 10,000 recipients take about 60,000


def field_lines(text: str) -> list[tuple[str, str] | None]:
    """(name, value) per field, folded lines joined; None where an empty line separates blocks."""
    out: list[tuple[str, str] | None] = []
    for line in text.split("\n"):
        if len(out) > MAX_FIELDS:
            break
        if not line.strip():
            if out and out[-1] is not None:
                out.append(None)
            continue
        if line[:1] in (" ", "\t"):
            if out and out[-1] is not None:
                name, value = out[-1]
                out[-1] = (name, f"{value} {line.strip()}".strip())
            continue
        m = _FIELD.fullmatch(line.rstrip())
        if m:
            out.append((m.group(1).lower(), m.group(2).strip()))
    return out


def report_blocks(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The per-message fields and one dict of fields per recipient, in the report's order."""
    message: dict[str, str] = {}
    recipients: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for item in field_lines(text):
        if item is None:
            current = None
            continue
        name, value = item
        if name in _PER_MESSAGE:
            message.setdefault(name, value)
            continue
        if name in _RECIPIENT_STARTS and (current is None or name in current):
            current = {}
            recipients.append(current)
        if current is None:
            if name in ("action", "status", "diagnostic-code", "remote-mta"):
                current = {}
                recipients.append(current)
            else:
                message.setdefault(name, value)
                continue
        current.setdefault(name, value)
    return message, [r for r in recipients if r.get("final-recipient") or r.get("original-recipient")
                     or r.get("status") or r.get("diagnostic-code")]


def address(value: str | None, xtext: bool = False) -> str | None:
    """The address of "rfc822; user@example.com" (or "utf-8; ...", or a bare address)."""
    if not value:
        return None
    kind, _, rest = value.partition(";")
    text = rest if _ else kind
    text = text.strip().strip("<>").strip()
    if kind.strip().lower() == "utf-8" or "\\x{" in text:
        text = _UTF8_ESCAPE.sub(lambda m: _char(m.group(1)), text)
    if xtext and "+" in text:
        text = _XTEXT.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = text.split()[0] if text.split() else ""
    return text.strip("<>,;") or None


def _char(hex_digits: str) -> str:
    try:
        return chr(int(hex_digits, 16))
    except (ValueError, OverflowError):
        return "\ufffd"


def typed_value(value: str | None) -> tuple[str | None, str | None]:
    """("smtp", "550 5.1.1 ...") of "smtp; 550 5.1.1 ..."; a value without a type keeps all its text."""
    if not value:
        return None, None
    kind, sep, rest = value.partition(";")
    if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,30}", kind.strip()):
        return kind.strip().lower(), rest.strip()
    return None, value.strip()


def status_in(text: str | None) -> str | None:
    if not text:
        return None
    m = _STATUS.search(text)
    return f"{m.group(1)}.{int(m.group(2))}.{int(m.group(3))}" if m else None
