"""`smtpdoctor platforms` as JSON (the text is render/platform_list.py) and the port preflight table of `check --ports`."""

from __future__ import annotations

from collections.abc import Mapping

from smtpdoctor.render.i18n import Lang, render_param, tr
from smtpdoctor.report import PortTable, Report


def platforms_json(catalog, env: Mapping[str, str]) -> dict:
    def text(b):
        return {"en": b.en, "ru": b.ru} if b is not None else None

    found = catalog.detect(env)
    out = []
    for p in sorted(catalog.platforms.values(), key=lambda p: (p.detect_order, p.id)):
        out.append({
            "id": p.id, "name": p.name, "detect": [list(a) for a in p.detect], "detect_order": p.detect_order,
            "detect_note": text(p.detect_note), "detect_source": p.detect_source, "https_api_hint": p.https_api_hint,
            "ipv6_egress": p.ipv6_egress, "ipv6_source": p.ipv6_source, "note": text(p.note),
            "rules": [{"tier": text(r.tier), "blocked_ports": list(r.blocked_ports), "mode": r.mode,
                       "allowed_ports": list(r.allowed_ports), "allowed_ports_confirmed": r.allowed_ports_confirmed,
                       "since": r.since.isoformat() if r.since else None, "applies_if_env": dict(r.applies_if_env),
                       "error": r.error, "lift": text(r.lift), "confirmed": r.confirmed, "source": r.source,
                       "evidence": list(r.evidence), "note": text(r.note)} for r in p.rules]})
    return {"schema": 1, "detected": {"id": found[0].id, "variables": list(found[1])} if found else None, "platforms": out}


def ports_json(table: PortTable | None, lang: Lang) -> dict | None:
    from smtpdoctor.render.params import param_json

    if table is None:
        return None
    return {"host": table.host, "configured": table.configured, "timeout": table.timeout,
            "attempts": [{"port": a.port, "family": a.family, "status": a.status, "address": a.address,
                          "reason": a.reason.text if a.reason else None} for a in table.attempts],
            "verdict": {**param_json(table.verdict), "text": render_param(table.verdict, lang)} if table.verdict else None}


def ports_lines(report: Report, lang: Lang) -> list[str]:
    """port | IPv4 | IPv6, one row per port: open / timed out / refused per family."""
    table = report.ports
    if table is None:
        return []
    from smtpdoctor.report import phrase

    cells: dict[int, dict[str, str]] = {}
    for a in table.attempts:
        cells.setdefault(a.port, {})[a.family] = tr(f"platform.ports.{a.status}", lang)
    rows = [(tr("platform.ports.port", lang), "IPv4", "IPv6")]
    rows += [(f"{port}{' *' if port == table.configured else ''}", c.get("ipv4", "-"), c.get("ipv6", "-"))
             for port, c in cells.items()]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    heading = tr("platform.ports.heading", lang, timeout=render_param(phrase("probe.unit.seconds", n=table.timeout), lang))
    out = [heading + ":"]
    out += ["  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    if table.verdict is not None:
        out.append("  " + render_param(table.verdict, lang))
    return out
