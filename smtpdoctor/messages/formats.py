"""The human-readable part of a bounce, read by the markers of knowledge/bounce_formats.toml: which format wrote
it, where its error block starts and ends, which lines name a failed recipient, and what the text around each
recipient says (its diagnostic, the SMTP command it answered, the remote host)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from smtpdoctor.knowledge.matcher import needle_finder

MAX_SECTION = 8 << 10  # characters of one recipient's text kept as its diagnostic
_COMMANDS = {
    "RCPT TO": "RCPT", "RCPT": "RCPT", "RCPT_TO": "RCPT", "MAIL FROM": "MAIL", "MAIL": "MAIL", "MAIL_FROM": "MAIL",
    "SENDER": "MAIL", "RECIPIENT": "RCPT", "DATA": "DATA", "END OF DATA": "DATA", "FINAL DATA": "DATA", "HELO": "HELO", "EHLO": "EHLO",
    "MY NAME": "HELO", "INITIAL CONNECTION": "GREETING", "GREETING": "GREETING", "STARTTLS": "STARTTLS",
    "AUTH": "AUTH", "BDAT": "DATA", "TEXT": "DATA", "QUIT": None, "XFORWARD": None, "PIPELINED": None,
    "<<<": "GREETING",  # a transcript's reply with no command before it
}
_CONTINUATION = re.compile(r"\n[ \t]+")
_HEADER_LINE = re.compile(r"([!-9;-~]{1,76}):[ \t]*(.*)")


@dataclass(frozen=True)
class Format:
    id: str
    name: str
    recipient: tuple[re.Pattern, ...]
    reason: str | None
    command: str | None
    preamble: bool = False
    leading: re.Pattern | None = None  # lines that belong to the recipient line after them (a session transcript)
    session: re.Pattern | None = None  # a line that starts another connection in a transcript
    quoted: tuple[re.Pattern, ...] = ()  # fields the notice states once for all recipients (named groups)


@dataclass
class Section:
    address: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(line.strip() for line in self.lines if line.strip())[:MAX_SECTION]


@dataclass
class Block:
    lines: list[str]  # the error block
    after: list[str]  # what follows it: the returned original, when it is inline


def _compile(patterns, flags=re.I | re.M) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, flags) for p in patterns)


def _needles(pattern: str) -> frozenset[str] | None:
    from smtpdoctor.logs.needles import needles_for

    try:
        return frozenset(needles_for(pattern))
    except (ValueError, re.error):
        return None  # no literal to look for first: the regex is always tried


def _any_of(patterns) -> re.Pattern | None:
    """One regex for several markers, each looked for at the start of any line (one pass instead of many)."""
    patterns = list(patterns)
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I | re.M)


class Formats:
    def __init__(self, data: dict) -> None:
        common = data["common"]
        self.recipient = _compile(common["recipient"], re.I)
        self.hosts = _compile(common["host"], re.I | re.M)
        self.formats = tuple(Format(f["id"], f["name"], _compile(f.get("recipient", ()), re.I),
                                    f.get("reason"), f.get("command"), f.get("preamble", False),
                                    re.compile(f["leading"], re.I) if f.get("leading") else None,
                                    re.compile(f["session"], re.I) if f.get("session") else None,
                                    _compile(f.get("quoted", ()), re.I | re.M))
                             for f in data["format"])
        self.by_id = {f.id: f for f in self.formats}
        # Each marker with the literals any match of it contains (logs.needles): one Aho-Corasick pass over the
        # probe says which markers can match at all, and only those regexes run.
        self._markers: list[tuple[Format, bool, re.Pattern, frozenset[str] | None]] = []
        for fmt, f in zip(self.formats, data["format"]):
            for weak, key in ((False, "match"), (True, "weak")):
                for pattern in f.get(key, ()):
                    self._markers.append((fmt, weak, re.compile(pattern, re.I | re.M), _needles(pattern)))
        literals = sorted({n for *_, needles in self._markers if needles for n in needles})
        self._present = needle_finder(literals)
        self._start = {fmt.id: _any_of(f.get("start", ())) for fmt, f in zip(self.formats, data["format"])}
        self._end = {fmt.id: _any_of([*f.get("end", ()), *common["end"]]) for fmt, f in zip(self.formats, data["format"])}
        self._end[""] = _any_of(common["end"])
        # Each cue names its command group `cmd`; in one regex the groups need names of their own (cmd0, cmd1...).
        self._commands = _any_of([c["regex"].replace("(?P<cmd>", f"(?P<cmd{i}>")
                                  for i, c in enumerate(common["command"])])

    def recognise(self, probe: str) -> Format | None:
        present = self._present(probe.lower())
        for pass_weak in (False, True):
            for fmt, weak, regex, needles in self._markers:
                if weak is pass_weak and (needles is None or not present.isdisjoint(needles)) and regex.search(probe):
                    return fmt
        return None

    def block(self, text: str, fmt: Format | None) -> Block:
        """The error block: from the line of the format's start marker (or the top) to the line before the first
        end marker after it; what follows that marker line is `after` (an inline returned original)."""
        start = 0
        starts = self._start.get(fmt.id) if fmt is not None else None
        if starts is not None:
            m = starts.search(text)
            if m:
                start = text.rfind("\n", 0, m.start()) + 1
        first_end = text.find("\n", start)
        ends = self._end[fmt.id if fmt is not None else ""]
        m = ends.search(text, first_end + 1) if first_end != -1 else None
        if m is None:
            return Block(text[start:].split("\n"), [])
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.start())
        after = text[line_end + 1:].split("\n") if line_end != -1 else []
        return Block(text[start:line_start].rstrip("\n").split("\n") if line_start > start else [], after)

    def sections(self, lines: list[str], fmt: Format | None) -> list[Section]:
        """One section per recipient line, in order; a recipient named twice keeps one section (its lines joined)."""
        patterns = (fmt.recipient if fmt is not None else ()) + self.recipient
        found: list[Section] = []
        by_address: dict[str, Section] = {}
        current: Section | None = None
        before: list[str] = []  # the lines before the first recipient
        pending: list[str] = []  # leading lines waiting for their recipient line
        leading = fmt.leading if fmt is not None else None
        session = fmt.session if fmt is not None else None
        for line in lines:
            hit = None
            if "@" in line:
                for rx in patterns:
                    hit = rx.search(line)
                    if hit:
                        break
            if hit:
                address = hit.group("addr").strip("<>.,;:")
                key = address.lower()
                current = by_address.get(key)
                if current is None:
                    current = by_address[key] = Section(address)
                    found.append(current)
                current.lines += pending[-40:]
                pending = []
                rest = hit.groupdict().get("text")
                if rest:
                    current.lines.append(rest)
                continue
            if leading is not None and leading.search(line):
                if session is not None and session.search(line):
                    pending = []  # an earlier connection's lines no recipient line claimed: not these recipients'
                pending.append(line)
                continue
            if current is not None and len(current.lines) < 400:
                current.lines.append(line)
            elif current is None and len(before) < 100:
                before.append(line)
        if pending and found:
            found[-1].lines += pending[-40:]
        if fmt is not None and fmt.preamble and before:
            for section in found:
                section.lines[:0] = before
        return found

    def quoted_fields(self, text: str, fmt: Format | None) -> dict[str, str]:
        """What the format's notice states once for all its recipients (the original's subject it repeats, the server
        that wrote it): each named group of the format's `quoted` regexes, first match, in the notice's first 16 KB."""
        found: dict[str, str] = {}
        if fmt is None or not fmt.quoted:
            return found
        head = text[:16 << 10]
        for rx in fmt.quoted:
            m = rx.search(head)
            if m:
                for name, value in m.groupdict().items():
                    if value and value.strip():
                        found.setdefault(name, value.strip())
        return found

    def command_of(self, text: str) -> str | None:
        """The command the failure answered: the last cue in the text (indented continuation lines joined, as
        Postfix wraps "(in reply to\n    RCPT TO command)")."""
        if "\n" in text:
            text = _CONTINUATION.sub(" ", text)
        best = None
        for m in self._commands.finditer(text):
            best = m
        if best is None:
            return None
        word = next(value for name, value in best.groupdict().items() if name.startswith("cmd") and value)
        return _COMMANDS.get(" ".join(word.upper().split()))

    def host_of(self, text: str) -> str | None:
        for rx in self.hosts:
            m = rx.search(text)
            if m:
                return m.group("host").rstrip(".")
        return None


def inline_headers(lines: list[str]) -> dict[str, str]:
    """The header fields at the top of an inline returned original (after its marker line)."""
    found: dict[str, str] = {}
    started = False
    last = None
    for line in lines[:300]:
        if not line.strip():
            if started:
                break
            continue
        if line[:1] in (" ", "\t") and last:
            found[last] = f"{found[last]} {line.strip()}"
            continue
        m = _HEADER_LINE.fullmatch(line.rstrip())
        if m is None:
            if started:
                break
            continue
        started = True
        last = m.group(1).lower()
        found.setdefault(last, m.group(2).strip())
    return found


@cache
def load_formats() -> Formats:
    from smtpdoctor.knowledge.tomlcache import load_shipped

    return Formats(load_shipped("bounce_formats.toml"))
