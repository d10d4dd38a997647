"""`explain` as text: one block per diagnosis (most severe first), then the verdict. JSON is in render/json.py."""

from __future__ import annotations

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.render.findings import finding_text
from smtpdoctor.render.i18n import Lang, tr
from smtpdoctor.render.text import Block, finding_blocks, line
from smtpdoctor.report import Report


def where(loc) -> str:
    return f"{loc.file}:{loc.line}"


def explain_blocks(result: Report, catalog: Catalog, lang: Lang) -> list[Block]:
    logs = result.logs
    findings, mail = result.findings, []
    if result.bounces is not None:  # mail was read (bounces, complaints, events): its findings and counts apart
        from smtpdoctor.render.bounces import bounce_blocks, is_bounce_finding

        findings, mail = tuple(f for f in findings if not is_bounce_finding(f)), bounce_blocks(result, catalog, lang)
        if not logs.files:
            return mail
    if not findings:
        return [*mail, line(tr("explain.none", lang, n=logs.lines))]
    blocks: list[Block] = [*mail]
    for f in findings:
        blocks += finding_blocks(f, catalog, lang, result.naming, extra="" if f.certain else tr("explain.less_certain", lang))
    blocks.append(line(tr("explain.scanned", lang, n=logs.lines, files=len(logs.files)), "dim"))
    last = logs.last_failure
    if last is not None:
        finding = next(f for f in result.findings if f.code == last.code)
        title = finding_text(finding, catalog, lang).title
        blocks.append(line(tr("explain.last_failure", lang, title=title, code=last.code, where=where(last.started)), "bold"))
        if last.recovered:
            blocks.append(line(tr("explain.recovered", lang, where=where(last.recovered))))
    return blocks
