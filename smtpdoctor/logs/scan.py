"""`smtpdoctor explain`: find SMTP failures in application logs, fast and in constant memory.

Reading: fixed-size byte chunks (gzip transparently), so a 5 GB log never sits in memory and a
line of any length costs at most MAX_RECORD bytes. Finding: every catalog regex yields literal
needles (smtpdoctor.logs.needles); one multi-pattern scan (Hyperscan, else Aho-Corasick), ASCII-case-
insensitive, over the chunk finds the few candidate lines, and only those are decoded (UTF-8, else cp1251)
and matched with the same evidence engine `check` uses for server replies (knowledge/evidence.py).
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from smtpdoctor.knowledge.evidence import EvidenceEngine, Reading
from smtpdoctor.logs.literals import hyperscan_literals
from smtpdoctor.logs.mask import SECRET_KEY as _SECRET_KEY
from smtpdoctor.logs.mask import mask_secrets  # noqa: F401 - masking lives in logs/mask.py; kept importable from here
from smtpdoctor.logs.needles import byte_forms

CHUNK = 1 << 22  # 4 MiB
MAX_RECORD = 16 * 1024  # bytes of one record (a line plus its continuation lines) that are matched
MAX_CONTINUATION = 40  # continuation lines joined to a head line
EXAMPLE_LINE = 2000  # characters of one line kept as a diagnosis's example
WINDOW = 1 << 20  # bytes the prefilter reads at once: its list of hits stays small however dense the needles
# Enhanced status codes (RFC 3463): every class.subject. of a failure ("4.0." … "5.7."), so that a reply
# whose wording no rule knows still reaches the engine, which reads the code's registry meaning.
FALLBACK_NEEDLES = [f"{cls}.{subject}." for cls in (4, 5) for subject in range(8)]

_PREFIXES = [
    re.compile(rb"^[\w.\-]+\s*\|\s?"),  # docker compose: "app_1  | "
    re.compile(rb"^\d{4}-\d\d-\d\d[T ][\d:.,]+(?:Z|[+-]\d\d:?\d\d)?\s*"),  # ISO timestamp (Render, most apps)
    re.compile(rb"^[A-Z][a-z]{2} [ \d]\d [\d:]{8} \S+ [^:\s]+: "),  # journald / syslog
    re.compile(rb"^\S+ (?:app|heroku)\[[\w.\-]+\]: "),  # heroku
]
_PYTHON_FRAME = re.compile(rb'File "[^"\n]+", line \d+, in ')  # a traceback excerpt that starts mid-way
_CONTINUATION = re.compile(rb"^(?:[ \t]|at |\}|\]|\)|Caused by|\.\.\. \d+ more)")


def strip_prefixes(line: bytes) -> bytes:
    for _ in range(3):  # prefixes stack: "app_1 | 2025-01-01T... msg"
        for prefix in _PREFIXES:
            m = prefix.match(line)
            if m and m.end() > 0:
                line = line[m.end():]
                break
        else:
            break
    return line


_REPLY_START = re.compile(rb"^(\d{3})[ -]")


def is_continuation(line: bytes, previous: bytes | None = None) -> bool:
    """Does `line` belong to the record above it? Indented lines, stack frames and closing braces do;
    so does the next line of a multi-line SMTP reply ("535-5.7.8 ... go to" / "535 5.7.8 https://...")
    and an unprefixed line after one ending in ':' ("OpenSSL Error messages:" / "error:0A00010B...")."""
    stripped = strip_prefixes(line)
    if _CONTINUATION.match(stripped):
        return True
    if previous is None:
        return False
    reply = _REPLY_START.match(stripped)
    if reply and reply.group(1) + b"-" in previous:
        return True
    if previous.rstrip(b"\r").endswith(b"bad response on command '"):
        # emailjs quotes the command it sent, and the message's end is sent as CRLF + ".": the quote, and the
        # reply's words after it, go on on this line (smtp/connection.ts)
        return True
    return stripped is line and previous.rstrip().endswith(b":") and not line[:1].isdigit() and not line.startswith(b"[")


def decode(raw: bytes) -> str:
    """UTF-8 when it is; cp1251 (Russian Windows servers) when that reads as Cyrillic; else replace."""
    raw = raw.replace(b"\0", b" ")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1251")
        if re.search("[а-яА-ЯёЁ]{3}", text):
            return text
    except UnicodeDecodeError:
        pass
    return raw.decode("utf-8", "replace")


def json_message(text: str) -> str:
    """For JSON-lines logs: the string fields (msg, message, error...) joined, so patterns see text, not escapes."""
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return text
    try:
        doc = json.loads(stripped)
    except (ValueError, RecursionError):
        return text
    if not isinstance(doc, dict):
        return text
    parts: list[str] = []

    def walk(value, depth: int) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict) and depth < 3:
            for key, inner in value.items():
                if _SECRET_KEY.search(str(key)):
                    continue  # a secret's value is never a message worth matching, nor worth echoing
                walk(inner, depth + 1)
        elif isinstance(value, list) and depth < 3:
            for inner in value[:20]:
                walk(inner, depth + 1)

    walk(doc, 0)
    return " | ".join(parts) if parts else text


# -- the scan ---------------------------------------------------------------------------------------

def example_of(masked: str) -> str:
    """A diagnosis's example as shown: each line longer than EXAMPLE_LINE cut there, the cut marked. Only ever
    applied to text whose secrets are already masked."""
    return "\n".join(part if len(part) <= EXAMPLE_LINE else part[:EXAMPLE_LINE] + "…" for part in masked.split("\n"))


@dataclass(frozen=True)
class LogMatch:
    file: str
    line: int
    code: str
    provider: str | None
    certain: bool
    text: str  # the record's first lines, shortened; NOT yet masked (mask_secrets before showing it)
    params: dict[str, str] = field(default_factory=dict)
    reading: Reading | None = None  # which evidence decided, and the runner-up
    lines: int = 1  # how many lines the record spans (its head line and continuation lines)


class Prefilter:
    """All needles in one compiled matcher, compared ASCII-case-insensitively as `bytes.lower()` compares:
    Hyperscan (Vectorscan) where its wheel is installed, else an ahocorasick_rs automaton over the lower-cased
    window, else a regex. `positions` gives where each needle found starts."""

    def __init__(self, needles: Iterable[str]) -> None:
        forms = sorted({form for needle in needles for form in byte_forms(needle)})
        self._find = _hyperscan_finder(forms) or _ahocorasick_finder(forms) or _regex_finder(forms)
        self.engine = self._find.engine

    def positions(self, window: bytes | memoryview) -> list[int]:
        return self._find(window)


def _hyperscan_finder(forms: list[bytes]):
    """~5x faster than the automaton below (0.14 s CPU instead of 0.77 s, lower() included, on the 200 MiB log of
    bench/explain_throughput.py): literal matching with SIMD, caseless for ASCII only, as bytes.lower() is, so
    the Cyrillic forms keep their cases as byte_forms wrote them. It reads the window in place: no copy."""
    database = hyperscan_literals(forms, caseless=True)
    if database is None:
        return None

    lengths = [len(form) for form in forms]

    def find(window: bytes | memoryview) -> list[int]:
        found: list[int] = []
        add = found.append
        # Only the end is reported (HS_FLAG_SOM_LEFTMOST would cost speed); a literal starts its length before it.
        database.scan(window, match_event_handler=lambda index, _start, end, _flags, _ctx: add(end - lengths[index]))
        return found

    find.engine = "hyperscan"  # type: ignore[attr-defined]
    return find


def _ahocorasick_finder(forms: list[bytes]):
    try:
        import ahocorasick_rs
    except ImportError:  # pragma: no cover - the wheel exists for common platforms
        return None
    # The DFA costs more to build (a few ms) but searches ~1.5x faster than the NFA.
    automaton = ahocorasick_rs.BytesAhoCorasick(forms, implementation=ahocorasick_rs.Implementation.DFA)

    def find(window: bytes | memoryview) -> list[int]:
        return [start for _, start, _ in automaton.find_matches_as_indexes(bytes(window).lower())]

    find.engine = "ahocorasick_rs"  # type: ignore[attr-defined]
    return find


def _regex_finder(forms: list[bytes]):  # pragma: no cover - only without both wheels
    rx = re.compile(b"|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))

    def find(window: bytes | memoryview) -> list[int]:
        return [m.start() for m in rx.finditer(bytes(window).lower())]

    find.engine = "re"  # type: ignore[attr-defined]
    return find


def open_log(path: str, stdin: BinaryIO | None = None) -> BinaryIO:
    """A binary stream; gzip is recognised by its magic bytes, whatever the file is called, UTF-16 by its
    byte-order mark, CR-only line ends by the first block read."""
    raw: BinaryIO = stdin if path == "-" and stdin is not None else open(path, "rb")  # noqa: SIM115
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return DamageTolerantReader(gzip.GzipFile(fileobj=buffered))  # type: ignore[return-value]
    start = buffered.peek(2)
    if start[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return Translated(io.TextIOWrapper(buffered, encoding="utf-16", errors="replace", newline=""),  # type: ignore[return-value]
                          lambda text: text.encode("utf-8"), chars=True)
    if b"\r" in start and b"\n" not in start:
        return Translated(buffered, lambda data: data.replace(b"\r", b"\n"))  # type: ignore[return-value]
    return buffered


class Translated:
    """A log whose lines the scan could not see as written, read through `convert`:
    - UTF-16 with its byte-order mark (Windows PowerShell 5's `>` and `Out-File`), as UTF-8: in UTF-16 every
      ASCII letter carries a NUL byte, so no needle and no line end would be found;
    - CR alone as the line end (classic Mac OS, some embedded loggers), as LF: the whole file would be one
      line, of which only the first MAX_RECORD bytes are read."""

    def __init__(self, inner, convert, chars: bool = False) -> None:
        self.inner, self.convert, self.chars = inner, convert, chars

    def read(self, size: int = -1) -> bytes:
        if self.chars and size >= 0:
            size = max(1, size // 2)  # characters: at most 1.5 * size bytes of UTF-8 (3 per BMP character)
        return self.convert(self.inner.read(size))

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> Translated:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DamageTolerantReader:
    """A gzip stream whose damage (a corrupt block, a cut-off end) ends the data instead of the run: what
    was read up to there is kept, and `damaged` says the rest was lost, so the caller can warn."""

    def __init__(self, inner: gzip.GzipFile) -> None:
        self.inner = inner
        self.damaged = False

    PIECE = 1 << 13  # GzipFile.read() drops all it decompressed when it hits damage: ask in small pieces

    def read(self, size: int = -1) -> bytes:
        pieces: list[bytes] = []
        wanted = size if size >= 0 else 1 << 62
        while wanted > 0 and not self.damaged:
            try:
                piece = self.inner.read(min(self.PIECE, wanted))
            except (EOFError, zlib.error, gzip.BadGzipFile):
                self.damaged = True
                break
            if not piece:
                break
            pieces.append(piece)
            wanted -= len(piece)
        return b"".join(pieces)

    def close(self) -> None:
        try:
            self.inner.close()
        except (EOFError, zlib.error, OSError):
            pass

    def __enter__(self) -> DamageTolerantReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def cut_long_lines(block: bytes, limit: int = MAX_RECORD) -> bytes:
    """`block` with every line cut to `limit` bytes: only a record's first MAX_RECORD bytes are read, so the
    rest of a long line must cost nothing (a line longer than a chunk is cut the same way in `scan`).
    Short lines cost one backward search per `limit` bytes, not one per line."""
    parts: list[bytes] = []
    pos = kept = 0  # pos: the start of a line not yet known to be short
    while len(block) - pos > limit:
        last = block.rfind(b"\n", pos, pos + limit + 1)
        if last != -1:
            pos = last + 1  # every line up to here is at most `limit` bytes
            continue
        end = block.find(b"\n", pos + limit)
        end = len(block) if end == -1 else end
        parts.append(block[kept:pos + limit])
        pos = kept = end  # the newline stays: line numbers do not change
    if not parts:
        return block
    parts.append(block[kept:])
    return b"".join(parts)


# A line of a multi-line 250 reply as a transcript prints it, after the client's marker or at the line's start:
# Net::SMTP's debug output "Net::SMTP=GLOB(0x55d0c1a2b3c4)<<< 250-STARTTLS" (Net::Cmd's debug_print: the object,
# "<<< " for what the server sent, the line as received), swaks' " <-  250-AUTH PLAIN LOGIN", a bare "250-SIZE".
_MULTILINE_250 = re.compile(rb"(?:^|[\s<>:|\]])250-\S")
_REPLY_250 = re.compile(rb"(?:^|[\s<>:|\]])250[ -]")
EHLO_LOOKBACK = 64  # lines before a record searched for the EHLO reply the client acted on


def ehlo_reply_before(block: bytes, head: int) -> str | None:
    """The latest multi-line 250 reply (an EHLO reply: the only multi-line 250 a client's session shows) in the
    EHLO_LOOKBACK lines of `block` before `head`, as text; None when there is none. After STARTTLS the client says
    EHLO again: the later reply (no STARTTLS in it) is the one found."""
    run: list[bytes] = []  # the 250 lines met going up, the latest first
    pos = head
    for _ in range(EHLO_LOOKBACK):
        if pos <= 0:
            break
        start = block.rfind(b"\n", 0, pos - 1) + 1
        line = block[start:pos - 1].rstrip(b"\r")
        pos = start
        if _REPLY_250.search(line):
            run.append(line)
        elif any(_MULTILINE_250.search(r) for r in run):
            break  # the whole reply, its first line included
        else:
            run.clear()  # a one-line 250 ("250 2.1.0 Ok"): not an EHLO list
    if not any(_MULTILINE_250.search(r) for r in run):
        return None
    return decode(b"\n".join(reversed(run)))


class LogScanner:
    def __init__(self, engine: EvidenceEngine, provider_hints: dict[str, list[str]] | None = None) -> None:
        self.engine = engine
        self.prefilter = Prefilter([*engine.needles(), *FALLBACK_NEEDLES])
        self._frames: tuple[int, str] | None = None  # (the line right after a traceback's frames, their text)
        # Longest hints first, so "eu.mailgun" wins over "mailgun".
        self.hints = sorted(((h.lower(), pid) for pid, hs in (provider_hints or {}).items() for h in hs),
                            key=lambda item: -len(item[0]))

    def provider_of(self, text: str) -> str | None:
        lowered = text.lower()
        return next((pid for hint, pid in self.hints if hint in lowered), None)

    def scan(self, stream: BinaryIO, name: str, on_match: Callable[[LogMatch], None]) -> int:
        """Scan one stream; returns the number of lines. Memory stays within a few chunks."""
        carry = b""
        dropping = False  # inside a line longer than MAX_RECORD: skip to its end
        line_base = 1  # the number of the held block's first line
        # The latest block is read only when the next one arrives, or with the unterminated last line at the
        # end: that line may continue the record above it (an indented " SMTP code: 530" with no newline after
        # it), and read on its own it would be a second diagnosis of the same failure.
        held: tuple[bytes, int] | None = None
        # A stream that wants to know which bytes are being read for matches (prescribe.logsource.Sniffer: the
        # markers around a match name the framework that wrote it) is told each block: they are not the last read.
        named = getattr(stream, "scanning", None)
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            if dropping:
                cut = chunk.find(b"\n")
                if cut == -1:
                    continue
                dropping = False
                chunk = b"\n" + chunk[cut + 1:]
            cut = chunk.rfind(b"\n")
            if cut == -1:
                data = carry + chunk if carry else chunk
                carry = data[:MAX_RECORD]
                dropping = len(data) > MAX_RECORD
                continue
            # The block is copied once (carry and chunk joined, through a view), not joined and then sliced.
            block = b"".join((carry, memoryview(chunk)[:cut + 1])) if carry or cut + 1 < len(chunk) else chunk
            carry = chunk[cut + 1:]
            if len(carry) > MAX_RECORD:
                carry, dropping = carry[:MAX_RECORD], True
            if held is not None:
                line_base = held[1] + self._scan_held(held, name, on_match, named)
            held = (block, line_base)
        if carry:
            held = (held[0] + carry + b"\n", held[1]) if held is not None else (carry + b"\n", line_base)
        if held is None:
            return 0
        return held[1] - 1 + self._scan_held(held, name, on_match, named)

    def _scan_held(self, held: tuple[bytes, int], name: str, on_match: Callable[[LogMatch], None],
                   named: Callable[[bytes], None] | None) -> int:
        block, line_base = held
        if named is not None:
            named(block)
        return self._scan_block(cut_long_lines(block), name, line_base, on_match)  # cut_long_lines keeps every newline

    def _scan_block(self, block: bytes, name: str, line_base: int, on_match: Callable[[LogMatch], None]) -> int:
        """Every record of `block` (whole lines, none longer than MAX_RECORD) that holds a needle, read once; returns
        the block's number of lines. Linear in the block: a line is located once, however many needles it holds,
        and its newlines are counted once (up to each record's head, then the rest)."""
        seen_heads: set[int] = set()
        counted_to, counted = 0, 0
        window = 0
        view = memoryview(block)  # windows of it without a copy
        while window < len(block):
            window_end = block.find(b"\n", window + WINDOW)
            window_end = len(block) if window_end == -1 else window_end + 1
            positions = self.prefilter.positions(view[window:window_end])
            line_end = -1  # the end of the line of the last needle read: later needles before it are that line's
            for pos in sorted(positions):
                pos += window
                if pos < line_end:
                    continue
                start = block.rfind(b"\n", 0, pos) + 1
                line_end = block.find(b"\n", pos)
                line_end = len(block) if line_end == -1 else line_end
                head = self._head_of(block, start)
                if head in seen_heads:
                    continue
                seen_heads.add(head)
                if head >= counted_to:
                    counted += block.count(b"\n", counted_to, head)
                else:  # not expected (heads ascend), but never miscount
                    counted = block.count(b"\n", 0, head)
                counted_to = head
                record = self._record(block, head)
                self._match_record(record, name, line_base + counted, on_match, block, head)
            window = window_end
        return counted + block.count(b"\n", counted_to)

    @staticmethod
    def _head_of(block: bytes, start: int) -> int:
        head = start
        for _ in range(MAX_CONTINUATION):
            if head == 0:
                return head
            end = block.find(b"\n", head)
            line = block[head:end if end != -1 else len(block)]
            previous_start = block.rfind(b"\n", 0, head - 1) + 1
            if not is_continuation(line, block[previous_start:head - 1]):
                return head
            head = previous_start
        return start

    @staticmethod
    def _record(block: bytes, head: int) -> bytes:
        end = block.find(b"\n", head)
        lines = [block[head:end]]
        for _ in range(MAX_CONTINUATION):
            if end == -1 or end + 1 >= len(block):
                break
            nxt = block.find(b"\n", end + 1)
            line = block[end + 1:nxt if nxt != -1 else len(block)]
            if not is_continuation(line, lines[-1]) or sum(map(len, lines)) > MAX_RECORD:
                break
            lines.append(line)
            end = nxt
        return b"\n".join(lines)[:MAX_RECORD]

    def _match_record(self, record: bytes, name: str, line: int, on_match: Callable[[LogMatch], None],
                      block: bytes = b"", at: int = 0) -> None:
        """`block` and `at`, where the record starts in it: the lines before it, read when the record needs them."""
        text = decode(record.rstrip(b"\r")).replace("\r", "")
        head = text.split("\n", 1)[0]
        bare = strip_prefixes(head.encode("utf-8", "replace")).lstrip()
        if bare.startswith(b"Traceback (most recent call last)") or _PYTHON_FRAME.match(bare):
            # Frames quote library source (`raise SMTPServerDisconnected(...)`); the exception follows them. They
            # are not read, but they name the step (smtplib's connect -> getreply: the greeting) for that exception.
            self._frames = (line + record.count(b"\n") + 1, text[-4096:])
            return
        frames = self._frames[1] if self._frames and self._frames[0] == line else None
        subject = json_message(text) if text.lstrip().startswith(("{", "[")) or '{"' in head else text
        reading = self.engine.read(subject, frames=frames)
        if reading is None:
            return
        if reading.code == "auth.not_supported" and frames is None:
            # "No AUTH" is the client's conclusion from the server's EHLO reply, printed lines before: a reply that
            # offered STARTTLS and no AUTH means login is offered after TLS (the engine reads that with the reply).
            ehlo = ehlo_reply_before(block, at)
            if ehlo is not None:
                reading = self.engine.read(subject, frames=ehlo) or reading
        # The example is the log's own words: its first two lines as written. They are masked, then shortened
        # (example_of), when they become a diagnosis's example: once per group, and never cut before masking,
        # which would leave the start of a secret whose end the mask needed to see it.
        shown = "\n".join(text.split("\n")[:2])
        provider = reading.provider or self.provider_of(subject)
        on_match(LogMatch(name, line, reading.code, provider, reading.certain, shown, reading.params, reading,
                          lines=record.count(b"\n") + 1))
