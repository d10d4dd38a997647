"""`explain`: which framework or library wrote a log (prescriptions.toml [[log_framework]]), so the fixes of its
diagnoses say that framework's setting names: a Django traceback gets EMAIL_HOST_PASSWORD, not SMTP_PASS.

The markers are looked for in the block the scanner is reading for matches, when it finds one there (`Sniffer` wraps
the stream): no second pass over a log, nothing read twice, and a traceback's frames count although they are not
the line that matched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class LogFramework:
    id: str
    markers: tuple[bytes, ...]
    naming: str


@cache
def log_frameworks() -> tuple[LogFramework, ...]:
    from smtpdoctor.knowledge.tomlcache import load_shipped

    data = load_shipped("prescriptions.toml")
    return tuple(LogFramework(d["id"], tuple(m.encode("utf-8") for m in d["markers"]), d["naming"])
                 for d in data.get("log_framework", []))


@cache
def _marker_finder():
    """(tail, block) -> the frameworks whose markers they hold, read as one text (a marker may be cut between them),
    in one pass for all markers: Hyperscan where its wheel is installed, else an Aho-Corasick automaton."""
    markers = [(fw.id, marker) for fw in log_frameworks() for marker in fw.markers]
    if not markers:
        return lambda tail, block: set()
    return _hyperscan_finder(markers) or _automaton_finder(markers) or _plain_finder(markers)


def _hyperscan_finder(markers: list[tuple[str, bytes]]):
    """Vectored mode reads the tail and the block as one text without joining them (no 4 MiB copy per look); each
    marker is reported once a look (SINGLEMATCH): a log that repeats one costs no call per line. 0.13 s of CPU
    instead of the automaton's 0.41 s (and 0.49 s with the copies) over the 200 MiB log of
    bench/explain_throughput.py."""
    from smtpdoctor.logs.literals import hyperscan_literals

    database = hyperscan_literals([marker for _, marker in markers], vectored=True, single_match=True)
    if database is None:
        return None

    def find(tail: bytes, block: bytes) -> set[str]:
        found: set[str] = set()
        database.scan([tail, block] if tail else [block],
                      match_event_handler=lambda index, _start, _end, _flags, _ctx: found.add(markers[index][0]))
        return found

    return find


def _automaton_finder(markers: list[tuple[str, bytes]]):
    try:
        import ahocorasick_rs
    except ImportError:  # pragma: no cover - the wheel exists for common platforms
        return None
    automaton = ahocorasick_rs.BytesAhoCorasick([marker for _, marker in markers])

    def search(data: bytes) -> set[str]:
        return {markers[i][0] for i, _, _ in automaton.find_matches_as_indexes(data, overlapping=True)}

    return _apart(search, max(len(marker) for _, marker in markers))


def _plain_finder(markers: list[tuple[str, bytes]]):  # pragma: no cover - only without both wheels
    return _apart(lambda data: {fid for fid, marker in markers if marker in data},
                  max(len(marker) for _, marker in markers))


def _apart(search, longest: int):
    """(tail, block) searched one by one, and the join between them on its own (the last `longest - 1` bytes of
    one and the first of the other: a marker cut in two), instead of a 4 MiB copy of both joined."""
    def find(tail: bytes, block: bytes) -> set[str]:
        if not tail:
            return search(block)
        return search(tail) | search(block) | search(tail[-(longest - 1):] + block[:longest - 1])

    return find


class Sniffer:
    """A binary stream that can tell which frameworks' markers passed through it; everything else is the stream's.

    Only the data around a match is looked at (`look`, called when the scanner finds one): the block the scanner
    is reading for matches and the end of the one before it, where a traceback's frames may lie. A log without a
    match costs nothing. The scanner reads a chunk ahead of the block it reads for matches (an unterminated last
    line may belong to the record above it), so it names that block (`scanning`): the chunk just read lies after
    the match, and markers there are not the match's. A reader that never names blocks has each read taken as one.
    """

    CONTEXT = 1 << 16  # bytes of the previous block kept: a record's frames just before the boundary

    def __init__(self, inner) -> None:
        self._inner = inner
        self._tail = b""
        self._block = b""
        self._looked = True
        self._named = False  # the reader names its blocks (`scanning`): reads are then not blocks
        self.seen: set[str] = set()

    def read(self, size: int = -1) -> bytes:
        chunk = self._inner.read(size)
        if chunk and not self._named:
            self._next(chunk)
        return chunk

    def scanning(self, block: bytes) -> None:
        """The reader looks for matches in `block` now (the bytes that follow the previous block it named)."""
        if not self._named:
            self._named, self._tail, self._block = True, b"", b""  # what the reads noted may be ahead of it
        self._next(block)

    def _next(self, block: bytes) -> None:
        self._tail = self._block[-self.CONTEXT:] if len(self._block) >= self.CONTEXT else \
            (self._tail + self._block)[-self.CONTEXT:]
        self._block, self._looked = block, False

    def look(self) -> None:
        """A match was found in the current block: note the frameworks whose markers are around it (once a block)."""
        if self._looked or len(self.seen) == len(log_frameworks()):
            return
        self._looked = True
        self.seen |= _marker_finder()(self._tail, self._block)

    def framework(self) -> str | None:
        """The framework that wrote this log: the first of the data's order whose marker was seen."""
        return next((fw.id for fw in log_frameworks() if fw.id in self.seen), None)

    def __enter__(self):
        self._inner.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._inner.__exit__(*exc)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def naming_of(framework_id: str | None) -> tuple[str | None, Mapping[str, str] | None]:
    """(settings format, its naming) for a framework a log named; (None, None) when it speaks SMTP_* anyway."""
    if framework_id is None:
        return None, None
    fw = next((f for f in log_frameworks() if f.id == framework_id), None)
    if fw is None or fw.naming == "nodemailer":
        return None, None
    from smtpdoctor.settings.frameworks import NAMINGS, SourceFormat

    if fw.naming in SourceFormat._value2member_map_:
        return fw.naming, dict(NAMINGS[SourceFormat(fw.naming)].__dict__)
    from smtpdoctor.knowledge.tomlcache import load_shipped

    table = load_shipped("prescriptions.toml").get("naming", {}).get(fw.naming)
    return (fw.naming, dict(table)) if table else (None, None)
