"""Rendering of `explain` results: text (Rich) and the JSON document (schema 1)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.logs.explain import ExplainResult
from smtpdoctor.render.i18n import Lang, count_lines, tr
from smtpdoctor.render.text import MARK, STYLE


def where(loc) -> str:
    return f"{loc.file}:{loc.line}"


def explain_document(result: ExplainResult, catalog: Catalog, lang: Lang) -> dict:
    diagnoses = []
    for d in result.diagnoses:
        f = d.as_finding()
        diagnoses.append({
            "code": d.code, "severity": catalog.severity_of(f).value, "title": catalog.title(f, lang),
            "explanation": catalog.explanation(f, lang), "fix": catalog.fix(f, lang), "count": d.count,
            "first": d.first.model_dump(), "last": d.last.model_dump(), "example": d.example,
            "certain": d.certain, "provider": d.provider,
        })
    doc = {
        "schema": 1,
        "files": [f.model_dump() for f in result.files],
        "diagnoses": diagnoses,
        "matches": [m.model_dump() for m in result.matches],
        "matches_total": result.total_matches,
        "matches_truncated": result.total_matches > len(result.matches),
        "last_failure": result.last_failure.model_dump() if result.last_failure else None,
        "exit_code": int(result.exit_code(catalog)),
        "lang": lang.value,
    }
    return doc


def render_explain(console: Console, result: ExplainResult, catalog: Catalog, lang: Lang) -> None:
    total = sum(f.lines for f in result.files)
    if not result.diagnoses:
        console.print(tr("explain.none", lang, n=total))
        return
    for d in result.diagnoses:
        f = d.as_finding()
        sev = catalog.severity_of(f)
        style = STYLE[sev]
        less = "" if d.certain else f" [dim]({tr('explain.less_certain', lang)})[/dim]"
        console.print(f"[{style}]{MARK[sev]} {tr('severity.' + sev.value, lang)}[/{style}]  "
                      f"[bold]{escape(catalog.title(f, lang))}[/bold]  [dim]{d.code}[/dim]{less}")
        span = tr("explain.first_last", lang, first=where(d.first), last=where(d.last))
        console.print(Padding(Text(f"{count_lines(d.count, lang)}; {span}"), (0, 0, 0, 4), expand=False))
        console.print(Padding(Text(f"{tr('explain.example', lang)}: {d.example}", style="dim"), (0, 0, 0, 4), expand=False))
        explanation = catalog.explanation(f, lang)
        if explanation and d.code not in ("ok.connected", "ok.sent"):
            console.print(Padding(Text(explanation), (0, 0, 0, 4), expand=False))
        steps = catalog.fix(f, lang)
        if steps:
            console.print(f"    [bold]{tr('heading.fix', lang)}:[/bold]")
            for i, step in enumerate(steps, 1):
                console.print(Padding(Text(f"{i}. {step}"), (0, 0, 0, 6), expand=False))
        console.print()
    console.print(f"[dim]{tr('explain.scanned', lang, n=total, files=len(result.files))}[/dim]")
    if result.last_failure:
        lf = result.last_failure
        title = catalog.title(next(d for d in result.diagnoses if d.code == lf.code).as_finding(), lang)
        console.print(f"[bold]{escape(tr('explain.last_failure', lang, title=title, code=lf.code, where=where(lf.started)))}[/bold]")
        if lf.recovered:
            console.print(tr("explain.recovered", lang, where=where(lf.recovered)))
