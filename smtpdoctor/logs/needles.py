"""Literal "needles" for the fast prefilter: for each catalog regex, strings of which every line the
regex can match contains at least one (compared case-insensitively). Derived from the regex itself,
so a support engineer who adds a pattern does not have to think about the prefilter."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _parser
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

MIN_NEEDLE = 4


def split_top_level(regex: str) -> list[str]:
    """Split at '|' outside groups and character classes."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if regex[i + 1:i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(regex[start:i])
            start = i + 1
        i += 1
    parts.append(regex[start:])
    return parts


def _pure_literal(items) -> str | None:
    out = ""
    for op, av in items:
        if op is not _c.LITERAL:
            return None
        out += chr(av)
    return out


def _sequence(items) -> list[str]:
    """Needles for a sequence: its longest literal run, or else the needles of one of its branches."""
    best, run = "", ""
    branches = []
    for op, av in items:
        if op is _c.LITERAL:
            run += chr(av)
            continue
        if op is _c.SUBPATTERN:
            sub = list(av[-1])
            literal = _pure_literal(sub)
            if literal is not None:
                run += literal
                continue
            branches.append(sub)
        elif op is _c.BRANCH:
            branches.append([(op, av)])
        best = max(best, run, key=len)
        run = ""
    best = max(best, run, key=len)
    # Every literal run and every branch set is a valid choice (a match contains each of them); take the
    # most selective: the one whose weakest needle has the most letters ("421 " is in "took 421 ms" too,
    # "closing transmission channel" is not).
    choices = [[best]] if len(best) >= MIN_NEEDLE else []
    for sub in branches:
        options = _alternatives(sub)
        if options and all(len(o) >= MIN_NEEDLE for o in options):
            choices.append(options)
    if not choices:
        return [best]
    return max(choices, key=lambda options: min(_letters(o) for o in options))


def _letters(needle: str) -> int:
    return sum(ch.isalpha() for ch in needle)


def _alternatives(items) -> list[str]:
    if len(items) == 1 and items[0][0] is _c.BRANCH:
        out: list[str] = []
        for branch in items[0][1][1]:
            out += _sequence(list(branch))
        return out
    if len(items) == 1 and items[0][0] is _c.SUBPATTERN:
        return _alternatives(list(items[0][1][-1]))
    return _sequence(items)


def needles_for(regex: str) -> list[str]:
    """Lower-case needles; raises ValueError when some branch has no literal of MIN_NEEDLE characters."""
    found: list[str] = []
    for piece in split_top_level(regex):
        options = _alternatives(list(_parser.parse(piece)))
        short = [o for o in options if len(o) < MIN_NEEDLE]
        if short:
            raise ValueError(f"no literal of {MIN_NEEDLE}+ characters in {piece!r}; add `needles` to the pattern")
        found += [o.lower() for o in options]
    return sorted(set(found))


# regex -> its needles (None: a branch without a literal of MIN_NEEDLE characters), for this process: the status
# vocabulary's terms are asked for by the engine and by the prefilter's needle list alike.
_KNOWN: dict[str, list[str] | None] = {}


def needles_of(regexes: Iterable[str]) -> dict[str, list[str] | None]:
    """`needles_for` of each regex (None where it raises). Deriving them costs 40-70 ms of every `explain` and of
    the first reply a failing `check` reads (618 regexes parsed with re's own parser), so they are built once
    for a set of regexes and kept in the parsed-data cache (knowledge/tomlcache.py), keyed by the regexes and by
    this module's source: a later run with the same data reads them back; an edited pattern or rule here builds
    them anew."""
    wanted = set(regexes)
    missing = sorted(wanted.difference(_KNOWN))
    if missing:
        from smtpdoctor.knowledge.tomlcache import built_cached

        key = b"\0".join([Path(__file__).read_bytes(), *(r.encode("utf-8", "surrogatepass") for r in missing)])
        built = built_cached(key, "needles", lambda: {r: _needles_or_none(r) for r in missing})
        if not all(isinstance(built.get(r, 0), (list, type(None))) for r in missing):  # never trust a damaged entry
            built = {r: _needles_or_none(r) for r in missing}
        _KNOWN.update(built)
    return {r: _KNOWN[r] for r in wanted}


def _needles_or_none(regex: str) -> list[str] | None:
    try:
        return needles_for(regex)
    except ValueError:
        return None


def byte_forms(needle: str) -> set[bytes]:
    """How a needle can look in a lower-cased (ASCII only) byte chunk: UTF-8 and cp1251, with the
    Cyrillic letters in either case (bytes.lower() does not touch them)."""
    variants = {needle, needle.lower(), needle.upper(), needle.capitalize()}
    forms: set[bytes] = set()
    for text in variants:
        for encoding in ("utf-8", "cp1251"):
            try:
                forms.add(text.encode(encoding).lower())
            except UnicodeEncodeError:
                pass
    return forms
