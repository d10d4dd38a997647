"""`smtpdoctor fix` for people and for programs: the diff of the user's files, the environment variables to set,
what the edits cure and what they cannot, and, after `--write`, the check run again.

Secrets are masked by prescribe.apply (values of password keys, URL passwords) before any text reaches here,
and the output stream is redacted once more by the CLI.
"""

from __future__ import annotations

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.render.i18n import Lang, tr
from smtpdoctor.render.text import MARK, STYLE, Block, line, verdict_blocks
from smtpdoctor.report import Report, Severity

DIFF_STYLE = {"-": "red", "+": "green", "@": "cyan"}


def _curable(report: Report) -> tuple[list, list]:
    """(findings with edits, problems no edit cures), errors and warnings only."""
    cured, manual = [], []
    for f in report.findings:
        if f.severity not in (Severity.ERROR, Severity.WARNING):
            continue
        p = getattr(f, "prescription", None)
        (cured if p is not None and p.edits else manual).append(f)
    return cured, manual


def _diff_blocks(diff: str) -> list[Block]:
    blocks = []
    for text in diff.splitlines():  # CRLF shown as plain lines: --write keeps the file's own line ends
        style = "bold" if text.startswith(("--- ", "+++ ")) else DIFF_STYLE.get(text[:1], "")
        blocks.append(line(text, style, indent=2, wrap=False))
    return blocks


def fix_blocks(report: Report, plan, catalog: Catalog, lang: Lang, platform: str | None = None,
               written: list[tuple[str, int]] | None = None, after: Report | None = None, strict: bool = False) -> list[Block]:
    from smtpdoctor.prescribe.apply import env_line, unified_diff
    from smtpdoctor.render.edits import verified_text
    from smtpdoctor.render.findings import finding_text

    blocks: list[Block] = []
    platform = platform or _platform_name(report.platform)
    cured, manual = _curable(report)
    if not cured and not manual:
        return [line(tr("fix.heading.healthy", lang), "green")]
    diffs = [unified_diff(f) for f in plan.files if f.changed]
    if diffs:
        blocks += [line(tr("fix.heading.diff", lang), "bold")]
        for diff in diffs:
            blocks += _diff_blocks(diff)
        blocks.append(line())
    if plan.env:
        heading = tr("fix.heading.env_platform", lang, platform=platform) if platform else tr("fix.heading.env", lang)
        blocks += [line(heading, "bold"), *(line(env_line(e), indent=2, wrap=False) for e in plan.env), line()]
    if plan.refused:
        blocks.append(line(tr("fix.heading.refused", lang), "bold yellow"))
        for edit, reason in plan.refused:
            where = f"{edit.file}: {edit.key}" if edit.file else edit.key
            blocks.append(line(f"{where} — {tr('fix.refused.' + reason, lang)}", indent=2))
        blocks.append(line())
    if cured:
        blocks.append(line(tr("fix.heading.cures", lang), "bold"))
        for f in cured:
            blocks.append(Block(indent=2).add(f"{MARK[Severity.OK]} ", "green").add(finding_text(f, catalog, lang).title)
                          .add(f"  {f.code}", "dim"))
            proof = verified_text(f.prescription, lang)
            if proof:
                blocks.append(line("↳ " + proof, "dim", indent=4))
        blocks.append(line())
    if manual:
        blocks.append(line(tr("fix.heading.manual", lang), "bold"))
        for f in manual:
            blocks.append(Block(indent=2).add(f"{MARK[f.severity]} ", STYLE[f.severity])
                          .add(finding_text(f, catalog, lang).title).add(f"  {f.code}", "dim"))
        blocks.append(line())
    if not cured:
        blocks.append(line(tr("fix.heading.nothing", lang)))
    if written is None:
        if any(f.changed for f in plan.files):
            blocks.append(line(tr("fix.heading.to_write", lang)))
        return blocks + verdict_blocks(report, catalog, lang, strict)
    blocks += [line(tr("fix.heading.written", lang, file=path, n=n), "green") for path, n in written]
    if after is not None:
        blocks += [line(), line(tr("fix.heading.again", lang), "bold")]
        for f in (f for f in after.findings if f.severity in (Severity.ERROR, Severity.WARNING)):
            blocks.append(Block(indent=2).add(f"{MARK[f.severity]} ", STYLE[f.severity])
                          .add(finding_text(f, catalog, lang).title).add(f"  {f.code}", "dim"))
        if plan.env:
            blocks.append(line(tr("fix.heading.env_left", lang), "yellow"))
        blocks += verdict_blocks(after, catalog, lang, strict)
    return blocks


def _platform_name(platform_id: str | None) -> str | None:
    """The name of the hosting platform whose environment-variable settings take the variables."""
    if not platform_id:
        return None
    from smtpdoctor.knowledge.platforms import load_platforms

    found = load_platforms().platforms.get(platform_id)
    return found.name if found is not None else None


def fix_document(report: Report, plan, written: list[tuple[str, int]] | None = None, after: Report | None = None,
                 strict: bool = False) -> dict:
    """The JSON of `fix`: per file its diff and edits, the environment variables, what cures what, and the check
    run again after --write."""
    from smtpdoctor.prescribe.apply import env_line, unified_diff
    from smtpdoctor.render.edits import edits_json

    cured, manual = _curable(report)
    code = (after or report).exit_code(strict)
    return {
        "schema": 1,
        "command": "fix",
        "files": [{"file": f.path, "format": f.kind.value, "changed": f.changed, "diff": unified_diff(f),
                   "edits": edits_json(f.applied)} for f in plan.files],
        "env": [{"key": e.key, "value": e.value, "line": env_line(e)} for e in plan.env],
        "refused": [{"file": e.file, "key": e.key, "reason": reason} for e, reason in plan.refused],
        "cures": [{"code": f.code, "verified": f.prescription.verified.value if f.prescription.verified else None}
                  for f in cured],
        "manual": [f.code for f in manual],
        "written": [{"file": path, "changes": n} for path, n in written or ()],
        "after": None if after is None else {"errors": after.verdict.errors, "warnings": after.verdict.warnings,
                                             "codes": [f.code for f in after.findings
                                                       if f.severity in (Severity.ERROR, Severity.WARNING)]},
        "exit_code": int(code),
    }
