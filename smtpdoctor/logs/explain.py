"""Use case for `smtpdoctor explain`: scan logs, group matches into diagnoses, find the last failure."""

from __future__ import annotations

import time
from typing import BinaryIO

from pydantic import BaseModel, Field

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.errors import InputError
from smtpdoctor.exitcodes import ExitCode
from smtpdoctor.logs.scan import LogMatch, LogScanner, open_log
from smtpdoctor.knowledge.matcher import Matcher
from smtpdoctor.report import Finding, Severity


class Location(BaseModel):
    file: str
    line: int


class LogDiagnosis(BaseModel):
    code: str
    provider: str | None = None
    certain: bool = True
    count: int = 0
    first: Location
    last: Location
    example: str
    params: dict[str, str] = Field(default_factory=dict)

    def as_finding(self) -> Finding:
        return Finding(code=self.code, provider=self.provider, params=self.params, evidence=self.example)


class FileStat(BaseModel):
    name: str
    lines: int


class LogMatchRef(BaseModel):
    file: str
    line: int
    code: str
    provider: str | None = None


class LastFailure(BaseModel):
    code: str
    at: Location
    started: Location
    recovered: Location | None = None  # a success logged after the last failure


class ExplainResult(BaseModel):
    files: list[FileStat] = Field(default_factory=list)
    diagnoses: list[LogDiagnosis] = Field(default_factory=list)
    matches: list[LogMatchRef] = Field(default_factory=list)
    total_matches: int = 0
    last_failure: LastFailure | None = None
    elapsed_ms: float = 0.0
    engine: str = ""

    def exit_code(self, catalog: Catalog) -> ExitCode:
        bad = any(catalog.severity_of(d.as_finding()) is Severity.ERROR for d in self.diagnoses)
        return ExitCode.PROBLEMS if bad else ExitCode.OK


def run_explain(paths: list[str], catalog: Catalog, stdin: BinaryIO | None = None, max_matches: int = 1000,
                providers=None) -> ExplainResult:
    started = time.perf_counter()
    hints = {p.id: p.log_hints for p in providers.presets.values()} if providers is not None else None
    scanner = LogScanner(Matcher(catalog), hints)
    result = ExplainResult(engine=scanner.prefilter.engine)
    groups: dict[tuple[str, str | None], LogDiagnosis] = {}  # per code and provider: the fix differs
    streak: dict[str, LogMatch] = {}  # "start" and "last" of the latest run of one error code
    last_ok: list[LogMatch] = []

    def on_match(m: LogMatch) -> None:
        here = Location(file=m.file, line=m.line)
        group = groups.get((m.code, m.provider))
        if group is None:
            groups[(m.code, m.provider)] = LogDiagnosis(code=m.code, provider=m.provider, certain=m.certain, count=1,
                                                        first=here, last=here, example=m.text, params=m.params)
        else:
            group.count += 1
            group.last = here
        result.total_matches += 1
        if len(result.matches) < max_matches:
            result.matches.append(LogMatchRef(file=m.file, line=m.line, code=m.code, provider=m.provider))
        severity = catalog.severity_of(Finding(code=m.code))
        if severity is Severity.ERROR:
            if "last" not in streak or streak["last"].code != m.code:
                streak["start"] = m
            streak["last"] = m
            last_ok.clear()
        elif severity is Severity.OK:
            last_ok[:] = [m]

    for path in paths or ["-"]:
        name = "<stdin>" if path == "-" else path
        try:
            stream = open_log(path, stdin)
        except OSError as exc:
            raise InputError("error.log_unreadable", file=name, reason=exc.strerror or exc.__class__.__name__) from exc
        try:
            with stream:
                lines = scanner.scan(stream, name, on_match)
        except (OSError, EOFError) as exc:  # a truncated .gz, a read error
            raise InputError("error.log_unreadable", file=name, reason=str(exc) or exc.__class__.__name__) from exc
        result.files.append(FileStat(name=name, lines=lines))

    result.diagnoses = sorted(groups.values(), key=lambda d: (catalog.severity_of(d.as_finding()).rank, not d.certain, -d.count))
    if streak:
        last, start = streak["last"], streak["start"]
        result.last_failure = LastFailure(
            code=last.code, at=Location(file=last.file, line=last.line), started=Location(file=start.file, line=start.line),
            recovered=Location(file=last_ok[0].file, line=last_ok[0].line) if last_ok else None)
    result.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return result
