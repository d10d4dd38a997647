"""`smtpdoctor providers`: the table, one provider in detail, and their JSON."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from smtpdoctor.render.i18n import Lang, render_param, tr
from smtpdoctor.knowledge.providers import ProviderCatalog, ProviderPreset


def ports_text(preset: ProviderPreset) -> str:
    return ", ".join(f"{p.port} ({'TLS' if p.mode.secure else 'STARTTLS'})" for p in preset.ports)


def username_text(preset: ProviderPreset, lang: Lang) -> str:
    return tr(f"providers.user_{preset.username.rule}", lang, value=preset.username.value or "")


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


def provider_detail_json(preset: ProviderPreset) -> dict:
    data = preset.to_json()
    data["env"] = env_lines(preset)
    return data


def render_provider_table(stream, catalog: ProviderCatalog, lang: Lang) -> None:
    from smtpdoctor.render.console import console_for

    console = console_for(stream)
    table = Table(title=tr("providers.title", lang), title_justify="left")
    # Headers in one case; host names and ports never cut (they are copied from here), one host per line.
    table.add_column(tr("newuser.providers.id", lang), no_wrap=True)
    table.add_column(tr("newuser.providers.name", lang))
    table.add_column(tr("providers.hosts", lang), no_wrap=True, overflow="ignore")
    table.add_column(tr("providers.ports", lang))
    table.add_column(tr("providers.username", lang), overflow="fold")
    for preset in catalog.presets.values():
        hosts = "\n".join(preset.hosts[:2]) or preset.example_host()
        table.add_row(preset.id, escape(render_param(preset.display_name(), lang)), escape(hosts), ports_text(preset), escape(username_text(preset, lang)))
    console.print(table)


def render_provider(stream, preset: ProviderPreset, lang: Lang) -> None:
    from smtpdoctor.render.console import console_for

    console = console_for(stream)
    console.print(f"[bold]{escape(render_param(preset.display_name(), lang))}[/bold] [dim]({preset.id})[/dim]")
    rows: list[tuple[str, str]] = [
        (tr("providers.hosts", lang), ", ".join(preset.hosts + preset.host_patterns)),
        (tr("providers.ports", lang), ports_text(preset)),
        (tr("providers.username", lang), username_text(preset, lang)),
        (tr("providers.sender", lang), tr(f"providers.sender_{preset.sender_rule}", lang)),
    ]
    if preset.settings_url:
        rows.append((tr("providers.settings_page", lang), preset.settings_url))
    for key in ("prerequisites", "free_tier", "sandbox", "notes", "corrections"):
        text = getattr(preset, key)
        if text is not None:
            rows.append((tr(f"providers.{key}", lang), text.get(lang.value)))
    if preset.spf_include:
        rows.append((tr("providers.spf", lang), f"include:{preset.spf_include}"))
    if preset.dkim_selectors:
        rows.append((tr("providers.dkim", lang), ", ".join(preset.dkim_selectors)))
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    for key, value in rows:
        table.add_row(f"[bold]{escape(key)}[/bold]", escape(value))
    console.print(table)
    console.print(f"\n[bold]{tr('providers.env', lang)}:[/bold]")
    for line in env_lines(preset, lang):
        console.print(f"  {escape(line)}")
