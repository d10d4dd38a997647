"""What an `explain` input is, from its first bytes: a mail message, an mbox, a maildir, provider delivery events
(JSON), or a log (anything else: the log scanner's as before). No flag is needed, and a log is never taken for a
message: a message must open with header fields that mail systems write (RFC 5322 section 2.2), at least two of
them, before its first empty line.

Cheap: no `email`, no JSON parsing unless the input opens like JSON.
"""

from __future__ import annotations

import os
import re
from enum import StrEnum

HEAD = 64 << 10  # bytes looked at

# Header fields a stored or received message carries near its top (RFC 5322 section 3.6, RFC 5321 section 4.4,
# RFC 2045, RFC 3834, RFC 6376, RFC 8601, and the delivery fields MTAs and mail stores add).
_KNOWN = frozenset({
    "return-path", "received", "from", "to", "cc", "subject", "date", "message-id", "mime-version", "content-type",
    "content-transfer-encoding", "delivered-to", "envelope-to", "delivery-date", "reply-to", "sender", "references",
    "in-reply-to", "auto-submitted", "precedence", "dkim-signature", "authentication-results", "received-spf",
    "arc-seal", "arc-message-signature", "arc-authentication-results", "x-original-to", "x-failed-recipients",
    "thread-topic", "thread-index", "importance", "list-id", "list-unsubscribe", "user-agent", "x-mailer",
    "domainkey-signature", "content-language", "x-received", "x-google-smtp-source", "feedback-id", "errors-to",
})
_FIELD = re.compile(rb"([!-9;-~]{1,76}):")  # RFC 5322 section 2.2: printable ASCII but ':', then ':'
_FROM_LINE = re.compile(rb"From \S*[ \t][^\n]*\d\d?:\d\d")
_MAILDIR = ("cur", "new")


class InputKind(StrEnum):
    MESSAGE = "message"
    MBOX = "mbox"
    MAILDIR = "maildir"
    FOLDER = "folder"  # a directory of message files (.eml, one per file)
    EVENTS = "events"
    LOG = "log"


def kind_of_directory(path: str) -> InputKind | None:
    if all(os.path.isdir(os.path.join(path, sub)) for sub in _MAILDIR):
        return InputKind.MAILDIR
    return InputKind.FOLDER


def kind_of_head(head: bytes) -> InputKind:
    """The kind of an input whose first bytes are `head`."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    text = head.lstrip(b"\r\n")
    if text.startswith(b"From ") and _FROM_LINE.match(text.split(b"\n", 1)[0]):
        return InputKind.MBOX
    if looks_like_message(text):
        return InputKind.MESSAGE
    stripped = text.lstrip()
    if stripped[:1] in (b"{", b"["):
        from smtpdoctor.messages.events import looks_like_events

        if looks_like_events(stripped):
            return InputKind.EVENTS
    return InputKind.LOG


def looks_like_message(text: bytes) -> bool:
    """Header fields up to the first empty line (or the end of what was read), every line a field or its folded
    continuation, the first one a field, and at least two fields that mail systems write."""
    known = 0
    lines = text.split(b"\n", 400)[:400]
    complete = len(lines) < 400 or b"\n\n" in text or b"\n\r\n" in text
    for index, line in enumerate(lines):
        line = line.rstrip(b"\r")
        if not line:
            return known >= 2
        if index == len(lines) - 1 and not complete:
            break  # a line cut where the read ended
        if line[:1] in (b" ", b"\t"):
            if index == 0:
                return False
            continue
        m = _FIELD.match(line)
        if m is None:
            return False
        name = m.group(1).lower()
        if name.decode("ascii", "replace") in _KNOWN:
            known += 1
        elif index == 0 and not name.startswith(b"x-"):
            return False  # "Error: ..." opens a log line, never a message
    return known >= 2 and len(lines) > 2
