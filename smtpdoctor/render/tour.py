"""`smtpdoctor demo --all`: every scenario with the diagnosis it got, whether that is the one it exists to show,
and "N of N as expected"; as text or as one JSON document."""

from __future__ import annotations

from smtpdoctor.knowledge.catalog import Catalog
from smtpdoctor.render.columns import PROSE, Cell, table_lines, wrap_spans
from smtpdoctor.render.i18n import Lang, tr
from smtpdoctor.render.text import Block, line, table


def tour_blocks(stops, lang: Lang, seconds: float) -> list[Block]:
    header = [Cell.words(tr("firsthour.demo.scenario", lang)), Cell.words(tr("firsthour.demo.shows", lang)),
              Cell.words(tr("firsthour.demo.found", lang))]
    rows = []
    for stop in stops:
        mark = "✓" if stop.as_expected else "✗"
        found = ", ".join(stop.codes) or "-"
        if not stop.as_expected:
            found = tr("firsthour.demo.instead", lang, found=found, expected=stop.expected)
        rows.append([Cell.one(f"{mark} {stop.name}", "" if stop.as_expected else "bold red"),
                     Cell.words(tr(f"demo.scenario.{stop.name}", lang), "dim"), Cell.words(found)])

    def lay(columns: int):
        laid = table_lines(rows, columns, header=header, wrap=False)
        if laid is not None:
            return laid
        # Narrower: the scenario and its diagnosis on a line, what it shows under them.
        out = table_lines([[row[0], row[2]] for row in rows], columns, wrap=False) or []
        return [part for n, spans in enumerate(out) for part in
                (spans, *wrap_spans([(" ".join(rows[n][1].atoms), "dim")], min(columns, PROSE), 4))]

    good = sum(stop.as_expected for stop in stops)
    verdict = tr("firsthour.demo.summary", lang, good=good, n=len(stops), seconds=f"{seconds:.1f}")
    return [line(tr("firsthour.demo.heading", lang, n=len(stops)), "bold"), line(), table(lay), line(),
            line(verdict, "green" if good == len(stops) else "bold red"),
            line(tr("firsthour.demo.next", lang), "dim")]


def tour_document(stops, catalog: Catalog, lang: Lang, seconds: float) -> dict:
    from smtpdoctor.render.json import check_document

    return {"schema": 1, "total": len(stops), "as_expected": sum(stop.as_expected for stop in stops),
            "elapsed_s": round(seconds, 2),
            "scenarios": [{"name": stop.name, "description": tr(f"demo.scenario.{stop.name}", lang),
                           "expected": stop.expected, "codes": stop.codes, "as_expected": stop.as_expected,
                           "report": check_document(stop.report, catalog, lang)} for stop in stops]}
