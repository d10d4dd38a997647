"""Language choice and the UI strings that are not diagnoses (headings, step names, errors).

Every user-facing string goes through :func:`tr`; a test fails if an id lacks en or ru.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from importlib.resources import files


class Lang(StrEnum):
    EN = "en"
    RU = "ru"


def detect_lang(explicit: str | None, env: Mapping[str, str]) -> Lang:
    """--lang wins, then SMTPDOCTOR_LANG, then the POSIX locale variables in their precedence order."""
    if explicit:
        return Lang(explicit.lower())
    chosen = env.get("SMTPDOCTOR_LANG", "").strip().lower()
    if chosen in ("en", "ru"):
        return Lang(chosen)
    # POSIX: LC_ALL overrides LC_MESSAGES overrides LANG; the first non-empty one decides.
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return Lang.RU if value.lower().startswith("ru") else Lang.EN
    return Lang.EN


@cache
def _messages() -> dict[str, dict[str, str]]:
    from smtpdoctor.knowledge.tomlcache import loads_cached

    raw = loads_cached((files("smtpdoctor.knowledge") / "messages.toml").read_text(encoding="utf-8"), "messages")
    flat: dict[str, dict[str, str]] = {}

    raw.pop("details_ru", None)

    def walk(prefix: str, node: dict) -> None:
        if "en" in node and isinstance(node["en"], str):
            flat[prefix] = node
            return
        for key, value in node.items():
            walk(f"{prefix}.{key}" if prefix else key, value)

    walk("", raw)
    return flat


@cache
def _details_ru() -> list[tuple[str, str]]:
    from smtpdoctor.knowledge.tomlcache import loads_cached

    raw = loads_cached((files("smtpdoctor.knowledge") / "messages.toml").read_text(encoding="utf-8"), "messages")
    return sorted(raw.get("details_ru", {}).items(), key=lambda item: -len(item[0]))


def localise_detail(text: str, lang: Lang) -> str:
    """Probe-written details (not server replies) in the reader's language."""
    if lang is not Lang.RU or not text:
        return text
    for english, russian in _details_ru():
        text = text.replace(english, russian)
    return text


def message_ids() -> list[str]:
    return sorted(_messages())


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def tr(message_id: str, lang: Lang, **params: object) -> str:
    entry = _messages().get(message_id)
    if entry is None:
        return message_id
    text = entry.get(lang.value) or entry["en"]
    return text.format_map(_Keep({k: str(v) for k, v in params.items()})) if params else text


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """Russian has three plural forms: 1 строка, 2 строки, 5 строк (and 11-14 take the 'many' form)."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def count_lines(n: int, lang: Lang) -> str:
    if lang is Lang.RU:
        return f"{n} {plural_ru(n, 'строка', 'строки', 'строк')}"
    return f"{n} line" if n == 1 else f"{n} lines"
