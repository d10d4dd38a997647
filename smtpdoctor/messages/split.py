"""Messages one at a time from a stream: an mbox split on its "From " lines as it is read, a single message, a
maildir's files. Nothing is indexed and no message is held whole beyond FAST bytes: a larger one goes through
the pruner (prune.py) as it streams, so a multi-gigabyte mbox is read in bounded memory.

(The stdlib `mailbox.mbox` is not used: it builds a table of contents of the whole file before the first
message can be read.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from smtpdoctor.messages.prune import Pruner

CHUNK = 1 << 20
MAX_PENDING = 4 << 20  # bytes of one line waited for before they are given on without its end
FAST = 256 << 10  # a message up to this size is kept whole: pruning it would cost more than parsing it
# A "From " line that starts a message (the mbox "From_" line: "From sender asctime", Thunderbird's "From - date"):
# a line that only begins with "From " inside a body (an unescaped mboxo body line, even after an empty line)
# carries no time of day after the sender.
_FROM_LINE = re.compile(rb"From \S*[ \t][^\n]*\d\d?:\d\d")


@dataclass(frozen=True)
class RawMessage:
    data: bytes  # what is kept of the message (prune.py)
    line: int  # the line of the input where the message starts
    size: int  # bytes of the message as read
    truncated: bool  # parts of the message were skipped for their size


class _Collector:
    """One message's bytes: whole while small, through a Pruner once it outgrows FAST."""

    __slots__ = ("pieces", "size", "pruner")

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.size = 0
        self.pruner: Pruner | None = None

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        if self.pruner is not None:
            self.pruner.feed(data)
            return
        self.pieces.append(data)
        if self.size > FAST:
            self.pruner = Pruner()
            for piece in self.pieces:
                self.pruner.feed(piece)
            self.pieces = []

    def finish(self, line: int) -> RawMessage:
        if self.pruner is not None:
            data = self.pruner.finish()
            return RawMessage(data, line, self.size, self.pruner.truncated or self.size > len(data))
        return RawMessage(b"".join(self.pieces), line, self.size, False)


def one_message(stream: BinaryIO) -> Iterator[RawMessage]:
    """The whole stream as one message (an .eml file, a maildir file, a pasted message)."""
    collector = _Collector()
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        collector.feed(chunk)
    if collector.size:
        yield collector.finish(1)


def mbox_messages(stream: BinaryIO) -> Iterator[RawMessage]:
    """An mbox's messages in order, each without its From_ line. Only whole lines are looked at: the incomplete
    last line of a chunk waits for the next one (it may be a From_ line)."""
    buf = b""  # starts at the beginning of a line
    base = 1  # the line number of buf's first line
    collector: _Collector | None = None
    start = 1
    eof = False
    midline = False  # buf starts inside a line too long to wait for: its first bytes are no line start
    while not eof:
        chunk = stream.read(CHUNK)
        eof = not chunk
        buf += chunk
        limit = len(buf) if eof else buf.rfind(b"\n") + 1
        cut_midline = False
        if limit == 0 and len(buf) > MAX_PENDING:  # no line end in sight: give it on as it is (bounded memory)
            limit, cut_midline = len(buf), True
        pos = 0  # what is given to a collector
        counted, line = 0, base  # line: the number of the line at `counted`
        at = 0 if buf.startswith(b"From ") and not midline else buf.find(b"\nFrom ") + 1
        while 0 <= at < limit and (at > 0 or (buf.startswith(b"From ") and not midline)):
            line += buf.count(b"\n", counted, at)
            counted = at
            if _FROM_LINE.match(buf, at):
                if collector is not None:
                    collector.feed(buf[pos:at])
                    yield collector.finish(start)
                elif buf[pos:at].strip():  # text before the first From_ line: a message of its own
                    stray = _Collector()
                    stray.feed(buf[pos:at])
                    yield stray.finish(start)
                collector, start = _Collector(), line
                end = buf.find(b"\n", at)
                pos = limit if end == -1 or end >= limit else end + 1
            at = buf.find(b"\nFrom ", at + 1) + 1
            if at == 0:
                break
        if limit > pos:
            if collector is None:
                collector = _Collector()
            collector.feed(buf[pos:limit])
        if limit:
            base += buf.count(b"\n", 0, limit)
            midline = cut_midline
        buf = buf[limit:]
    if collector is not None and collector.size:
        yield collector.finish(start)
