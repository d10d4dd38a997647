"""CI renderers: GitHub Actions workflow commands (+ job summary) and JUnit XML. No Rich here."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.render.findings import finding_text
from smtpdoctor.render.i18n import Lang, render_param, tr
from smtpdoctor.render.escape import visible
from smtpdoctor.report import Finding, Report, Severity, StepStatus

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.OK: "notice"}


def _data(text: str) -> str:
    """Escaping of a workflow command's message (actions/toolkit: escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    """Escaping of a workflow command's property value (actions/toolkit: escapeProperty)."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def mask_lines(secrets: list[str]) -> list[str]:
    """`::add-mask::` commands, one per value. The runner consumes them from its standard output (they never
    reach the log) and masks the value in every later line of the job, whoever prints it. They carry the
    secret in clear: only for the runner's standard output inside Actions, never for a file (an --output
    report is uploaded as an artifact) and never outside Actions. A whitespace-only value has nothing to
    hide and would blank out the log's own spacing."""
    return [f"::add-mask::{_data(secret)}" for secret in dict.fromkeys(secrets) if secret and secret.strip()]


def github_lines(result: Report, catalog: Catalog, lang: Lang, secrets: list[str] | None = None,
                 in_actions: bool = False) -> list[str]:
    """The findings as workflow commands; with `in_actions`, `secrets`' mask lines first (see mask_lines: the
    caller that writes to a file passes none and writes them to the runner's standard output itself)."""
    lines: list[str] = mask_lines(secrets or []) if in_actions else []
    naming = result.naming
    for f in result.findings:
        severity = f.severity
        text = finding_text(f, catalog, lang, naming)
        title, explanation, fix = text.title, visible(text.explanation), text.fix
        props = [f"title={_prop(f'{f.code}: {title}')}"]
        if f.source is not None and f.source.file:
            props.insert(0, f"file={_prop(f.source.file)}")
            if f.source.line:
                props.insert(1, f"line={f.source.line}")
        message = explanation
        if fix:
            message += "\n" + tr("heading.fix", lang) + ":\n" + "\n".join(f"{i}. {step}" for i, step in enumerate(fix, 1))
        if f.evidence:
            message += f"\n{tr('evidence.' + f.evidence.kind.value, lang)}: {visible(f.evidence.text)}"
        # visible() after _data(): newlines are already %0A; every other control character is shown, not sent
        lines.append(visible(f"::{LEVEL[severity]} {','.join(props)}::{_data(message)}"))
    return lines


def markdown_summary(result: Report, catalog: Catalog, lang: Lang) -> str:
    naming = result.naming
    head = f"## smtpdoctor — {result.provider_name or tr('heading.provider_unknown', lang)}\n\n"
    if result.steps:
        head += f"| {tr('heading.steps', lang)} | | {tr('heading.unit_ms', lang)} |\n|---|---|---|\n"
        for step in result.steps:
            head += f"| {tr('step.' + step.name.value, lang)} | {tr('status.' + step.status.value, lang)} | {step.elapsed_ms:.0f} |\n"
        head += "\n"
    if not result.findings:
        return head + tr("verdict.ok_offline" if result.offline else "verdict.ok", lang) + "\n"
    body = f"| | {tr('heading.code', lang)} | |\n|---|---|---|\n"
    for f in result.findings:
        title = finding_text(f, catalog, lang, naming).title
        body += f"| {tr('severity.' + f.severity.value, lang)} | `{f.code}` | {title.replace('|', '/')} |\n"
    fixes = ""
    for f in result.findings:
        text = finding_text(f, catalog, lang, naming)
        title, explanation, fix = text.title, visible(text.explanation), text.fix
        if fix:
            fixes += f"\n**{title}** — {explanation}\n\n" + "\n".join(f"{i}. {step}" for i, step in enumerate(fix, 1)) + "\n"
    return visible(head + body + fixes)


_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """visible(), plus what XML 1.0 cannot carry besides control characters (lone surrogates, U+FFFE/FFFF)."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", visible(text))


def junit_xml(result: Report, catalog: Catalog, lang: Lang, strict: bool = False) -> str:
    """One test case per static check, per probe step and for the DNS checks. Text from outside has its
    control characters escaped: XML 1.0 cannot carry them, and a report must stay well-formed."""
    naming = result.naming
    by_code: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_code.setdefault(f.code, []).append(f)
    bad = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    suite = ET.Element("testsuite", name="smtpdoctor check")
    counts = {"tests": 0, "failures": 0, "skipped": 0}

    def case(classname: str, name: str, findings: list[Finding], seconds: float = 0.0, skipped: str | None = None) -> None:
        element = ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{seconds:.3f}")
        counts["tests"] += 1
        if skipped is not None:
            ET.SubElement(element, "skipped", message=skipped)
            counts["skipped"] += 1
            return
        failing = [f for f in findings if f.severity in bad]
        for f in failing:
            text = finding_text(f, catalog, lang, naming)
            failure = ET.SubElement(element, "failure", message=_xml(f"{f.code}: {text.title}"), type=f.code)
            failure.text = _xml("\n".join([text.explanation, *text.fix, *([f.evidence.text] if f.evidence else [])]))
        if failing:
            counts["failures"] += 1
        others = [f for f in findings if f not in failing]
        if others:
            out = ET.SubElement(element, "system-out")
            out.text = _xml("\n".join(f"{f.severity.value}: {f.code}: {finding_text(f, catalog, lang, naming).title}"
                                          for f in others))

    used: set[int] = set()
    for name, codes in result.checks.items():
        found = []
        for code in dict.fromkeys(codes):
            for f in by_code.get(code, []):
                if id(f) not in used:
                    found.append(f)
                    used.add(id(f))
        case("smtpdoctor.settings", name, found)
    for step in result.steps:
        found = [f for f in result.findings if f.step == step.name and id(f) not in used]
        used.update(id(f) for f in found)
        if step.status is StepStatus.SKIP:
            reason = render_param(step.detail, lang) if step.detail else tr("status.skip", lang)
            case("smtpdoctor.probe", step.name.value, found, step.elapsed_ms / 1000, skipped=_xml(reason))
        else:
            case("smtpdoctor.probe", step.name.value, found, step.elapsed_ms / 1000)
    rest = [f for f in result.findings if id(f) not in used]
    if result.dns is not None or rest:
        case("smtpdoctor.dns", "sender domain", [f for f in rest if not f.code.startswith("ok.")])
    suite.set("tests", str(counts["tests"]))
    suite.set("failures", str(counts["failures"]))
    suite.set("skipped", str(counts["skipped"]))
    suite.set("errors", "0")
    suite.set("time", f"{result.elapsed_ms / 1000:.3f}")
    root = ET.Element("testsuites", name="smtpdoctor", tests=str(counts["tests"]), failures=str(counts["failures"]))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
