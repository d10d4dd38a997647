"""`smtpdoctor platforms` as text: a table that fits the terminal (a port list and a variable name never split),
else one block per platform."""

from __future__ import annotations

import re
from collections.abc import Mapping

from smtpdoctor.render.columns import Cell, table_lines
from smtpdoctor.render.i18n import Lang, tr
from smtpdoctor.render.text import line, table


def _platform_cells(p, lang: Lang) -> list[Cell]:
    """id | name | blocked ports | how it is recognised: a port list and an environment variable are never split,
    a note in parentheses ("throttled; reported") may go on to the next line."""
    blocked: list[str] = []
    for r in p.rules:
        marks = [tr("platform.list.throttled", lang)] if r.mode == "throttle" else []
        if not r.confirmed:
            marks.append(tr("platform.list.reported", lang))
        ports = ", ".join(map(str, r.blocked_ports))
        text = f"{ports} ({'; '.join(marks)})" if marks else ports
        if text not in blocked:
            blocked.append(text)
    blocked_atoms = _joined([_bound_ports(text) for text in blocked], "/")
    detect = _joined([" + ".join(names).replace(" + ", " +\0").split("\0") for names in p.detect], "|")
    return [Cell.one(p.id), Cell.words(p.name), Cell(blocked_atoms or Cell.words(tr("platform.list.none", lang)).atoms),
            Cell(detect or Cell.words(tr("platform.list.only_option", lang)).atoms)]


def _joined(groups: list[list[str]], separator: str) -> list[str]:
    """Groups of atoms in a row, the separator kept at the end of a group's last atom ("VERCEL |"): a line
    never starts with it."""
    out: list[str] = []
    for i, group in enumerate(groups):
        out += [*group[:-1], group[-1] + (f" {separator}" if i < len(groups) - 1 else "")]
    return out


def _bound_ports(text: str) -> list[str]:
    """"465, 587 (reported)" as atoms: the ports apart, each with its comma; the note's words free."""
    return [w.group() for w in re.finditer(r"\S+", text)]


def platforms_blocks(catalog, env: Mapping[str, str], lang: Lang) -> list:
    header = [Cell.words(tr("platform.list.id", lang)), Cell.words(tr("platform.list.name", lang)),
              Cell.words(tr("platform.list.blocked", lang)), Cell.words(tr("platform.list.detect", lang))]
    rows = [_platform_cells(p, lang) for p in sorted(catalog.platforms.values(), key=lambda p: (p.detect_order, p.id))]

    def lay(columns: int):
        return table_lines(rows, columns, header=header, spaced=True) or _platform_blocks(header, rows, columns)

    blocks = [line(tr("platform.list.heading", lang), "bold"), line(), table(lay), line()]
    found = catalog.detect(env)
    if found:
        blocks.append(line(tr("platform.list.detected", lang, platform=found[0].name, vars=", ".join(found[1]))))
    return blocks + [line(tr("platform.list.footer", lang))]


def _platform_blocks(header: list[Cell], rows: list[list[Cell]], columns: int):
    """One block per platform, for a terminal too narrow for the table."""
    out = []
    for row in rows:
        out.append([(row[0].atoms[0], "bold"), ("  " + " ".join(row[1].atoms), "")])
        facts = [[Cell([" ".join(header[i].atoms)]), row[i]] for i in (2, 3)]
        out += table_lines(facts, columns, indent=2) or []
        out.append([])
    return out[:-1]
