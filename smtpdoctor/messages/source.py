"""One `explain` input opened once and looked at: its kind from its first bytes (detect.py), and a stream that
gives back those bytes first, so a log goes on to the log scanner exactly as it would have without the look."""

from __future__ import annotations

import os
from typing import BinaryIO

from smtpdoctor.messages.detect import HEAD, InputKind, kind_of_directory, kind_of_head


class Replay:
    """`head` (already read) and then the rest of `inner`; anything else (`damaged`, `close`) is the inner
    stream's."""

    def __init__(self, head: bytes, inner) -> None:
        self._head = head
        self._inner = inner

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._inner.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            if len(data) < size:
                data += self._inner.read(size - len(data))
            return data
        return self._inner.read(size)

    def readline(self, limit: int = -1) -> bytes:
        if self._head:
            end = self._head.find(b"\n")
            if end != -1 and (limit < 0 or end < limit):
                line, self._head = self._head[:end + 1], self._head[end + 1:]
                return line
            if limit >= 0 and len(self._head) >= limit:
                line, self._head = self._head[:limit], self._head[limit:]
                return line
            line, self._head = self._head, b""
            rest = self._inner.readline(limit - len(line) if limit >= 0 else -1) if hasattr(self._inner, "readline") \
                else b""
            return line + rest
        if hasattr(self._inner, "readline"):
            return self._inner.readline(limit)
        return self._read_line(limit)

    def _read_line(self, limit: int) -> bytes:
        out = bytearray()
        while limit < 0 or len(out) < limit:
            byte = self._inner.read(1)
            if not byte:
                break
            out += byte
            if byte == b"\n":
                break
        return bytes(out)

    def close(self) -> None:
        self._inner.close()

    def __enter__(self) -> Replay:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def open_input(path: str, stdin: BinaryIO | None) -> tuple[InputKind, BinaryIO | None]:
    """The kind of input and a stream positioned at its start (None for a directory). OSError propagates."""
    if path != "-" and os.path.isdir(path):
        return kind_of_directory(path), None
    from smtpdoctor.logs.scan import open_log

    stream = open_log(path, stdin)
    try:
        head = _read_head(stream)
    except BaseException:
        stream.close()
        raise
    return kind_of_head(head), Replay(head, stream)  # type: ignore[return-value]


def _read_head(stream) -> bytes:
    pieces, size = [], 0
    while size < HEAD:
        piece = stream.read(HEAD - size)
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces)
