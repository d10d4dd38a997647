"""One matcher for server replies (check) and log lines (explain), built from the catalog's patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.report import Param, Phrase, phrase

# RFC 3463 enhanced status codes smtpdoctor can read with reasonable confidence when no pattern matched.
ENHANCED = {
    "5.7.8": "auth.bad_credentials",
    "5.7.9": "auth.app_password_required",
    "5.7.0": None,
    "5.7.1": None,
    "5.1.1": "delivery.recipient_rejected",
    "5.1.10": "delivery.recipient_rejected",
    "5.2.2": "delivery.recipient_rejected",
    "4.2.2": "delivery.recipient_rejected",
    "5.4.5": "delivery.quota_exceeded",
    "4.7.0": None,
    "4.7.1": None,
    "5.7.26": "sender.dmarc_rejected",
    "4.3.2": "net.server_unavailable",
    "5.7.57": "auth.requires_tls",
}
BASIC = {"535": "auth.bad_credentials", "534": "auth.app_password_required", "421": "net.server_unavailable",
         "454": None, "530": None, "550": None, "553": None, "554": None, "552": None, "451": None}

# What a status code's class and subject mean (RFC 3463): our words, by id in knowledge/phrases/checks.toml.
# Subject 0 ("other or undefined") is also the reading of a bare 4xx/5xx reply code.
STATUS_SUBJECTS = ("0", "1", "2", "3", "4", "5", "6", "7")


def status_meaning(klass: str, subject: str) -> Phrase:
    return phrase(f"status_class.{klass}.{subject if subject in STATUS_SUBJECTS else '0'}")


REPLY_RE = re.compile(r"(?<![\d.])([45]\d\d)[ -]([45]\.\d{1,3}\.\d{1,3})?(?![\d])")
ENHANCED_RE = re.compile(r"(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
SMTP_CONTEXT = re.compile(r"smtp", re.I)


@dataclass(frozen=True)
class Match:
    code: str
    provider: str | None = None
    certain: bool = True
    params: dict[str, Param] = field(default_factory=dict)


@dataclass(frozen=True)
class _Compiled:
    regex: re.Pattern[str]
    needles: tuple[str, ...]
    code: str
    provider: str | None
    certain: bool
    priority: int
    weak: bool = False
    variant: str | None = None

    @property
    def pattern(self) -> str:
        return self.regex.pattern


class Matcher:
    """Patterns ordered by priority (provider-specific first, broad fallbacks last)."""

    def __init__(self, catalog: Catalog) -> None:
        from smtpdoctor.logs.needles import needles_for

        compiled: list[_Compiled] = []
        for entry in catalog.entries.values():
            for pattern in entry.patterns:
                rank = pattern.priority + (1 if pattern.provider else 0)
                needles = tuple(n.lower() for n in pattern.needles) or tuple(needles_for(pattern.regex))
                compiled.append(_Compiled(re.compile(pattern.regex, re.I), needles, entry.code,
                                          pattern.provider, pattern.certain, rank, pattern.weak, pattern.variant))
        compiled.sort(key=lambda c: -c.priority)
        self.patterns = compiled
        self._present = _needle_finder(sorted({n for c in compiled for n in c.needles}))

    def all_needles(self) -> set[str]:
        return {n for c in self.patterns for n in c.needles}

    def match(self, text: str, areas: tuple[str, ...] | None = None) -> Match | None:
        """The best pattern match; with `areas`, codes of those areas win over others."""
        present = self._present(text.lower())
        if not present:
            return None
        best: _Compiled | None = None
        for c in self.patterns:
            if present.isdisjoint(c.needles):
                continue
            if c.regex.search(text):
                if areas is None or c.code.split(".")[0] in areas:
                    return Match(c.code, c.provider, c.certain)
                best = best or c
        if best is not None:
            return Match(best.code, best.provider, best.certain)
        return None

    def all_matches(self, text: str) -> list[_Compiled]:
        """Every pattern that matches, strongest first (provider-specific, then by priority)."""
        present = self._present(text.lower())
        if not present:
            return []
        return [c for c in self.patterns if not present.isdisjoint(c.needles) and c.regex.search(text)]

    def match_or_fallback(self, text: str, areas: tuple[str, ...] | None = None, require_context: bool = True) -> Match | None:
        return self.match(text, areas) or status_fallback(text, require_context)


def _needle_finder(needles: list[str]):
    """text -> the set of needles it contains (all of them, overlapping)."""
    try:
        import ahocorasick_rs

        automaton = ahocorasick_rs.AhoCorasick(needles)
        return lambda text: set(automaton.find_matches_as_strings(text, overlapping=True))
    except ImportError:  # pragma: no cover
        return lambda text: {n for n in needles if n in text}


def status_fallback(text: str, require_context: bool = True) -> Match | None:
    """Read a bare SMTP reply code / RFC 3463 enhanced code; always marked less certain."""
    reply = REPLY_RE.search(text)
    enhanced = ENHANCED_RE.search(text)
    if reply is None and enhanced is None:
        return None
    if reply is not None and enhanced is None and require_context and not SMTP_CONTEXT.search(text):
        return None  # a bare 3-digit number in a log is too weak on its own (HTTP 500, "took 421 ms")
    basic = reply.group(1) if reply else None
    if enhanced is not None:
        klass, subject, detail = enhanced.groups()
        key = f"{klass}.{subject}.{detail}"
        code = ENHANCED.get(key)
    else:
        klass, subject, key = basic[0], "", basic
        code = None
    if code is None and basic:
        code = BASIC.get(basic)
    shown = " ".join(part for part in (basic, key if enhanced else None) if part)
    params: dict[str, Param] = {"reply": shown, "meaning": status_meaning(klass, subject)}
    return Match(code or "smtp.reply_error", None, False, params)
