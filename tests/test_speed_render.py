"""Issue 23, a healthy verdict sooner: what the renderers now skip at start-up must not change what they say.

The message table is read back from the parsed-data cache and unpacked a group of ids at a time: every id of
every message file must still say what its file says, in both languages, whether the table was just built,
read from the cache or never cached. The finding texts skip their template patterns when no "{" is left: the
result must be what the patterns would have given."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from smtpdoctor.render import findings

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "smtpdoctor" / "knowledge"


def _expected_messages() -> dict[str, dict]:
    """The message files read here independently of render/i18n.py: id -> {"en": ..., "ru": ...}."""
    flat: dict[str, dict] = {}

    def walk(prefix: str, node: dict) -> None:
        if "en" in node and not isinstance(node["en"], dict):
            assert prefix not in flat, f"{prefix} defined twice"
            flat[prefix] = node
            return
        for key, value in node.items():
            if isinstance(value, dict):
                walk(f"{prefix}.{key}" if prefix else key, value)

    for path in [KNOWLEDGE / "messages.toml", *sorted((KNOWLEDGE / "phrases").glob("*.toml"))]:
        walk("", tomllib.loads(path.read_text(encoding="utf-8")))
    return flat


_SAY_ALL = """
import json, sys
from smtpdoctor.render.i18n import Lang, has_message, message_ids, tr
ids = json.load(sys.stdin)
said = {i: [tr(i, Lang.EN), tr(i, Lang.RU), has_message(i)] for i in ids}
missing = []
for absent in ("heading.no_such_id", "probe.step.no_such_id", "nosuchgroup.x.y", "nosuchgroup", "plural"):
    try:
        tr(absent, Lang.EN)
    except KeyError:
        missing.append(has_message(absent))
json.dump({"said": said, "ids": message_ids(), "missing": missing}, sys.stdout, ensure_ascii=False)
"""


def _say_all(ids: list[str], env: dict) -> dict:
    proc = subprocess.run([sys.executable, "-c", _SAY_ALL], input=json.dumps(ids), capture_output=True, text=True,
                          env={**os.environ, **env}, cwd=ROOT, timeout=120, check=True)
    return json.loads(proc.stdout)


def test_every_message_says_what_its_file_says_built_cached_or_uncached(tmp_path):
    expected = _expected_messages()
    ids = sorted(expected)
    runs = {
        "built": {"XDG_CACHE_HOME": str(tmp_path), "SMTPDOCTOR_NO_CACHE": ""},
        "read back": {"XDG_CACHE_HOME": str(tmp_path), "SMTPDOCTOR_NO_CACHE": ""},
        "no cache": {"SMTPDOCTOR_NO_CACHE": "1"},
    }
    for name, env in runs.items():
        got = _say_all(ids, env)
        for message_id in ids:
            entry = expected[message_id]
            assert got["said"][message_id] == [entry["en"], entry.get("ru") or entry["en"], True], (name, message_id)
        assert got["ids"] == [i for i in ids if not i.startswith("plural.")], name
        assert got["missing"] == [False] * 5, name
        if name == "built":
            assert list(Path(tmp_path, "smtpdoctor").glob("messages-grouped-*")), "the table was cached"


# --- the finding texts' fast paths against the patterns they skip ------------------------------------------

_LEFTOVER = re.compile(findings._LEFTOVER)
_OPTIONAL = re.compile(findings._OPTIONAL)
_SENTENCE_END = re.compile(findings._SENTENCE_END)


def _tidy_by_patterns(text: str) -> str:
    return re.sub(r" +([.,;])(?=\s|$)", r"\1", _LEFTOVER.sub("", _OPTIONAL.sub("", text))).strip()


def _sentences_by_patterns(text: str) -> str:
    text = _OPTIONAL.sub("", text)
    return _tidy_by_patterns(" ".join(s for s in _SENTENCE_END.split(text) if not _LEFTOVER.search(s)))


_PIECES = st.sampled_from(["Word", "word", "Ё", "«q»", "(x)", "`c d`", ".", ",", ";", "!", "?", " ", "  ", "\n",
                           "\t", "\u00a0", "{name}", "({name})", "{n|line}", "{", "}", "https://a.b/c", ""])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_finding_text_fast_paths_give_what_the_patterns_give(text):
    assert findings._tidy(text) == _tidy_by_patterns(text)
    assert findings._sentences(text) == _sentences_by_patterns(text)
    assert findings._is_link(text) == bool(re.match(r"^(?:Source|Источник): \S+$", text))


def test_links_are_told_from_steps():
    assert findings._is_link("Source: https://example.com/a") and findings._is_link("Источник: https://x.ru")
    assert not findings._is_link("Source: see https://example.com") and not findings._is_link("Open Source: x")


# --- escaping: the fast path for printable ASCII against the pattern it skips -------------------------------

_ANY_TEXT = st.text(alphabet=st.sampled_from(["a", " ", "~", "\x00", "\x07", "\t", "\n", "\x0b", "\x1b", "\x1f",
                                              "\x7f", "\x80", "\x9b", "\xa0", "é", "Ж", "\u2028", "\u202e",
                                              "\u2066", "\u2069", "\u206a", "😀"]), max_size=12)


@settings(max_examples=3000, deadline=None)
@given(_ANY_TEXT)
def test_escaping_fast_paths_give_what_the_patterns_give(text):
    from smtpdoctor.render import escape, json as json_render

    # the single classes they were before
    control = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]")
    assert escape.visible(text) == control.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)
    raw = re.compile("[\x7f-\x9f\u2028-\u202e\u2066-\u2069]")
    assert json_render._escape_controls(text) == raw.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
