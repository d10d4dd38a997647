"""Whole inputs read into a Collector: an mbox message by message, a single message, a maildir or a folder of
message files, provider events. Errors in one message never end the run: a message the `email` package cannot
take apart is counted as damaged, and the rest is read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

from smtpdoctor.errors import InputError, os_reason
from smtpdoctor.messages import split
from smtpdoctor.messages.detect import InputKind, kind_of_head
from smtpdoctor.messages.collect import Collector
from smtpdoctor.messages.read import finish, from_event, message_records
from smtpdoctor.report import Location

MAX_FOLDER_FILES = 1_000_000  # files of one maildir or folder looked at


def read_stream(kind: InputKind, stream: BinaryIO, name: str, collector: Collector) -> None:
    if kind is InputKind.EVENTS:
        _read_events(stream, name, collector)
        return
    messages = split.mbox_messages(stream) if kind is InputKind.MBOX else split.one_message(stream)
    for raw in messages:
        _read_message(raw.data, Location(name, raw.line), collector)


def read_directory(kind: InputKind, path: str, collector: Collector) -> None:
    """A maildir (its cur/ and new/ messages) or a folder of message files (each a message or an mbox; other
    files are skipped). A folder with no message at all is an input error, said as such."""
    found = 0
    for file in _files(kind, path):
        try:
            with open(file, "rb") as handle:
                head = handle.read(4096)
                handle.seek(0)
                file_kind = InputKind.MESSAGE if kind is InputKind.MAILDIR else kind_of_head(head)
                if file_kind not in (InputKind.MESSAGE, InputKind.MBOX):
                    continue
                found += 1
                read_stream(file_kind, handle, file, collector)  # type: ignore[arg-type]
        except OSError as exc:
            raise InputError("error.log_unreadable", file=file, reason=os_reason(exc)) from exc
    if not found:
        raise InputError("bounces.error.no_messages", file=path)


def _files(kind: InputKind, path: str) -> Iterator[str]:
    folders = [os.path.join(path, "cur"), os.path.join(path, "new")] if kind is InputKind.MAILDIR else [path]
    seen = 0
    for folder in folders:
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            raise InputError("error.log_unreadable", file=folder, reason=os_reason(exc)) from exc
        for name in names:
            if name.startswith("."):
                continue
            full = os.path.join(folder, name)
            if os.path.isfile(full):
                seen += 1
                if seen > MAX_FOLDER_FILES:
                    return
                yield full


def _read_message(data: bytes, at: Location, collector: Collector) -> None:
    collector.messages += 1
    try:
        found, what = message_records(data)
    except (ValueError, TypeError, LookupError, AttributeError, IndexError, RecursionError, UnicodeError,
            AssertionError):
        # The email package on hostile MIME (a header it cannot fold back, an encoding it cannot name): this
        # message is counted as damaged; the others are read.
        collector.damaged += 1
        return
    if what == "other":
        collector.other += 1
    for item in found:
        collector.add(finish(item, at))


def _read_events(stream: BinaryIO, name: str, collector: Collector) -> None:
    from smtpdoctor.messages.events import MAX_DOCUMENT, DocumentTooLarge, documents, load_events

    events = load_events()
    try:
        for line, document in documents(stream):
            before = collector.total
            for record in events.records(document):
                collector.messages += 1
                collector.add(finish(from_event(record), Location(name, line)))
            if collector.total == before:
                collector.other += 1
    except DocumentTooLarge as exc:
        raise InputError("bounces.error.too_large", file=name, n=MAX_DOCUMENT >> 20) from exc


def read_input(kind: InputKind, stream: BinaryIO | None, path: str, name: str, collector: Collector) -> None:
    """One input `explain` was given that is not a log; read errors of the file itself are input errors."""
    if stream is None:
        read_directory(kind, path, collector)
        return
    try:
        with stream:
            read_stream(kind, stream, name, collector)
    except (OSError, EOFError) as exc:
        raise InputError("error.log_unreadable", file=name, reason=os_reason(exc)) from exc
