"""Use cases: plain functions the CLI calls. No Typer, no Rich here."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from smtpdoctor.diagnose import diagnose, merge
from smtpdoctor.errors import UsageError
from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.report import Finding, Report, SettingView, StepResult, phrase
from smtpdoctor.knowledge.providers import ProviderCatalog, ProviderPreset
from smtpdoctor.settings.model import SettingsInput, SmtpSettings, clean


@dataclass(frozen=True)
class CheckOptions:
    offline: bool = False
    timeout: float = 10.0
    allow_plaintext_auth: bool = False
    insecure: bool = False
    ca_file: Path | None = None
    send_to: str | None = None
    ehlo_name: str | None = None
    provider: str | None = None  # forced preset id
    check_dns: bool = True
    nameservers: tuple[str, ...] = ()
    dns_timeout: float = 5.0
    dkim_selectors: tuple[str, ...] = ()


def choose_preset(inp: SettingsInput, providers: ProviderCatalog, forced: str | None) -> ProviderPreset | None:
    if forced:
        preset = providers.get(forced)
        if preset is None:
            raise UsageError("error.unknown_provider", name=forced, known=", ".join(sorted(providers.presets)))
        return preset
    from smtpdoctor.settings.model import clean_host, clean_text

    host = clean_host(inp.host.value) if inp.host and inp.host.value.strip() else None
    user = clean_text(inp.user.value) if inp.user else None
    sender = clean_text(inp.sender.value) if inp.sender else None
    return providers.recognise(host, user, sender)


def settings_view(inp: SettingsInput, settings: SmtpSettings) -> dict[str, SettingView]:
    """What the user sees of the effective settings: language-neutral values; the password only as a length."""
    def src(name: str):
        given = getattr(inp, name)
        return given.source if given else None

    view: dict[str, SettingView] = {
        "host": SettingView(value=settings.host, source=src("host")),
        "port": SettingView(value=str(settings.port), source=src("port")),
        "secure": SettingView(value="implicit" if settings.secure else "starttls", source=src("secure"),
                              shown=phrase("field.mode_tls" if settings.secure else "field.mode_starttls")),
        "user": SettingView(value=settings.user, source=src("user")),
    }
    pw = settings.password
    length = len(pw.get_secret_value()) if pw is not None else None
    view["password"] = SettingView(value=None, source=src("password"), length=length,
                                   shown=phrase("field.masked", n=length) if pw is not None else None)
    view["sender"] = SettingView(value=settings.sender, source=src("sender"))
    if settings.sender_name:
        view["sender_name"] = SettingView(value=settings.sender_name, source=src("sender_name"))
    return view


def run_check(
    inp: SettingsInput,
    env: Mapping[str, str],
    providers: ProviderCatalog,
    options: CheckOptions,
    on_step: Callable[[StepResult], None] | None = None,
    source=None,
) -> Report:
    """settings -> static checks -> probe steps -> findings -> one Report.

    `source` (sources.SourceRead) carries a framework format's own findings and names."""
    from smtpdoctor.checks.static import injected_fields, run_static_checks_by_name

    started = time.perf_counter()
    preset = choose_preset(inp, providers, options.provider)
    settings = clean(inp, preset)
    by_check = run_static_checks_by_name(inp, settings, preset, providers, env, options.send_to, options.ehlo_name)
    if source is not None and source.findings:
        # The format's own finding is the more precise one ("refers to ${X}, which is not set").
        precise = {(f.code, f.source.name if f.source else None) for f in source.findings}
        by_check = {name: [f for f in found if (f.code, f.source.name if f.source else None) not in precise]
                    for name, found in by_check.items()}
        by_check[f"format ({source.format.value})"] = list(source.findings)
    findings: list[Finding] = [f for found in by_check.values() for f in found]
    steps: list[StepResult] = []
    transcript: list[str] = []
    dns_report = None
    sender = settings.sender or (settings.user if settings.user and "@" in settings.user else None)
    if not options.offline and options.check_dns and sender and not injected_fields(findings):
        dns_findings, dns_report = run_dns(sender, preset, providers, options)
        findings = merge(findings, dns_findings)
    recipient_ok = not any(f.code == "config.recipient_invalid" for f in findings)
    if not options.offline and settings.host and not injected_fields(findings) and recipient_ok:
        from smtpdoctor.probe.runner import ProbePolicy, run_probe

        # CheckOptions is a superset of the probe's policy: pass the shared fields, by name.
        policy = ProbePolicy(**{f.name: getattr(options, f.name) for f in fields(ProbePolicy)})
        run = run_probe(settings, preset, policy, on_step=on_step)
        steps = run.steps
        transcript = run.transcript
        findings = merge(findings, run.findings)
    return diagnose(
        findings, load_catalog(), "check",
        provider=preset.id if preset else None,
        provider_name=preset.name if preset else None,
        settings=settings_view(inp, settings),
        steps=tuple(steps),
        transcript=tuple(transcript),
        dns=dns_report,
        source_format=source.format.value if source is not None else None,
        source_detected=bool(source is not None and source.detected),
        naming=dict(source.naming.__dict__) if source is not None else None,
        checks={name: tuple(f.code for f in found) for name, found in by_check.items()},
        offline=options.offline,
        insecure=options.insecure,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )


def run_dns(address: str, relay: ProviderPreset | None, providers: ProviderCatalog, options: CheckOptions):
    from smtpdoctor.checks.dns import DnsClient, check_sender_domain

    client = DnsClient(list(options.nameservers) or None, options.dns_timeout)
    return check_sender_domain(address, relay, providers, client, list(options.dkim_selectors))


def run_dns_only(address: str, relay: ProviderPreset | None, providers: ProviderCatalog,
                 options: CheckOptions) -> Report:
    """`smtpdoctor dns`: the sender-domain checks alone."""
    started = time.perf_counter()
    findings, dns_report = run_dns(address, relay, providers, options)
    return diagnose(findings, load_catalog(), "dns", provider=relay.id if relay else None,
                    provider_name=relay.name if relay else None, settings={"sender": SettingView(value=address)},
                    dns=dns_report, elapsed_ms=round((time.perf_counter() - started) * 1000, 1))
