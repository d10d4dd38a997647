"""`explain`: which framework or library wrote a log (prescriptions.toml [[log_framework]]), so the fixes of its
diagnoses say that framework's setting names: a Django traceback gets EMAIL_HOST_PASSWORD, not SMTP_PASS.

The markers are looked for in the bytes the scanner has just read, when it finds a match there (`Sniffer` wraps
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
    """window -> the frameworks whose markers it holds, in one pass for all markers (a search per marker read each
    4 MiB chunk 34 times: 40 % of a scan's time)."""
    markers = [(fw.id, marker) for fw in log_frameworks() for marker in fw.markers]
    try:
        import ahocorasick_rs

        automaton = ahocorasick_rs.BytesAhoCorasick([marker for _, marker in markers]) if markers else None
    except ImportError:  # pragma: no cover - the wheel exists for common platforms
        automaton = None
    if automaton is None:
        return lambda window: {fid for fid, marker in markers if marker in window}
    return lambda window: {markers[i][0] for i, _, _ in automaton.find_matches_as_indexes(window, overlapping=True)}


def _frameworks_in(window: bytes) -> set[str]:
    return _marker_finder()(window)


class Sniffer:
    """A binary stream that can tell which frameworks' markers passed through it; everything else is the stream's.

    Only the data around a match is looked at (`look`, called when the scanner finds one): the chunk being read
    and the end of the one before it, where a traceback's frames may lie. A log without a match costs nothing."""

    CONTEXT = 1 << 16  # bytes of the previous chunk kept: a record's frames just before the boundary

    def __init__(self, inner) -> None:
        self._inner = inner
        self._tail = b""
        self._chunk = b""
        self._looked = True
        self.seen: set[str] = set()

    def read(self, size: int = -1) -> bytes:
        chunk = self._inner.read(size)
        if chunk:
            self._tail = (self._tail + self._chunk)[-self.CONTEXT:]
            self._chunk, self._looked = chunk, False
        return chunk

    def look(self) -> None:
        """A match was found in what was read: note the frameworks whose markers are around it (once a chunk)."""
        if self._looked or len(self.seen) == len(log_frameworks()):
            return
        self._looked = True
        self.seen |= _frameworks_in(self._tail + self._chunk)

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
