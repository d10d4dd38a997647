"""A Java .properties file (Spring application.properties), read as java.util.Properties reads it:
logical lines with backslash continuations, `=`, `:` or whitespace between key and value, escapes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from smtpdoctor.prescribe.model import Edit
from smtpdoctor.prescribe.textedit import append, split_line_end

@dataclass(frozen=True)
class _Prop:
    key: str
    start: int  # offset of the logical line's first character (its indentation included)
    value_start: int
    end: int  # offset of the logical line's end, before its line break
    full_end: int  # after its line break


def _prop_unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[i + 2:i + 6]):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            if nxt in "\r\n":  # a continuation: the break and the next line's indentation are not part of it
                j = i + 1 + (2 if text[i + 1:i + 3] == "\r\n" else 1)
                while j < len(text) and text[j] in " \t\f":
                    j += 1
                i = j
                continue
            out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    joined = "".join(out)
    try:  # \ud83d\ude00: a pair of escapes is one character
        return joined.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        return joined


def _properties(text: str) -> list[_Prop]:
    """The logical lines of a .properties file as java.util.Properties reads them (continuations, escapes)."""
    props: list[_Prop] = []
    lines = text.splitlines(keepends=True)
    offset = 0
    i = 0
    while i < len(lines):
        start = offset
        body, _ = split_line_end(lines[i])
        stripped = body.lstrip(" \t\f")
        logical_end_line = i
        if stripped and not stripped.startswith(("#", "!")):
            while True:  # an odd number of trailing backslashes continues the line
                content, _ = split_line_end(lines[logical_end_line])
                trailing = len(content) - len(content.rstrip("\\"))
                if trailing % 2 == 1 and logical_end_line + 1 < len(lines):
                    logical_end_line += 1
                else:
                    break
        chunk = "".join(lines[i:logical_end_line + 1])
        offset += len(chunk)
        i = logical_end_line + 1
        if not stripped or stripped.startswith(("#", "!")):
            continue
        content, _ = split_line_end(chunk)
        lead = len(content) - len(content.lstrip(" \t\f"))
        j = lead
        while j < len(content) and content[j] not in "=: \t\f":
            j += 2 if content[j] == "\\" else 1
        key = _prop_unescape(content[lead:j])
        k = j
        while k < len(content) and content[k] in " \t\f":
            k += 1
        if k < len(content) and content[k] in "=:":
            k += 1
            while k < len(content) and content[k] in " \t\f":
                k += 1
        props.append(_Prop(key, start, start + k, start + len(content), offset))
    return props


def _prop_escape(value: str, is_key: bool = False) -> str:
    out = []
    for n, ch in enumerate(value):
        if ch == "\\":
            out.append("\\\\")
        elif ch in "\t\n\r\f":
            out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}[ch])
        elif ch == " " and (n == 0 or is_key):
            out.append("\\ ")
        elif (is_key and ch in "=:#!") or (n == 0 and ch in "=:"):  # a value's leading = or : would read as a separator
            out.append("\\" + ch)
        elif ord(ch) > 0x7E:  # Spring Boot reads .properties as ISO-8859-1: anything else as \\uXXXX
            out.append("".join(f"\\u{unit:04x}" for unit in _utf16(ch)))
        else:
            out.append(ch)
    return "".join(out)


def _utf16(ch: str) -> list[int]:
    data = ch.encode("utf-16-be")
    return [int.from_bytes(data[k:k + 2], "big") for k in range(0, len(data), 2)]


def values(text: str) -> dict[str, str]:
    return {p.key: _prop_unescape(text[p.value_start:p.end]) for p in _properties(text)}


def edit(text: str, wanted: Edit) -> str:
    props = _properties(text)
    mine = [p for p in props if p.key == wanted.key]
    if wanted.value is None:
        for p in reversed(mine):
            text = text[:p.start] + text[p.full_end:]
        return text
    if mine:
        p = mine[-1]
        return text[:p.value_start] + _prop_escape(wanted.value) + text[p.end:]
    separator = "="
    if props:
        first = props[0]
        key_end = first.start + len(text[first.start:first.value_start].rstrip(" \t\f=:"))
        separator = text[key_end:first.value_start] or "="
        if not separator.strip():
            separator = "="
    return append(text, f"{_prop_escape(wanted.key, is_key=True)}{separator}{_prop_escape(wanted.value)}")
