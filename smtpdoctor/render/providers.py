"""`smtpdoctor providers`: the table (one block per provider when the table does not fit), one provider in
detail, and their JSON. Host names, ports and URLs are copied from here: none is ever cut or broken."""

from __future__ import annotations

from smtpdoctor.knowledge.providers import ProviderCatalog, ProviderPreset
from smtpdoctor.render.columns import Cell, table_lines, wrap_spans
from smtpdoctor.render.escape import visible
from smtpdoctor.render.i18n import Lang, render_param, tr
from smtpdoctor.render.text import Block, line, table, write


def port_atoms(preset: ProviderPreset) -> list[str]:
    """"587 (STARTTLS)," "465 (TLS)": a port and its mode are one piece, never on two lines."""
    parts = [f"{p.port} ({'TLS' if p.mode.secure else 'STARTTLS'})" for p in preset.ports]
    return [part + ("," if i < len(parts) - 1 else "") for i, part in enumerate(parts)]


def ports_text(preset: ProviderPreset) -> str:
    return " ".join(port_atoms(preset))


def username_text(preset: ProviderPreset, lang: Lang) -> str:
    return tr(f"providers.user_{preset.username.rule}", lang, value=preset.username.value or "")


def host_atoms(preset: ProviderPreset, lang: Lang, limit: int | None = None) -> list[str]:
    """The host names to type, comma-separated, each one piece; where the host depends on the region (a pattern
    in the data), its example and that note, never the pattern itself (a regular expression is for matching,
    not for reading)."""
    hosts = list(preset.hosts[:limit] if limit else preset.hosts) or [preset.example_host()]
    atoms = [host + ("," if i < len(hosts) - 1 else "") for i, host in enumerate(hosts)]
    if preset.host_patterns and not preset.hosts:
        atoms += Cell.words(tr("firsthour.providers.host_example", lang)).atoms
    return atoms


def env_lines(preset: ProviderPreset, lang: Lang = Lang.EN) -> list[str]:
    """Ready-to-paste SMTP_* lines; what the user must fill in is a placeholder in the reader's language."""
    mode = preset.default_mode()
    rule = preset.username.rule
    if rule == "address":
        user = f"you@{preset.domains[0] if preset.domains else 'example.com'}"
    elif rule == "literal":
        user = preset.username.value or ""
    else:  # domain_address, dashboard
        user = tr(f"providers.env_value.{rule}", lang)
    secret = tr(f"providers.env_value.{preset.password.kind}", lang)
    sender = user if preset.sender_rule == "account" and "@" in user else tr("providers.env_value.sender", lang)
    return [
        f"SMTP_HOST={preset.example_host()}",
        f"SMTP_PORT={preset.default_port}",
        f"SMTP_SECURE={str(mode.secure).lower()}",
        f"SMTP_USER={user}",
        f"SMTP_PASS={secret}",
        f"SMTP_FROM={sender}",
    ]


def paste_block(preset: ProviderPreset, lang: Lang) -> list[str]:
    """The env lines as printed: a host that is one region's example says so in a comment line above it
    (a comment is safe to paste into a .env file, Docker's env file and a shell alike)."""
    lines = env_lines(preset, lang)
    if preset.host_patterns and not preset.hosts:
        lines.insert(0, "# " + tr("firsthour.providers.use_your_region", lang))
    return lines


def provider_detail_json(preset: ProviderPreset) -> dict:
    data = preset.to_json()
    data["env"] = env_lines(preset)
    return data


def _row(preset: ProviderPreset, lang: Lang) -> list[Cell]:
    return [Cell.one(preset.id), Cell.words(render_param(preset.display_name(), lang)),
            Cell(host_atoms(preset, lang, limit=2)), Cell(port_atoms(preset)),
            Cell.words(username_text(preset, lang))]


def provider_table_blocks(catalog: ProviderCatalog, lang: Lang) -> list[Block]:
    """A table when it fits the terminal without cutting a value; else one block per provider, the same facts."""
    presets = list(catalog.presets.values())
    header = [Cell.one(tr("newuser.providers.id", lang)), Cell.words(tr("newuser.providers.name", lang)),
              Cell.one(tr("providers.hosts", lang)), Cell.one(tr("providers.ports", lang)),
              Cell.one(tr("providers.username", lang))]

    def lay(columns: int) -> list[list[tuple[str, str]]]:
        rows = [[Cell([visible(a) for a in cell.atoms], cell.style, cell.stacked) for cell in _row(p, lang)]
                for p in presets]
        laid = table_lines(rows, columns, header=header, spaced=True)
        if laid is not None:
            return laid
        out: list[list[tuple[str, str]]] = []
        labels = [tr("providers.hosts", lang), tr("providers.ports", lang), tr("providers.username", lang)]
        for preset, row in zip(presets, rows):
            out.append([(preset.id, "bold"), ("  " + " ".join(row[1].atoms), "")])
            facts = [[Cell.one(label), Cell(atoms)] for label, atoms in
                     zip(labels, (row[2].atoms, row[3].atoms, row[4].atoms))]
            out += table_lines(facts, columns, indent=2) or _stacked(facts, columns)
            out.append([])
        return out[:-1]

    return [line(tr("providers.title", lang), "bold"), line(), table(lay), line(),
            line(tr("firsthour.providers.more", lang), "dim")]


def _stacked(facts: list[list[Cell]], columns: int) -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for label, value in facts:
        out.append([("  " + label.atoms[0], "")])
        out += wrap_spans([(" ".join(value.atoms), "")], columns, 4)
    return out


def render_provider_table(stream, catalog: ProviderCatalog, lang: Lang) -> None:
    write(provider_table_blocks(catalog, lang), stream)


def provider_blocks(preset: ProviderPreset, lang: Lang) -> list[Block]:
    rows: list[tuple[str, list[str]]] = [
        (tr("providers.hosts", lang), host_atoms(preset, lang)),
        (tr("providers.ports", lang), port_atoms(preset)),
        (tr("providers.username", lang), [username_text(preset, lang)]),
        (tr("providers.sender", lang), [tr(f"providers.sender_{preset.sender_rule}", lang)]),
    ]
    if preset.settings_url:
        rows.append((tr("providers.settings_page", lang), [preset.settings_url]))
    for key in ("prerequisites", "free_tier", "sandbox", "notes", "corrections"):
        text = getattr(preset, key)
        if text is not None:
            rows.append((tr(f"providers.{key}", lang), [text.get(lang.value)]))
    if preset.spf_include:
        rows.append((tr("providers.spf", lang), [f"include:{preset.spf_include}"]))
    if preset.dkim_selectors:
        rows.append((tr("providers.dkim", lang), _listed(list(preset.dkim_selectors))))
    cells = [[Cell.one(visible(label), "bold"), Cell([w for part in parts for w in Cell.words(visible(part)).atoms]
                                                     if len(parts) == 1 else [visible(p) for p in parts])]
             for label, parts in rows]  # one text: its words; several (hosts, ports): each whole

    def lay(columns: int) -> list[list[tuple[str, str]]]:
        return table_lines(cells, min(columns, 100)) or _stacked(cells, columns)

    name = render_param(preset.display_name(), lang)
    return [Block().add(name, "bold").add(" ").add(f"({preset.id})", "dim"), table(lay), line(),
            line(tr("providers.env", lang) + ":", "bold"),
            *(line(text, "dim" if text.startswith("#") else "", indent=2, wrap=False) for text in paste_block(preset, lang))]


def _listed(items: list[str]) -> list[str]:
    return [item + ("," if i < len(items) - 1 else "") for i, item in enumerate(items)]


def render_provider(stream, preset: ProviderPreset, lang: Lang) -> None:
    write(provider_blocks(preset, lang), stream)
