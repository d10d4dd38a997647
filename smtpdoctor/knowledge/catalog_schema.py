"""Validation of diagnoses.toml with pydantic: run when the file's cache is built (first use after any change)
and by the tests, never on the hot path of a check, which reads the validated data into plain dataclasses."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from smtpdoctor.report import Severity


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str
    ru: str

    def get(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.en


class Steps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    en: list[str]
    ru: list[str]

    def get(self, lang: str) -> list[str]:
        return self.ru if lang == "ru" else self.en


class Variant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    severity: Severity | None = None
    title: Text | None = None
    explanation: Text | None = None
    fix: Steps | None = None


class ProviderAdvice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    explanation: Text | None = None
    fix: Steps | None = None


class Pattern(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    regex: str
    example: str
    needles: list[str] = Field(default_factory=list)  # override the literals derived from the regex
    provider: str | None = None
    certain: bool = True
    priority: int = 0  # higher wins when several patterns match one line; broad fallbacks use -1
    strength: Literal["weak"] | None = None  # a wrapper token: which layer failed, not why
    variant: str | None = None


class Diagnosis(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(pattern=r"^[a-z]+\.[a-z0-9_]+$")
    severity: Severity
    title: Text
    explanation: Text
    fix: Steps
    variants: dict[str, Variant] = Field(default_factory=dict)
    providers: dict[str, ProviderAdvice] = Field(default_factory=dict)
    patterns: list[Pattern] = Field(default_factory=list)


class CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    diagnosis: list[Diagnosis]


def validate(raw: dict) -> None:
    """Raise pydantic.ValidationError when the parsed file does not follow the schema."""
    CatalogFile.model_validate(raw)
