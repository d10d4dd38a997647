"""Provider presets: loading and validating providers.toml, and recognising a provider."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from smtpdoctor.errors import InputError
from smtpdoctor.report import Param, Phrase, phrase


class TlsMode(StrEnum):
    STARTTLS = "starttls"  # plaintext greeting, then STARTTLS: SMTP_SECURE=false
    TLS = "tls"  # TLS from the first byte: SMTP_SECURE=true

    @property
    def secure(self) -> bool:
        return self is TlsMode.TLS


class Bilingual(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str
    ru: str

    def get(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.en

    def param(self) -> Phrase:
        """As a finding parameter: provider data that carries its own two languages."""
        return phrase("static.provider_text", en=self.en, ru=self.ru)


class PortSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    port: int = Field(ge=1, le=65535)
    mode: TlsMode


class UsernameRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rule: Literal["address", "literal", "domain_address", "dashboard"]
    value: str | None = None
    pattern: str | None = None

    @model_validator(mode="after")
    def _literal_has_value(self) -> UsernameRule:
        if self.rule == "literal" and not self.value:
            raise ValueError("rule 'literal' needs a value")
        if self.pattern:
            re.compile(self.pattern)
        return self


class PasswordMistake(BaseModel):
    """A secret of the wrong kind that is easy to recognise (Brevo's API key where the SMTP key belongs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    pattern: str  # matched against the whole secret
    variant: str  # the config.password_format variant that explains it

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        re.compile(value)
        return value


class PasswordRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["app_password", "api_key", "smtp_password", "token", "oauth_only", "password"]
    pattern: str | None = None
    strip_spaces: bool = False
    mistakes: list[PasswordMistake] = Field(default_factory=list)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value


class ProviderPreset(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    name_ru: str | None = None  # the name Russian readers know the service by, when it differs
    kind: Literal["mailbox", "relay", "workspace"]
    hosts: list[str] = Field(default_factory=list)
    host_patterns: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    ports: list[PortSpec]
    default_port: int
    username: UsernameRule
    password: PasswordRule
    app_password_required: bool = False
    settings_url: str | None = None
    basic_auth: Literal["ok", "disabled", "tenant_setting"] = "ok"
    basic_auth_off_since: date | None = None  # when "disabled" took effect
    sender_rule: Literal["account", "verified_sender", "verified_domain", "verified_sender_or_domain"]
    spf_include: str | None = None
    spf_include_required: bool = False
    dkim_selectors: list[str] = Field(default_factory=list)
    dmarc_policies: dict[str, Literal["none", "quarantine", "reject"]] = Field(default_factory=dict)
    prerequisites: Bilingual | None = None
    free_tier: Bilingual | None = None
    sandbox: Bilingual | None = None
    notes: Bilingual | None = None
    corrections: Bilingual | None = None
    log_hints: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ProviderPreset:
        if not self.hosts and not self.host_patterns:
            raise ValueError("needs hosts or host_patterns")
        for pattern in self.host_patterns:
            re.compile(pattern)
        ports = [p.port for p in self.ports]
        if len(ports) != len(set(ports)):
            raise ValueError("a port is listed twice")
        if self.default_port not in ports:
            raise ValueError(f"default_port {self.default_port} is not among ports")
        stray = sorted(set(self.dmarc_policies) - set(self.domains))
        if stray:
            raise ValueError(f"dmarc_policies names domains not in domains: {', '.join(stray)}")
        return self

    def display_name(self) -> Param:
        """The provider's name as a finding parameter: in the reader's language where it has one."""
        if self.name_ru:
            return phrase("static.provider_text", en=self.name, ru=self.name_ru)
        return self.name

    def mode_of(self, port: int) -> TlsMode | None:
        for spec in self.ports:
            if spec.port == port:
                return spec.mode
        return None

    def default_mode(self) -> TlsMode:
        return self.mode_of(self.default_port) or TlsMode.STARTTLS

    def example_host(self) -> str:
        if self.hosts:
            return self.hosts[0]
        return {"ses": "email-smtp.eu-west-1.amazonaws.com", "zoho": "smtp.zoho.com"}.get(self.id, "")

    def matches_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host in self.hosts or any(re.fullmatch(p, host) for p in self.host_patterns)


class ProviderCatalog(BaseModel):
    source: str
    presets: dict[str, ProviderPreset]

    def get(self, provider_id: str) -> ProviderPreset | None:
        return self.presets.get(provider_id.lower().replace("-", "_"))

    def by_host(self, host: str | None) -> ProviderPreset | None:
        if not host:
            return None
        return next((p for p in self.presets.values() if p.matches_host(host)), None)

    def by_domain(self, domain: str | None) -> ProviderPreset | None:
        if not domain:
            return None
        domain = domain.lower().rstrip(".")
        return next((p for p in self.presets.values() if domain in p.domains), None)

    def recognise(self, host: str | None, *addresses: str | None) -> ProviderPreset | None:
        """The host decides; only when the host is unknown do the user's or sender's domain."""
        if found := self.by_host(host):
            return found
        if host and looks_like_hostname(host):
            return None  # a custom host is its own provider, whatever the mailbox domain is
        for address in addresses:
            if address and "@" in address and (found := self.by_domain(address.rsplit("@", 1)[1])):
                return found
        return None

    def dmarc_policy(self, domain: str | None) -> str | None:
        """The DMARC policy a mailbox domain is known to publish (providers.toml; live DNS wins)."""
        preset = self.by_domain(domain)
        return preset.dmarc_policies.get(domain.lower().rstrip(".")) if preset is not None and domain else None

    def all_hosts(self) -> list[str]:
        return [h for p in self.presets.values() for h in p.hosts]


_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$", re.I)


def looks_like_hostname(value: str) -> bool:
    return bool(_HOST_RE.match(value))


def default_providers_path():
    """providers.toml shipped inside the package, next to the other knowledge files."""
    from importlib.resources import files

    return files("smtpdoctor.knowledge") / "providers.toml"


def resolve_providers_path(option: str | None, env: Mapping[str, str]):
    chosen = option or env.get("SMTPDOCTOR_PROVIDERS") or None
    return Path(chosen) if chosen else default_providers_path()


def _line_of(text: str, table: str, key: str | None) -> int:
    """Best-effort line number of `key` inside `[table]`, for error messages a person can act on."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == f"[{table}]"), None)
    if start is None:
        return 1
    if key:
        for i in range(start + 1, len(lines)):
            stripped = lines[i].strip()
            if stripped.startswith("[") and not stripped.startswith("[["):
                break
            if re.match(rf"{re.escape(key)}(\.\w+)?\s*=", stripped):
                return i + 1
    return start + 1


def load_providers(path) -> ProviderCatalog:
    """Load and validate a providers file (a Path or an importlib.resources Traversable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("error.providers_unreadable", file=path, reason=exc.__class__.__name__) from exc
    from smtpdoctor.knowledge.tomlcache import loads_cached

    try:
        raw = loads_cached(text, "providers")
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise InputError(
            "error.providers_syntax", file=path, line=match.group(1) if match else "?", reason=str(exc)
        ) from exc
    presets: dict[str, ProviderPreset] = {}
    for provider_id, body in raw.items():
        if not isinstance(body, dict):
            raise InputError("error.providers_invalid", file=path, line=1, key=provider_id, reason="not a table")
        try:
            presets[provider_id] = ProviderPreset(id=provider_id, **body)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = [str(part) for part in first["loc"]]
            key = loc[0] if loc else None
            raise InputError(
                "error.providers_invalid",
                file=path,
                line=_line_of(text, provider_id, key),
                key=".".join([provider_id, *loc]),
                reason=first["msg"],
            ) from exc
        except TypeError as exc:  # e.g. a duplicated 'id' key
            raise InputError(
                "error.providers_invalid", file=path, line=_line_of(text, provider_id, None), key=provider_id, reason=str(exc)
            ) from exc
    if not presets:
        raise InputError("error.providers_invalid", file=path, line=1, key="-", reason="no providers defined")
    return ProviderCatalog(source=str(path), presets=presets)
