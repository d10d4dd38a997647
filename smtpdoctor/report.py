"""Typed values that flow through a run: settings -> findings/steps -> CheckResult -> renderer."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from smtpdoctor.exitcodes import ExitCode


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    OK = "ok"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2, "ok": 3}[self.value]


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


class ValueSource(BaseModel):
    """Where one setting came from, so a diagnosis can say 'SMTP_PORT (from .env, line 4)'."""

    model_config = ConfigDict(frozen=True)

    kind: str  # option | env | dotenv | url | stdin | provider | default
    name: str  # the option or variable name
    file: str | None = None
    line: int | None = None


class Finding(BaseModel):
    """One diagnosis instance. `code` is a key into the catalog; texts are looked up at render time."""

    model_config = ConfigDict(frozen=True)

    code: str
    variant: str | None = None  # which explanation/fix variant of the catalog entry applies
    severity: Severity | None = None  # overrides the catalog's default when set
    params: dict[str, str] = Field(default_factory=dict)
    evidence: str | None = None  # already redacted
    source: ValueSource | None = None
    step: StepName | None = None
    provider: str | None = None


class StepResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: StepName
    status: StepStatus
    elapsed_ms: float = 0.0
    detail: str = ""
    code: str | None = None  # the finding code when the step failed


class SettingView(BaseModel):
    """A setting as shown to the user: value already masked when secret."""

    model_config = ConfigDict(frozen=True)

    value: str | None
    source: ValueSource | None = None


class CheckResult(BaseModel):
    """The finished result of `check`: everything a renderer needs, nothing it must compute."""

    provider: str | None = None
    provider_name: str | None = None
    settings: dict[str, SettingView] = Field(default_factory=dict)
    steps: list[StepResult] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    transcript: list[str] = Field(default_factory=list)
    dns: dict | None = None  # the sender domain's records as read (DnsReport)
    source_format: str | None = None  # nodemailer, django, laravel, symfony, supabase, spring
    source_detected: bool = False
    naming: dict[str, str] | None = None  # how that format spells each setting (sources.Naming)
    checks: dict[str, list[str]] = Field(default_factory=dict)  # static check name -> codes it found
    offline: bool = False
    insecure: bool = False
    elapsed_ms: float = 0.0

    def naming_obj(self):
        from smtpdoctor.settings.frameworks import Naming

        return Naming(**self.naming) if self.naming else None

    def exit_code(self, severity_of, strict: bool = False) -> ExitCode:
        bad = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
        return ExitCode.PROBLEMS if any(severity_of(f) in bad for f in self.findings) else ExitCode.OK
