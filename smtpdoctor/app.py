"""Use cases: plain functions the CLI calls. No Typer, no Rich here."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

from smtpdoctor.diagnose import diagnose, merge
from smtpdoctor.errors import UsageError
from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.report import Finding, Phrase, Report, SettingView, StepResult, phrase
from smtpdoctor.knowledge.providers import ProviderCatalog, ProviderPreset
from smtpdoctor.settings.model import SettingsInput, SmtpSettings, clean
from smtpdoctor.values import value


@value
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
    max_time: float | None = None  # seconds for the whole check (curl's --max-time); None: no overall bound
    platform: str | None = None  # --platform: a platforms.toml id, "auto" (the default: from the environment) or "none"
    ports: bool = False  # --ports: the port preflight table
    oauth2_token: object | None = None  # secret.Secret from --oauth2-token-stdin / SMTP_OAUTH2_TOKEN
    today: date | None = None  # the clock, injectable: retirement dates are compared with it
    verify_fix: bool = False  # --verify-fix: the probe run again with each prescribed edit applied


def choose_preset(inp: SettingsInput, providers: ProviderCatalog, forced: str | None) -> ProviderPreset | None:
    if forced:
        preset = providers.get(forced)
        if preset is None:
            raise unknown_provider(forced, providers, "--provider")
        return preset
    from smtpdoctor.settings.model import clean_host, clean_text

    host = clean_host(inp.host.value) if inp.host and inp.host.value.strip() else None
    user = clean_text(inp.user.value) if inp.user else None
    sender = clean_text(inp.sender.value) if inp.sender else None
    return providers.recognise(host, user, sender)


def unknown_provider(name: str, providers: ProviderCatalog, option: str, message_id: str = "error.unknown_provider"):
    """The usage error for a provider id that is not in the catalog, with the closest id when it is a typo."""
    from smtpdoctor.checks.static import closest

    best = closest(name.lower(), list(providers.presets))
    hint = phrase("newuser.provider.did_you_mean", name=best) if best else ""
    return UsageError(message_id, name=name, option=option, hint=hint, known=", ".join(sorted(providers.presets)))


def settings_view(inp: SettingsInput, settings: SmtpSettings, source=None, app=None, preset: ProviderPreset | None = None,
                  probed_host: str | None = None) -> dict[str, SettingView]:
    """What the user sees of the effective settings, shown as given: language-neutral values, what was given
    when it could not be used (and what is used instead), the password only as a length.

    A host the application does not have is shown as not set, with what its framework does instead; the
    provider's host is a note (which says so when the probe used it). A port it does not set is its framework's
    default, said so. An internationalised host or address is shown both ways: пример.рф (xn--e1afmkfd.xn--p1ai)."""
    from smtpdoctor.settings.model import ascii_address, clean_host, parse_bool, parse_port

    def src(name: str):
        given = getattr(inp, name)
        return given.source if given else None

    def invalid(raw, parse) -> str | None:
        return raw.value if raw is not None and raw.value.strip() and parse(raw.value) is None else None

    def both_ways(written: str | None, used: str | None) -> Phrase | None:
        return phrase("settings.view.idn", written=written, used=used) if written and used and written != used else None

    port_given, secure_given = invalid(inp.port, parse_port), invalid(inp.secure, parse_bool)
    mode = phrase("newuser.mode.tls" if settings.secure else "newuser.mode.starttls")
    host_written = clean_host(inp.host.value) if inp.host is not None and inp.host.value.strip() else None
    host_view = SettingView(value=settings.host, source=src("host"), shown=both_ways(host_written, settings.host))
    framework = app.framework if app is not None else "nodemailer"
    if settings.host is None and preset is not None and "host" not in getattr(source, "deferred", ()):
        fallback = app.unset.host if app is not None else "localhost"
        shown = phrase("settings.view.host_unset", framework=framework, default=fallback) if fallback \
            else phrase("settings.view.host_unset_off", framework=framework)
        note = phrase("settings.view.host_probed" if probed_host else "settings.view.host_suggested",
                      provider=preset.display_name(), host=preset.example_host())
        host_view = SettingView(value=None, source=src("host"), shown=shown, note=note)
    port_shown = phrase("settings.view.port_default", port=settings.port, framework=framework) \
        if inp.port is None and app is not None else None
    view: dict[str, SettingView] = {
        "host": host_view,
        "port": SettingView(value=str(settings.port), source=src("port"), given=port_given, shown=port_shown,
                            invalid=port_given is not None),
        "secure": SettingView(value="implicit" if settings.secure else "starttls", source=src("secure"), shown=mode,
                              given=secure_given, invalid=secure_given is not None, note=framework_note(source)),
        "user": SettingView(value=settings.user, source=src("user"),
                            shown=both_ways(settings.user, ascii_address(settings.user) if settings.user else None)),
    }
    pw = settings.password
    length = len(pw.get_secret_value()) if pw is not None else None
    view["password"] = SettingView(value=None, source=src("password"), length=length,
                                   shown=phrase("field.masked", n=length) if pw is not None else None)
    sender_written = _unicode_address(settings.sender) if settings.sender else None
    view["sender"] = SettingView(value=settings.sender, source=src("sender"), shown=both_ways(sender_written, settings.sender))
    if settings.sender_name:
        view["sender_name"] = SettingView(value=settings.sender_name, source=src("sender_name"))
    return view


def _unicode_address(address: str) -> str:
    """me@xn--e1afmkfd.xn--p1ai -> me@пример.рф: the form people read, shown next to the one that is sent."""
    local, at, domain = address.rpartition("@")
    if not at or "xn--" not in domain.lower():
        return address
    import idna

    try:
        return f"{local}@{idna.decode(domain)}"
    except (idna.IDNAError, UnicodeError, ValueError):
        return address


def app_defaults(source) -> object:
    """What the application's framework does with a host or port it does not have (checks.static.AppDefaults).
    Without a format (batch rows, the demo) it is nodemailer's: SMTP_* settings are its names."""
    from smtpdoctor.checks.static import AppDefaults
    from smtpdoctor.settings.semantics import load_frameworks, unset_defaults

    framework_id = getattr(source, "framework", None) or getattr(getattr(source, "format", None), "value", None) \
        or "nodemailer"
    unset = unset_defaults(framework_id, getattr(source, "version", None))
    framework = load_frameworks().get(framework_id)
    return AppDefaults(framework.label, unset) if framework is not None and unset is not None else None


def framework_note(source) -> Phrase | None:
    """Which framework rule decided the TLS mode, and on which version: read from a lock file or assumed."""
    decision = getattr(source, "decision", None)
    version = getattr(source, "version", None)
    if decision is None or decision.rule is None or version is None:
        return None
    from smtpdoctor.settings.semantics import load_frameworks

    framework = load_frameworks()[source.framework]
    rule = phrase("static.provider_text", en=decision.rule.note_en, ru=decision.rule.note_ru)
    if version.text is None:
        return phrase("newuser.framework.any_version", framework=framework.name, rule=rule)
    if version.assumed:
        return phrase("newuser.framework.assumed", framework=framework.name, version=version.text, rule=rule)
    from pathlib import PurePath

    return phrase("newuser.framework.read", framework=framework.name, version=version.text,
                  file=PurePath(version.file).name, rule=rule)


def lint_file(path: Path, fmt: str | None, providers: ProviderCatalog) -> Report | None:
    """`smtpdoctor lint`: one settings file on its own, as a pre-commit hook sees it (no environment).

    None when the file configures no SMTP (a Hugo config.toml, a .env without mail settings, MAIL_MAILER=log,
    Spring without spring.mail.host): a hook run on every commit must stay silent about it."""
    from smtpdoctor.settings.frameworks import read_source

    from smtpdoctor.settings.frameworks import config_format

    is_config = config_format(path) is not None
    read = read_source(fmt, {}, {}, None if is_config else path, [path] if is_config else [], lint=True)
    if not read.in_use:
        return None
    return run_check(read.inp, {}, providers, CheckOptions(offline=True), source=read)


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

    from smtpdoctor.redact import Redactor

    started = time.perf_counter()
    deferred = getattr(source, "deferred", frozenset())
    if deferred:  # filled in at deploy time: nothing to check in the value as written (env(NAME), empty template)
        from dataclasses import replace

        inp = replace(inp, **{name: None for name in deferred})
    redactor = Redactor.for_input(inp)  # every output of this run passes through it (a server may echo the password)
    on_step = redactor.callback(on_step)
    preset = choose_preset(inp, providers, options.provider)
    from smtpdoctor.checks import hosting

    if options.oauth2_token is None and env.get("SMTP_OAUTH2_TOKEN"):
        from dataclasses import replace as _replace

        from smtpdoctor.secret import Secret

        from smtpdoctor.settings.model import readable

        options = _replace(options, oauth2_token=Secret(readable(env["SMTP_OAUTH2_TOKEN"])[0].strip()))
    if options.oauth2_token is not None:  # the token is a secret like the password: masked in every output
        redactor = redactor.merged(Redactor.for_secrets([options.oauth2_token], inp.user.value if inp.user else None))
        on_step = redactor.callback(on_step)
    where = hosting.recognise(inp, preset, providers, options)
    preset = where.preset
    app = app_defaults(source)
    settings = clean(inp, preset, unset=app.unset if app is not None else None)
    by_check = run_static_checks_by_name(inp, settings, preset, providers, env, options.send_to, options.ehlo_name,
                                         deferred=deferred,
                                         in_file=_config_file(inp, source), app=app)
    garbled: set[str] = set()
    if source is not None and source.findings:
        # The format's own finding is the more precise one ("refers to ${X}, which is not set").
        precise = {(f.code, f.source.name if f.source else None) for f in source.findings}
        by_check = {name: [f for f in found if (f.code, f.source.name if f.source else None) not in precise]
                    for name, found in by_check.items()}
        # A value with bytes that are not UTF-8 is the cause; what else is said about that value follows from it.
        garbled = {f.source.name for f in source.findings if f.variant in ("not_utf8", "not_utf8_secret") and f.source}
        by_check = {name: [f for f in found if f.source is None or f.source.name not in garbled]
                    for name, found in by_check.items()}
        # The format's findings first: how the settings were read comes before what was read.
        by_check = {f"format ({source.format.value})": list(source.findings), **by_check}
    findings: list[Finding] = hosting.without_password_findings([f for found in by_check.values() for f in found], options)
    platform_findings, platform_id = hosting.platform_and_auth(inp, settings, preset, env, options)
    findings += platform_findings + hosting.recognition_finding(where)
    ports = None
    steps: list[StepResult] = []
    transcript: list[str] = []
    dns_report = None
    from smtpdoctor.settings.model import ascii_address

    sender = settings.sender or (ascii_address(settings.user) if settings.user and "@" in settings.user else None)
    if not options.offline and options.check_dns and sender and not injected_fields(findings):
        dns_findings, dns_report = run_dns(sender, preset, providers, options, where.dns)
        findings = merge(findings, dns_findings)
    recipient_ok = not any(f.code == "config.recipient_invalid" for f in findings)
    # The application has no host: the provider's is probed so the rest (TLS, login) is still tested, and the
    # settings say so, while the missing host stays the run's error (kept through the probe's merge below).
    probed = settings
    if settings.host is None and preset is not None and not where.host_from_dns and "host" not in deferred:
        from dataclasses import replace as _with

        probed = _with(settings, host=preset.example_host() or None)
    unset_host = [f for f in findings if f.code == "config.missing" and f.variant in ("host_preset", "host_preset_off")]
    probe_ok = not options.offline and probed.host and not where.host_from_dns and not injected_fields(findings) \
        and not (inp.host is not None and inp.host.source.name in garbled)  # a host with a � cannot be looked up
    if probe_ok and options.ports:
        ports, added = hosting.port_table(probed, preset, options, findings, where.dns)
        findings += added
    if probe_ok and recipient_ok:
        from smtpdoctor.probe.runner import ProbePolicy, run_probe

        policy = ProbePolicy.of(options)  # CheckOptions is a superset of the probe's policy
        if options.max_time:  # --max-time covers the whole check: what the DNS checks used is spent
            policy.max_time_spent = time.perf_counter() - started
        run = run_probe(probed, preset, policy, on_step=on_step)
        steps = run.steps
        transcript = run.transcript
        findings = merge(findings, _known_host_readings(run.findings, probed, providers))
        findings += [f for f in unset_host if f not in findings]
        if ports is None and run.ports is not None:  # raced while the connect was pending: no second --timeout
            ports, added = hosting.read_table(run.ports, probed, preset, findings)
            findings += added
    if where.dns is not None:  # a resolver failing as a whole: the run's "not found"s become unconfirmed
        from smtpdoctor.checks.dns import unconfirmed

        findings = unconfirmed(findings, where.dns)
    from smtpdoctor.prescribe import Context, prescribe

    cure = Context(inp, providers, preset, env, options, source, deferred, _config_file(inp, source), app=app,
                   forced_provider=bool(options.provider), recheck=_recheck(env, providers, options, source))
    return redactor.apply(prescribe(diagnose(
        findings, load_catalog(), "check",
        provider=where.provider[0],
        provider_name=where.provider[1],
        settings=settings_view(inp, settings, source, app, preset, probed.host if steps else None),
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
        platform=platform_id,
        recognised=where.recognition.how if where.recognition is not None else None,
        ports=ports,
    ), cure))


def _recheck(env: Mapping[str, str], providers: ProviderCatalog, options: CheckOptions, source):
    """--verify-fix: the check again (probe included) on settings with a prescribed edit applied."""
    if not options.verify_fix or options.offline:
        return None
    from dataclasses import replace

    again = replace(options, verify_fix=False, ports=False)
    return lambda edited: run_check(edited, env, providers, again,
                                    source=replace(source, inp=edited, findings=[]) if source is not None else None)


def _config_file(inp: SettingsInput, source) -> str | None:
    """The settings file a framework format was read from, so a missing key is added there, not to an environment."""
    if source is None or source.format.value == "nodemailer":
        return None
    for name in ("host", "port", "user", "password", "sender"):
        raw = inp.get(name)
        if raw is not None and raw.source.kind in ("config", "dotenv") and raw.source.file:
            return raw.source.file
    return None


def _known_host_readings(findings: list[Finding], settings: SmtpSettings, providers: ProviderCatalog) -> list[Finding]:
    """A host that is exactly a provider's own server is no typo when it does not resolve: say so."""
    from dataclasses import replace

    if not settings.host or providers.by_host(settings.host) is None:
        return findings
    return [replace(f, variant="known_host") if f.code == "net.dns_not_found" and f.variant is None else f
            for f in findings]


def _sender_domain_readings(findings: list[Finding]) -> list[Finding]:
    """A sender domain that does not exist is about the domain, not about how the From is written."""
    from dataclasses import replace

    return [replace(f, variant="domain") if f.code == "config.sender_invalid" and f.variant is None
            and f.evidence is not None and f.evidence.kind.value == "dns" else f for f in findings]


def run_dns(address: str, relay: ProviderPreset | None, providers: ProviderCatalog, options: CheckOptions,
            client=None):
    """`client`: the run's checks.dns.DnsClient (one resolver state and one --max-time deadline for all lookups)."""
    from smtpdoctor.checks.dns import check_sender_domain
    from smtpdoctor.checks.hosting import dns_client

    client = client or dns_client(options)
    findings, report = check_sender_domain(address, relay, providers, client, list(options.dkim_selectors))
    return _sender_domain_readings(findings), report


def run_dns_only(address: str, relay: ProviderPreset | None, providers: ProviderCatalog,
                 options: CheckOptions) -> Report:
    """`smtpdoctor dns`: the sender-domain checks alone."""
    started = time.perf_counter()
    findings, dns_report = run_dns(address, relay, providers, options)
    return diagnose(findings, load_catalog(), "dns", provider=relay.id if relay else None,
                    provider_name=relay.name if relay else None, settings={"sender": SettingView(value=address)},
                    dns=dns_report, elapsed_ms=round((time.perf_counter() - started) * 1000, 1))
