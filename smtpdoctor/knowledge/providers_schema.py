"""Validation of provider files with pydantic (our own complaints are message ids, `schema.*`, worded by render/): run when a file is parsed anew (the shipped file once, after
any change; a user's `--providers` file each time it changes), never on the hot path of a check, which reads
the validated data into the plain dataclasses of `knowledge.providers`."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator



class Bilingual(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str
    ru: str


class PortSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    port: int = Field(ge=1, le=65535)
    mode: Literal["starttls", "tls"]  # knowledge.providers.TlsMode, spelled out: no import back


class UsernameRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rule: Literal["address", "literal", "domain_address", "dashboard"]
    value: str | None = None
    pattern: str | None = None

    @model_validator(mode="after")
    def _literal_has_value(self) -> UsernameRule:
        if self.rule == "literal" and not self.value:
            raise ValueError("schema.literal_needs_value")
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


class ProviderPresetSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    name_ru: str | None = None  # the name Russian readers know the service by, when it differs
    kind: Literal["mailbox", "relay", "workspace"]
    hosts: list[str] = Field(default_factory=list)
    host_patterns: list[str] = Field(default_factory=list)
    host_example: str | None = None  # shown where the host is a pattern (a region's endpoint)
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
    sources: list[str] = Field(default_factory=list)  # public pages the facts come from (not read by the checks)

    @model_validator(mode="after")
    def _consistent(self) -> ProviderPresetSchema:
        if not self.hosts and not self.host_patterns:
            raise ValueError("schema.needs_hosts")
        if self.host_patterns and not self.hosts and not self.host_example:
            raise ValueError("schema.needs_host_example")
        for pattern in self.host_patterns:
            re.compile(pattern)
        ports = [p.port for p in self.ports]
        if len(ports) != len(set(ports)):
            raise ValueError("schema.port_twice")
        if self.default_port not in ports:
            raise ValueError("schema.default_port_missing")
        stray = sorted(set(self.dmarc_policies) - set(self.domains))
        if stray:
            raise ValueError("schema.dmarc_domains")
        return self
