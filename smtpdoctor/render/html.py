"""Reports as HTML: one self-contained document for `--format html`, and the same parts for `smtpdoctor serve`.

A Report becomes a plain view (dicts of strings, built here with the same helpers the text and JSON views
use), and Jinja2 templates lay it out. Autoescaping is on for every template, so every value is escaped
on output; `finalize` also turns control characters, bidirectional overrides and line separators into
visible escapes (render.escape.visible), so a log line that holds `<script>`, a terminal escape or U+202E
shows as the text it is. The only markup made in Python is `prose` (a `code` span of our catalog's text,
escaped first) and links to the catalog's sources, which are http(s) URLs from our own data.

Imported only for `--format html` and by the web layer: Jinja2 costs ~80 ms to import, which no other
command pays.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from smtpdoctor import __version__
from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.render.escape import visible
from smtpdoctor.render.findings import finding_text, unconfirmed_text
from smtpdoctor.render.i18n import Lang, render_param, source_label, tr
from smtpdoctor.report import EvidenceKind, Finding, Report, Severity, StepResult

TEMPLATES = Path(__file__).parent / "templates"
SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.OK)
MAX_LINE_LINKS = 12  # a diagnosis lists this many of its lines as links; the rest are counted


def _finalize(value):
    """Every `{{ value }}`: None prints nothing; text from anywhere has its control characters made visible."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return visible(value if isinstance(value, str) else str(value))


@cache
def environment(*more: str) -> jinja2.Environment:
    """The templates of render/templates, and of the folders in `more` (the web layer's pages) before them."""
    loader = jinja2.FileSystemLoader([*more, str(TEMPLATES)])
    env = jinja2.Environment(loader=loader, autoescape=True, finalize=_finalize, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["prose"] = prose
    env.filters["source_link"] = source_link
    return env


def stylesheet() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def prose(text: str) -> Markup:
    """Our catalog's sentence: escaped (control characters visible), then its `code` spans as <code>."""
    escaped = str(escape(visible(text)))
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", escaped))


_SOURCE = re.compile(r"^(\S+: )(https?://\S+)$")


def source_link(line: str) -> Markup:
    """"Source: https://..." (a catalog source line) with its URL as a link; anything else as text."""
    found = _SOURCE.match(line)
    if found is None:
        return escape(visible(line))
    label, url = found.groups()
    return Markup('{}<a href="{}" rel="noopener noreferrer">{}</a>').format(label, url, url)


# --- views: a Report as plain values for the templates ------------------------------------------------


def t(lang: Lang):
    """The templates' `t("id", name=value)`: our words in the reader's language."""
    return lambda message_id, **params: tr(message_id, lang, **params)


def finding_view(f: Finding, catalog: Catalog, lang: Lang, *, number: int, naming: Mapping[str, str] | None = None,
                 said: set[str] | None = None, platform: str | None = None, provider=None, lines: Iterable[int] = (),
                 code_url: str | None = None) -> dict:
    """One diagnosis. `said`: fix steps shown by the findings before it (each piece of advice once, as the
    text view); `lines`: the lines of the pasted text that gave it; `code_url`: its catalog page, if any."""
    from smtpdoctor.knowledge.customer import customer_reply

    text = finding_text(f, catalog, lang, naming)
    severity = f.severity or catalog.severity_of(f)
    steps = [step for step in text.steps if said is None or step not in said]
    if said is not None:
        said.update(steps)
    evidence = None
    if f.evidence is not None:
        evidence = {"label": tr("evidence." + f.evidence.kind.value, lang), "text": f.evidence.text,
                    "repeated": f.seen is None and f.evidence.kind is EvidenceKind.SERVER
                    and f.evidence.text[:120] in text.explanation}
    seen = None
    if f.seen is not None:
        first, last = f.seen.first, f.seen.last
        if first.file == last.file:
            seen = tr("web.explain.seen", lang, n=f.seen.count, first=first.line, last=last.line)
        else:
            seen = tr("web.explain.seen_files", lang, n=f.seen.count, first=f"{first.file}:{first.line}",
                      last=f"{last.file}:{last.line}")
    all_lines = sorted(set(lines))
    reply = customer_reply(f.code)
    return {
        "id": f"d{number}", "code": f.code, "severity": severity.value,
        "severity_label": tr("severity." + severity.value, lang).capitalize(),
        "title": text.title, "explanation": text.explanation if not (f.seen and f.code.startswith("ok.")) else "",
        "less_certain": "" if f.certain else tr("explain.less_certain", lang),
        "unconfirmed": unconfirmed_text(f, catalog, lang),
        "seen": seen, "evidence": evidence, "steps": steps, "links": list(text.links),
        **_prescription_view(f, lang, platform, provider),
        "customer": reply.get(lang.value) if reply is not None else None,
        "lines": all_lines[:MAX_LINE_LINKS], "more_lines": max(0, len(all_lines) - MAX_LINE_LINKS),
        "code_url": code_url,
    }


def _prescription_view(f: Finding, lang: Lang, platform: str | None, provider) -> dict:
    p = getattr(f, "prescription", None)
    if p is None or not p.edits:
        return {"edits": [], "proof": None, "alternatives": []}
    from smtpdoctor.render.edits import alternatives_heading, edit_text, verified_text

    return {"edits": [edit_text(e, lang, platform) for e in p.edits], "proof": verified_text(p, lang),
            "alternatives": [{"heading": alternatives_heading(provider, lang),
                              "edits": [edit_text(e, lang, platform) for e in alternative]}
                             for alternative in p.alternatives]}


def grouped(findings: list[dict]) -> list[dict]:
    """Diagnoses by severity, most severe first: problems, then what is worth a look, notes, what works."""
    groups = []
    for severity in SEVERITIES:
        items = [f for f in findings if f["severity"] == severity.value]
        if items:
            groups.append({"severity": severity.value, "findings": items})
    return groups


def group_titles(lang: Lang) -> dict[str, str]:
    return {s.value: tr("web.group." + s.value, lang) for s in SEVERITIES}


def verdict_view(report: Report, catalog: Catalog, lang: Lang, strict: bool = False) -> dict:
    v = report.verdict
    bad = v.blocking(strict)
    if bad is not None:
        n = v.errors if v.errors else v.warnings
        title = finding_text(bad, catalog, lang).title
        return {"kind": "error", "text": tr("verdict.errors", lang, n=n), "sub": tr("verdict.first", lang, title=title)}
    if v.warnings:
        return {"kind": "warning", "text": tr("verdict.warnings", lang, n=v.warnings), "sub": None}
    if report.command == "explain" and not report.findings:
        return {"kind": "info", "text": tr("explain.none", lang, n=report.logs.lines if report.logs else 0), "sub": None}
    return {"kind": "ok", "text": tr("verdict.ok_offline" if report.offline else "verdict.ok", lang), "sub": None}


def step_view(step: StepResult, lang: Lang) -> dict:
    return {"status": step.status.value, "status_label": tr("status." + step.status.value, lang),
            "name": tr("step." + step.name.value, lang),
            "ms": f"{step.elapsed_ms:.0f} {tr('heading.unit_ms', lang)}",
            "detail": render_param(step.detail, lang) if step.detail is not None else None,
            "reply": {"label": tr("evidence." + step.reply.kind.value, lang), "text": step.reply.text}
            if step.reply is not None else None}


def _settings_rows(report: Report, lang: Lang) -> list[dict]:
    rows = []
    for name, view in report.settings.items():
        if view.shown is not None:
            value = render_param(view.shown, lang)
            if report.naming:
                from smtpdoctor.render.findings import apply_naming

                value = apply_naming(value, report.naming, lang)
        else:
            value = view.value if view.value is not None else tr("field.not_set", lang)
        if view.invalid and view.given is not None:
            import json

            value = tr("newuser.setting.invalid", lang, value=value, given=json.dumps(view.given, ensure_ascii=False))
        rows.append({"label": tr(f"field.{name}", lang), "value": value, "where": source_label(view.source, lang),
                     "unset": view.value is None and view.shown is None})
    return rows


def _dns_view(report: Report, lang: Lang) -> dict | None:
    dns = report.dns
    if dns is None:
        return None
    if dns.skipped is not None:
        return {"title": tr("heading.dns", lang, domain=dns.domain), "skipped": render_param(dns.skipped, lang), "rows": []}
    none = tr("field.not_set", lang)
    spf = dns.spf or none
    if dns.spf:
        spf += f"  ({tr('count.lookups', lang, n=dns.spf_lookups)})"
    rows = [("MX", ", ".join(dns.mx) or none), ("SPF", spf),
            ("DMARC", (dns.dmarc or none) + (f"  ({dns.dmarc_name})" if dns.dmarc else ""))]
    rows += [(f"DKIM {selector}", key or none) for selector, key in dns.dkim.items()]
    return {"title": tr("heading.dns", lang, domain=dns.domain), "skipped": None,
            "rows": [{"name": name, "value": value} for name, value in rows]}


def check_view(report: Report, catalog: Catalog, lang: Lang, strict: bool = False, providers=None,
               transcript: bool = False, code_url=None, steps_shown: bool = False) -> dict:
    """`check` and `dns`: the provider, the settings, the probe's steps, DNS, the findings, the verdict.
    `code_url(code)`: the catalog page of a code (the web page), or None (a file has no such page)."""
    provider = report.provider_name or tr("heading.provider_unknown", lang)
    preset = providers.get(report.provider) if providers is not None and report.provider else None
    if preset is not None:
        provider = render_param(preset.display_name(), lang)
    said: set[str] = set()
    platform = _platform_name(report.platform)
    shown_provider = preset.display_name() if preset is not None else report.provider_name
    findings = [finding_view(f, catalog, lang, number=i, naming=report.naming, said=said, platform=platform,
                             provider=shown_provider, code_url=code_url(f.code) if code_url else None)
                for i, f in enumerate(report.findings, 1)]
    note = None
    if preset is not None and preset.corrections:
        from smtpdoctor.prescribe.tips import tip_applies

        if tip_applies(report):
            note = preset.corrections.get(lang.value)
    from smtpdoctor.render.platforms import ports_lines

    return {
        "command": report.command,
        "insecure": tr("heading.insecure", lang) if report.insecure else None,
        "provider": provider,
        "recognised": render_param(report.recognised, lang) if report.recognised is not None else None,
        "source": tr("heading.source", lang, format=report.source_format,
                     how=tr("heading.detected", lang) if report.source_detected else "")
        if report.source_format and report.source_format != "nodemailer" else None,
        "settings": _settings_rows(report, lang),
        "setting_notes": [render_param(v.note, lang) for v in report.settings.values() if v.note is not None],
        "offline": tr("heading.offline", lang) if report.offline else None,
        "steps": [] if steps_shown else [step_view(s, lang) for s in report.steps],
        "ports": ports_lines(report, lang),
        "dns": _dns_view(report, lang),
        "transcript": list(report.transcript) if transcript else [],
        "groups": grouped(findings),
        "note": note,
        "verdict": verdict_view(report, catalog, lang, strict),
    }


def _platform_name(platform_id: str | None) -> str | None:
    if not platform_id:
        return None
    from smtpdoctor.knowledge.platforms import load_platforms

    found = load_platforms().platforms.get(platform_id)
    return found.name if found is not None else None


def explain_view(report: Report, catalog: Catalog, lang: Lang, code_url=None, excerpt: dict | None = None) -> dict:
    """`explain`: the diagnoses grouped, each with the lines that gave it, the scan's summary and last failure.
    `excerpt`: the pasted text's lines to show (`excerpt_view`), when the page has the text."""
    logs = report.logs
    by_key: dict[tuple[str, str | None], list[int]] = {}
    for m in logs.matches if logs is not None else ():
        by_key.setdefault((m.code, m.provider), []).append(m.line)
    findings = []
    for i, f in enumerate(report.findings, 1):
        own_lines = by_key.get((f.code, f.provider), []) if excerpt is not None else []
        findings.append(finding_view(f, catalog, lang, number=i, naming=report.naming, lines=own_lines,
                                     code_url=code_url(f.code) if code_url else None))
    last_failure = recovered = None
    if logs is not None and logs.last_failure is not None:
        last = logs.last_failure
        finding = next((f for f in report.findings if f.code == last.code), None)
        title = finding_text(finding, catalog, lang).title if finding is not None else last.code
        last_failure = tr("explain.last_failure", lang, title=title, code=last.code,
                          where=_where(last.started, lang, "web.explain.at_line"))
        if last.recovered:
            recovered = tr("explain.recovered", lang, where=_where(last.recovered, lang))
    return {
        "command": "explain",
        "groups": grouped(findings),
        "verdict": verdict_view(report, catalog, lang),
        "scanned": tr("explain.scanned", lang, n=logs.lines, files=len(logs.files)) if logs is not None else "",
        "last_failure": last_failure, "recovered": recovered,
        "excerpt": excerpt,
    }


def _where(loc, lang: Lang | None = None, message_id: str = "web.explain.line_n") -> str:
    """file:line; for one pasted text or standard input, "line N" (its name says nothing) in the case the
    sentence needs (`web.explain.at_line` after a preposition: «в строке 35»)."""
    if loc.file == "<stdin>" and lang is not None:
        return tr(message_id, lang, n=loc.line)
    return f"{loc.file}:{loc.line}"


CONTEXT = 2  # lines shown around each line that gave a diagnosis
SHOW_ALL = 400  # a text this short is shown whole
MAX_HITS = 300  # lines with a diagnosis shown in the excerpt; the rest are counted


def excerpt_view(lines: list[str], hits: Mapping[int, tuple[str, str, str]], lang: Lang) -> dict:
    """The pasted text around the lines that gave a diagnosis. `lines`: the text's lines (1-based by position,
    already masked); `hits`: line number -> (diagnosis id, code, severity). Whole when short; otherwise
    CONTEXT lines around each hit, and the lines between as a counted gap."""
    total = len(lines)
    numbers = sorted(n for n in hits if 1 <= n <= total)
    shown_hits, hidden = numbers[:MAX_HITS], max(0, len(numbers) - MAX_HITS)
    if total <= SHOW_ALL:
        wanted = range(1, total + 1)
    else:
        keep: set[int] = set()
        for n in shown_hits:
            keep.update(range(max(1, n - CONTEXT), min(total, n + CONTEXT) + 1))
        wanted = sorted(keep)
    rows: list[dict] = []
    previous = 0
    for n in wanted:
        if n - previous > 1:
            rows.append({"gap": tr("web.explain.source_gap", lang, n=n - previous - 1)})
        hit = hits.get(n)
        rows.append({"gap": None, "n": n, "text": lines[n - 1],
                     "hit": {"id": hit[0], "code": hit[1], "severity": hit[2]} if hit else None})
        previous = n
    if wanted and total - previous > 0:
        rows.append({"gap": tr("web.explain.source_gap", lang, n=total - previous)})
    return {"rows": rows, "more": tr("web.explain.source_more", lang, n=hidden) if hidden else None}


def report_hits(report: Report, ids: Mapping[tuple[str, str | None], tuple[str, str]]) -> dict[int, tuple[str, str, str]]:
    """Line -> (diagnosis id, code, severity) for the matches of a one-text explain; the first diagnosis of a line wins."""
    hits: dict[int, tuple[str, str, str]] = {}
    for m in report.logs.matches if report.logs is not None else ():
        found = ids.get((m.code, m.provider))
        if found is not None:
            hits.setdefault(m.line, (found[0], m.code, found[1]))
    return hits


def finding_ids(report: Report, catalog: Catalog) -> dict[tuple[str, str | None], tuple[str, str]]:
    """(code, provider) -> (the id finding_view gives the diagnosis, its severity)."""
    return {(f.code, f.provider): (f"d{i}", (f.severity or catalog.severity_of(f)).value)
            for i, f in enumerate(report.findings, 1)}


def batch_view(summary, lang: Lang) -> dict:
    return {
        "text": tr("batch.summary", lang, total=summary.total, ok=summary.ok, failed=summary.failed,
                   unreadable=summary.unreadable, seconds=f"{summary.elapsed_s:.1f}"),
        "interrupted": tr("batch.interrupted", lang) if summary.interrupted else None,
        "tables": [{"title": title, "rows": list(counter.most_common())}
                   for title, counter in ((tr("batch.codes", lang), summary.codes),
                                          (tr("batch.providers", lang), summary.providers)) if counter],
        "kind": "error" if summary.failed or summary.unreadable else "ok",
    }


# --- documents: one self-contained file (inline CSS, no script, no request of its own) -----------------


def _document(body_template: str, title: str, lang: Lang, **context) -> str:
    css = stylesheet()
    # The file allows its own style sheet and nothing else: even a line that escaped escaping could not run.
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    csp = f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; form-action 'none'"
    from datetime import datetime, timezone

    made = tr("web.report.made", lang, version=__version__,
              date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    return environment().get_template("document.html").render(
        body_template=body_template, title=title, lang=lang.value, css=Markup(css), csp=csp, made=made,
        t=t(lang), groups_title=group_titles(lang), **context)


def check_html(report: Report, catalog: Catalog, lang: Lang, strict: bool = False, providers=None,
               transcript: bool = False) -> str:
    """`check --format html` and `dns --format html`."""
    view = check_view(report, catalog, lang, strict, providers, transcript)
    title = tr("web.report.title_dns", lang, domain=report.dns.domain) if report.command == "dns" and report.dns \
        else tr("web.report.title_check", lang)
    return _document("report/check.html", title, lang, view=view)


def explain_html(report: Report, catalog: Catalog, lang: Lang) -> str:
    """`explain --format html`: the diagnoses with their example lines (the files themselves are not copied in)."""
    return _document("report/explain.html", tr("web.report.title_explain", lang), lang,
                     view=explain_view(report, catalog, lang))


def batch_html(summary, lang: Lang) -> str:
    """`batch --format html`: the summary (the per-configuration results stay JSON lines)."""
    return _document("report/batch.html", tr("web.report.title_batch", lang), lang, view=batch_view(summary, lang))
