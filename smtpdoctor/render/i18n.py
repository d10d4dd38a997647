"""The reader's language: choosing it, and turning message ids, phrases and parameters into text.

The only place that knows a language. Texts live in `knowledge/messages.toml` and
`knowledge/phrases/*.toml` (one id namespace; a test checks every id has en and ru). Templates use
`{name}` for a parameter and `{n|word}` for the plural of a word from `[plural]` agreeing with the
number `n`: "{n} {n|line}" gives "1 line", "5 lines", "1 строка", "3 строки", "5 строк".
"""

from __future__ import annotations

import marshal
import re
from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtpdoctor.report import ValueSource



class Lang(StrEnum):
    EN = "en"
    RU = "ru"


def detect_lang(explicit: str | None, env: Mapping[str, str]) -> Lang:
    """--lang wins, then SMTPDOCTOR_LANG, then the locale variables as gettext reads them: the first of LANGUAGE,
    LC_ALL, LC_MESSAGES, LANG that is set decides. LANGUAGE is a list of preferences ("uk:ru:en"): its first
    language we speak is taken, and a list naming none of them means English, as gettext falls back to its
    untranslated texts. The C and POSIX locales are English."""
    if explicit:
        return Lang(explicit.lower())
    chosen = env.get("SMTPDOCTOR_LANG", "").strip().lower()
    if chosen in ("en", "ru"):
        return Lang(chosen)
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "").strip()
        if value:
            for preference in value.split(":") if var == "LANGUAGE" else (value,):
                language = preference.strip().lower()[:2]
                if language in ("en", "ru"):
                    return Lang(language)
            return Lang.EN
    return Lang.EN


def _flatten(raw: dict, into: dict[str, dict], origin: str) -> None:
    def walk(prefix: str, node: dict) -> None:
        if "en" in node and not isinstance(node["en"], dict):
            if prefix in into:
                raise ValueError(f"message id {prefix} defined twice ({origin})")
            into[prefix] = node
            return
        for key, value in node.items():
            if isinstance(value, dict):
                walk(f"{prefix}.{key}" if prefix else key, value)

    walk("", raw)


class _Messages(Mapping):
    """Every message id of every message file, flattened ("probe.step.tls" -> {"en": ..., "ru": ...}), each
    group of ids (`_group`) unpacked when an id of it is first asked for: a healthy check says ids of 30 of the
    ~250 groups (help texts, the web page, bounces... are other runs' words)."""

    def __init__(self, packed: dict[str, bytes]) -> None:
        self._packed = packed
        self._open: dict[str, dict[str, dict]] = {}

    def _unpacked(self, group: str) -> dict[str, dict]:
        found = self._open.get(group)
        if found is None:
            packed = self._packed.get(group)
            found = self._open[group] = marshal.loads(packed) if packed is not None else {}
        return found

    def get(self, message_id: str) -> dict | None:
        return self._unpacked(_group(message_id)).get(message_id)

    def __getitem__(self, message_id: str) -> dict:
        return self._unpacked(_group(message_id))[message_id]

    def __contains__(self, message_id: str) -> bool:
        return message_id in self._unpacked(_group(message_id))

    def __iter__(self):
        for group in self._packed:
            yield from self._unpacked(group)

    def __len__(self) -> int:
        return sum(len(self._unpacked(group)) for group in self._packed)


@cache
def _messages() -> _Messages:
    """The message table. Built from the files (each parsed through the parsed-data cache, as
    knowledge/prebuilt.py ships them) when they change; otherwise read back in one piece, keyed by the bytes of
    all the files: parsing sixteen files and walking their tables at every run cost more than a healthy check
    spends on the network."""
    from smtpdoctor.knowledge.tomlcache import KNOWLEDGE, built_cached

    sources = [KNOWLEDGE / "messages.toml"]
    phrases = KNOWLEDGE / "phrases"
    if phrases.is_dir():
        sources += sorted((p for p in phrases.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)
    # Each file's name and length with its bytes: a file renamed or split another way is another table.
    key = b"".join(b"%s\0%d\0%s" % (source.name.encode(), len(data), data)
                   for source, data in ((source, _read_bytes(source)) for source in sources))
    return _Messages(built_cached(key, "messages-grouped", lambda: _packed(sources)))


def _group(message_id: str) -> str:
    """The group an id is packed in: its first two parts when it has more ("probe.step.tls" -> "probe.step",
    beside "probe.error"), else its first ("heading.dns" -> "heading")."""
    parts = message_id.split(".", 2)
    return f"{parts[0]}.{parts[1]}" if len(parts) == 3 else parts[0]


def _read_bytes(path) -> bytes:
    with open(path, "rb", buffering=0) as file:  # unbuffered: one read, no buffer object
        return file.readall()


def _packed(sources) -> dict[str, bytes]:
    """The files' ids flattened, each group's own table marshalled apart (unpacked when first used)."""
    from smtpdoctor.knowledge.tomlcache import loads_cached

    flat: dict[str, dict] = {}
    for source in sources:
        _flatten(loads_cached(source.read_text(encoding="utf-8"), f"messages-{source.name}"), flat, source.name)
    groups: dict[str, dict[str, dict]] = {}
    for message_id, entry in flat.items():
        groups.setdefault(_group(message_id), {})[message_id] = entry
    return {name: marshal.dumps(table) for name, table in groups.items()}


def message_ids() -> list[str]:
    return sorted(k for k in _messages() if not k.startswith("plural."))


def has_message(message_id: str) -> bool:
    return message_id in _messages()


def plural_form(n: int, lang: Lang) -> int:
    """Index of the plural form: English one/other; Russian one/few/many (1 строка, 2 строки, 5 строк, 11 строк)."""
    n = abs(int(n))
    if lang is Lang.RU:
        if n % 10 == 1 and n % 100 != 11:
            return 0
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return 1
        return 2
    return 0 if n == 1 else 1


def plural(word: str, n: int, lang: Lang) -> str:
    forms = _messages()[f"plural.{word}"][lang.value]
    return forms[plural_form(n, lang)]


_FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)(?:\|([a-z_]+))?\}")


def fill(template: str, params: Mapping[str, object], lang: Lang) -> str:
    """Fill `{name}` and `{n|word}`; a parameter that is not given leaves `{name}` for the caller to tidy.

    What a value may bring with it is smoothed where it meets the template (`_placed`): an empty value
    in quotes, a value ending in its own parenthesis before the template's, a setting key opening a sentence."""
    if "{" not in template:
        return template
    out: list[str] = []
    pos = 0
    for m in _FIELD.finditer(template):
        name, word = m.group(1), m.group(2)
        if m.start() < pos:  # taken with the value before (its " (" merged into that value's parenthesis)
            continue
        out.append(template[pos:m.start()])
        own_before = pos < m.start()  # the character before is the template's own, not taken already
        pos = m.end()
        if name not in params:
            out.append(m.group(0))
            continue
        value = params[name]
        if word:
            out.append(plural(word, int(value), lang))
            continue
        pos = _placed(render_param(value, lang), name, template, m, out, pos, lang, own_before)
    out.append(template[pos:])
    return "".join(out)


_QUOTE_PAIRS = {'"': '"', "'": "'", "«": "»", "`": "`"}
_EMPTY_QUOTED = {'""', "''", "«»", "``"}
# Parameters that name a setting: a sentence they open says "The setting spring.mail.host ...", never
# "spring.mail.host ..." (a lower-case start) nor "Spring.mail.host ..." (a key that does not exist).
_KEY_PARAMS = frozenset({"var", "secure_var", "field", "key", "setting"})
# Compiled at their first use (re.compile keeps them): most runs fill no such parameter.
_LOWER_KEY = r"[a-z][a-z0-9-]*(?:[._][a-z0-9-]+)+(?![\w@])"
_SENTENCE_START = r"(?:\A|[.!?]\s+|\n)\Z"


def _placed(text: str, name: str, template: str, m: re.Match, out: list[str], pos: int, lang: Lang,
            own_before: bool) -> int:
    """Append a parameter's text where the template puts it; return where the template goes on."""
    before = template[m.start() - 1:m.start()] if own_before else ""
    after = template[m.end():m.end() + 1]
    parenthesised = before == "(" and after == ")"
    if text in _EMPTY_QUOTED or (not text.strip() and (parenthesised or _QUOTE_PAIRS.get(before) == after != "")):
        # "the login \"\"" or «»: an empty value is said, not shown as a pair of quotes (nor as "()"). Left
        # bare, an empty parameter is an optional part with nothing to say (a hint), and stays empty.
        if _QUOTE_PAIRS.get(before) == after != "":
            out[-1] = out[-1][:-1]
            pos += 1
        inside = parenthesised or _depth("".join(out)) > 0
        text = tr("firsthour.value.empty_word" if inside else "firsthour.value.empty", lang)
    elif parenthesised and text.startswith("(") and text.endswith(")"):
        out[-1] = out[-1][:-1]  # "((not set))": the value's own parentheses are enough
        out.append(text)
        return pos + 1
    if text.endswith(")") and template.startswith(" (", pos) and _depth(text) == 0:
        # "SMTP_PASS (environment) (14 characters)": one parenthesis, "SMTP_PASS (environment; 14 characters)"
        out.append(text[:-1] + "; ")
        return pos + 2
    if name in _KEY_PARAMS and re.match(_LOWER_KEY, text) and re.compile(_SENTENCE_START).search(template, 0, m.start()):
        text = tr("firsthour.setting_subject", lang, key=text)
    out.append(text)
    return pos


def _depth(text: str) -> int:
    """How many parentheses are open at the end of `text` (code spans left out)."""
    depth = 0
    for ch in re.sub(r"`[^`]*`", "", text):
        depth += ch == "("
        depth -= ch == ")" and depth > 0
    return depth


def render_param(value: object, lang: Lang) -> str:
    """A language-neutral parameter as text: phrases translated, lists joined, evidence quoted as it is."""
    if type(value) is str:
        return value
    # Imported here: help text (plain strings only) is shown without building the report's value types.
    from smtpdoctor.report import Evidence, Phrase, ValueSource

    if isinstance(value, Phrase):
        return tr(value.id, lang, **value.params)
    if isinstance(value, Evidence):
        return value.text
    if isinstance(value, ValueSource):
        return source_label(value, lang)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        parts = [render_param(v, lang) for v in value]
        if len(parts) <= 1:
            return "".join(parts)
        return ", ".join(parts[:-1]) + tr("join.and", lang) + parts[-1]
    return str(value)


def tr(message_id: str, lang: Lang, **params: object) -> str:
    entry = _messages().get(message_id)
    if entry is None:
        raise KeyError(f"no message {message_id!r}")
    text = entry.get(lang.value) or entry["en"]
    return fill(text, params, lang) if params else text


def source_label(source: ValueSource | None, lang: Lang) -> str:
    """'SMTP_PORT (from .env, line 4)': where a value came from, in the reader's language."""
    if source is None:
        return ""
    from pathlib import PurePath

    kind = source.kind if source.kind in _SOURCE_KINDS else "default"
    if kind == "default":
        return source.name
    where = PurePath(source.file or ".env").name if source.file or kind == "dotenv" else ""
    key = f"source.{kind}_line" if source.line and kind in ("dotenv", "config") else f"source.{kind}"
    return tr(key, lang, name=source.name, file=where, line=source.line or "")


_SOURCE_KINDS = {"option", "stdin", "env", "dotenv", "url", "config", "provider", "default"}


def count_lines(n: int, lang: Lang) -> str:
    return f"{n} {plural('line', n, lang)}"
