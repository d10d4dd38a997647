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


HEAD = 64  # bytes of a too-long line kept to tell its format by: a JSON row starts with '{'


def _lines(stream) -> Iterator[tuple[str, str | None]]:
    """(text, problem) per physical line, read as it arrives (a stdin that never closes yields rows
    as they come) and never more than MAX_ROW bytes at a time: a longer line is skipped to its end,
    and its text is only its first HEAD bytes."""
    first = True
    while True:
        raw = stream.readline(MAX_ROW + 1)
        if not raw:
            return
        problem = None
        if len(raw) > MAX_ROW and not raw.endswith(b"\n"):
            head = raw[:HEAD].decode("utf-8-sig" if first else "utf-8", "replace")
            while raw and not raw.endswith(b"\n"):  # the rest of the line, in bounded pieces
                raw = stream.readline(MAX_ROW)
            yield head, "too_long"
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
        if text.lstrip().startswith("{"):  # a first row too long to read still shows which format it is
            yield from _json_rows(text, number, lines, problem)
        elif problem:  # a CSV header that cannot be read leaves no row to read
            raise InputError("cli.batch.header_too_long", file=path, n=MAX_ROW // 1024)
        else:
            yield from _csv_rows(text, lines, path)
    except OSError as exc:
        raise InputError("error.log_unreadable", file=path, reason=os_reason(exc)) from exc


def _json_rows(first: str, number: int, lines: Iterator[tuple[str, str | None]],
               first_problem: str | None = None) -> Iterator[Row]:
    def rows() -> Iterator[tuple[int, str, str | None]]:
        yield number, first, first_problem
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
            # Numbers stay as written: every value becomes text anyway, and int() refuses more than 4,300 digits.
            data = json.loads(line, parse_int=str, parse_float=str)
        except RecursionError:
            yield Row(n, None, phrase("hardening.batch.row_too_deep"))
            continue
        except ValueError as exc:
            reason = getattr(exc, "msg", None) or str(exc)
            yield Row(n, None, phrase("batch.row.not_json", reason=Evidence(EvidenceKind.SYSTEM, reason)))
            continue
        if not isinstance(data, dict):
            yield Row(n, None, phrase("batch.row.not_object"))
            continue
        row = {str(k): "" if v is None else str(v) for k, v in data.items()}
        if not all(_is_text(k) and _is_text(v) for k, v in row.items()):
            yield Row(n, None, phrase("cli.batch.row_surrogate"))
            continue
        yield Row(n, row)


def _is_text(value: str) -> bool:
    """False for a string holding a lone surrogate (JSON's "\\ud800"): no host, login or password, and no line of output."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _csv_rows(header: str, lines: Iterator[tuple[str, str | None]], path: Path) -> Iterator[Row]:
    """One record per physical line: no setting holds a line break, so a quote left open is that record's error
    (read on, it would swallow the rows after it into one value) and the next line is the next record."""
    csv.field_size_limit(MAX_ROW)
    try:
        names = [name.strip() for name in _csv_record(header)]
    except csv.Error as exc:
        if "\r" in header.rstrip("\r\n"):  # CR alone ends each line (classic Mac OS): the header runs into the rows
            raise InputError("cli.batch.header_cr", file=path) from None
        raise InputError("cli.batch.header_csv", file=path, reason=_csv_reason(exc)) from None
    if not any(names):
        return
    number = 0
    for text, bad in lines:
        if not text.strip() and not bad:
            continue
        number += 1
        if bad:
            yield Row(number, None, _row_problem(bad))
            continue
        try:
            record = _csv_record(text)
        except csv.Error as exc:
            reason = phrase("hardening.batch.row_too_long", n=MAX_ROW // 1024) if "field limit" in str(exc) \
                else phrase("hardening.batch.row_csv", reason=_csv_reason(exc))
            yield Row(number, None, reason)
            continue
        if len(record) > len(names):  # more cells than the header has names
            yield Row(number, None, phrase("batch.row.extra_cells"))
            continue
        yield Row(number, {k: v for k, v in zip(names, record) if k} | {k: "" for k in names[len(record):] if k})


def _csv_record(text: str) -> list[str]:
    """One line as one CSV record; a quote it leaves open is an error (strict), not a value running on."""
    return next(csv.reader([text.rstrip("\r\n")], strict=True), [])


def _csv_reason(exc: csv.Error) -> Phrase | Evidence:
    if "unexpected end of data" in str(exc):
        return phrase("firsthour.batch.open_quote")
    return Evidence(EvidenceKind.SYSTEM, str(exc))


ENV_PREFIX = "SMTP_"  # `env:NAME` in a row may read these without --allow-env


class RowRefused(SmtpdoctorError):
    """A row asks for something the batch file may not have (an environment variable outside SMTP_*)."""


def env_allowed(name: str, allow_env: frozenset[str]) -> bool:
    """Whether a row may read this variable. A batch file is often someone else's (a tenant list, an upload):
    `password = "env:AWS_SECRET_ACCESS_KEY"` with `host` pointing at the file's author would send them the
    CI's secret, so only the SMTP_* names are open unless the person running the batch names others."""
    return name.startswith(ENV_PREFIX) or name in allow_env


def row_input(row: Row, env: Mapping[str, str], source_name: str,
              allow_env: frozenset[str] = frozenset()) -> tuple[SettingsInput, list[Finding], str | None]:
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
            if not env_allowed(var, allow_env):  # refused whether it is set or not: no probing for names
                raise RowRefused("cli.batch.env_not_allowed", name=var)
            if var not in env:
                findings.append(Finding(code="config.missing", variant="unresolved", source=src, params={"ref": var}))
                continue
            value = env[var]
        values[field_name] = RawValue(text=Secret(value), source=src)
    provider = (row.data.get("provider") or "").strip() or None
    return SettingsInput(**values), findings, provider


def _unreadable_values(inp: SettingsInput) -> bool:
    """A port or TLS flag the row gives but no client could read ("abc"): the row is reported as given, not probed."""
    from smtpdoctor.settings.model import parse_bool, parse_port

    return any(raw is not None and raw.value.strip() and parse(raw.value) is None
               for raw, parse in ((inp.port, parse_port), (inp.secure, parse_bool)))


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
    write_error: Exception | None = None  # the results could not be written (a full disk, a closed stdout)
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
              stdin=None, on_progress: Callable[[int], None] | None = None,
              allow_env: frozenset[str] = frozenset()) -> BatchSummary:
    """Rows stream in and results stream out: memory holds at most `concurrency * 2` rows waiting, whatever
    the input's size (a stdin that never closes included). The workers are daemon threads, so Ctrl-C or
    a closed output pipe ends the run at once instead of waiting for every probe still in flight.

    Nothing a row holds and nothing the output does may stop a worker: a worker that died would leave the
    reader waiting forever for room in the queue. A result that cannot be written stops the run
    (`summary.write_error`); one that cannot be rendered is written as a row error in its place."""
    summary = BatchSummary()
    started = time.perf_counter()
    limiter = HostLimiter(per_host)
    from smtpdoctor.pacing import Pacer, SecondTries

    pacer = Pacer(concurrency)  # at most what this machine can do at once, up to `concurrency`
    second = SecondTries()  # checks that timed out while the batch starved the machine: asked again
    emit_lock = threading.Lock()
    stop = threading.Event()  # the output is gone or failed, or the user pressed Ctrl-C
    work: queue.Queue[Row | None] = queue.Queue(maxsize=concurrency * 2)
    source_name = "<stdin>" if str(path) == "-" else str(path)

    def write(result: RowResult) -> RowResult:
        """Emit the result, or a row error in its place when the row's own content cannot be rendered (a sink
        that fails raises OSError or SmtpdoctorError, and a replacement that fails too is the sink's fault)."""
        try:
            emit(result)
            return result
        except (OSError, SmtpdoctorError):
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. UnicodeEncodeError from text the output cannot hold
            replacement = RowResult(f"row-{result.number}", result.number,
                                    error=phrase("cli.batch.row_unrenderable", kind=exc.__class__.__name__))
            emit(replacement)
            return replacement

    def finish(result: RowResult) -> None:
        with emit_lock:
            if stop.is_set():
                return
            try:
                result = write(result)
            except BrokenPipeError:  # `batch ... | head -1`: nobody reads any more; stop probing
                summary.broken_pipe = True
                stop.set()
                return
            except Exception as exc:  # noqa: BLE001 - /dev/full, a closed stdout: the run cannot report, so it stops
                summary.write_error = exc
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
            try:
                on_progress(1)
            except Exception:  # noqa: BLE001, S110 - a progress bar that cannot draw must not stop the checks
                pass

    def check(row: Row, again: bool = False) -> None:
        try:
            try:
                inp, extra, forced = row_input(row, env, source_name, allow_env)
            except RowRefused as exc:
                finish(RowResult(row.id, row.number, error=phrase(exc.message_id, **exc.params)))
                return
            host = inp.host.value.strip() if inp.host else ""
            with limiter(host), pacer.slot() as began:
                if stop.is_set():
                    return
                opts = options if not forced else replace(options, provider=forced)
                if _unreadable_values(inp):  # probed with a default in its place, the row would test other settings
                    opts = replace(opts, offline=True)
                try:
                    result = run_check(inp, {}, providers, opts)
                except SmtpdoctorError as exc:  # an unknown provider name in the row
                    finish(RowResult(row.id, row.number, error=phrase(exc.message_id, **exc.params)))
                    return
            if extra:
                fields = {k: getattr(result, k) for k in ("provider", "provider_name", "settings", "steps", "dns",
                                                          "offline", "elapsed_ms")}
                result = diagnose([*extra, *result.findings], catalog, "check", **fields)
            if not again and pacer.suspect(began, result):
                second.add(row)
                return
            finish(RowResult(row.id, row.number, report=result))
        except Exception as exc:  # noqa: BLE001 - one broken row must not end the batch
            finish(RowResult(row.id, row.number, error=phrase("batch.row.internal", kind=exc.__class__.__name__)))

    def worker() -> None:
        while True:
            retry = second.due()
            if retry is not None:
                if not stop.is_set():
                    check(retry, again=True)
                continue
            row = work.get()
            if row is None:
                return
            if not stop.is_set():
                check(row)

    def put(item: Row | None) -> bool:
        """Queue an item, waiting for room only while the run goes on."""
        while not stop.is_set():
            try:
                work.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

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
            elif not put(row):  # blocks while the workers are busy: the input is read no faster than checked
                break
        for _ in workers:
            if not put(None):
                break
        for thread in workers:
            while thread.is_alive() and not stop.is_set():
                thread.join(0.2)
        _again(second.rest(), check, stop, concurrency)
    except KeyboardInterrupt:
        summary.interrupted = True
        stop.set()
    finally:
        stop.set()
        pacer.close()
        rows.close()
        _release(work, len(workers))
        summary.elapsed_s = time.perf_counter() - started
    return summary


def _again(rows: list[Row], check: Callable[..., None], stop: threading.Event, concurrency: int) -> None:
    """The second tries still waiting when the rest is done (checks that timed out while the batch starved the
    machine): a healthy server answers this time, a dead one times out again and is reported."""
    pending = list(rows)
    lock = threading.Lock()

    def worker() -> None:
        while not stop.is_set():
            with lock:
                if not pending:
                    return
                row = pending.pop(0)
            check(row, again=True)

    threads = [threading.Thread(target=worker, name=f"smtpdoctor-batch-again-{i}", daemon=True)
               for i in range(min(len(pending), concurrency))]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive() and not stop.is_set():
            thread.join(0.2)


def _release(work: queue.Queue, workers: int) -> None:
    """Let every idle worker end: drop the rows still waiting and leave an end mark for each (workers
    busy with a probe see `stop` when it returns, and end at the next mark)."""
    try:
        while True:
            work.get_nowait()
    except queue.Empty:
        pass
    for _ in range(workers):
        try:
            work.put_nowait(None)
        except queue.Full:
            return
