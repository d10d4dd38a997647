"""Use case for `smtpdoctor explain`: scan logs, group matches into diagnoses, find the last failure."""

from __future__ import annotations

import time
from typing import BinaryIO

from smtpdoctor.diagnose import diagnose
from smtpdoctor.errors import InputError, os_reason
from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.knowledge.evidence import engine_for
from smtpdoctor.logs.mask import mask_secrets
from smtpdoctor.logs.scan import example_of, LogMatch, LogScanner
from smtpdoctor.logs.threads import FailureThreads, SESSION_GAP_LINES, session_of
from smtpdoctor.messages.detect import InputKind
from smtpdoctor.messages.source import open_input
from smtpdoctor.report import (Decision, Evidence, EvidenceKind, FileStat, Finding, LastFailure, Location, LogMatchRef,
                               LogSummary, Occurrences, Report, Severity)


class _Group:
    """One diagnosis being gathered: the first match's details, a count, the last place."""

    __slots__ = ("match", "count", "first", "last")

    def __init__(self, match: LogMatch, here: Location) -> None:
        self.match, self.count, self.first, self.last = match, 1, here, here

    def finding(self) -> Finding:
        m = self.match
        r = m.reading
        decided = Decision(r.kind, r.value, r.command, r.runner_up.code if r.runner_up else None) if r else None
        return Finding(code=m.code, variant=r.variant if r else None, provider=m.provider, params=m.params,
                       certain=m.certain,
                       evidence=Evidence(EvidenceKind.LOG, example_of(mask_secrets(m.text))),
                       seen=Occurrences(count=self.count, first=self.first, last=self.last), decided_by=decided)


def _endless_device(path: str) -> bool:
    """/dev/zero, /dev/urandom, a disk: a device that is no terminal never ends, so no log can be read from it
    (a pipe, `<(command)`, and /dev/null, which ends at once, are read as usual)."""
    import os
    import stat

    mode = os.stat(path).st_mode
    if stat.S_ISBLK(mode):
        return True
    if not stat.S_ISCHR(mode) or os.path.samefile(path, os.devnull):
        return False
    with open(path, "rb") as handle:
        return not handle.isatty()


def _can_cause(m: LogMatch, severity: Severity) -> bool:
    """A failure the text states (not a wrapper naming a layer): the lines after it may only repeat it."""
    return severity in (Severity.ERROR, Severity.WARNING) and m.reading is not None and m.reading.kind != "wrapper"


def _only_names_the_layer_of(m: LogMatch, last: LogMatch | None, recovered: list[LogMatch]) -> bool:
    """Is `m` a client's layer-only wrapper ("SMTP Error: Could not authenticate.") printed after a failure stated
    with certainty in the same session (the session the log names, or else the same layer a few lines before), with
    no success between? Then that failure stays the last word: support staff act on the last failure, and the
    wrapper only says which layer the stated one was in."""
    if last is None or recovered or m.reading is None or m.reading.kind != "wrapper" or last.file != m.file:
        return False
    if last.reading is None or last.reading.kind == "wrapper" or not last.certain:
        return False
    mine, theirs = session_of(m.text), session_of(last.text)
    if mine is not None and theirs is not None:
        return mine == theirs
    # no session named: the wrapper of the same layer ("auth.*" after "auth.*"), not far after it
    return m.code.split(".")[0] == last.code.split(".")[0] and 0 < m.line - last.line <= SESSION_GAP_LINES


def run_explain(paths: list[str], catalog: Catalog, stdin: BinaryIO | None = None, max_matches: int = 1000,
                providers=None) -> Report:
    started = time.perf_counter()
    hints = {p.id: p.log_hints for p in providers.presets.values()} if providers is not None else None
    scanner = LogScanner(engine_for(catalog), hints)
    groups: dict[tuple[str, str | None], _Group] = {}  # per code and provider: the fix differs
    matches: list[LogMatchRef] = []
    files: list[FileStat] = []
    total = 0
    severity_of_code: dict[tuple[str, str | None], Severity] = {}
    streak: dict[str, LogMatch] = {}  # "start" and "last" of the latest run of one error code
    last_ok: list[LogMatch] = []
    damaged: list[Finding] = []
    written_by: dict[str, str | None] = {}  # file -> the framework its markers name
    sniffer: list = []  # the stream being read (prescribe.logsource.Sniffer)


    def severity(m: LogMatch) -> Severity:
        """The severity of m's diagnosis: its variant's where that has one (a log's IPv6 failure is an error)."""
        key = (m.code, m.reading.variant if m.reading is not None else None)
        known = severity_of_code.get(key)
        if known is None:
            known = severity_of_code[key] = catalog.severity_of(Finding(code=key[0], variant=key[1]))
        return known

    threads = FailureThreads(lambda m: _can_cause(m, severity(m)))  # one diagnosis per failure, however told

    def count(owner: LogMatch, m: LogMatch) -> None:
        """One more line of `owner`'s diagnosis (m itself, or a line that only repeats owner's failure)."""
        nonlocal total
        here = Location(file=m.file, line=m.line)
        group = groups.get((owner.code, owner.provider))
        if group is None:
            groups[(owner.code, owner.provider)] = _Group(owner, here)
        else:
            group.count += 1
            group.last = here
        total += 1
        if len(matches) < max_matches:
            matches.append(LogMatchRef(file=m.file, line=m.line, code=owner.code, provider=owner.provider))

    def settle(owner: LogMatch, m: LogMatch) -> None:
        if owner is not m:
            count(owner, m)  # the same failure, told again (or announced) by the client: not a diagnosis of its own
            return
        count(m, m)
        level = severity(m)
        if level is Severity.ERROR and _only_names_the_layer_of(m, streak.get("last"), last_ok):
            return  # a diagnosis of its own, but not the last word over the failure it wraps
        if level is Severity.ERROR:
            if "last" not in streak or streak["last"].code != m.code:
                streak["start"] = m
            streak["last"] = m
            last_ok.clear()
        elif level is Severity.OK:
            last_ok[:] = [m]

    def on_match(m: LogMatch) -> None:
        if sniffer:
            sniffer[0].look()  # which framework wrote the lines around it
        for owner, line in threads.feed(m):
            settle(owner, line)

    bounces = None  # messages.collect.Collector, when an input is mail (a bounce, an mbox, a maildir, provider events)
    for path in paths or ["-"]:
        name = "<stdin>" if path == "-" else path
        try:
            if path != "-" and _endless_device(path):
                from smtpdoctor.errors import NOT_A_FILE

                raise InputError("error.log_unreadable", file=name, reason=NOT_A_FILE)
            kind, stream = open_input(path, stdin)
        except OSError as exc:
            raise InputError("error.log_unreadable", file=name, reason=os_reason(exc)) from exc
        if kind is not InputKind.LOG:  # the email package is imported only here, when mail was recognised
            from smtpdoctor.messages.inputs import read_input
            from smtpdoctor.messages.collect import Collector

            bounces = bounces or Collector(max_matches)
            read_input(kind, stream, path, name, bounces)
            continue
        from smtpdoctor.prescribe.logsource import Sniffer

        stream = Sniffer(stream)  # which framework wrote it: its fixes then use that framework's setting names
        sniffer[:] = [stream]
        try:
            with stream:
                lines = scanner.scan(stream, name, on_match)
            for owner, line in threads.flush():
                settle(owner, line)
        except (OSError, EOFError) as exc:  # a read error of the file itself
            raise InputError("error.log_unreadable", file=name, reason=os_reason(exc)) from exc
        files.append(FileStat(name=name, lines=lines))
        written_by[name] = stream.framework()
        if getattr(stream, "damaged", False):  # a corrupt or truncated .gz: keep what was found, and say so
            damaged.append(Finding(code="smtp.log_damaged", params={"file": name, "line": lines}))

    last_failure = None
    if streak:
        last, start = streak["last"], streak["start"]
        last_failure = LastFailure(
            code=last.code, at=Location(file=last.file, line=last.line), started=Location(file=start.file, line=start.line),
            recovered=Location(file=last_ok[0].file, line=last_ok[0].line) if last_ok else None)
    summary = LogSummary(files=tuple(files), matches=tuple(matches), total_matches=total, last_failure=last_failure,
                         engine=scanner.prefilter.engine)
    from smtpdoctor.prescribe.logsource import naming_of

    # One framework for the diagnoses' files: their fixes in its names (mixed logs keep the catalog's SMTP_*).
    named = {written_by.get(g.first.file) for g in groups.values()}
    fmt, naming = naming_of(named.pop() if len(named) == 1 else None)
    mail = bounces.findings() if bounces is not None else []
    return diagnose([*(g.finding() for g in groups.values()), *damaged, *mail], catalog, "explain", logs=summary,
                    elapsed_ms=round((time.perf_counter() - started) * 1000, 1), source_format=fmt, naming=naming,
                    bounces=bounces.summary() if bounces is not None else None)
