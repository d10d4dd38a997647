"""The diagnosis catalog (diagnoses.toml): codes, severities, bilingual texts, log/reply patterns."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict, Field

from smtpdoctor.render.i18n import Lang
from smtpdoctor.report import Finding, Severity


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str
    ru: str

    def get(self, lang: Lang) -> str:
        return self.ru if lang is Lang.RU else self.en


class Steps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    en: list[str]
    ru: list[str]

    def get(self, lang: Lang) -> list[str]:
        return self.ru if lang is Lang.RU else self.en


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


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, params: dict[str, str]) -> str:
    return template.format_map(_Keep(params)) if "{" in template else template


_LEFTOVER = re.compile(r"\{[a-z_]+\}")


class Catalog:
    def __init__(self, entries: list[Diagnosis]) -> None:
        self.entries: dict[str, Diagnosis] = {}
        for entry in entries:
            if entry.code in self.entries:
                raise ValueError(f"duplicate code {entry.code}")
            self.entries[entry.code] = entry

    def __contains__(self, code: str) -> bool:
        return code in self.entries

    def entry(self, code: str) -> Diagnosis:
        return self.entries[code]

    def severity_of(self, finding: Finding) -> Severity:
        if finding.severity is not None:
            return finding.severity
        entry = self.entries[finding.code]
        variant = entry.variants.get(finding.variant or "")
        return variant.severity if variant and variant.severity else entry.severity

    @staticmethod
    def params(finding: Finding, lang: Lang) -> dict[str, str]:
        """Parameters in the reader's language: `name@ru` overrides `name`; {var} names the source."""
        from smtpdoctor.settings.model import source_label

        out = {k: v for k, v in finding.params.items() if "@" not in k}
        suffix = f"@{lang.value}"
        out |= {k[: -len(suffix)]: v for k, v in finding.params.items() if k.endswith(suffix)}
        if finding.source is not None:
            out.setdefault("var", source_label(finding.source, lang.value))
        return out

    def _variant(self, finding: Finding) -> Variant | None:
        return self.entries[finding.code].variants.get(finding.variant or "")

    def title(self, finding: Finding, lang: Lang) -> str:
        variant = self._variant(finding)
        text = (variant.title if variant and variant.title else self.entries[finding.code].title).get(lang)
        return fill(text, self.params(finding, lang))

    def explanation(self, finding: Finding, lang: Lang) -> str:
        entry = self.entries[finding.code]
        variant = self._variant(finding)
        advice = entry.providers.get(finding.provider or "")
        chosen = (
            (variant.explanation if variant and variant.explanation else None)
            or (advice.explanation if advice and advice.explanation else None)
            or entry.explanation
        )
        return _tidy(fill(chosen.get(lang), self.params(finding, lang)))

    def fix(self, finding: Finding, lang: Lang) -> list[str]:
        entry = self.entries[finding.code]
        variant = self._variant(finding)
        advice = entry.providers.get(finding.provider or "")
        chosen = (
            (variant.fix if variant and variant.fix else None)
            or (advice.fix if advice and advice.fix else None)
            or entry.fix
        )
        params = self.params(finding, lang)
        if finding.source is not None:
            params["var"] = finding.source.name  # a fix names the variable to change, bare
        steps = [_tidy(fill(step, params)) for step in chosen.get(lang)]
        return [s for s in steps if s and not _LEFTOVER.fullmatch(s)]

    def render(self, finding: Finding, lang: Lang, naming=None) -> tuple[str, str, list[str]]:
        """Title, explanation and fix steps, in the reader's language and the settings format's own names."""
        title, explanation, fix = self.title(finding, lang), self.explanation(finding, lang), self.fix(finding, lang)
        if naming is not None:
            explanation, fix = naming.apply(explanation), [naming.apply(step) for step in fix]
        return title, explanation, fix

    def codes(self) -> list[str]:
        return sorted(self.entries)


def _tidy(text: str) -> str:
    # A parameter that was not known leaves "{name}"; say nothing rather than show a template.
    return re.sub(r"\s*\(\{[a-z_]+\}\)", "", text).strip()


def load_catalog_text(text: str) -> Catalog:
    from smtpdoctor.knowledge.tomlcache import loads_cached

    raw = loads_cached(text, "diagnoses")
    return Catalog([Diagnosis(**item) for item in raw.get("diagnosis", [])])


@cache
def load_catalog() -> Catalog:
    return load_catalog_text((files("smtpdoctor.knowledge") / "diagnoses.toml").read_text(encoding="utf-8"))
