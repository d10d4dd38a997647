"""Provider delivery events (JSON) read by the data of knowledge/bounce_events.toml: one object, an array, or JSON
Lines; each event's provider recognised by its keys, its type mapped to what happened, its fields to a record's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import BinaryIO

MAX_DOCUMENT = 64 << 20  # bytes of one JSON document (an array or a pretty-printed object) read whole
MAX_LINE = 4 << 20  # bytes of one JSON Lines line
MAX_DEPTH = 64  # nesting a document may have: deeper is not an event, and must not cost a RecursionError
_FIELDS = ("status", "reply_code", "diagnostic", "action", "remote_host", "reporting_mta", "date", "sender", "subject",
           "message_id", "feedback_type")


@dataclass(frozen=True)
class EventSpec:
    when: re.Pattern
    kind: str
    recipients: str | None
    recipient: str | None
    fields: dict[str, str]
    hard: tuple[str, re.Pattern] | None
    reason: tuple[str, dict[str, str]] | None


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    recognise: tuple[tuple[tuple[str, re.Pattern | None], ...], ...]
    type: tuple[str, ...]
    events: tuple[EventSpec, ...]

    def knows(self, event: dict) -> bool:
        return any(all(_matches(get(event, path), rx) for path, rx in alternative) for alternative in self.recognise)

    def spec_for(self, event: dict) -> tuple[str, EventSpec] | None:
        kind = next((str(v) for v in (get(event, path) for path in self.type) if isinstance(v, (str, int))), "")
        for spec in self.events:
            if spec.when.search(kind):
                return kind, spec
        return None


@dataclass
class EventRecord:
    """One recipient of one event, as the provider wrote it."""

    provider: str
    kind: str
    recipient: str | None
    fields: dict[str, str] = field(default_factory=dict)
    hard: bool | None = None
    reason: str | None = None


def _matches(value, rx: re.Pattern | None) -> bool:
    if value is None:
        return False
    return rx is None or (isinstance(value, (str, int, float)) and bool(rx.search(str(value))))


def get(node, path: str):
    """The value at a dotted key path ("a.b.c"); a key with dots of its own ("message-id") is tried whole first."""
    if not path:
        return node
    if isinstance(node, dict) and path in node:
        return node[path]
    head, dot, rest = path.partition(".")
    while dot:
        if isinstance(node, dict) and head in node:
            return get(node[head], rest)
        more, dot, rest = rest.partition(".")
        head = f"{head}.{more}"
    return node.get(head) if isinstance(node, dict) else None


def _items(event: dict, path: str) -> list:
    if path.endswith("[]"):
        value = get(event, path[:-2])
        return value if isinstance(value, list) else ([value] if value is not None else [])
    value = get(event, path)
    return [value] if value is not None else []


def _field(event: dict, item, path: str | None) -> str | None:
    if not path:
        return None
    if path == "@":
        value = item
    elif path.startswith("@."):
        value = get(item, path[2:]) if isinstance(item, dict) else None
    else:
        value = get(event, path)
    if isinstance(value, (dict, list)) or value is None or value == "":
        return None
    return str(value)


class Events:
    def __init__(self, data: dict) -> None:
        unwrap = data.get("unwrap", {})
        self.json_in = [tuple(x) for x in unwrap.get("json_in", ())]
        self.objects = tuple(unwrap.get("object", ()))
        self.lists = tuple(unwrap.get("lists", ()))
        self.providers = tuple(self._provider(p) for p in data["provider"])

    @staticmethod
    def _provider(p: dict) -> Provider:
        recognise = tuple(tuple((path, re.compile(rx) if rx else None) for path, rx in alternative.items())
                          for alternative in p["recognise"])
        events = []
        for e in p["event"]:
            hard = (e["hard"][0], re.compile(e["hard"][1])) if e.get("hard") else None
            reason = (e["reason"][0], dict(e["reason"][1])) if e.get("reason") else None
            events.append(EventSpec(re.compile(e["when"]), e["kind"], e.get("recipients"), e.get("recipient"),
                                    {name: e[name] for name in _FIELDS if name in e}, hard, reason))
        return Provider(p["id"], p["name"], recognise, tuple(p["type"]), tuple(events))

    def unwrapped(self, node, depth: int = 0) -> Iterator[dict]:
        """The events inside one JSON value: envelopes removed, lists flattened."""
        if depth > 4:
            return
        if isinstance(node, list):
            for item in node:
                yield from self.unwrapped(item, depth + 1)
            return
        if not isinstance(node, dict):
            return
        for key, value, inner in self.json_in:
            if node.get(key) == value and isinstance(node.get(inner), str):
                try:
                    yield from self.unwrapped(json.loads(node[inner], strict=False), depth + 1)
                except (ValueError, RecursionError):
                    pass
                return
        for key in self.objects:
            if isinstance(node.get(key), dict):
                yield from self.unwrapped(node[key], depth + 1)
                return
        for key in self.lists:
            if isinstance(node.get(key), list):
                yield from self.unwrapped(node[key], depth + 1)
                return
        yield node

    def provider_of(self, event: dict) -> Provider | None:
        return next((p for p in self.providers if p.knows(event)), None)

    def records(self, node) -> Iterator[EventRecord]:
        for event in self.unwrapped(node):
            provider = self.provider_of(event)
            if provider is None:
                continue
            found = provider.spec_for(event)
            if found is None or found[1].kind == "ignore":
                continue
            _, spec = found
            hard = None
            if spec.hard is not None:
                value = get(event, spec.hard[0])
                hard = bool(spec.hard[1].search(str(value))) if value is not None else None
            reason = None
            if spec.reason is not None:
                value = get(event, spec.reason[0])
                reason = spec.reason[1].get(str(value)) or None if value is not None else None
            items = _items(event, spec.recipients) if spec.recipients else [event]
            for item in items or [None]:
                recipient = _field(event, item, spec.recipient)
                fields = {name: text for name, path in spec.fields.items()
                          if (text := _field(event, item, path)) is not None}
                yield EventRecord(provider.id, spec.kind, recipient, fields, hard, reason)


@cache
def load_events() -> Events:
    from smtpdoctor.knowledge.tomlcache import load_shipped

    return Events(load_shipped("bounce_events.toml"))


def _loads(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def looks_like_events(head: bytes) -> bool:
    """Does an input opening with `head` (JSON) hold provider events? Its first complete JSON value decides."""
    text = head.decode("utf-8", "replace").lstrip("\ufeff").lstrip()
    first = _first_value(text)
    if first is None:
        return False
    events = load_events()
    return any(events.provider_of(event) is not None for event in events.unwrapped(first))


def _first_value(text: str):
    decoder = json.JSONDecoder()
    try:
        value, _ = decoder.raw_decode(text)
        return value
    except (ValueError, RecursionError):
        pass
    if text.startswith("["):  # an array longer than what was read: its first element
        try:
            value, _ = decoder.raw_decode(text[1:].lstrip())
            return [value]
        except (ValueError, RecursionError):
            return None
    line = text.split("\n", 1)[0]
    return _loads(line)


class DocumentTooLarge(Exception):
    """A JSON document (not JSON Lines) larger than MAX_DOCUMENT: it would have to be held whole."""


def documents(stream: BinaryIO) -> Iterator[tuple[int, object]]:
    """(line, JSON value) of an input: JSON Lines streamed line by line (a first line that is a whole value), else
    one document read whole (up to MAX_DOCUMENT). A line that is not JSON is skipped."""
    first = stream.readline(MAX_LINE) if hasattr(stream, "readline") else b""
    stripped = first.strip().lstrip(b"\xef\xbb\xbf")
    value = _loads(stripped.decode("utf-8", "replace")) if stripped else None
    if value is not None and isinstance(value, dict):
        yield 1, value
        number = 1
        while True:
            line = stream.readline(MAX_LINE)
            if not line:
                return
            number += 1
            if line.strip():
                value = _loads(line.decode("utf-8", "replace"))
                if value is not None:
                    yield number, value
        return
    pieces, size = [], len(first)
    while size <= MAX_DOCUMENT:
        piece = stream.read(MAX_DOCUMENT + 1 - size)
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    rest = b"".join(pieces)
    if len(first) + len(rest) > MAX_DOCUMENT:
        raise DocumentTooLarge(MAX_DOCUMENT)
    document = _loads((first + rest).decode("utf-8", "replace").lstrip("\ufeff"))
    if document is not None:
        yield 1, document
