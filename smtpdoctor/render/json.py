"""The stable JSON documents (schema 1). Fields are only ever added, never renamed. No Rich here.

Language-neutral apart from the human text fields (`title`, `explanation`, `fix`, `label`, `text`):
the same settings, steps, codes, parameters and evidence for every `--lang`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from smtpdoctor import __version__
from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.render.edits import prescription_json
from smtpdoctor.render.findings import finding_text
from smtpdoctor.render.i18n import Lang, render_param, source_label
from smtpdoctor.render.params import param_json
from smtpdoctor.report import DnsReport, Evidence, Finding, Report, ValueSource

SCHEMA = 1
# The fields whose content follows --lang; everything else in a document is the same in every language.
TEXT_FIELDS = frozenset({"title", "explanation", "fix", "label", "text", "lang"})


def source_json(source: ValueSource | None, lang: Lang) -> dict | None:
    if source is None:
        return None
    return {"kind": source.kind, "name": source.name, "file": source.file, "line": source.line,
            "label": source_label(source, lang)}


def decision_json(f: Finding) -> dict | None:
    d = f.decided_by
    if d is None:
        return None
    return {"kind": d.kind, "value": d.value, "command": d.command, "runner_up": d.runner_up}


def evidence_json(evidence: Evidence | None) -> str | None:
    return evidence.text if evidence is not None else None


def finding_json(f: Finding, catalog: Catalog, lang: Lang, naming: Mapping[str, str] | None = None) -> dict:
    text = finding_text(f, catalog, lang, naming)
    doc = {
        "code": f.code,
        "severity": f.severity.value,
        "title": text.title,
        "explanation": text.explanation,
        "fix": list(text.fix),
        "evidence": evidence_json(f.evidence),
        "evidence_kind": f.evidence.kind.value if f.evidence else None,
        "params": {k: param_json(v) for k, v in f.params.items()},
        "source": source_json(f.source, lang),
        "step": f.step.value if f.step else None,
        "provider": f.provider,
        "variant": f.variant,
        "decided_by": decision_json(f),
        "because_of": f.because_of,  # the code of the finding of this run it may only be a consequence of
        "links": list(text.links),  # where the advice comes from ("Source: URL"), apart from the steps
        **prescription_json(f),  # edits to the user's own settings that cure it, and how they were proven
    }
    return doc


def dns_json(dns: DnsReport | None) -> dict | None:
    if dns is None:
        return None
    return {"domain": dns.domain, "relay": dns.relay, "mx": list(dns.mx), "spf": dns.spf, "spf_lookups": dns.spf_lookups,
            "spf_chain": list(dns.spf_chain), "dkim": dict(dns.dkim), "dmarc": dns.dmarc, "dmarc_name": dns.dmarc_name,
            "skipped": param_json(dns.skipped) if dns.skipped else None}


def check_document(result: Report, catalog: Catalog, lang: Lang, strict: bool = False,
                   with_transcript: bool = False) -> dict:
    code = int(result.exit_code(strict))
    settings = {}
    for name, view in result.settings.items():
        entry = {"value": view.value, "source": source_json(view.source, lang)}
        if view.length is not None:
            entry["length"] = view.length
        if view.shown is not None:
            entry["text"] = render_param(view.shown, lang)
        if view.invalid:  # shown as given: what the user wrote, and that `value` is used instead
            entry["given"], entry["invalid"] = view.given, True
        if view.note is not None:
            entry["note"] = render_param(view.note, lang)
        settings[name] = entry
    doc = {
        "schema": SCHEMA,
        "tool": {"name": "smtpdoctor", "version": __version__},
        "ok": code == 0,
        "exit_code": code,
        "lang": lang.value,
        "offline": result.offline,
        "insecure": result.insecure,
        "provider": result.provider,
        "provider_name": result.provider_name,
        "settings": settings,
        "steps": [
            {"name": s.name.value, "status": s.status.value, "elapsed_ms": round(s.elapsed_ms, 1),
             "detail": param_json(s.detail) if s.detail else None,
             "text": render_param(s.detail, lang) if s.detail else None,
             "reply": evidence_json(s.reply), "code": s.code}
            for s in result.steps
        ],
        "findings": [finding_json(f, catalog, lang, result.naming) for f in result.findings],
        "source": {"format": result.source_format, "detected": result.source_detected} if result.source_format else None,
        "checks": {k: list(v) for k, v in result.checks.items()},
        "dns": dns_json(result.dns),
        "elapsed_ms": result.elapsed_ms,
        "platform": result.platform,
        "provider_recognised": ({**param_json(result.recognised), "text": render_param(result.recognised, lang)}
                                if result.recognised is not None else None),
        "ports": _ports_json(result, lang),
    }
    if with_transcript:
        doc["transcript"] = list(result.transcript)
    return doc


def explain_document(result: Report, catalog: Catalog, lang: Lang) -> dict:
    logs = result.logs
    diagnoses = []
    for f in result.findings:
        text = finding_text(f, catalog, lang, result.naming)
        seen = f.seen
        diagnoses.append({
            "code": f.code, "severity": f.severity.value, "title": text.title, "explanation": text.explanation,
            "fix": list(text.fix), "count": seen.count if seen else 0,
            "first": _loc(seen.first) if seen else None, "last": _loc(seen.last) if seen else None,
            "example": evidence_json(f.evidence), "certain": f.certain, "provider": f.provider,
            "params": {k: param_json(v) for k, v in f.params.items()},
            "decided_by": decision_json(f),
            "links": list(text.links),
            **prescription_json(f),
        })
    last = logs.last_failure
    return {
        "schema": SCHEMA,
        "files": [{"name": s.name, "lines": s.lines} for s in logs.files],
        "diagnoses": diagnoses,
        "matches": [{"file": m.file, "line": m.line, "code": m.code, "provider": m.provider} for m in logs.matches],
        "matches_total": logs.total_matches,
        "matches_truncated": logs.total_matches > len(logs.matches),
        "last_failure": {"code": last.code, "at": _loc(last.at), "started": _loc(last.started),
                         "recovered": _loc(last.recovered) if last.recovered else None} if last else None,
        "exit_code": int(result.exit_code()),
        "lang": lang.value,
        "bounces": _bounces_json(result),  # mail messages and provider events read (null: only logs)
    }


def _bounces_json(result: Report) -> dict | None:
    from smtpdoctor.render.bounces import bounces_json

    return bounces_json(result.bounces)


def _loc(loc) -> dict:
    return {"file": loc.file, "line": loc.line}


# json.dumps escapes C0 controls itself; C1 (a raw 0x9B is a terminal's CSI) and the bidi overrides it
# leaves raw. Escaped as \\uXXXX they are still the exact same string to any JSON reader.
# Two classes (see render/escape.py: one mixing Latin-1 and others compiles ten times slower), compiled at their
# first use; a document in ASCII (all of an English one, most often) holds none but DEL.
_RAW_CONTROL = ("[\x7f-\x9f]", "[\u2028-\u202e\u2066-\u2069]")


def _escape_controls(text: str) -> str:
    if text.isascii() and "\x7f" not in text:
        return text
    for pattern in _RAW_CONTROL:
        text = re.sub(pattern, lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def dumps(doc: dict) -> str:
    return _escape_controls(json.dumps(doc, ensure_ascii=False, indent=2))


def dumps_line(doc: dict) -> str:
    """One JSON line (batch): the same content as `dumps`, on one line."""
    return _escape_controls(json.dumps(doc, ensure_ascii=False))


def batch_line(result, catalog: Catalog, lang: Lang, strict: bool = False) -> dict:
    """One `batch` row (batch.RowResult) as its JSON line: codes and titles, never a setting's secret."""
    if result.report is None:
        return {"id": result.id, "row": result.number, "error": render_param(result.error, lang),
                "error_id": result.error.id if result.error else None}
    report = result.report
    code = int(report.exit_code(strict))
    host = report.settings.get("host")
    port = report.settings.get("port")
    return {
        "id": result.id, "row": result.number, "ok": code == 0, "exit_code": code, "provider": report.provider,
        "host": host.value if host else None,
        "port": (port.given if port.invalid and port.given is not None else port.value) if port else None,  # as given
        "invalid": {name: view.given for name, view in report.settings.items() if view.invalid},
        "codes": [f.code for f in report.findings],
        "findings": [{"code": f.code, "severity": f.severity.value, "title": finding_text(f, catalog, lang).title,
                      **prescription_json(f)} for f in report.findings],
        "steps": [{"name": s.name.value, "status": s.status.value, "elapsed_ms": round(s.elapsed_ms, 1)}
                  for s in report.steps],
        "elapsed_ms": report.elapsed_ms,
    }


def _ports_json(result: Report, lang: Lang) -> dict | None:
    from smtpdoctor.render.platforms import ports_json

    return ports_json(result.ports, lang)
