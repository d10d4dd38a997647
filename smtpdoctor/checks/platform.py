"""Where the app runs, and what its provider is retiring: checks that need no connection.

* the hosting platform's outbound SMTP rules (platforms.toml), for the platform named with `--platform`
  or recognised from the environment — so a check on a laptop before deploy already knows the block;
* the provider's dated auth changes (provider_extras.toml), against today's date (injected for tests),
  so a Microsoft 365 user is warned before basic SMTP AUTH goes off by default.

Findings only; our words are Phrases from knowledge/phrases/platform.toml.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from smtpdoctor.knowledge.extras import AuthChange, ProviderExtra
from smtpdoctor.knowledge.platforms import Platform, PlatformCatalog, PlatformRule
from smtpdoctor.knowledge.providers import ProviderPreset
from smtpdoctor.knowledge.ports import preference, preferred, preflight_ports
from smtpdoctor.report import Evidence, EvidenceKind, Finding, Phrase, ValueSource, phrase

RETIREMENT_NOTICE_DAYS = 400  # an announced change this close (or already past) is worth a warning


class UnknownPlatform(ValueError):
    pass


def choose_platform(catalog: PlatformCatalog, requested: str | None,
                    env: Mapping[str, str]) -> tuple[Platform, Phrase] | None:
    """`--platform NAME`, `--platform auto` (or nothing): the environment decides; `none` switches it off."""
    name = (requested or "auto").strip().lower()
    if name == "none":
        return None
    if name != "auto":
        platform = catalog.get(name)
        if platform is None:
            raise UnknownPlatform(name)
        return platform, phrase("platform.how.option")
    found = catalog.detect(env)
    if found is None:
        return None
    platform, variables = found
    return platform, phrase("platform.how.env", vars=tuple(variables))


def _date(day: date) -> Phrase:
    return phrase("static.date", day=day.day, month=phrase(f"static.month.{day.month}"), year=day.year)


def _alternative(rule: PlatformRule, platform: Platform, preset: ProviderPreset | None, port: int) -> Phrase:
    blocked = set(rule.blocked_ports)
    if preset is not None:
        open_ports = [p for p in preset.ports if p.port not in blocked and p.port != port]
        if open_ports:
            best = min(open_ports, key=lambda p: preference(p.port))
            return phrase("platform.alternative.port", port=best.port, secure=best.mode.secure)
        return phrase("platform.alternative.api")
    if platform.https_api_hint and not rule.allowed_ports:
        return phrase("platform.alternative.api")
    allowed = tuple(p for p in rule.allowed_ports if p not in blocked) or tuple(
        p for p in preferred(preflight_ports()) if p not in blocked and p != 25)
    return phrase("platform.alternative.any", ports=allowed) if allowed else phrase("platform.alternative.api")


def check_platform(chosen: tuple[Platform, Phrase] | None, port: int | None, preset: ProviderPreset | None,
                   env: Mapping[str, str], port_source: ValueSource | None = None) -> list[Finding]:
    """One `net.egress_blocked` (variant platform) per rule of the platform that blocks the configured port."""
    if chosen is None or port is None:
        return []
    platform, how = chosen
    findings = []
    for rule in platform.rules:
        if port not in rule.blocked_ports or not rule.applies(env):
            continue
        findings.append(Finding(
            code="net.egress_blocked", variant="platform", source=port_source,
            params={"platform": platform.name, "platform_id": platform.id, "how": how, "port": port,
                    "tier": rule.tier.param(), "action": phrase(f"platform.action.{rule.mode}"),
                    "since": phrase("platform.since.date", date=_date(rule.since)) if rule.since else "",
                    "certainty": phrase("platform.certainty.confirmed" if rule.confirmed else "platform.certainty.reported"),
                    "confirmed": rule.confirmed, "alternative": _alternative(rule, platform, preset, port),
                    "lift": rule.lift.param(), "source": rule.source}))
    return findings


def _when(change: AuthChange, today: date) -> Phrase:
    if change.month_only:
        return phrase("platform.retire.in_month", month=phrase(f"static.month.{change.day.month}"), year=change.day.year)
    if change.day <= today:
        return phrase("platform.retire.in_effect", date=_date(change.day))
    return phrase("platform.retire.on_day", date=_date(change.day))


def check_retirements(preset: ProviderPreset | None, extra: ProviderExtra | None, today: date,
                      uses_password: bool, password_source: ValueSource | None = None) -> list[Finding]:
    """Announced auth changes that are near (or already here) for a password login: one warning each."""
    if preset is None or extra is None or not uses_password:
        return []
    findings = []
    for change in extra.auth_changes:
        if change.status != "announced" or (change.day - today).days > RETIREMENT_NOTICE_DAYS:
            continue
        what = change.what.param()
        if not change.confirmed:
            what = phrase("platform.retire.reported", what=what)
        findings.append(Finding(
            code="auth.basic_auth_retiring", provider=preset.id, source=password_source,
            params={"provider": preset.display_name(), "what": what, "when": _when(change, today),
                    "date": change.day.isoformat(), "error": Evidence(EvidenceKind.SERVER, change.error) if change.error else phrase("platform.retire.no_error"),
                    "fix": change.fix.param(), "source": change.source}))
    return findings
