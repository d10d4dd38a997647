"""Validation of platforms.toml and provider_extras.toml with pydantic: run only when a file is parsed anew
(see tomlcache.loads_cached), never on the hot path, which reads the validated data into the plain
dataclasses of `knowledge.platforms` and `knowledge.extras`."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_REPORTED = re.compile(r"\breported\b|\bnot documented\b|\bnot verified\b", re.I)
_REPORTED_RU = re.compile(r"по сообщениям|говорят|не документ|не провер", re.I)


class Bilingual(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str
    ru: str


def _says_reported(text: Bilingual | None, what: str) -> None:
    """An unconfirmed fact must be worded as such in both languages."""
    if text is not None and not (_REPORTED.search(text.en) and _REPORTED_RU.search(text.ru)):
        raise ValueError(f"{what}: an unconfirmed fact must say \"reported\" / «по сообщениям» in both languages")


class PlatformRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    tier: Bilingual
    blocked_ports: list[int] = Field(min_length=1)
    mode: Literal["block", "throttle"] = "block"
    allowed_ports: list[int] = Field(default_factory=list)
    allowed_ports_confirmed: bool = True
    allowed_ports_source: str | None = None
    ports_confirmed: bool = True
    since: date | None = None
    applies_if_env: dict[str, str] = Field(default_factory=dict)
    error: str | None = None
    lift: Bilingual
    confirmed: bool
    source: str = Field(min_length=1)
    evidence: list[str] = Field(default_factory=list)
    note: Bilingual | None = None

    @model_validator(mode="after")
    def _honest(self) -> PlatformRule:
        if not self.confirmed:
            _says_reported(self.lift, "lift")
        if not self.allowed_ports_confirmed and not self.allowed_ports_source:
            raise ValueError("allowed_ports_confirmed = false needs allowed_ports_source")
        return self


class Platform(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    detect: list[list[str]]
    detect_order: int
    detect_note: Bilingual | None = None
    detect_source: str | None = None
    https_api_hint: bool = False
    ipv6_egress: bool | None = None
    ipv6_source: str | None = None
    note: Bilingual | None = None
    rule: list[PlatformRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sourced(self) -> Platform:
        if self.detect and not self.detect_source:
            raise ValueError("detect needs detect_source")
        if self.ipv6_egress is False and not self.ipv6_source:
            raise ValueError("ipv6_egress = false needs ipv6_source")
        return self


class PlatformsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    platform: list[Platform]

    @model_validator(mode="after")
    def _unique(self) -> PlatformsFile:
        ids = [p.id for p in self.platform]
        if len(ids) != len(set(ids)):
            raise ValueError("a platform id is used twice")
        return self


class AuthChange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    date: date
    date_precision: Literal["day", "month"] = "day"
    status: Literal["announced", "in_effect", "superseded"] = "in_effect"
    what: Bilingual
    error: str | None = None
    fix: Bilingual
    confirmed: bool
    source: str = Field(min_length=1)
    evidence: list[str] = Field(default_factory=list)
    note: Bilingual | None = None

    @model_validator(mode="after")
    def _honest(self) -> AuthChange:
        if not self.confirmed:
            _says_reported(self.what, "what")
        return self


class ProviderExtra(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    preset: bool = True
    name: str | None = None
    mx: list[str] = Field(default_factory=list)
    mx_name: Bilingual | None = None
    mx_means: Bilingual | None = None
    mx_confirmed: bool = True
    mx_source: str | None = None
    mx_note: Bilingual | None = None
    mx_host_hint: dict[str, str] = Field(default_factory=dict)
    submission_srv: str | None = None
    submissions_srv: str | None = None
    srv_note: Bilingual | None = None
    srv_source: str | None = None
    oauth2_scope: str | None = None
    oauth2_source: str | None = None
    oauth2_mechanisms: list[Literal["XOAUTH2", "OAUTHBEARER"]] = Field(default_factory=list)
    oauth2_mechanisms_confirmed: bool = True
    oauth2_mechanisms_note: Bilingual | None = None
    oauth2_mechanisms_source: str | None = None
    suggested_submission: str | None = Field(default=None, pattern=r"^[a-z0-9.-]+:\d+$")
    suggested_mode: Literal["tls", "starttls"] | None = None
    suggested_secret: Bilingual | None = None
    suggested_source: str | None = None
    note: Bilingual | None = None
    evidence: list[str] = Field(default_factory=list)
    auth_change: list[AuthChange] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ProviderExtra:
        if self.mx and (self.mx_name is None or not self.mx_source):
            raise ValueError("mx needs mx_name and mx_source")
        if self.mx and any(p != p.lower() for p in self.mx):
            raise ValueError("mx patterns are lower case")
        stray = sorted(set(self.mx_host_hint) - set(self.mx))
        if stray:
            raise ValueError(f"mx_host_hint names patterns not in mx: {', '.join(stray)}")
        if self.oauth2_scope and not self.oauth2_source:
            raise ValueError("oauth2_scope needs oauth2_source")
        if not self.preset and not (self.name and self.suggested_submission and self.suggested_mode):
            raise ValueError("preset = false needs name, suggested_submission and suggested_mode")
        return self


class ExtrasFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: dict[str, ProviderExtra]
