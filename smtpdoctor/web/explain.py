"""The Explain page's work: the same `run_explain` as `smtpdoctor explain -`, on text held in memory.

Nothing touches the disk: the pasted text or uploaded file is a bytes object, read as standard input is.
A request past its time limit cannot stop a thread, so the stream the scan reads is told to stop: its next
read raises, the scan ends, the thread is free (a 20 MB gzip of zeros would otherwise scan for minutes).
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

from smtpdoctor.report import Report

EXCERPT_BYTES = 64 << 20  # of the text as the scan reads it (a .gz uncompressed): more is not shown, only counted
MAX_MATCHES = 1000  # as `explain`'s default: the lines listed per diagnosis and highlighted in the text
PREFILL = 2 << 20  # a text up to this size is put back into the form, to edit it or to see it in the other language
SHOWN_LINE = 2000  # characters of one line shown (as the CLI's example lines): longer ones end in "…"


class Stopped(OSError):
    """The request's time is up: the scan's next read ends it."""


class StoppableReader(io.RawIOBase):
    """`data` as a raw stream whose reads fail once `stop` is set."""

    def __init__(self, data: bytes, stop: threading.Event) -> None:
        self._view, self._pos, self._stop = memoryview(data), 0, stop

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._stop.is_set():
            raise Stopped("stopped: the request's time limit")
        n = min(len(buffer), len(self._view) - self._pos)
        buffer[:n] = self._view[self._pos:self._pos + n]
        self._pos += n
        return n


@dataclass
class Explained:
    report: Report
    lines: list[str] | None  # the text as read, masked; None when it is not text (nothing to show)
    prefill: str  # what goes back into the form's text box


def explain_bytes(data: bytes, stop: threading.Event) -> Explained:
    """`smtpdoctor explain -` on `data`: the Report, and the text's lines for the page to show around the hits."""
    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.logs.explain import run_explain  # the function `smtpdoctor explain` calls

    import os

    from smtpdoctor.knowledge.providers import load_providers, resolve_providers_path

    providers = load_providers(resolve_providers_path(None, os.environ))
    report = run_explain(["-"], load_catalog(), stdin=io.BufferedReader(StoppableReader(data, stop)),
                         max_matches=MAX_MATCHES, providers=providers)
    if stop.is_set():
        raise Stopped("stopped: the request's time limit")
    lines = text_lines(data, stop)
    prefill = ""
    if lines is not None and len(data) <= PREFILL and not data.startswith(b"\x1f\x8b"):
        from smtpdoctor.logs.mask import mask_secrets
        from smtpdoctor.logs.scan import decode

        prefill = mask_secrets(decode(data))  # the page never gives a secret back, not even to who pasted it
    return Explained(report, lines, prefill)


def text_lines(data: bytes, stop: threading.Event) -> list[str] | None:
    """The lines as the scan numbered them (gzip, UTF-16 and CR-only line ends undone the same way, by
    scan.open_log), each decoded as the scan decodes it, cut at SHOWN_LINE characters and masked
    (logs.mask: what looks secret is hidden, as `explain` hides it). None for what is not text."""
    from smtpdoctor.logs.mask import mask_secrets
    from smtpdoctor.logs.scan import decode, open_log

    stream = open_log("-", io.BufferedReader(StoppableReader(data, stop)))
    try:
        text = stream.read(EXCERPT_BYTES)
    except (OSError, EOFError):
        return None
    if b"\0" in text[:8192]:
        return None  # binary: a zip, an image, a damaged gzip
    raw_lines = text.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    return _LazyLines(raw_lines, decode, mask_secrets)


class _LazyLines(list):
    """The text's lines, decoded and masked only when shown: a 10 MB log shows a few hundred of its lines."""

    def __init__(self, raw: list[bytes], decode, mask) -> None:
        super().__init__(raw)
        self._decode, self._mask = decode, mask

    def _line(self, index: int) -> str:
        raw = super().__getitem__(index)
        line = self._decode(raw[: SHOWN_LINE * 4].rstrip(b"\r")).replace("\r", "")
        return line[:SHOWN_LINE] + "…" if len(line) > SHOWN_LINE else line

    def __getitem__(self, index):
        line = self._line(index)
        if index == 0:
            return self._mask(line)
        # Masked with the line before it: a key may end one line and its value start the next (var_dump).
        masked = self._mask(self._line(index - 1) + "\n" + line)
        before, newline, own = masked.rpartition("\n")
        return own if newline else self._mask(line)
