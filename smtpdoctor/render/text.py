"""Human-readable output. Formatting is a pure function from a Report to styled blocks; `write`
prints them plain (not a terminal, or NO_COLOR) or through Rich on a terminal, so the plain path
never imports Rich. Text that is not ours (server replies, log lines, DNS records, user values) has
its control characters shown visibly (ESC as \\x1b): nothing from outside can drive the terminal.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.render.columns import PROSE, Cell, table_lines, terminal_columns, wrap_spans
from smtpdoctor.render.escape import visible
from smtpdoctor.render.findings import finding_text, shorten_quote, unconfirmed_text
from smtpdoctor.render.i18n import Lang, count_lines, render_param, source_label, tr
from smtpdoctor.report import Evidence, EvidenceKind, Finding, Report, Severity, StepResult, StepStatus
from smtpdoctor.values import value

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan", Severity.OK: "green"}
MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i", Severity.OK: "✓"}
STEP_STYLE = {StepStatus.OK: "green", StepStatus.FAIL: "bold red", StepStatus.SKIP: "dim"}
# The other side's words in this view (masked before: redaction is on the whole text, the Report's): a step's
# one line and a quoted reply are shortened with "…", never inside a URL (render.findings.shorten_quote).
# JSON, the CI formats and --transcript keep them whole.
STEP_QUOTE = 200
QUOTE = 400


@value(frozen=False)
class Block:
    """One paragraph: styled spans, an indent, wrapped to the terminal's width (render/columns.py: between words,
    never inside one) unless `wrap` is off; a continuation line is indented `hang` columns more. `layout`, when
    set, lays the block out itself for a width (a table)."""

    spans: list[tuple[str, str]] = field(default_factory=list)
    indent: int = 0
    wrap: bool = True
    hang: int = 0
    layout: Callable[[int], list[list[tuple[str, str]]]] | None = None

    def add(self, text: str, style: str = "") -> Block:
        self.spans.append((text, style))
        return self


def line(text: str = "", style: str = "", indent: int = 0, wrap: bool = True, hang: int = 0) -> Block:
    return Block([(text, style)] if text else [], indent, wrap, hang)


def table(rows_at: Callable[[int], list[list[tuple[str, str]]]]) -> Block:
    """A block whose lines are laid out for the width they are written at (columns.table_lines)."""
    return Block(layout=rows_at)


def color_wanted(stream) -> bool:
    return hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ


def laid_out(blocks: Iterable[Block], columns: int) -> list[list[tuple[str, str]]]:
    """Every block as the lines it takes at `columns`: the same on a terminal and in a pipe."""
    prose = min(columns, PROSE)
    lines: list[list[tuple[str, str]]] = []
    for block in blocks:
        if block.layout is not None:
            lines += block.layout(columns)
            continue
        spans = [(visible(t), s) for t, s in block.spans]
        # Not wrapped: a diff line, a protocol line shown as it is, a line laid out by its maker.
        lines += wrap_spans(spans, prose if block.wrap else UNWRAPPED, block.indent, block.hang)
    return lines


UNWRAPPED = 1 << 30


def write(blocks: Iterable[Block], stream, color: bool | None = None) -> None:
    color = color_wanted(stream) if color is None else color
    lines = laid_out(blocks, terminal_columns(stream))
    if color:
        from smtpdoctor.render.console import write_lines

        write_lines(lines, stream)
        return
    stream.write("".join("".join(t for t, _ in spans).rstrip() + "\n" for spans in lines))
    stream.flush()


# --- building blocks ---------------------------------------------------------------------------


def step_block(step: StepResult, lang: Lang) -> Block:
    style = STEP_STYLE[step.status]
    block = Block(indent=2, hang=8)  # a continuation under the step's name, past the status column
    block.add(f"{tr('status.' + step.status.value, lang):>6}", style)
    block.add(f"  {tr('step.' + step.name.value, lang)} ")
    block.add(f"({step.elapsed_ms:.0f} {tr('heading.unit_ms', lang)})", "dim")
    if step.detail is not None:
        block.add(" — " + shorten_quote(render_param(step.detail, lang), QUOTE))
    if step.reply is not None:
        block.add(f" — {tr('evidence.' + step.reply.kind.value, lang)}: ", "dim").add(shorten_quote(step.reply.text, STEP_QUOTE))
    return block


def evidence_block(evidence: Evidence, lang: Lang, indent: int = 4) -> Block:
    text = shorten_quote(evidence.text, QUOTE) if evidence.kind is EvidenceKind.SERVER else evidence.text
    return Block(indent=indent, hang=2).add(f"{tr('evidence.' + evidence.kind.value, lang)}: ", "dim").add(text, "dim")


def finding_blocks(f: Finding, catalog: Catalog, lang: Lang, naming: Mapping[str, str] | None = None,
                   extra: str = "", platform: str | None = None, provider=None, said: set[str] | None = None) -> list[Block]:
    """`platform`: the hosting platform's name (where an environment variable is set); `provider`: its name,
    for an alternative the provider's data vouches for; `said`: the fix steps already shown by the findings
    before this one (each piece of advice once)."""
    text = finding_text(f, catalog, lang, naming, quote_limit=QUOTE)
    sev = f.severity or catalog.severity_of(f)
    style = STYLE[sev]
    label = f"{MARK[sev]} {tr('severity.' + sev.value, lang)}"
    head = Block(hang=len(label) + 2).add(label, style)  # a long title goes on under itself, the code whole
    head.add("  ").add(text.title, "bold").add("  ").add(f.code, "dim")
    if extra:
        head.add(f" ({extra})", "dim")
    blocks = [head]
    marker = unconfirmed_text(f, catalog, lang)
    if marker is not None:  # may only follow from another finding of the run: said before anything else
        blocks.append(line(marker, "yellow", indent=4))
    if f.seen is not None:
        span = tr("explain.first_last", lang, first=_where(f.seen.first), last=_where(f.seen.last))
        blocks.append(line(f"{count_lines(f.seen.count, lang)}; {span}", indent=4))
    if f.evidence is not None and f.seen is not None:
        blocks.append(evidence_block(f.evidence, lang))
    if text.explanation and not (f.seen is not None and f.code.startswith("ok.")):
        blocks.append(line(text.explanation, indent=4))
    if f.evidence is not None and f.seen is None and shorten_quote(f.evidence.text, 120).rstrip("…") not in text.explanation:
        blocks.append(evidence_block(f.evidence, lang))  # not twice: a reply is often quoted already
    steps = [step for step in text.steps if said is None or step not in said]
    if said is not None:
        said.update(steps)
    edits = prescription_blocks(f, lang, platform, provider)
    if steps or edits or text.links:
        blocks.append(line(tr("heading.fix", lang) + ":", "bold", indent=4))
        blocks += edits
        blocks += [line(f"{i}. {step}", indent=6, hang=len(f"{i}. ")) for i, step in enumerate(steps, 1)]
        # Where it comes from (no step): "Source: URL" whole on its line, the URL never broken from its label.
        blocks += [line(link, "dim", indent=6, wrap=False) for link in text.links]
    blocks.append(line())
    return blocks


def prescription_blocks(f: Finding, lang: Lang, platform: str | None = None, provider=None) -> list[Block]:
    """The edits that cure the finding, as the lines their source should hold, before any prose step."""
    p = getattr(f, "prescription", None)
    if p is None or not p.edits:
        return []
    from smtpdoctor.render.edits import alternatives_heading, verified_text

    blocks = [_edit_block(e, lang, platform, 6) for e in p.edits]
    proof = verified_text(p, lang)
    if proof:
        blocks.append(line("↳ " + proof, "dim", indent=6, hang=2))
    for alternative in p.alternatives:
        blocks.append(line(alternatives_heading(provider, lang), indent=6, hang=2))
        blocks += [_edit_block(e, lang, platform, 8) for e in alternative]
    return blocks


def _edit_block(edit, lang: Lang, platform: str | None, indent: int) -> Block:
    """"where: KEY=value" on one line when it fits, else where it goes, then the line to paste under it, whole:
    a value is never broken, not even at a space inside its quotes."""
    from smtpdoctor.render.edits import edit_text, where_text

    full, where = visible(edit_text(edit, lang, platform)), visible(where_text(edit, lang, platform))
    pasted = full[len(where) + 2:] if full.startswith(where + ": ") else None

    def lay(columns: int) -> list[list[tuple[str, str]]]:
        if pasted is None or indent + len(full) <= columns:
            return [[(" " * indent, ""), (full, "")]]
        return [[(" " * indent, ""), (where + ":", "")], [(" " * (indent + 2), ""), (pasted, "")]]

    return Block(layout=lay)


def _where(loc) -> str:
    return f"{loc.file}:{loc.line}"


def settings_blocks(report: Report, lang: Lang) -> list[Block]:
    rows = []
    for name, view in report.settings.items():
        if view.shown is not None:
            value = render_param(view.shown, lang)
        else:
            value = view.value if view.value is not None else tr("field.not_set", lang)
        if view.shown is not None and report.naming:
            from smtpdoctor.render.findings import apply_naming

            value = apply_naming(value, report.naming, lang)
        if view.invalid and view.given is not None:  # shown as given: the finding below explains it
            import json

            value = tr("newuser.setting.invalid", lang, value=value, given=json.dumps(view.given, ensure_ascii=False))
        rows.append((tr(f"field.{name}", lang), value, source_label(view.source, lang)))
    blocks = [line(tr("heading.settings", lang) + ":", "bold"),
              table(_setting_rows([(label, visible(value), visible(where)) for label, value, where in rows]))]
    notes = [render_param(view.note, lang) for view in report.settings.values() if view.note is not None]
    blocks += [line("↳ " + note, "dim", indent=2, hang=2) for note in notes]  # why the TLS mode is what it is
    return blocks


def dns_blocks(report: Report, lang: Lang) -> list[Block]:
    dns = report.dns
    blocks = [line(), line(tr("heading.dns", lang, domain=dns.domain) + ":", "bold")]
    if dns.skipped is not None:
        return blocks + [line(render_param(dns.skipped, lang), "dim", indent=2)]
    none = tr("firsthour.dns.none", lang)  # looked up and not found: not a setting left unset
    rows = [("MX", ", ".join(dns.mx) or none)]
    spf = dns.spf or none
    if dns.spf:
        spf += f"  ({tr('count.lookups', lang, n=dns.spf_lookups)})"
    rows.append(("SPF", spf))
    rows.append(("DMARC", (dns.dmarc or none) + (f"  ({dns.dmarc_name})" if dns.dmarc else "")))
    for selector, key in dns.dkim.items():
        rows.append((f"DKIM {selector}", (key[:60] + "…") if key and len(key) > 60 else (key or none)))
    return blocks + [table(_record_rows([(name, visible(value)) for name, value in rows]))]


def _setting_rows(rows: list[tuple[str, str, str]]):
    """Settings as a table: the name, the value, where it came from (dim), the sources in one column. A value too
    long for its row goes on across the row, and its source then has a line of its own, in the same column."""

    def lay(columns: int) -> list[list[tuple[str, str]]]:
        width0 = max((len(label) for label, _, _ in rows), default=0)
        room = columns - 2 - width0 - 2  # for the value, the gap and the source
        widest_source = max((len(where) for _, _, where in rows), default=0)
        short = [len(value) for _, value, _ in rows if len(value) + 2 + widest_source <= room]
        width1 = max(short, default=0)
        at = 2 + width0 + 2 + width1 + 2 if 2 + width0 + 2 + widest_source <= columns else 2 + width0 + 2
        out: list[list[tuple[str, str]]] = []
        for label, value, where in rows:
            head = [("  " + f"{label:<{width0}}  ", "")]
            if len(value) <= width1 and where:
                out.append(head + [(f"{value:<{width1}}  ", ""), (where, "dim")])
                continue
            out += wrap_spans([(f"{label:<{width0}}  ", ""), (value, "")], min(columns, PROSE), 2, width0 + 2)
            if where:
                out += wrap_spans([(where, "dim")], columns, at)
        return out

    return lay


def _record_rows(rows: list[tuple[str, str]]):
    """DNS records: the name, then the record wrapped under itself (a record is a long run of words)."""

    def lay(columns: int) -> list[list[tuple[str, str]]]:
        width0 = max(12, *(len(name) for name, _ in rows))
        out: list[list[tuple[str, str]]] = []
        for name, value in rows:
            out += wrap_spans([(f"{name:<{width0}} ", ""), (value, "")], min(columns, PROSE), 2, width0 + 1)
        return out

    return lay


def verdict_blocks(report: Report, catalog: Catalog, lang: Lang, strict: bool) -> list[Block]:
    v = report.verdict
    bad = v.blocking(strict)
    if bad is not None:
        n = v.errors if v.errors else v.warnings
        title = finding_text(bad, catalog, lang).title
        # Where to start on a line of its own: at 80 columns the title is not broken off the sentence before it.
        return [line(tr("verdict.errors", lang, n=n), "bold red"), line(tr("verdict.first", lang, title=title))]
    if v.warnings:
        return [line(tr("verdict.warnings", lang, n=v.warnings), "yellow")]
    return [line(tr("verdict.ok_offline" if report.offline else "verdict.ok", lang), "green")]


def output_summary(report: Report, catalog: Catalog, lang: Lang, strict: bool, file: str, fmt: str) -> str:
    """One line for standard output when the report went to a file: where, in which format, and the verdict."""
    verdict = " ".join("".join(text for text, _ in block.spans) for block in verdict_blocks(report, catalog, lang, strict))
    return visible(tr("firsthour.output.written", lang, file=file, format=tr(f"firsthour.output.format.{fmt}", lang),
                      verdict=verdict))


def check_blocks(report: Report, catalog: Catalog, lang: Lang, strict: bool = False, show_transcript: bool = False,
                 providers=None, steps_shown: bool = False) -> list[Block]:
    blocks: list[Block] = []
    if report.insecure:
        blocks.append(line(tr("heading.insecure", lang), "bold red"))
    provider = report.provider_name or tr("heading.provider_unknown", lang)
    preset = providers.get(report.provider) if providers is not None and report.provider else None
    if preset is not None:  # the name the reader knows it by ("Яндекс Почта" in Russian)
        provider = render_param(preset.display_name(), lang)
    blocks.append(Block().add(tr("heading.provider", lang) + ":", "bold").add(" " + provider))
    if report.recognised is not None:  # how the provider was recognised from DNS ("MX ... → Google Workspace")
        blocks.append(line(render_param(report.recognised, lang), "dim", indent=2))
    if report.source_format and report.source_format != "nodemailer":
        how = tr("heading.detected", lang) if report.source_detected else ""
        blocks.append(line(tr("heading.source", lang, format=report.source_format, how=how)))
    if report.settings:
        blocks += settings_blocks(report, lang)
    if report.offline:
        blocks.append(line(tr("heading.offline", lang), "dim"))
    if report.steps and not steps_shown:
        blocks += [line(), line(tr("heading.steps", lang) + ":", "bold")]
        blocks += [step_block(step, lang) for step in report.steps]
    if report.ports is not None:
        from smtpdoctor.render.platforms import ports_lines

        blocks += [line(), *(line(text, hang=4) for text in ports_lines(report, lang))]
    if report.dns is not None:
        blocks += dns_blocks(report, lang)
    if show_transcript and report.transcript:
        blocks += [line(), line(tr("heading.transcript", lang) + ":", "bold")]
        blocks += [line(t, "dim", indent=2, wrap=False) for t in report.transcript]  # verbatim, to be copied whole
    blocks.append(line())
    if report.findings:
        blocks.append(line(tr("heading.findings", lang) + ":", "bold"))
        said: set[str] = set()  # each piece of advice once, however many findings give it
        platform = _platform_name(report.platform)
        shown_provider = preset.display_name() if preset is not None else report.provider_name
        for f in report.findings:
            blocks += finding_blocks(f, catalog, lang, report.naming, platform=platform, provider=shown_provider,
                                     said=said)
    if providers is not None and report.provider:
        from smtpdoctor.prescribe.tips import tip_applies

        preset = providers.get(report.provider)
        if preset is not None and preset.corrections and tip_applies(report):
            # Its own line: the provider's sentence starts with a capital, which no colon may precede.
            blocks.append(Block().add("i ", "cyan").add(tr("heading.note", lang), "bold"))
            blocks.append(line(preset.corrections.get(lang.value), indent=2))
            blocks.append(line())
    return blocks + verdict_blocks(report, catalog, lang, strict)


def _platform_name(platform_id: str | None) -> str | None:
    """The hosting platform's name, where an environment variable of a fix is set."""
    if not platform_id:
        return None
    from smtpdoctor.knowledge.platforms import load_platforms

    found = load_platforms().platforms.get(platform_id)
    return found.name if found is not None else None


def batch_summary_blocks(summary, lang: Lang) -> list[Block]:
    """The summary `batch` writes to standard error: totals, then counts per code and per provider."""
    blocks = [line(tr("batch.summary", lang, total=summary.total, ok=summary.ok, failed=summary.failed,
                      unreadable=summary.unreadable, seconds=f"{summary.elapsed_s:.1f}"))]
    if summary.interrupted:
        blocks.append(line(tr("batch.interrupted", lang)))
    for title, counter in ((tr("batch.codes", lang), summary.codes), (tr("batch.providers", lang), summary.providers)):
        if counter:
            width = max(len(key) for key in counter)
            blocks.append(line(title + ":", "bold"))
            blocks += [line(f"{key:<{width}}  {count:>6}", indent=2, wrap=False) for key, count in counter.most_common()]
    return blocks
