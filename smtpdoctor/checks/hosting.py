"""Wiring of issue 13 into a check (called from app.run_check): who hosts the mailbox (MX/SRV), where the app
runs (platform rules), what the provider is retiring, OAuth2 instead of a password, and the port table."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from smtpdoctor.knowledge.providers import ProviderCatalog, ProviderPreset
from smtpdoctor.report import Finding, PortTable, StepName, phrase

from smtpdoctor.knowledge.ports import preference  # noqa: E402

PASSWORD_ONLY_CODES = {"auth.basic_auth_disabled", "config.password_format"}


class Hosting:
    """Who hosts the mailbox, as far as the check knows (a plain class: one per check)."""

    __slots__ = ("preset", "recognition", "host_from_dns", "dns")

    def __init__(self, preset: ProviderPreset | None, recognition: object | None = None, host_from_dns: bool = False,
                 dns: object | None = None) -> None:
        self.preset = preset
        self.recognition = recognition  # checks.dns.Recognition
        self.host_from_dns = host_from_dns  # no host was set: the provider's host is a suggestion, not a probe target
        self.dns = dns  # checks.dns.DnsClient: the run's one resolver state and --max-time deadline

    @property
    def provider(self) -> tuple[str | None, str | None]:
        if self.preset is not None:
            return self.preset.id, self.preset.name
        rec = self.recognition
        if rec is not None and rec.provider_id:
            from smtpdoctor.knowledge.extras import load_extras

            extra = load_extras().get(rec.provider_id)
            return rec.provider_id, (extra.name if extra and extra.name else rec.provider_id)
        return None, None


def dns_client(options):
    """One resolver state for every lookup of a run (a resolver found silent or lying is asked no more), its
    deadline counted from now: --max-time covers DNS too. Nothing is imported or asked until a lookup."""
    from smtpdoctor.checks.dns import DnsClient

    return DnsClient(list(options.nameservers) or None, options.dns_timeout, getattr(options, "max_time", None))


def recognise(inp, preset: ProviderPreset | None, providers: ProviderCatalog, options) -> Hosting:
    """With no known provider, ask the sender's (or login's) domain's MX and SRV records."""
    from smtpdoctor.settings.model import clean_text

    client = dns_client(options) if not options.offline else None  # offline: not even the module is loaded
    host_given = bool(inp.host and inp.host.value.strip())
    if preset is not None or options.offline or not options.check_dns:
        return Hosting(preset, dns=client)
    address = next((clean_text(raw.value) for raw in (inp.sender, inp.user) if raw is not None
                    and "@" in clean_text(raw.value)), None)
    if address is None:
        return Hosting(preset, dns=client)
    from smtpdoctor.checks.dns import recognise_mailbox
    from smtpdoctor.knowledge.extras import load_extras

    rec = recognise_mailbox(address.rsplit("@", 1)[1], client, providers, load_extras())
    if rec is None:
        return Hosting(preset, dns=client)
    found = providers.get(rec.provider_id) if rec.provider_id and not host_given else None
    return Hosting(found, rec, host_from_dns=not host_given, dns=client)


def recognition_finding(hosting: Hosting) -> list[Finding]:
    rec = hosting.recognition
    if rec is None:
        return []
    return [Finding(code="config.provider_from_dns", variant="no_host" if hosting.host_from_dns else None,
                    provider=rec.provider_id,
                    params={"domain": rec.domain, "provider": rec.provider_name, "how": rec.how, "host": rec.host,
                            "port": rec.port, "secure": rec.secure, "record": rec.record})]


def platform_and_auth(inp, settings, preset: ProviderPreset | None, env: Mapping[str, str],
                      options) -> tuple[list[Finding], str | None]:
    """Findings from the platform's rules and the provider's retirement dates; the platform id that applied."""
    from smtpdoctor.checks.platform import UnknownPlatform, check_platform, check_retirements, choose_platform
    from smtpdoctor.errors import UsageError
    from smtpdoctor.knowledge.extras import load_extras
    from smtpdoctor.knowledge.platforms import load_platforms

    catalog = load_platforms()
    try:
        chosen = choose_platform(catalog, options.platform, env)
    except UnknownPlatform as exc:
        raise UsageError("platform.error.unknown", name=str(exc), known=", ".join(sorted(catalog.platforms))) from None
    port_source = inp.port.source if inp.port is not None else None
    added = check_platform(chosen, settings.port, preset, env, port_source)
    password_source = inp.password.source if inp.password is not None else None
    added += check_retirements(preset, load_extras().get(preset.id if preset else None), options.today or date.today(),
                               settings.password is not None and options.oauth2_token is None, password_source)
    return added, chosen[0].id if chosen else None


def without_password_findings(findings: list[Finding], options) -> list[Finding]:
    """With an OAuth2 token, a missing or password-shaped secret is no problem."""
    if options.oauth2_token is None:
        return findings
    return [f for f in findings if f.code not in PASSWORD_ONLY_CODES
            and not (f.code == "config.missing" and f.source is not None and "PASS" in f.source.name.upper())]


def _addresses(host: str, port: int, options, deadline: float | None = None) -> list[tuple]:
    """The host's addresses, asked no longer than the run's deadline (--max-time) allows."""
    from smtpdoctor.probe.families import resolve_with

    def left() -> float:
        return deadline - time.monotonic() if deadline is not None else float(options.dns_timeout)

    found = []
    if options.nameservers and left() > 0:
        found = resolve_with(host, port, tuple(options.nameservers), min(options.dns_timeout, left()))
    if found or left() <= 0:
        return found
    result: list[tuple] = []

    def lookup() -> None:  # getaddrinfo has no timeout of its own: it runs aside, waited for within the deadline
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return
        result.extend(dict.fromkeys((family, sockaddr) for family, _, _, _, sockaddr in infos))

    if deadline is None:
        lookup()
        return result
    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(max(0.0, left()))
    return list(result) if not worker.is_alive() else []


def port_table(settings, preset: ProviderPreset | None, options, findings: list[Finding],
               client=None) -> tuple[PortTable | None, list[Finding]]:
    """Race every SMTP port per IP family within one --timeout; a verdict, and `all_ports` when nothing connects.
    `client` (the run's checks.dns.DnsClient) carries the --max-time deadline the host lookup keeps to."""
    from smtpdoctor.knowledge.ports import preflight_ports
    from smtpdoctor.probe.ports import preflight

    addresses = _addresses(settings.host, settings.port, options, getattr(client, "deadline", None))
    if not addresses:
        return None, []
    ports = [*preflight_ports(), *(p.port for p in preset.ports)] if preset else list(preflight_ports())
    table = preflight(settings.host, settings.port, ports, addresses, options.timeout, getattr(client, "deadline", None))
    return read_table(table, settings, preset, findings)


def read_table(table: PortTable, settings, preset: ProviderPreset | None,
               findings: list[Finding]) -> tuple[PortTable, list[Finding]]:
    """The table's verdict: the configured port works, another one does (use it), the host answers but no SMTP
    port connects (refused: no block on the way), or nothing answers at all (`net.egress_blocked`, all_ports).
    For `--ports` and for the ports the probe raced while its connect went unanswered."""
    from smtpdoctor.probe.ports import open_ports

    working = open_ports(table)
    added: list[Finding] = []
    refused = list(dict.fromkeys(a.port for a in table.attempts if a.status == "refused"))
    if settings.port in working:
        verdict = phrase("platform.ports.verdict_ok", port=settings.port)
    elif working:
        best = min(working, key=preference)
        mode = preset.mode_of(best) if preset else None
        secure = mode.secure if mode is not None else best in (465, 2465, 8465)
        verdict = phrase("platform.ports.verdict_other", port=settings.port, working_port=best, working_secure=secure)
    elif refused:  # refusals come from the host itself: it is up, and the network lets SMTP through to it
        verdict = phrase("speed.ports.verdict_host_up", answered=", ".join(map(str, sorted(refused, key=preference))))
    else:
        verdict = phrase("platform.ports.verdict_none")
        if all(a.status in ("timeout", "no_address") for a in table.attempts) and \
                not any(f.code == "net.egress_blocked" for f in findings):
            added.append(Finding(code="net.egress_blocked", variant="all_ports", step=StepName.CONNECT,
                                 params={"host": settings.host, "port": settings.port,
                                         "ports": tuple(dict.fromkeys(a.port for a in table.attempts)),
                                         "timeout": phrase("probe.unit.seconds", n=table.timeout)}))
    return replace(table, verdict=verdict), added
