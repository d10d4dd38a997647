"""A fix is proven before it is shown: the edits applied to a copy of the settings, read again the way the
application's framework reads them, and the static checks (and the hosting platform's rules) run on that copy.
An edit that leaves the finding standing, or brings up any error or warning the settings did not have
(Microsoft 365 on 465: config.port_unsupported), is not a fix.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from smtpdoctor.prescribe.model import Field
from smtpdoctor.prescribe.spell import Spelt
from smtpdoctor.report import Finding, Severity, ValueSource
from smtpdoctor.secret import Secret
from smtpdoctor.settings.model import RawValue, SettingsInput

FIELDS = ("host", "port", "secure", "user", "password", "sender", "sender_name")
_ENV_FORMATS = ("django", "laravel", "symfony", "supabase", "rails")


@dataclass(frozen=True)
class Reread:
    inp: SettingsInput
    findings: tuple[Finding, ...] = ()  # the format's own findings (Django's both TLS flags...)


def _raw(value: str, old: RawValue | None, name: str) -> RawValue:
    return RawValue(text=Secret(value), source=old.source if old is not None else ValueSource(kind="env", name=name))


def reread(ctx, spelt: Spelt, changes: dict[Field, str]) -> Reread | None:
    """The settings as the application would read them after the edits."""
    written = ctx.written
    if written.format in _ENV_FORMATS and not written.toml:
        return _reread_env_format(ctx, spelt)
    inp = ctx.inp
    updates: dict[str, RawValue | None] = {}
    if spelt.url is not None:
        from smtpdoctor.settings.model import load_settings_input

        fresh = load_settings_input({}, {"SMTP_URL": spelt.url})
        if fresh.url_problem is not None:
            return None
        base = inp.url_source or ValueSource(kind="env", name="SMTP_URL")
        for name in FIELDS:
            new = fresh.get(name)
            old = inp.get(name)
            if new is not None and (old is None or old.source.kind == "url"):
                updates[name] = RawValue(text=new.text, source=ValueSource("url", base.name, base.file, base.line))
        inp = replace(inp, url_problem=None, url_error=None)
    for name in ("host", "port", "user", "sender"):
        value = changes.get(Field(name))
        if value is not None and name not in updates:
            old = inp.get(name)
            if not (old is not None and old.source.kind == "url" and spelt.url is not None):
                updates[name] = _raw(value, old, name.upper())
    secure = _secure_after(ctx, spelt, changes)
    if secure is not None:
        updates["secure"] = _raw(secure, inp.secure, "SMTP_SECURE")
    return Reread(replace(inp, **updates))


def _secure_after(ctx, spelt: Spelt, changes: dict[Field, str]) -> str | None:
    """The secure flag after the edits, as the framework's rules decide it (nodemailer: the flag itself)."""
    from smtpdoctor.prescribe.spell import IMPLICIT, decided_mode, tls_values
    from smtpdoctor.prescribe.urls import parse_loose

    written = ctx.written
    if written.format == "nodemailer":
        if Field.SECURE in changes and spelt.url is None:
            return changes[Field.SECURE]
        return None
    url = parse_loose(spelt.url) if spelt.url else None
    mode = decided_mode(written, tls_values(written, spelt.keys, url, ctx.inp))
    if mode is None or mode in ("invalid", "none"):
        return None
    return "true" if mode == IMPLICIT else "false"


def _reread_env_format(ctx, spelt: Spelt) -> Reread | None:
    """Django, Laravel, Symfony, GoTrue: their own reader run again on the edited variables."""
    from smtpdoctor.settings import frameworks

    written = ctx.written
    entries = {key: frameworks.Entry(value, source) for key, (value, source) in written.keys.items()}
    for key, value in spelt.keys.items():
        old = entries.get(key)
        source = old.source if old is not None else ValueSource(kind="env", name=key)
        if value is None:
            entries.pop(key, None)
        else:
            entries[key] = frameworks.Entry(value, source)
    if spelt.url is not None and spelt.url_key is not None:
        old = entries.get(spelt.url_key)
        entries[spelt.url_key] = frameworks.Entry(spelt.url, old.source if old is not None
                                                  else ValueSource(kind="env", name=spelt.url_key))
    near = Path(written.home) if written.home else None
    context = frameworks._Context(lint=ctx.lint, near=near)
    read = frameworks.READERS[frameworks.SourceFormat(written.format)](entries, [], context)
    inp = read.inp
    # What the command line gave still wins, as it did for the run itself.
    options = {name: getattr(ctx.inp, name) for name in FIELDS
               if getattr(ctx.inp, name) is not None and getattr(ctx.inp, name).source.kind in ("option", "stdin")}
    return Reread(replace(inp, **options) if options else inp, tuple(read.findings))


def findings_of(ctx, inp: SettingsInput, extra: tuple[Finding, ...] = ()) -> tuple[list[Finding], object]:
    """What the static checks and the platform's rules say about `inp` (the provider recognised again: a
    corrected host may name another one), and the effective settings they were run on."""
    from smtpdoctor.checks import hosting
    from smtpdoctor.checks.static import run_static_checks_by_name
    from smtpdoctor.settings.model import clean, clean_host, clean_text

    preset = ctx.preset
    if not ctx.forced_provider:
        host = clean_host(inp.host.value) if inp.host and inp.host.value.strip() else None
        user = clean_text(inp.user.value) if inp.user else None
        sender = clean_text(inp.sender.value) if inp.sender else None
        preset = ctx.providers.recognise(host, user, sender) or (ctx.preset if host is None else None)
    app = ctx.app
    settings = clean(inp, preset, unset=app.unset) if app is not None else clean(inp, preset)
    options = ctx.options
    by_check = run_static_checks_by_name(inp, settings, preset, ctx.providers, ctx.env,
                                         getattr(options, "send_to", None), getattr(options, "ehlo_name", None),
                                         deferred=ctx.deferred, in_file=ctx.in_file, app=app)
    found = [f for checks in by_check.values() for f in checks]
    try:
        platform, _ = hosting.platform_and_auth(inp, settings, preset, ctx.env, options)
    except Exception:  # noqa: BLE001 - an unknown --platform was refused before the run began
        platform = []
    return [*found, *platform, *extra], settings


def _key(f: Finding) -> tuple:
    return f.code, f.variant or "", f.source.name if f.source is not None else None


def _serious(f: Finding) -> bool:
    from smtpdoctor.knowledge.catalog import load_catalog

    severity = f.severity or load_catalog().severity_of(f)
    return severity in (Severity.ERROR, Severity.WARNING)


# What re-spelling a URL can get wrong itself; anything else it brings up was in the URL all along, unreadable.
_STRUCTURAL = frozenset({"config.invalid_value", "config.invalid_port", "config.missing", "config.unknown_host",
                         "config.header_injection", "config.whitespace"})


def proves(ctx, target: Finding, before: list[Finding], after: list[Finding], revealed: str | None = None) -> bool:
    """The target is gone (for a finding the settings checks can see) and nothing new is serious.

    `revealed`: the change lets the checks see what they could not before, and what they find there is told by
    findings of its own, not held against this fix: "host", a corrected host that names another provider (whose
    rules are new: only a finding about the host itself counts); "url", a URL that can now be read (only what the
    re-spelling itself could break counts)."""
    had = {_key(f) for f in before}
    if any(_key(f) == _key(target) or (f.code == target.code and f.source == target.source and target.source is not None)
           for f in after if _serious(f)):
        return False
    new = [f for f in after if _serious(f) and _key(f) not in had]
    if revealed == "host":
        new = [f for f in new if target.source is not None and f.source == target.source]
    elif revealed == "url":
        new = [f for f in new if f.code in _STRUCTURAL]
    return not new
