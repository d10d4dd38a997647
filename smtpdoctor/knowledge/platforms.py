"""Hosting platforms (platforms.toml): which outbound SMTP ports each blocks, and how to recognise it.

Plain dataclasses on the hot path; the pydantic schema (extras_schema) runs only when the file is parsed
anew. Which platform the app runs on comes from the process environment (`detect`) or `--platform ID`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import date
from functools import cache

from smtpdoctor.knowledge.providers import Bilingual
from smtpdoctor.values import value


@value
class PlatformRule:
    tier: Bilingual
    blocked_ports: tuple[int, ...]
    lift: Bilingual
    confirmed: bool
    source: str
    mode: str = "block"  # block | throttle
    allowed_ports: tuple[int, ...] = ()
    allowed_ports_confirmed: bool = True
    ports_confirmed: bool = True
    since: date | None = None
    applies_if_env: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None
    evidence: tuple[str, ...] = ()
    note: Bilingual | None = None

    def applies(self, env: Mapping[str, str]) -> bool:
        """A tier condition on a variable that is not set at all (a check run before deploy) still applies."""
        return all(env.get(name) in (None, "", value) for name, value in self.applies_if_env.items())


@value
class Platform:
    id: str
    name: str
    detect: tuple[tuple[str, ...], ...]
    detect_order: int
    rules: tuple[PlatformRule, ...] = ()
    https_api_hint: bool = False
    ipv6_egress: bool | None = None
    ipv6_source: str | None = None
    detect_note: Bilingual | None = None
    detect_source: str | None = None
    note: Bilingual | None = None

    def detected_by(self, env: Mapping[str, str]) -> tuple[str, ...] | None:
        """The variables that identify this platform in `env`, or None."""
        for alternative in self.detect:
            if all(env.get(name) for name in alternative):
                return alternative
        return None


@value
class PlatformCatalog:
    platforms: Mapping[str, Platform]

    def get(self, platform_id: str) -> Platform | None:
        return self.platforms.get(platform_id.strip().lower())

    def detect(self, env: Mapping[str, str]) -> tuple[Platform, tuple[str, ...]] | None:
        """The first platform (by detect_order) whose variables are all set: Vercel and Netlify before Lambda."""
        for platform in sorted(self.platforms.values(), key=lambda p: p.detect_order):
            found = platform.detected_by(env)
            if found:
                return platform, found
        return None


def _text(d: Mapping | None) -> Bilingual | None:
    return Bilingual(d["en"], d["ru"]) if d else None


def _rule(d: Mapping) -> PlatformRule:
    since = d.get("since")
    return PlatformRule(
        tier=_text(d["tier"]), blocked_ports=tuple(d["blocked_ports"]), lift=_text(d["lift"]), confirmed=d["confirmed"],
        source=d["source"], mode=d.get("mode", "block"), allowed_ports=tuple(d.get("allowed_ports", ())),
        allowed_ports_confirmed=d.get("allowed_ports_confirmed", True), ports_confirmed=d.get("ports_confirmed", True),
        since=date.fromisoformat(str(since)) if since else None, applies_if_env=dict(d.get("applies_if_env", {})),
        error=d.get("error"), evidence=tuple(d.get("evidence", ())), note=_text(d.get("note")))


def parse_platforms(text: str | bytes) -> PlatformCatalog:
    from smtpdoctor.knowledge.tomlcache import loads_cached

    raw = loads_cached(text, "platforms", validate=_validate)
    platforms = {}
    for d in raw["platform"]:
        platforms[d["id"]] = Platform(
            id=d["id"], name=d["name"], detect=tuple(tuple(a) for a in d["detect"]), detect_order=d["detect_order"],
            rules=tuple(_rule(r) for r in d.get("rule", ())), https_api_hint=d.get("https_api_hint", False),
            ipv6_egress=d.get("ipv6_egress"), ipv6_source=d.get("ipv6_source"), detect_note=_text(d.get("detect_note")),
            detect_source=d.get("detect_source"), note=_text(d.get("note")))
    return PlatformCatalog(platforms)


def _validate(raw: dict) -> None:
    from smtpdoctor.knowledge.extras_schema import PlatformsFile  # pydantic: only when the file is parsed anew

    PlatformsFile.model_validate(raw)


@cache
def load_platforms() -> PlatformCatalog:
    from smtpdoctor.knowledge.tomlcache import shipped_bytes

    return parse_platforms(shipped_bytes("platforms.toml"))
