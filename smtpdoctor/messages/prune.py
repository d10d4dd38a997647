"""What of a message is kept for reading, decided while it streams past.

A bounce says what went wrong in its first parts (the human-readable text, the delivery-status fields); an
attachment, or the body of the returned original, can be hundreds of megabytes and says nothing about the
failure. The pruner keeps every header block and MIME boundary line (so the `email` package still sees the
message's structure), the bodies of the parts a reader needs, and only the headers of a returned original;
the other bodies are skipped as they pass. Memory stays within MAX_KEPT whatever the message's size.
"""

from __future__ import annotations

import re

MAX_KEPT = 16 << 20  # bytes kept of one message: headers, text parts, delivery-status fields
MAX_PART = 4 << 20  # bytes kept of one part's body (a report with 10,000 recipients is about 3 MB)
MAX_HEADERS = 1 << 20  # bytes kept of one header block
MAX_LINE = 1 << 20  # a longer "line" (a file without line ends) is read as body without waiting for its end
MAX_NESTING = 64  # multiparts followed inside each other; deeper ones are read as the text of their parent

# Bodies a reader needs (RFC 3464, 6533, 5965, 8098, 3462): everything else is an attachment.
_KEPT_TYPES = frozenset({
    "message/delivery-status", "message/global-delivery-status", "message/feedback-report",
    "message/disposition-notification", "message/global-disposition-notification", "text/rfc822-headers",
    "message/rfc822-headers", "message/global-headers", "application/json",
})
# A returned original (RFC 3464 section 2: the third part of a report; RFC 6533: message/global): its headers
# name the original's subject, sender and Message-ID; its body is the user's own message.
_ORIGINAL_TYPES = frozenset({"message/rfc822", "message/global", "message/partial"})

_CONTENT_TYPE = re.compile(rb"(?im)^content-type[ \t]*:[ \t]*([!-~]+?/[!-~]+?)(?=[\s;]|$)")
_BOUNDARY = re.compile(rb"""(?i)boundary[ \t]*=[ \t]*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))""")
_FOLD = re.compile(rb"\r?\n[ \t]+")


def content_type(headers: bytes) -> tuple[str, bytes | None]:
    """The media type of a header block (text/plain when none is named, RFC 2045 section 5.2) and the boundary
    of a multipart."""
    unfolded = _FOLD.sub(b" ", headers)
    m = _CONTENT_TYPE.search(unfolded)
    kind = m.group(1).decode("ascii", "replace").lower() if m else "text/plain"
    boundary = None
    if kind.startswith("multipart/") and m:
        rest = unfolded[m.end():unfolded.find(b"\n", m.end()) if b"\n" in unfolded[m.end():] else len(unfolded)]
        b = _BOUNDARY.search(rest)
        if b:
            boundary = (b.group(1) or b.group(2)).rstrip()
    return kind, boundary


def is_kept(kind: str) -> bool:
    return kind.startswith("text/") or kind in _KEPT_TYPES


_HEADERS, _INNER_HEADERS, _BODY = 0, 1, 2


class Pruner:
    """Fed a message's bytes in pieces of any size; `finish()` gives back what is kept."""

    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.kept = 0
        self.truncated = False
        self._state = _HEADERS
        self._header: list[bytes] = []
        self._header_size = 0
        self._boundaries: list[bytes] = []
        self._keep = True
        self._part_kept = 0
        self._pending = b""
        self._midline = False  # the data continues a line that was already given out as body

    def feed(self, data: bytes) -> None:
        if self._pending:
            data = self._pending + data
            self._pending = b""
        cut = data.rfind(b"\n")
        if cut == -1:
            self._pending = data
            if len(data) > MAX_LINE:  # no line end in sight: what is there is body (or an oversized header)
                self._pending = b""
                if self._state == _BODY:
                    self._body(data)
                else:
                    self.truncated = True
                self._midline = True
            return
        self._pending = data[cut + 1:]
        self._lines(data[: cut + 1])

    def finish(self) -> bytes:
        if self._pending:
            self._lines(self._pending)
            self._pending = b""
        return b"".join(self.out)

    # -- the stream, a block of whole lines at a time -------------------------------------------------

    def _lines(self, block: bytes) -> None:
        pos = 0
        if self._midline:  # the rest of a line too long to wait for
            self._midline = False
            end = block.find(b"\n") + 1 or len(block)
            if self._state == _BODY:
                self._body(block[:end])
            pos = end
        size = len(block)
        while pos < size:
            if self._state != _BODY:
                end = block.find(b"\n", pos) + 1 or size
                self._header_line(block[pos:end])
                pos = end
                continue
            at = self._next_boundary(block, pos)
            if at == -1:
                self._body(block[pos:])
                return
            self._body(block[pos:at])
            end = block.find(b"\n", at) + 1 or size
            self._boundary_line(block[at:end])
            pos = end

    def _emit(self, data: bytes) -> None:
        room = MAX_KEPT - self.kept
        if len(data) > room:
            data = data[:max(room, 0)]
            self.truncated = True
        if data:
            self.out.append(data)
            self.kept += len(data)

    def _header_line(self, line: bytes) -> None:
        if line.strip(b"\r\n"):
            if self._header_size < MAX_HEADERS:
                self._header.append(line)
                self._header_size += len(line)
                self._emit(line)
            else:
                self.truncated = True
            return
        self._emit(line)  # the blank line that ends the block
        headers = b"".join(self._header)
        self._header, self._header_size = [], 0
        self._part_kept = 0
        if self._state == _INNER_HEADERS:  # the returned original's headers are read; its body is the user's
            self._state, self._keep = _BODY, False
            return
        kind, boundary = content_type(headers)
        self._state = _BODY
        if kind.startswith("multipart/") and boundary and len(self._boundaries) < MAX_NESTING:
            self._boundaries.append(boundary)
            self._keep = True  # the preamble: a few lines at most
        elif kind in _ORIGINAL_TYPES:
            self._state = _INNER_HEADERS
        else:
            self._keep = is_kept(kind)

    def _body(self, data: bytes) -> None:
        if not data or not self._keep:
            return
        room = MAX_PART - self._part_kept
        if len(data) > room:
            data = data[:max(room, 0)]
            self.truncated = True
        self._part_kept += len(data)
        self._emit(data)

    def _next_boundary(self, block: bytes, pos: int) -> int:
        """Where the next line that is one of the open multiparts' delimiters starts, or -1: each line that starts
        with "--" is looked at once (a hostile message may open many multiparts and repeat "--" lines)."""
        if not self._boundaries:
            return -1
        at = pos if block.startswith(b"--", pos) and (pos == 0 or block[pos - 1] == 0x0A) else -1
        while True:
            if at == -1:
                found = block.find(b"\n--", pos)
                if found == -1:
                    return -1
                at = found + 1
            end = block.find(b"\n", at)
            token = block[at + 2:end if end != -1 else len(block)].rstrip(b"\r \t")
            if token in self._boundaries or (token.endswith(b"--") and token[:-2] in self._boundaries):
                return at
            pos, at = at + 2, -1

    def _boundary_line(self, line: bytes) -> None:
        self._emit(line)
        text = line.rstrip()
        for depth in range(len(self._boundaries) - 1, -1, -1):
            boundary = self._boundaries[depth]
            if text == b"--" + boundary:
                del self._boundaries[depth + 1:]
                self._state = _HEADERS
                return
            if text == b"--" + boundary + b"--":
                del self._boundaries[depth:]
                self._state, self._keep = _BODY, False  # the epilogue says nothing
                return


def _delimiter_ends(block: bytes, at: int) -> bool:
    """RFC 2046 section 5.1.1: a delimiter is the boundary alone on its line (then "--" for the last one), with
    optional trailing white space."""
    end = block.find(b"\n", at, at + 256)
    rest = block[at:end if end != -1 else at + 256]
    if rest.startswith(b"--"):
        rest = rest[2:]
    return not rest.strip()
