"""A TOML file (Supabase supabase/config.toml): keys named `[auth.email.smtp] port`, edited in their table;
a number or boolean stays one, a string keeps its own quotes; tomllib reads every result back."""

from __future__ import annotations

import re

from smtpdoctor.prescribe.model import Edit
from smtpdoctor.prescribe.textedit import Refused, append, newline_of, split_line_end

_TOML_KEY = re.compile(r"^\[(?P<table>[^\]]+)\]\s*(?P<key>\S+)$")
_TOML_HEADER = re.compile(r"^[ \t]*\[(?!\[)(?P<name>[^\]\r\n]*)\][ \t]*(?:#.*)?$")
_TOML_BARE = re.compile(r"[A-Za-z0-9_\-]+")


def _toml_split(key: str) -> tuple[tuple[str, ...], str]:
    m = _TOML_KEY.match(key.strip())
    if m is None:
        raise Refused("unknown_key")
    table = tuple(part.strip().strip('"') for part in m.group("table").split("."))
    return table, m.group("key")


def _toml_values(text: str) -> dict:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Refused("unreadable") from exc


def _toml_lookup(data: dict, table: tuple[str, ...], key: str):
    node = data
    for part in table:
        node = node.get(part) if isinstance(node, dict) else None
    return node.get(key, _MISSING) if isinstance(node, dict) else _MISSING


_MISSING = object()


def _toml_string(value: str, literal: bool) -> str:
    if literal and "'" not in value and not re.search("[\x00-\x08\x0a-\x1f\x7f]", value):
        return f"'{value}'"
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch, f"\\u{ord(ch):04X}"))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: str, old, key: str) -> str:
    """The TOML spelling: a number or a boolean stays one (Supabase reads `port` as an integer, `enabled` as a
    boolean), anything else is a string."""
    number = re.fullmatch(r"0|[1-9][0-9]{0,8}", value) is not None
    if isinstance(old, bool) or (old is _MISSING and key == "enabled"):
        if value in ("true", "false"):
            return value
    elif (isinstance(old, int) or (old is _MISSING and key == "port")) and number:
        return value
    return _toml_string(value, literal=False)


def edit(text: str, wanted: Edit) -> str:
    table, key = _toml_split(wanted.key)
    old = _toml_lookup(_toml_values(text), table, key)
    lines = text.splitlines(keepends=True)
    header_at = None
    end_at = len(lines)
    for i, line in enumerate(lines):
        m = _TOML_HEADER.match(split_line_end(line)[0])
        if m is None:
            continue
        name = tuple(part.strip().strip('"') for part in m.group("name").split("."))
        if header_at is None and name == table:
            header_at = i
        elif header_at is not None:
            end_at = i
            break
    key_rx = re.compile(rf"^(?P<lead>[ \t]*)(?P<key>{re.escape(key)}|\"{re.escape(key)}\")(?P<eq>[ \t]*=[ \t]*)")
    if header_at is not None:
        for i in range(header_at + 1, end_at):
            body, end = split_line_end(lines[i])
            m = key_rx.match(body)
            if m is None:
                continue
            if wanted.value is None:
                lines[i] = ""
                return "".join(lines)
            rest = body[m.end():]
            value_m = re.match(r'"(?:\\.|[^"\\])*"|\'[^\']*\'|[A-Za-z0-9_+.:\-]+', rest)
            if value_m is None or rest.startswith(('"""', "'''")):
                raise Refused("toml_layout")
            spelled = value_m.group()
            new = _toml_string(wanted.value, literal=spelled.startswith("'")) if spelled[:1] in "\"'" \
                else _toml_value(wanted.value, old, key)
            lines[i] = body[:m.end()] + new + rest[value_m.end():] + end
            return "".join(lines)
    if wanted.value is None:
        return text
    name = key if _TOML_BARE.fullmatch(key) else _toml_string(key, literal=False)
    line = f"{name} = {_toml_value(wanted.value, old, key)}"
    if header_at is None:
        header = "[" + ".".join(p if _TOML_BARE.fullmatch(p) else _toml_string(p, False) for p in table) + "]"
        return append(text, ("\n" if text.strip() else "") + f"{header}\n{line}")
    last = header_at
    for i in range(header_at + 1, end_at):
        body = split_line_end(lines[i])[0].strip()
        if body and not body.startswith("#"):
            last = i
    nl = newline_of(text)
    if not lines[last].endswith(("\n", "\r")):
        lines[last] += nl + line
    else:
        lines.insert(last + 1, line + nl)
    return "".join(lines)


def normal_key(key: str) -> str:
    table, name = _toml_split(key)
    return f"[{'.'.join(table)}] {name}"


def values(text: str) -> dict:
    return _flatten(_toml_values(text))


def _flatten(data, prefix: tuple[str, ...] = ()) -> dict:
    out: dict = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, (*prefix, key)))
        else:
            out[f"[{'.'.join(prefix)}] {key}"] = value
    return out
