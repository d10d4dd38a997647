"""`smtpdoctor batch`: check many configurations (JSON Lines or CSV) concurrently, politely per host.

Each configuration becomes one JSON line as soon as its check ends (so an interrupted run keeps
what it has), and a summary counts the codes and providers. Passwords may be `env:VAR` references.
"""

from __future__ import annotations

import csv
import json
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from smtpdoctor.secret import Secret

from smtpdoctor.app import CheckOptions, run_check
from smtpdoctor.diagnose import diagnose
from smtpdoctor.errors import InputError, SmtpdoctorError, os_reason
from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.report import Evidence, EvidenceKind, Finding, Phrase, Report, ValueSource, phrase
from smtpdoctor.knowledge.providers import ProviderCatalog
from smtpdoctor.settings.model import RawValue, SettingsInput

FIELDS = {
    "host": ("host", "SMTP_HOST"),
    "port": ("port", "SMTP_PORT"),
    "secure": ("secure", "SMTP_SECURE"),
    "user": ("user", "username", "SMTP_USER", "SMTP_USERNAME"),
    "password": ("password", "pass", "SMTP_PASS", "SMTP_PASSWORD"),
    "sender": ("sender", "from", "SMTP_FROM", "SMTP_SENDER"),
    "sender_name": ("sender_name", "SMTP_SENDER_NAME"),
}


@dataclass
class Row:
    number: int  # line (JSONL) or record (CSV) number, 1-based
    data: dict[str, str] | None
    error: Phrase | None = None

    @property
    def id(self) -> str:
        if self.data and str(self.data.get("id", "")).strip():
            return str(self.data["id"])
        return f"row-{self.number}"


MAX_ROW = 256 * 1024  # bytes of one row (JSON line or CSV record); a longer one is a row error
MAX_JSON_DEPTH = 32  # a configuration is flat; deeper nesting is hostile


def _lines(stream) -> Iterator[tuple[str, str | None]]:
    """(text, problem) per physical line, read as it arrives (a stdin that never closes yields rows
    as they come) and never more than MAX_ROW bytes at a time: a longer line is skipped to its end."""
    first = True
    while True:
        raw = stream.readline(MAX_ROW + 1)
        if not raw:
            return
        problem = None
        if len(raw) > MAX_ROW and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # the rest of the line, in bounded pieces
                raw = stream.readline(MAX_ROW)
            yield "\n", "too_long"
            first = False
            continue
        if b"\0" in raw:
            problem = "binary"
        text = raw.decode("utf-8-sig" if first else "utf-8", "replace")
        first = False
        yield text, problem


def _row_problem(problem: str) -> Phrase:
    if problem == "too_long":
        return phrase("hardening.batch.row_too_long", n=MAX_ROW // 1024)
    return phrase("hardening.batch.row_binary")


def _depth(text: str) -> int:
    """How deeply a JSON text nests, counted without parsing it (json.loads recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def read_rows(path: Path, stdin=None) -> Iterator[Row]:
    """JSON Lines when the first non-blank character is '{', else CSV with a header row.

    Streamed: one row at a time, whatever the input's size; a row that cannot be read (too long,
    NUL bytes, nested too deeply, a broken CSV record) is a row error and the next row follows."""
    if str(path) == "-" and stdin is not None:
        yield from _read_stream(stdin, path)
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, also when the consumer stops early
    except OSError as exc:
        raise InputError("error.log_unreadable", file=path, reason=os_reason(exc)) from exc
    with handle:
        yield from _read_stream(handle, path)


def _read_stream(stream, path: Path) -> Iterator[Row]:
    try:
        lines = _lines(stream)
        number = 0
        for text, problem in lines:
            number += 1
            if problem == "binary":
                raise InputError("hardening.batch.binary", file=path)
            if text.strip() or problem:
                break
        else:
            return
        if problem is None and text.lstrip().startswith("{"):
            yield from _json_rows(text, number, lines)
        else:
            yield from _csv_rows(text, problem, lines)
    except OSError as exc:
        raise InputError("error.log_unreadable", file=path, reason=os_reason(exc)) from exc


def _json_rows(first: str, number: int, lines: Iterator[tuple[str, str | None]]) -> Iterator[Row]:
    def rows() -> Iterator[tuple[int, str, str | None]]:
        yield number, first, None
        for n, (text, problem) in enumerate(lines, number + 1):
            yield n, text, problem

    for n, line, problem in rows():
        if problem:
            yield Row(n, None, _row_problem(problem))
            continue
        if not line.strip():
            continue
        if _depth(line) > MAX_JSON_DEPTH:
            yield Row(n, None, phrase("hardening.batch.row_too_deep"))
            continue
        try:
            data = json.loads(line)
        except RecursionError:
            yield Row(n, None, phrase("hardening.batch.row_too_deep"))
            continue
        except ValueError as exc:
            yield Row(n, None, phrase("batch.row.not_json", reason=Evidence(EvidenceKind.SYSTEM, exc.msg)))
            continue
        if not isinstance(data, dict):
            yield Row(n, None, phrase("batch.row.not_object"))
            continue
        yield Row(n, {str(k): "" if v is None else str(v) for k, v in data.items()})


_MARK = "\0smtpdoctor:"  # stands in for a line the reader refused; a real NUL never reaches the CSV parser


def _csv_rows(header: str, problem: str | None, lines: Iterator[tuple[str, str | None]]) -> Iterator[Row]:
    if problem:  # no usable header: nothing can be read
        return
    csv.field_size_limit(MAX_ROW)

    def physical() -> Iterator[str]:
        yield header
        for text, bad in lines:
            yield f"{_MARK}{bad}\n" if bad else text

    reader = csv.reader(physical())
    names = [name.strip() for name in next(reader, [])]
    if not any(names):
        return
    number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            reason = phrase("hardening.batch.row_too_long", n=MAX_ROW // 1024) if "field limit" in str(exc) \
                else phrase("hardening.batch.row_csv", reason=Evidence(EvidenceKind.SYSTEM, str(exc)))
            yield Row(number, None, reason)
            continue
        if not record:
            continue
        number += 1
        marked = next((cell for cell in record if _MARK in cell), None)
        if marked is not None:
            yield Row(number, None, _row_problem(marked.split(_MARK, 1)[1].split("\n", 1)[0].strip()))
            continue
        if len(record) > len(names):  # more cells than the header has names
            yield Row(number, None, phrase("batch.row.extra_cells"))
            continue
        yield Row(number, {k: v for k, v in zip(names, record) if k} | {k: "" for k in names[len(record):] if k})


def row_input(row: Row, env: Mapping[str, str], source_name: str) -> tuple[SettingsInput, list[Finding], str | None]:
    assert row.data is not None
    values: dict[str, RawValue] = {}
    findings: list[Finding] = []
    for field_name, names in FIELDS.items():
        key = next((n for n in names if n in row.data and row.data[n] != ""), None)
        if key is None:
            continue
        value = row.data[key]
        src = ValueSource(kind="config", name=key, file=source_name, line=row.number)
        if field_name == "password" and value.startswith("env:"):
            var = value[4:]
            if var not in env:
                findings.append(Finding(code="config.missing", variant="unresolved", source=src, params={"ref": var}))
                continue
            value = env[var]
        values[field_name] = RawValue(text=Secret(value), source=src)
    provider = (row.data.get("provider") or "").strip() or None
    return SettingsInput(**values), findings, provider


@dataclass(frozen=True)
class RowResult:
    """One configuration's outcome: its Report, or why the row could not be checked."""

    id: str
    number: int
    report: Report | None = None
    error: Phrase | None = None


@dataclass
class BatchSummary:
    total: int = 0
    ok: int = 0
    failed: int = 0
    unreadable: int = 0
    codes: Counter = field(default_factory=Counter)
    providers: Counter = field(default_factory=Counter)
    interrupted: bool = False
    broken_pipe: bool = False  # the reader of the results went away (`| head -1`)
    elapsed_s: float = 0.0


class HostLimiter:
    """At most `limit` checks at once against one host, so no provider is hammered."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.lock = threading.Lock()
        self.semaphores: dict[str, threading.Semaphore] = {}

    def __call__(self, host: str) -> threading.Semaphore:
        with self.lock:
            return self.semaphores.setdefault(host.lower(), threading.Semaphore(self.limit))


def run_batch(path: Path, providers: ProviderCatalog, catalog: Catalog, options: CheckOptions, env: Mapping[str, str],
              emit: Callable[[RowResult], None], concurrency: int = 32, per_host: int = 16, strict: bool = False,
              stdin=None, on_progress: Callable[[int], None] | None = None) -> BatchSummary:
    """Rows stream in and results stream out: memory holds at most `concurrency * 2` rows waiting, whatever
    the input's size (a stdin that never closes included). The workers are daemon threads, so Ctrl-C or
    a closed output pipe ends the run at once instead of waiting for every probe still in flight."""
    summary = BatchSummary()
    started = time.perf_counter()
    limiter = HostLimiter(per_host)
    emit_lock = threading.Lock()
    stop = threading.Event()  # the reader of our output is gone, or the user pressed Ctrl-C
    work: queue.Queue[Row | None] = queue.Queue(maxsize=concurrency * 2)
    source_name = "<stdin>" if str(path) == "-" else str(path)

    def finish(result: RowResult) -> None:
        with emit_lock:
            if stop.is_set():
                return
            try:
                emit(result)
            except BrokenPipeError:  # `batch ... | head -1`: nobody reads any more; stop probing
                summary.broken_pipe = True
                stop.set()
                return
            summary.total += 1
            report = result.report
            if report is None:
                summary.unreadable += 1
            elif report.exit_code(strict):
                summary.failed += 1
            else:
                summary.ok += 1
            for f in report.findings if report is not None else ():
                summary.codes[f.code] += 1
            summary.providers[(report.provider if report is not None else None) or "-"] += 1
        if on_progress is not None:
            on_progress(1)

    def check(row: Row) -> None:
        try:
            inp, extra, forced = row_input(row, env, source_name)
            host = inp.host.value.strip() if inp.host else ""
            with limiter(host):
                if stop.is_set():
                    return
                opts = options if not forced else replace(options, provider=forced)
                try:
                    result = run_check(inp, {}, providers, opts)
                except SmtpdoctorError as exc:  # an unknown provider name in the row
                    finish(RowResult(row.id, row.number, error=phrase(exc.message_id, **exc.params)))
                    return
            if extra:
                fields = {k: getattr(result, k) for k in ("provider", "provider_name", "settings", "steps", "dns",
                                                          "offline", "elapsed_ms")}
                result = diagnose([*extra, *result.findings], catalog, "check", **fields)
            finish(RowResult(row.id, row.number, report=result))
        except Exception as exc:  # noqa: BLE001 - one broken row must not end the batch
            finish(RowResult(row.id, row.number, error=phrase("batch.row.internal", kind=exc.__class__.__name__)))

    def worker() -> None:
        while True:
            row = work.get()
            if row is None:
                return
            if not stop.is_set():
                check(row)

    workers = [threading.Thread(target=worker, name=f"smtpdoctor-batch-{i}", daemon=True) for i in range(concurrency)]
    for thread in workers:
        thread.start()
    rows = read_rows(path, stdin)
    try:
        for row in rows:
            if stop.is_set():
                break
            if row.data is None:
                finish(RowResult(row.id, row.number, error=row.error))
            else:
                work.put(row)  # blocks while the workers are busy: the input is read no faster than checked
        for _ in workers:
            work.put(None)
        for thread in workers:
            while thread.is_alive() and not stop.is_set():
                thread.join(0.2)
    except KeyboardInterrupt:
        summary.interrupted = True
        stop.set()
    finally:
        stop.set()
        rows.close()
        summary.elapsed_s = time.perf_counter() - started
    return summary
