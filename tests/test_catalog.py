"""The diagnosis catalog is complete, bilingual, and every pattern matches its example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.logs.needles import needles_for
from smtpdoctor.render.i18n import Lang, message_ids, tr
from smtpdoctor.knowledge.providers import default_providers_path, load_providers

# The shared contract, kept inside the repository so a plain clone checks it too (never a silent skip).
CONTRACT = Path(__file__).resolve().parent / "contract" / "diagnosis-codes.md"
CATALOG = load_catalog()


def contract_codes() -> set[str]:
    return {c for c in re.findall(r"^\| `([a-z]+\.[a-z0-9_]+)`", CONTRACT.read_text(), re.M)}


def test_every_contract_code_is_in_the_catalog():
    missing = contract_codes() - set(CATALOG.codes())
    assert not missing


def test_contract_is_read_from_the_repository():
    assert CONTRACT.is_file() and len(contract_codes()) > 30


def test_docs_codes_show_every_severity_the_output_can_show():
    documented = (Path(__file__).resolve().parents[1] / "docs" / "codes.md").read_text()
    for code in ("config.password_format", "config.whitespace"):
        row = next(line for line in documented.splitlines() if f"`{code}`" in line)
        entry = CATALOG.entry(code)
        for name, variant in entry.variants.items():
            if getattr(variant, "severity", None) is not None and variant.severity != entry.severity:
                assert f"{variant.severity.value}: {name}" in row, row


def test_codes_listed_in_docs_include_every_catalog_code():
    documented = (Path(__file__).resolve().parents[1] / "docs" / "codes.md").read_text()
    for code in CATALOG.codes():
        assert f"`{code}`" in documented, code


@pytest.mark.parametrize("code", CATALOG.codes())
def test_each_code_speaks_both_languages(code):
    entry = CATALOG.entry(code)
    for text in (entry.title, entry.explanation):
        assert text.en.strip() and text.ru.strip()
        words = re.sub(r"\{[a-z_]+\}", "", text.ru)
        if re.search("[a-zа-яё]", words, re.I):
            assert re.search("[а-яё]", words, re.I), f"{code}: the Russian text has no Russian in it"
    assert len(entry.fix.en) == len(entry.fix.ru)
    for name, variant in entry.variants.items():
        for text in (variant.title, variant.explanation):
            if text is not None:
                assert text.en.strip() and text.ru.strip(), (code, name)
        if variant.fix is not None:
            assert len(variant.fix.en) == len(variant.fix.ru), (code, name)
    for provider, advice in entry.providers.items():
        assert advice.fix is None or len(advice.fix.en) == len(advice.fix.ru), (code, provider)


def test_provider_advice_names_real_presets():
    presets = load_providers(default_providers_path()).presets
    for entry in CATALOG.entries.values():
        for provider in entry.providers:
            assert provider in presets, (entry.code, provider)
        for pattern in entry.patterns:
            assert pattern.provider is None or pattern.provider in presets, (entry.code, pattern.provider)


@pytest.mark.parametrize(
    "code,pattern",
    [(e.code, p) for e in CATALOG.entries.values() for p in e.patterns],
    ids=lambda v: v if isinstance(v, str) else v.example[:40],
)
def test_pattern_matches_its_example(code, pattern):
    assert re.search(pattern.regex, pattern.example, re.I), pattern.example
    needles = [n.lower() for n in pattern.needles] or needles_for(pattern.regex)
    assert any(n in pattern.example.lower() for n in needles)


def test_every_ui_message_has_both_languages():
    for mid in message_ids():
        assert tr(mid, Lang.EN).strip() and tr(mid, Lang.RU).strip(), mid


def test_hot_path_types_mirror_their_schemas():
    """The catalog and provider files are validated by pydantic schemas and read into plain dataclasses;
    the two sides must name the same fields, or a field could be validated and then silently dropped."""
    from dataclasses import fields

    from smtpdoctor.knowledge import catalog, catalog_schema, providers, providers_schema

    pairs = [(catalog.Diagnosis, catalog_schema.Diagnosis), (catalog.Variant, catalog_schema.Variant),
             (catalog.ProviderAdvice, catalog_schema.ProviderAdvice), (catalog.Pattern, catalog_schema.Pattern),
             (providers.ProviderPreset, providers_schema.ProviderPresetSchema)]
    renamed = {"weak": "strength"}  # the data says strength = "weak"; the reader keeps a bool
    for plain, schema in pairs:
        plain_names = {renamed.get(f.name, f.name) for f in fields(plain)}
        assert plain_names == set(schema.model_fields), (plain.__name__, plain_names ^ set(schema.model_fields))
