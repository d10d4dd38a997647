"""The diagnosis catalog (diagnoses.toml): codes, severities, bilingual texts, log/reply patterns."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import field
from functools import cache

from smtpdoctor.knowledge.providers import Bilingual
from smtpdoctor.report import Finding, Severity
from smtpdoctor.values import value


# A text in both languages, as the data files write it ({ en = ..., ru = ... }): one type for the catalog
# and the provider presets.
Text = Bilingual


@value
class Steps:
    en: tuple[str, ...]
    ru: tuple[str, ...]

    def get(self, lang: str) -> tuple[str, ...]:
        return self.ru if lang == "ru" else self.en


@value
class Variant:
    severity: Severity | None = None
    title: Text | None = None
    explanation: Text | None = None
    fix: Steps | None = None


@value
class ProviderAdvice:
    explanation: Text | None = None
    fix: Steps | None = None


@value
class Pattern:
    regex: str
    example: str
    needles: tuple[str, ...] = ()  # override the literals derived from the regex
    provider: str | None = None
    certain: bool = True
    priority: int = 0  # higher wins when several patterns match one line; broad fallbacks use -1
    weak: bool = False  # a wrapper: says which layer failed, not why (evidence level "wrapper")
    variant: str | None = None  # the entry's variant that explains this wording


@value
class Diagnosis:
    code: str
    severity: Severity
    title: Text
    explanation: Text
    fix: Steps
    variants: dict[str, Variant] = field(default_factory=dict)
    providers: dict[str, ProviderAdvice] = field(default_factory=dict)
    patterns: tuple[Pattern, ...] = ()


def _text(d: dict | None) -> Text | None:
    return Text(d["en"], d["ru"]) if d else None


def _steps(d: dict | None) -> Steps | None:
    return Steps(tuple(d["en"]), tuple(d["ru"])) if d else None


def _diagnosis(d: dict) -> Diagnosis:
    """From data already validated by catalog_schema (when its cache was built)."""
    return Diagnosis(
        code=d["code"], severity=Severity(d["severity"]), title=_text(d["title"]), explanation=_text(d["explanation"]),
        fix=_steps(d["fix"]),
        variants={k: Variant(Severity(v["severity"]) if v.get("severity") else None, _text(v.get("title")),
                             _text(v.get("explanation")), _steps(v.get("fix"))) for k, v in d.get("variants", {}).items()},
        providers={k: ProviderAdvice(_text(v.get("explanation")), _steps(v.get("fix")))
                   for k, v in d.get("providers", {}).items()},
        patterns=tuple(Pattern(p["regex"], p["example"], tuple(p.get("needles", ())), p.get("provider"),
                               p.get("certain", True), p.get("priority", 0), p.get("strength") == "weak",
                               p.get("variant")) for p in d.get("patterns", ())),
    )


class _Entries(Mapping[str, Diagnosis]):
    """code -> Diagnosis, each built from its (validated) data when first asked for: a check reads a few of the
    ~90 entries, and building them all cost it ~1,400 objects at every run."""

    def __init__(self, data: dict[str, dict]) -> None:
        self._data = data
        self._built: dict[str, Diagnosis] = {}

    def __getitem__(self, code: str) -> Diagnosis:
        entry = self._built.get(code)
        if entry is None:
            entry = self._built[code] = _diagnosis(self._data[code])
        return entry

    def __contains__(self, code: object) -> bool:
        return code in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class Catalog:
    def __init__(self, data: list[dict]) -> None:
        """`data`: the file's [[diagnosis]] tables, as validated by catalog_schema."""
        by_code: dict[str, dict] = {}
        for item in data:
            if item["code"] in by_code:
                raise ValueError(f"duplicate code {item['code']}")
            by_code[item["code"]] = item
        self.entries: Mapping[str, Diagnosis] = _Entries(by_code)

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

    def templates(self, finding: Finding) -> tuple[Text, Text, Steps]:
        """The title, explanation and fix templates that apply: variant first, then provider advice, then the entry."""
        entry = self.entries[finding.code]
        variant = entry.variants.get(finding.variant or "")
        advice = entry.providers.get(finding.provider or "")
        title = variant.title if variant and variant.title else entry.title
        explanation = (
            (variant.explanation if variant and variant.explanation else None)
            or (advice.explanation if advice and advice.explanation else None)
            or entry.explanation
        )
        fix = (
            (variant.fix if variant and variant.fix else None)
            or (advice.fix if advice and advice.fix else None)
            or entry.fix
        )
        return title, explanation, fix

    def codes(self) -> list[str]:
        return sorted(self.entries)


def load_catalog_text(text: str | bytes) -> Catalog:
    from smtpdoctor.knowledge.tomlcache import loads_cached

    raw = loads_cached(text, "diagnoses", validate=_validate)
    return Catalog(raw.get("diagnosis", []))


def _validate(raw: dict) -> None:
    from smtpdoctor.knowledge.catalog_schema import validate  # pydantic: only when the file is parsed anew

    validate(raw)


@cache
def load_catalog() -> Catalog:
    from smtpdoctor.knowledge.tomlcache import shipped_bytes

    return load_catalog_text(shipped_bytes("diagnoses.toml"))
