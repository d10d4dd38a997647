"""The values that flow through a run: settings -> checks/probe -> findings -> one Report -> renderer.

Everything here is language-neutral data. Our own words are `Phrase` ids (rendered in the reader's
language by `render/`); what a server, a certificate, DNS or a log said is `Evidence`, quoted
verbatim in every language. Plain dataclasses: these are built on the hot path of every check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Union

from smtpdoctor.exitcodes import ExitCode


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    OK = "ok"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2, Severity.OK: 3}


class StepName(StrEnum):
    RESOLVE = "resolve"
    CONNECT = "connect"
    GREETING = "greeting"
    TLS = "tls"
    EHLO = "ehlo"
    AUTH = "auth"
    SENDER = "sender"
    SEND = "send"


class StepStatus(StrEnum):
    OK = "ok"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Phrase:
    """Our own words, by id into the message files; rendered in the reader's language at the edge."""

    id: str
    params: Mapping[str, Param] = field(default_factory=dict)


def phrase(message_id: str, **params: Param) -> Phrase:
    return Phrase(message_id, params)


class EvidenceKind(StrEnum):
    SERVER = "server"  # an SMTP reply
    CERTIFICATE = "certificate"  # names and dates from the server's certificate
    DNS = "dns"  # a record as published
    LOG = "log"  # a line from the user's log
    SYSTEM = "system"  # the OS's or the TLS library's own reason (errno text, OpenSSL reason)


@dataclass(frozen=True)
class Evidence:
    """Somebody else's words, byte for byte (secrets already masked): never translated, always marked as theirs."""

    kind: EvidenceKind
    text: str = field(metadata={"server_words": True})  # smtpdoctor.redact also masks short secrets here, as whole tokens


@dataclass(frozen=True)
class ValueSource:
    """Where one setting came from, so a diagnosis can say 'SMTP_PORT (from .env, line 4)'."""

    kind: str  # option | env | dotenv | url | stdin | config | provider | default
    name: str  # the option or variable name
    file: str | None = None
    line: int | None = None


# A finding's parameter: a value that means the same in every language. Numbers, host names,
# variable names are shown as they are; a Phrase is translated; a tuple is a list joined in the
# reader's language; Evidence is quoted as the other side's words.
Param = Union[str, int, float, bool, Phrase, Evidence, ValueSource, tuple]


@dataclass(frozen=True)
class Location:
    file: str
    line: int


@dataclass(frozen=True)
class Occurrences:
    """Where a log diagnosis was seen: how often, first and last place."""

    count: int
    first: Location
    last: Location


@dataclass(frozen=True)
class Decision:
    """Which evidence decided a diagnosis (knowledge/evidence.py levels) and what competed with it."""

    kind: str  # provider_phrase | enhanced_code | phrase | enhanced_class | reply_code | wrapper | generic
    value: str  # the enhanced code, the reply code, or the phrase/term that matched
    command: str | None = None  # the SMTP command the reply answered, when known
    runner_up: str | None = None  # the strongest competing reading's code


@dataclass(frozen=True)
class Finding:
    """One diagnosis: a catalog code with typed parameters and the other side's evidence; no text.

    `severity` is None when a producer leaves it to the catalog; `diagnose()` always sets it, so
    everything after the Report reads it directly.
    """

    code: str
    variant: str | None = None
    severity: Severity | None = None
    params: Mapping[str, Param] = field(default_factory=dict)
    evidence: Evidence | None = None
    source: ValueSource | None = None
    step: StepName | None = None
    provider: str | None = None
    certain: bool = True  # False: a generic reading (a bare status code), less certain
    seen: Occurrences | None = None  # explain: where in the logs
    decided_by: Decision | None = None  # how the evidence engine chose this code


@dataclass(frozen=True)
class StepResult:
    """One probe step. `detail` is our description; `reply` is what the server said, verbatim."""

    name: StepName
    status: StepStatus
    elapsed_ms: float = 0.0
    detail: Phrase | None = None
    reply: Evidence | None = None
    code: str | None = None  # the finding code when the step failed


@dataclass(frozen=True)
class SettingView:
    """A setting as the user gave it. `value` is language-neutral (None for a secret); `shown` is for people."""

    value: str | None
    source: ValueSource | None = None
    shown: Phrase | None = None  # what to print instead of the value (a hidden password, a TLS mode)
    length: int | None = None  # for a secret: its length, never its content
    given: str | None = None  # what the user gave when it could not be used (port "abc"); never for a secret
    invalid: bool = False  # `given` was not valid, so `value` is what is used instead
    note: Phrase | None = None  # why the value is what it is (the framework rule that decided a TLS mode)


@dataclass(frozen=True)
class DnsReport:
    """The sender domain's records as read (verbatim strings)."""

    domain: str
    relay: str | None
    mx: tuple[str, ...] = ()
    spf: str | None = None
    spf_lookups: int = 0
    spf_chain: tuple[str, ...] = ()
    dkim: Mapping[str, str | None] = field(default_factory=dict)
    dmarc: str | None = None
    dmarc_name: str | None = None
    skipped: Phrase | None = None


@dataclass(frozen=True)
class FileStat:
    name: str
    lines: int


@dataclass(frozen=True)
class LogMatchRef:
    file: str
    line: int
    code: str
    provider: str | None = None


@dataclass(frozen=True)
class LastFailure:
    code: str
    at: Location
    started: Location
    recovered: Location | None = None  # a success logged after the last failure


@dataclass(frozen=True)
class LogSummary:
    """What `explain` read: files, every match's place (capped), the last failure."""

    files: tuple[FileStat, ...] = ()
    matches: tuple[LogMatchRef, ...] = ()
    total_matches: int = 0
    last_failure: LastFailure | None = None
    engine: str = ""

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)


@dataclass(frozen=True)
class Verdict:
    """Counted once, by `diagnose()`: every renderer and the exit code read this."""

    errors: int = 0
    warnings: int = 0
    first_error: Finding | None = None
    first_warning: Finding | None = None

    def exit_code(self, strict: bool = False) -> ExitCode:
        if self.errors or (strict and self.warnings):
            return ExitCode.PROBLEMS
        return ExitCode.OK

    def blocking(self, strict: bool = False) -> Finding | None:
        """The finding to start with when the run fails."""
        return self.first_error or (self.first_warning if strict else None)


@dataclass(frozen=True)
class PortAttempt:
    """One TCP connect of the port preflight: a port over one IP family."""

    port: int
    family: str  # ipv4 | ipv6
    status: str  # open | timeout | refused | unreachable | no_address
    address: str | None = None
    reason: Evidence | None = None  # the OS's words (errno text)


@dataclass(frozen=True)
class PortTable:
    """`check --ports` (or a timed-out configured port): every SMTP port raced within one timeout."""

    host: str
    configured: int
    attempts: tuple[PortAttempt, ...] = ()
    timeout: float = 0.0
    verdict: Phrase | None = None


@dataclass(frozen=True)
class Report:
    """The one result of `check`, `dns`, `explain` and each `batch` row: everything a renderer needs."""

    command: str  # check | dns | explain
    findings: tuple[Finding, ...] = ()
    verdict: Verdict = field(default_factory=Verdict)
    provider: str | None = None
    provider_name: str | None = None
    settings: Mapping[str, SettingView] = field(default_factory=dict)
    steps: tuple[StepResult, ...] = ()
    transcript: tuple[str, ...] = field(default=(), metadata={"server_words": True})
    dns: DnsReport | None = None
    source_format: str | None = None  # nodemailer, django, laravel, symfony, supabase, spring
    source_detected: bool = False
    naming: Mapping[str, str] | None = None  # how that format spells each setting (settings.frameworks.Naming)
    checks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # static check name -> codes it found
    offline: bool = False
    insecure: bool = False
    logs: LogSummary | None = None
    elapsed_ms: float = 0.0
    platform: str | None = None  # the hosting platform whose rules applied (platforms.toml id)
    recognised: Phrase | None = None  # how the provider was recognised from DNS ("MX ... → Google Workspace")
    ports: PortTable | None = None  # the port preflight table

    def exit_code(self, strict: bool = False) -> ExitCode:
        return self.verdict.exit_code(strict)
