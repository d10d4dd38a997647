"""The catalog's wordings (diagnoses.toml patterns), compiled once with their prefilter needles; the evidence
engine (knowledge/evidence.py) asks which of them a record contains."""

from __future__ import annotations

import re
from dataclasses import dataclass

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.report import Phrase, phrase

# What a status code's class and subject mean (RFC 3463): our words, by id in knowledge/phrases/checks.toml.
# Subject 0 ("other or undefined") is also the reading of a bare 4xx/5xx reply code.
STATUS_SUBJECTS = ("0", "1", "2", "3", "4", "5", "6", "7")


def status_meaning(klass: str, subject: str) -> Phrase:
    return phrase(f"status_class.{klass}.{subject if subject in STATUS_SUBJECTS else '0'}")


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
        from smtpdoctor.logs.needles import needles_for, needles_of

        derived = needles_of(p.regex for entry in catalog.entries.values() for p in entry.patterns if not p.needles)
        compiled: list[_Compiled] = []
        for entry in catalog.entries.values():
            for pattern in entry.patterns:
                rank = pattern.priority + (1 if pattern.provider else 0)
                # a pattern without a literal: needles_for says why (a ValueError naming it)
                needles = tuple(n.lower() for n in pattern.needles) or tuple(derived[pattern.regex] or
                                                                              needles_for(pattern.regex))
                compiled.append(_Compiled(re.compile(pattern.regex, re.I), needles, entry.code,
                                          pattern.provider, pattern.certain, rank, pattern.weak, pattern.variant))
        compiled.sort(key=lambda c: -c.priority)
        self.patterns = compiled
        self._present = needle_finder(sorted({n for c in compiled for n in c.needles}))

    def all_needles(self) -> set[str]:
        return {n for c in self.patterns for n in c.needles}

    def all_matches(self, text: str) -> list[_Compiled]:
        """Every pattern that matches, strongest first (provider-specific, then by priority)."""
        present = self._present(text.lower())
        if not present:
            return []
        return [c for c in self.patterns if not present.isdisjoint(c.needles) and c.regex.search(text)]


def needle_finder(needles: list[str]):
    """text -> the set of needles it contains (all of them, overlapping)."""
    try:
        import ahocorasick_rs

        automaton = ahocorasick_rs.AhoCorasick(needles)
        return lambda text: set(automaton.find_matches_as_strings(text, overlapping=True))
    except ImportError:  # pragma: no cover
        return lambda text: {n for n in needles if n in text}
