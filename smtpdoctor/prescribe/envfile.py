"""A .env file (nodemailer SMTP_*, Django, Laravel, Symfony MAILER_DSN, GoTrue), edited as python-dotenv reads it.

The bindings are python-dotenv's own (its parser gives each one's exact text, so the file is the sum of
them): one binding's value is re-spelt in its own quotes, with its `export `, spacing and comment kept."""

from __future__ import annotations

import io
import re

from smtpdoctor.prescribe.model import Edit
from smtpdoctor.prescribe.textedit import Refused, append, split_line_end

_SAFE = re.compile(r"[\w.,:/@%+=\-]*")  # no quotes needed: letters of any script, no space, #, $, quote


def _env_value(value: str, old_quote: str | None) -> str:
    if old_quote and old_quote not in value and "\\" not in value and "\n" not in value and "\r" not in value:
        return f"{old_quote}{value}{old_quote}"
    if _SAFE.fullmatch(value):
        return value
    if "'" not in value and "\n" not in value and "\r" not in value and not value.endswith("\\"):
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def _env_bindings(text: str):
    from dotenv.parser import parse_stream

    bindings = list(parse_stream(io.StringIO(text, newline="")))
    if "".join(b.original.string for b in bindings) != text or any(b.error for b in bindings):
        raise Refused("unreadable")
    return bindings


def values(text: str) -> dict[str, str | None]:
    return {b.key: b.value for b in _env_bindings(text) if b.key is not None}


HEAD = re.compile(r"(?P<lead>[ \t]*(?:export[ \t]+)?)(?P<key>'[^']+'|[^=#\s]+)(?P<eq>[ \t]*=[ \t]*)?")


def _env_rewrite(original: str, value: str) -> str:
    """One binding's text with its value replaced: lead, key, `=`, quotes and trailing comment kept."""
    cut = max(original.rfind("\n", 0, len(original) - len(original.lstrip())), -1) + 1
    before, body = original[:cut], original[cut:]
    m = HEAD.match(body)
    if m is None:
        raise Refused("unreadable")
    rest, end = split_line_end(body[m.end():])
    head = body[: m.end()] if m.group("eq") else body[: m.end()] + "="
    if rest[:1] in ("'", '"'):
        quote_char = rest[0]
        close = re.match(r"'(?:\\'|[^'])*'" if quote_char == "'" else r'"(?:\\.|[^"\\])*"', rest, re.S)
        if close is None:
            raise Refused("unreadable")
        tail = rest[close.end():]
        return before + head + _env_value(value, quote_char) + tail + end
    spaces = head[len(head.rstrip(" \t")):]
    if rest.startswith("#") and spaces:  # `KEY= # note`: an empty value, then a comment
        head, rest = head[: len(head) - len(spaces)], spaces + rest
    comment = re.search(r"[ \t]+#", rest)
    tail = rest[comment.start():] if comment else ""
    old = rest[: comment.start()] if comment else rest
    trailing = old[len(old.rstrip()):]
    return before + head + _env_value(value, None) + trailing + tail + end


def edit(text: str, wanted: Edit) -> str:
    bindings = _env_bindings(text)
    mine = [i for i, b in enumerate(bindings) if b.key == wanted.key]
    parts = [b.original.string for b in bindings]
    if wanted.value is None:
        for i in mine:
            original = parts[i]
            cut = max(original.rfind("\n", 0, len(original) - len(original.lstrip())), -1) + 1
            parts[i] = original[:cut]
        return "".join(parts)
    if mine:
        parts[mine[-1]] = _env_rewrite(parts[mine[-1]], wanted.value)
        return "".join(parts)
    keyed = [b for b in bindings if b.key is not None]
    export = "export " if keyed and all(b.original.string.lstrip().startswith("export") for b in keyed) else ""
    return append(text, f"{export}{wanted.key}={_env_value(wanted.value, None)}")
