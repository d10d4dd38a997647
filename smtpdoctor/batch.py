"""`smtpdoctor batch`: check many configurations (JSON Lines or CSV) concurrently, politely per host.

Each configuration becomes one JSON line as soon as its check ends (so an interrupted run keeps
what it has), and a summary counts the codes and providers. Passwords may be `env:VAR` references.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
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


def read_rows(path: Path, stdin=None) -> Iterator[Row]:
    """JSON Lines when the first non-blank character is '{', else CSV with a header row."""
    try:
        raw = stdin.read() if str(path) == "-" and stdin is not None else path.read_bytes()
    except OSError as exc:
        raise InputError("error.log_unreadable", file=path, reason=os_reason(exc)) from exc
    text = raw.decode("utf-8-sig", "replace") if isinstance(raw, bytes) else raw
    if "\0" in text:
        raise InputError("error.env_binary", file=path)
    if text.lstrip().startswith("{"):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError as exc:
                yield Row(number, None, phrase("batch.row.not_json", reason=Evidence(EvidenceKind.SYSTEM, exc.msg)))
                continue
            if not isinstance(data, dict):
                yield Row(number, None, phrase("batch.row.not_object"))
                continue
            yield Row(number, {str(k): "" if v is None else str(v) for k, v in data.items()})
        return
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        return
    for number, record in enumerate(reader, 1):
        if None in record:  # more cells than the header has names
            yield Row(number, None, phrase("batch.row.extra_cells"))
            continue
        yield Row(number, {k.strip(): (v or "") for k, v in record.items() if k})


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
    summary = BatchSummary()
    started = time.perf_counter()
    limiter = HostLimiter(per_host)
    emit_lock = threading.Lock()
    slots = threading.BoundedSemaphore(concurrency * 2)  # rows read ahead of the workers, not the whole file
    source_name = "<stdin>" if str(path) == "-" else str(path)

    def finish(result: RowResult) -> None:
        with emit_lock:
            emit(result)
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

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="smtpdoctor-batch")
    futures: list[Future] = []
    try:
        for row in read_rows(path, stdin):
            if row.data is None:
                finish(RowResult(row.id, row.number, error=row.error))
                continue
            slots.acquire()
            future = pool.submit(check, row)
            future.add_done_callback(lambda _: slots.release())
            futures.append(future)
        for future in futures:
            future.result()
    except KeyboardInterrupt:
        summary.interrupted = True
        for future in futures:
            future.cancel()
    finally:
        pool.shutdown(wait=not summary.interrupted, cancel_futures=True)
        summary.elapsed_s = time.perf_counter() - started
    return summary
