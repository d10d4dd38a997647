"""The stable JSON document (schema 1). Fields are only ever added, never renamed. No Rich here."""

from __future__ import annotations

import json

from smtpdoctor import __version__
from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.render.i18n import Lang
from smtpdoctor.report import CheckResult, Finding, ValueSource
from smtpdoctor.settings.model import source_label

SCHEMA = 1


def source_json(source: ValueSource | None, lang: Lang) -> dict | None:
    if source is None:
        return None
    return {"kind": source.kind, "name": source.name, "file": source.file, "line": source.line,
            "label": source_label(source, lang.value)}


def finding_json(f: Finding, catalog: Catalog, lang: Lang, naming=None) -> dict:
    title, explanation, fix = catalog.render(f, lang, naming)
    return {
        "code": f.code,
        "severity": catalog.severity_of(f).value,
        "title": title,
        "explanation": explanation,
        "fix": fix,
        "evidence": f.evidence,
        "source": source_json(f.source, lang),
        "step": f.step.value if f.step else None,
        "provider": f.provider,
        "variant": f.variant,
    }


def check_document(result: CheckResult, catalog: Catalog, lang: Lang, strict: bool = False,
                   with_transcript: bool = False) -> dict:
    doc = {
        "schema": SCHEMA,
        "tool": {"name": "smtpdoctor", "version": __version__},
        "ok": result.exit_code(catalog.severity_of, strict) == 0,
        "exit_code": int(result.exit_code(catalog.severity_of, strict)),
        "lang": lang.value,
        "offline": result.offline,
        "insecure": result.insecure,
        "provider": result.provider,
        "provider_name": result.provider_name,
        "settings": {k: {"value": v.value, "source": source_json(v.source, lang)} for k, v in result.settings.items()},
        "steps": [
            {"name": s.name.value, "status": s.status.value, "elapsed_ms": round(s.elapsed_ms, 1),
             "detail": s.detail, "code": s.code}
            for s in result.steps
        ],
        "findings": [finding_json(f, catalog, lang, result.naming_obj()) for f in result.findings],
        "source": {"format": result.source_format, "detected": result.source_detected} if result.source_format else None,
        "checks": result.checks,
        "dns": result.dns,
        "elapsed_ms": result.elapsed_ms,
    }
    if with_transcript:
        doc["transcript"] = result.transcript
    return doc


def dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2)
