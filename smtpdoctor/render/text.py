"""Human-readable output with Rich. Plain (no colour) when stdout is not a terminal or NO_COLOR is set."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text
from rich.table import Table

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.render.i18n import Lang, localise_detail, tr
from smtpdoctor.report import CheckResult, Finding, Severity, StepResult, StepStatus
from smtpdoctor.settings.model import source_label

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan", Severity.OK: "green"}
MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i", Severity.OK: "✓"}
STEP_STYLE = {StepStatus.OK: "green", StepStatus.FAIL: "bold red", StepStatus.SKIP: "dim"}


def step_line(step: StepResult, lang: Lang) -> str:
    status = tr(f"status.{step.status.value}", lang)
    name = tr(f"step.{step.name.value}", lang)
    detail = f" — {escape(localise_detail(step.detail, lang))}" if step.detail else ""
    style = STEP_STYLE[step.status]
    unit = "мс" if lang is Lang.RU else "ms"
    return f"  [{style}]{status:>6}[/{style}]  {name} [dim]({step.elapsed_ms:.0f} {unit})[/dim]{detail}"


def render_finding(console: Console, f: Finding, catalog: Catalog, lang: Lang, naming=None) -> None:
    sev = catalog.severity_of(f)
    style = STYLE[sev]
    title, explanation, steps = catalog.render(f, lang, naming)
    console.print(f"[{style}]{MARK[sev]} {tr('severity.' + sev.value, lang)}[/{style}]  "
                  f"[bold]{escape(title)}[/bold]  [dim]{f.code}[/dim]")
    if explanation:
        console.print(Padding(Text(explanation), (0, 0, 0, 4), expand=False))
    if f.evidence and f.evidence[:120] not in explanation:  # not twice: the reply is often quoted already
        console.print(Padding(Text(f"{tr('heading.evidence', lang)}: {f.evidence}", style="dim"), (0, 0, 0, 4), expand=False))
    if steps:
        console.print(f"    [bold]{tr('heading.fix', lang)}:[/bold]")
        for i, step in enumerate(steps, 1):
            console.print(Padding(Text(f"{i}. {step}"), (0, 0, 0, 6), expand=False))
    console.print()


def render_check(console: Console, result: CheckResult, catalog: Catalog, lang: Lang, strict: bool = False,
                 show_transcript: bool = False, providers=None, steps_shown: bool = False) -> None:
    if result.insecure:
        console.print(f"[bold red]{tr('heading.insecure', lang)}[/bold red]")
    provider = escape(result.provider_name) if result.provider_name else tr("heading.provider_unknown", lang)
    console.print(f"[bold]{tr('heading.provider', lang)}:[/bold] {provider}")
    if result.source_format and result.source_format != "nodemailer":
        how = tr("heading.detected", lang) if result.source_detected else ""
        console.print(tr("heading.source", lang, format=result.source_format, how=how))
    table = Table(show_header=False, box=None, pad_edge=False, padding=(0, 2, 0, 2))
    for name, view in result.settings.items():
        value = view.value if view.value is not None else tr("field.not_set", lang)
        table.add_row(tr(f"field.{name}", lang), escape(value), f"[dim]{escape(source_label(view.source, lang.value))}[/dim]")
    console.print(f"[bold]{tr('heading.settings', lang)}:[/bold]")
    console.print(table)
    if result.offline:
        console.print(f"[dim]{tr('heading.offline', lang)}[/dim]")
    if result.steps and not steps_shown:
        console.print(f"\n[bold]{tr('heading.steps', lang)}:[/bold]")
        for step in result.steps:
            console.print(step_line(step, lang))
    if result.dns:
        render_dns(console, result.dns, lang)
    if show_transcript and result.transcript:
        console.print(f"\n[bold]{tr('heading.transcript', lang)}:[/bold]")
        for line in result.transcript:
            console.print(f"  [dim]{escape(line)}[/dim]")
    console.print()
    if result.findings:
        console.print(f"[bold]{tr('heading.findings', lang)}:[/bold]")
        for f in result.findings:
            render_finding(console, f, catalog, lang, result.naming_obj())
    if providers is not None and result.provider:
        preset = providers.get(result.provider)
        if preset is not None and preset.corrections:
            console.print(f"[cyan]i[/cyan] [bold]{tr('heading.note', lang)}:[/bold] {escape(preset.corrections.get(lang.value))}\n")
    render_verdict(console, result, catalog, lang, strict)


def render_dns(console: Console, dns: dict, lang: Lang) -> None:
    console.print(f"\n[bold]{tr('heading.dns', lang, domain=dns['domain'])}:[/bold]")
    if dns.get("skipped"):
        console.print(f"  [dim]{escape(localise_detail(dns['skipped'], lang))}[/dim]")
        return
    none = tr("field.not_set", lang)
    rows = [("MX", ", ".join(dns.get("mx") or []) or none),
            ("SPF", (dns.get("spf") or none) + (f"  ({dns['spf_lookups']} DNS lookups)" if dns.get("spf") else "")),
            ("DMARC", f"{dns.get('dmarc') or none}" + (f"  ({dns['dmarc_name']})" if dns.get("dmarc") else ""))]
    for selector, key in (dns.get("dkim") or {}).items():
        rows.append((f"DKIM {selector}", (key[:60] + "…") if key and len(key) > 60 else (key or none)))
    for name, value in rows:
        console.print(Padding(Text(f"{name:<12} {value}"), (0, 0, 0, 2), expand=False))


def render_verdict(console: Console, result: CheckResult, catalog: Catalog, lang: Lang, strict: bool) -> None:
    errors = [f for f in result.findings if catalog.severity_of(f) is Severity.ERROR]
    warnings = [f for f in result.findings if catalog.severity_of(f) is Severity.WARNING]
    if errors or (strict and warnings):
        bad = errors or warnings
        console.print(f"[bold red]{tr('verdict.errors', lang, n=len(bad))}[/bold red] "
                      f"{escape(tr('verdict.first', lang, title=catalog.title(bad[0], lang)))}")
    elif warnings:
        console.print(f"[yellow]{tr('verdict.warnings', lang, n=len(warnings))}[/yellow]")
    else:
        console.print(f"[green]{tr('verdict.ok_offline' if result.offline else 'verdict.ok', lang)}[/green]")
