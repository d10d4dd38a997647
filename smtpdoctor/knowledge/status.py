"""What SMTP status codes and client wording mean: enhanced status codes (RFC 3463 / IANA registry),
basic reply codes by command (RFC 5321), the fixed wording of client libraries, OSes and TLS stacks,
and how logs name the command a reply answered. All of it is data in this folder:

    enhanced_codes.toml   X.Y.Z -> meaning, finding, per-command findings, provider-defined codes
    reply_codes.toml      basic code x command -> finding
    vocabularies.toml     errno names, timeouts, TLS errors, client messages (weak = wrapper tokens)
    wordings.toml         what a reply's own words mean on any 4xx/5xx, in English and Russian (strong = read
                          before its status codes), and client layer markers in other languages
    http_apis.toml        the HTTP sending APIs' documented error answers (each with its provider and status)
    commands.toml         how a log says which command a reply answered

Each file is checked by `status_schema` when it is parsed anew (pydantic, not on the hot path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

COMMANDS = ("GREETING", "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "DATA_END", "QUIT")


@dataclass(frozen=True)
class EnhancedCode:
    code: str  # "X.7.9" (registered: X stands for the class) or "5.7.139" (provider-defined)
    title: str
    finding: str | None
    by_command: dict[str, str]
    provider: str | None
    regex: re.Pattern[str] | None
    registered: bool

    def finding_for(self, command: str | None) -> str | None:
        if command and command in self.by_command:
            return self.by_command[command]
        return self.finding


@dataclass(frozen=True)
class Subject:
    subject: str
    title: str
    finding: str | None
    by_command: dict[str, str]


@dataclass(frozen=True)
class ReplyRule:
    code: str  # "535", or "4xx" / "5xx" for a class fallback
    command: str  # a command, or "*"
    finding: str | None
    meaning: str
    variant: str | None = None


@dataclass(frozen=True)
class Term:
    kind: str  # errno | timeout | tls | client | dns
    finding: str
    weak: bool
    literal: str | None  # lower-cased
    regex: re.Pattern[str] | None
    source: str
    variant: str | None = None  # the catalog variant of `finding` that explains this wording
    strong: bool = False  # the reply's own words name the cause: read before its status codes
    provider: str | None = None  # an HTTP API's own answer: that provider's wording

    @property
    def needs_failure(self) -> bool:
        """A reply's wording ("spam", "user unknown") means a failure only in a record that reports one."""
        return self.kind == "reply"

    def found_in(self, text: str, lowered: str) -> bool:
        if self.literal is not None:
            return self.literal in lowered
        return bool(self.regex.search(text))

    def span_in(self, text: str, lowered: str) -> tuple[int, int] | None:
        """Where the wording first occurs (a literal in the lower-cased text), or None."""
        if self.literal is not None:
            at = lowered.find(self.literal)
            return None if at < 0 else (at, at + len(self.literal))
        found = self.regex.search(text)
        return found.span() if found else None


@dataclass(frozen=True)
class CommandCue:
    command: str
    regex: re.Pattern[str]
    group: int  # 0: the cue names `command`; n: group n holds the command word to read


@dataclass(frozen=True)
class StatusKnowledge:
    enhanced: dict[str, tuple[EnhancedCode, ...]]  # "X.7.9" / "5.7.139" -> entries (provider ones first)
    subjects: dict[str, Subject]
    replies: dict[tuple[str, str], ReplyRule]
    terms: tuple[Term, ...]
    commands: tuple[CommandCue, ...]

    def enhanced_entries(self, code: str) -> tuple[EnhancedCode, ...]:
        """Provider-defined entries for the exact code first, then the registered X.Y.Z entry."""
        klass, rest = code.split(".", 1)
        return self.enhanced.get(code, ()) + self.enhanced.get(f"X.{rest}", ())

    def reply_rule(self, code: int, command: str | None) -> ReplyRule | None:
        key = str(code)
        for probe in ((key, command), (key, "*"), (f"{key[0]}xx", command), (f"{key[0]}xx", "*")):
            if probe[1] is not None and probe in self.replies:
                return self.replies[probe]
        return None

    def needles(self) -> set[str]:
        """Literals for the log prefilter: every vocabulary literal and the literals of its regexes.
        A command cue ("MAIL failed: 550", "RCPT TO command failed") makes a record worth reading when it
        carries a reply code, so its literals are needles too (cues without a literal add none)."""
        from smtpdoctor.logs.needles import needles_for, needles_of

        derived = needles_of([*(t.regex.pattern for t in self.terms if t.literal is None),
                              *(cue.regex.pattern for cue in self.commands)])
        out = set()
        for term in self.terms:
            if term.literal is not None:
                out.add(term.literal)
            else:
                out.update(derived[term.regex.pattern] or needles_for(term.regex.pattern))  # raises: says which
        for cue in self.commands:
            found = derived[cue.regex.pattern]
            if found is None:
                continue  # a transcript cue (" ~> .") has no literal worth a needle
            if min(sum(ch.isalpha() for ch in n) for n in found) >= 6:
                out.update(found)  # "auth" or "data" alone would make every web log line a candidate
        return out


def _read(name: str, validate) -> dict:
    from smtpdoctor.knowledge.tomlcache import loads_cached, shipped_text

    return loads_cached(shipped_text(name), name.removesuffix(".toml"), validate=validate)


def _validator(kind: str):
    def validate(raw: dict) -> None:
        from smtpdoctor.knowledge.status_schema import validate as check  # pydantic: only when parsed anew

        check(kind, raw)

    return validate


def _pattern(text: str | None) -> re.Pattern[str] | None:
    return re.compile(text, re.I) if text else None


@cache
def load_status_knowledge() -> StatusKnowledge:
    raw = _read("enhanced_codes.toml", _validator("enhanced"))
    enhanced: dict[str, list[EnhancedCode]] = {}
    for item in raw.get("code", []):
        entry = EnhancedCode(item["code"], item["title"], item.get("finding"), dict(item.get("by_command", {})),
                             item.get("provider"), _pattern(item.get("regex")), item.get("registered", True))
        enhanced.setdefault(entry.code, []).append(entry)
    for entries in enhanced.values():
        entries.sort(key=lambda e: (e.regex is None, e.provider is None))  # gated, provider entries first
    subjects = {s["subject"]: Subject(s["subject"], s["title"], s.get("finding"), dict(s.get("by_command", {})))
                for s in raw.get("subject", [])}
    replies_raw = _read("reply_codes.toml", _validator("reply"))
    replies = {(str(r["code"]), r["command"]): ReplyRule(str(r["code"]), r["command"], r.get("finding"), r["meaning"],
                                                         r.get("variant"))
               for r in replies_raw.get("reply", [])}
    raw_terms = [t for name in ("vocabularies.toml", "wordings.toml", "http_apis.toml")
                 for t in _read(name, _validator("vocabulary")).get("term", [])]
    terms = tuple(Term(t["kind"], t["finding"], t.get("strength") == "weak",
                       t["match"].lower() if t.get("match") else None, _pattern(t.get("regex")), t["source"],
                       t.get("variant"), t.get("strength") == "strong", t.get("provider"))
                  for t in raw_terms)
    cues_raw = _read("commands.toml", _validator("commands"))
    commands = tuple(CommandCue(c.get("command", ""), re.compile(c["regex"], re.I), c.get("group", 0))
                     for c in cues_raw.get("cue", []))
    return StatusKnowledge({k: tuple(v) for k, v in enhanced.items()}, subjects, replies, terms, commands)
