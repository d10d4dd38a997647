"""The values that flow through a run: settings -> checks/probe -> findings -> one Report -> renderer.

Everything here is language-neutral data. Our own words are `Phrase` ids (rendered in the reader's
language by `render/`); what a server, a certificate, DNS or a log said is `Evidence`, quoted
verbatim in every language. Dataclasses made by `@value` (smtpdoctor.values): defined at every start-up,
so built without the code `@dataclass` compiles per class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum
from typing import Union

from smtpdoctor.exitcodes import ExitCode
from smtpdoctor.values import value

# What counts as ours, for smtpdoctor.redact: a secret is masked in values from outside (what a server,
# a log, DNS or the user's settings said), never in our own identifiers. A field marked OURS holds a
# message id, a finding code, a provider or format id, a variable name: masking a piece of it ("config.
# ********_format") would break the lookup that renders it, and it cannot carry a secret anyway.
OURS = {"ours": True}
# A Phrase's parameters with these names name things of ours (a variable, an option, a code, a format),
# whatever the value: never redacted either. Any other parameter may quote the outside and is redacted.
# (`en`/`ru`/`settings_url`: a provider's or framework's own text from our catalog, static.provider_text.)
OWN_PARAMS = frozenset({"var", "vars", "secure_var", "option", "code", "codes", "format", "formats", "framework",
                        "platform", "provider", "mechanism", "command", "kind", "rule", "en", "ru", "settings_url"})


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


@value
class Phrase:
    """Our own words, by id into the message files; rendered in the reader's language at the edge."""

    id: str = field(metadata=OURS)
    params: Mapping[str, Param] = field(default_factory=dict, metadata={"own_params": OWN_PARAMS})


def phrase(message_id: str, **params: Param) -> Phrase:
    return Phrase(message_id, params)


class EvidenceKind(StrEnum):
    SERVER = "server"  # an SMTP reply
    CERTIFICATE = "certificate"  # names and dates from the server's certificate
    DNS = "dns"  # a record as published
    LOG = "log"  # a line from the user's log
    SYSTEM = "system"  # the OS's or the TLS library's own reason (errno text, OpenSSL reason)


@value
class Evidence:
    """Somebody else's words, byte for byte (secrets already masked): never translated, always marked as theirs."""

    kind: EvidenceKind
    text: str = field(metadata={"server_words": True})  # smtpdoctor.redact also masks short secrets here, as whole tokens


@value
class ValueSource:
    """Where one setting came from, so a diagnosis can say 'SMTP_PORT (from .env, line 4)'."""

    kind: str = field(metadata=OURS)  # option | env | dotenv | url | stdin | config | provider | default
    name: str = field(metadata=OURS)  # the option or variable name
    file: str | None = None
    line: int | None = None


# A finding's parameter: a value that means the same in every language. Numbers, host names,
# variable names are shown as they are; a Phrase is translated; a tuple is a list joined in the
# reader's language; Evidence is quoted as the other side's words.
Param = Union[str, int, float, bool, Phrase, Evidence, ValueSource, tuple]


@value
class Location:
    file: str
    line: int


@value
class Occurrences:
    """Where a log diagnosis was seen: how often, first and last place."""

    count: int
    first: Location
    last: Location


@value
class Decision:
    """Which evidence decided a diagnosis (knowledge/evidence.py levels) and what competed with it."""

    kind: str = field(metadata=OURS)  # provider_phrase | enhanced_code | phrase | enhanced_class | reply_code | wrapper | generic
    value: str = field(metadata=OURS)  # the enhanced code, the reply code, or the catalog's phrase/term that matched
    command: str | None = field(default=None, metadata=OURS)  # the SMTP command the reply answered, when known
    runner_up: str | None = field(default=None, metadata=OURS)  # the strongest competing reading's code


@value
class Finding:
    """One diagnosis: a catalog code with typed parameters and the other side's evidence; no text.

    `severity` is None when a producer leaves it to the catalog; `diagnose()` always sets it, so
    everything after the Report reads it directly.
    """

    code: str = field(metadata=OURS)
    variant: str | None = field(default=None, metadata=OURS)
    severity: Severity | None = None
    params: Mapping[str, Param] = field(default_factory=dict, metadata={"own_params": OWN_PARAMS})
    evidence: Evidence | None = None
    source: ValueSource | None = None
    step: StepName | None = None
    provider: str | None = field(default=None, metadata=OURS)
    certain: bool = True  # False: a generic reading (a bare status code), less certain
    seen: Occurrences | None = None  # explain: where in the logs
    decided_by: Decision | None = None  # how the evidence engine chose this code
    # The code of another finding of the same run this one may only be a consequence of (a resolver that
    # fails makes a domain look missing): unconfirmed while that one stands, and never where to start.
    because_of: str | None = field(default=None, metadata=OURS)
    # prescribe.model.Prescription: the proven edits to the user's own settings that cure this finding (set by
    # smtpdoctor.prescribe after diagnose(); None: no settings change cures it, its fix steps say what to do).
    prescription: object | None = None


@value
class StepResult:
    """One probe step. `detail` is our description; `reply` is what the server said, verbatim."""

    name: StepName
    status: StepStatus
    elapsed_ms: float = 0.0
    detail: Phrase | None = None
    reply: Evidence | None = None
    code: str | None = field(default=None, metadata=OURS)  # the finding code when the step failed


@value
class SettingView:
    """A setting as the user gave it. `value` is language-neutral (None for a secret); `shown` is for people."""

    # the value as given (from outside), or for the TLS mode one of our words (never redacted: `own_words`)
    value: str | None = field(metadata={"own_words": frozenset({"implicit", "starttls"})})
    source: ValueSource | None = None
    shown: Phrase | None = None  # what to print instead of the value (a hidden password, a TLS mode)
    length: int | None = None  # for a secret: its length, never its content
    given: str | None = None  # what the user gave when it could not be used (port "abc"); never for a secret
    invalid: bool = False  # `given` was not valid, so `value` is what is used instead
    note: Phrase | None = None  # why the value is what it is (the framework rule that decided a TLS mode)


@value
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


@value
class FileStat:
    name: str
    lines: int


@value
class LogMatchRef:
    file: str
    line: int
    code: str = field(metadata=OURS)
    provider: str | None = field(default=None, metadata=OURS)


@value
class LastFailure:
    code: str = field(metadata=OURS)
    at: Location
    started: Location
    recovered: Location | None = None  # a success logged after the last failure


@value
class LogSummary:
    """What `explain` read: files, every match's place (capped), the last failure."""

    files: tuple[FileStat, ...] = ()
    matches: tuple[LogMatchRef, ...] = ()
    total_matches: int = 0
    last_failure: LastFailure | None = None
    engine: str = field(default="", metadata=OURS)

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)


@value
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


@value
class PortAttempt:
    """One TCP connect of the port preflight: a port over one IP family."""

    port: int
    family: str = field(metadata=OURS)  # ipv4 | ipv6
    status: str = field(metadata=OURS)  # open | timeout | refused | unreachable | no_address
    address: str | None = None
    reason: Evidence | None = None  # the OS's words (errno text)


@value
class PortTable:
    """`check --ports` (or a timed-out configured port): every SMTP port raced within one timeout."""

    host: str
    configured: int
    attempts: tuple[PortAttempt, ...] = ()
    timeout: float = 0.0
    verdict: Phrase | None = None


@value
class BounceRecord:
    """One recipient of a bounce, complaint, auto-reply or provider delivery event (`explain` on mail messages):
    what the other side said, field by field as written, and how it was read (`reason` in Sisimai's vocabulary,
    the catalog `code` that explains it and says who must act)."""

    recipient: str | None
    reason: str = field(default="undefined", metadata=OURS)
    code: str = field(default="delivery.bounce_unclear", metadata=OURS)
    variant: str | None = field(default=None, metadata=OURS)
    kind: str = field(default="failure", metadata=OURS)  # failure | delay | complaint | autoreply | delivered | suppressed
    hard: bool | None = None  # a permanent failure (True), a temporary one (False); None: not a failure
    side: str = field(default="", metadata=OURS)  # who must act: sender | list_owner | recipient | provider
    original_recipient: str | None = None
    action: str | None = None  # RFC 3464 Action, as written
    status: str | None = None  # the enhanced status code (RFC 3463)
    reply_code: str | None = None  # the SMTP reply code
    diagnostic: Evidence | None = None  # the remote side's words, verbatim
    remote_host: str | None = None
    command: str | None = field(default=None, metadata=OURS)  # the SMTP command the failure answered
    reporting_mta: str | None = None
    date: str | None = None
    sender: str | None = None  # the original message's sender
    subject: str | None = None
    message_id: str | None = None
    feedback_type: str | None = None  # RFC 5965 Feedback-Type of a complaint
    block_list: str | None = None  # the DNS block list a refusal names
    format: str = field(default="", metadata=OURS)  # which format or provider's events it was read from
    at: Location | None = None  # where the message or event starts in the input


@value
class BounceSummary:
    """What `explain` read of mail messages and provider events: the records (capped), and counts over all."""

    messages: int = 0  # messages and events read
    records: tuple[BounceRecord, ...] = ()  # in input order, at most --max-matches
    total: int = 0  # records in all
    by_reason: tuple[tuple[str, int], ...] = ()  # most frequent first
    by_domain: tuple[tuple[str, int], ...] = ()  # failures per recipient domain
    by_host: tuple[tuple[str, int], ...] = ()  # failures per remote host
    hard: tuple[tuple[str, str, str], ...] = ()  # (address, reason, code): each hard-bounced address once
    other: int = 0  # messages that were no bounce, complaint or auto-reply
    damaged: int = 0  # messages that could not be parsed at all


@value
class Report:
    """The one result of `check`, `dns`, `explain` and each `batch` row: everything a renderer needs."""

    command: str = field(metadata=OURS)  # check | dns | explain
    findings: tuple[Finding, ...] = ()
    verdict: Verdict = field(default_factory=Verdict)
    provider: str | None = field(default=None, metadata=OURS)
    provider_name: str | None = field(default=None, metadata=OURS)  # from the provider catalog
    settings: Mapping[str, SettingView] = field(default_factory=dict)
    steps: tuple[StepResult, ...] = ()
    transcript: tuple[str, ...] = field(default=(), metadata={"server_words": True})
    dns: DnsReport | None = None
    source_format: str | None = field(default=None, metadata=OURS)  # nodemailer, django, laravel, symfony, supabase, spring
    source_detected: bool = False
    # how that format spells each setting (settings.frameworks.Naming): names and message ids
    naming: Mapping[str, str] | None = field(default=None, metadata=OURS)
    checks: Mapping[str, tuple[str, ...]] = field(default_factory=dict, metadata=OURS)  # static check name -> codes it found
    offline: bool = False
    insecure: bool = False
    logs: LogSummary | None = None
    elapsed_ms: float = 0.0
    platform: str | None = field(default=None, metadata=OURS)  # the hosting platform whose rules applied (platforms.toml id)
    recognised: Phrase | None = None  # how the provider was recognised from DNS ("MX ... → Google Workspace")
    ports: PortTable | None = None  # the port preflight table
    bounces: BounceSummary | None = None  # explain on mail messages and provider events

    def exit_code(self, strict: bool = False) -> ExitCode:
        return self.verdict.exit_code(strict)
