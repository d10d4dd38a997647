"""Provider extras (provider_extras.toml): MX patterns, submission SRV, OAuth2 scopes, auth retirements.

Kept in a file of its own rather than merged into providers.toml: `--providers FILE` replaces the presets
with a user's file, and the extras (what an MX means, when passwords stop working) must still apply; the
file also names mailbox services that have no preset yet (Fastmail, Proton, GMX). Table ids are preset ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fnmatch import fnmatchcase
from functools import cache

from smtpdoctor.knowledge.providers import Bilingual
from smtpdoctor.values import value


@value
class AuthChange:
    day: date
    what: Bilingual
    fix: Bilingual
    confirmed: bool
    source: str
    status: str = "in_effect"  # announced | in_effect | superseded
    month_only: bool = False  # the vendor gave only a month ("end of December 2026")
    error: str | None = None
    note: Bilingual | None = None


@value
class ProviderExtra:
    id: str
    preset: bool = True
    name: str | None = None
    mx: tuple[str, ...] = ()
    mx_name: Bilingual | None = None
    mx_means: Bilingual | None = None  # set: an MX here is inbound routing, not a mailbox
    mx_confirmed: bool = True
    mx_host_hint: Mapping[str, str] = None  # type: ignore[assignment]
    submission_srv: str | None = None
    submissions_srv: str | None = None
    oauth2_scope: str | None = None
    oauth2_mechanisms: tuple[str, ...] = ()
    suggested_submission: str | None = None
    suggested_mode: str | None = None
    suggested_secret: Bilingual | None = None
    auth_changes: tuple[AuthChange, ...] = ()

    def mx_pattern(self, host: str) -> str | None:
        host = host.lower().rstrip(".")
        return next((p for p in self.mx if fnmatchcase(host, p)), None)

    def host_hint(self, pattern: str) -> str | None:
        return (self.mx_host_hint or {}).get(pattern)


@value
class ExtrasCatalog:
    providers: Mapping[str, ProviderExtra]

    def get(self, provider_id: str | None) -> ProviderExtra | None:
        return self.providers.get(provider_id) if provider_id else None

    def by_mx(self, mx_host: str) -> tuple[ProviderExtra, str] | None:
        """The provider whose MX pattern matches, with the pattern."""
        for extra in self.providers.values():
            pattern = extra.mx_pattern(mx_host)
            if pattern:
                return extra, pattern
        return None

    def by_submission_host(self, host: str) -> ProviderExtra | None:
        host = host.lower().rstrip(".")
        for extra in self.providers.values():
            for hostport in (extra.submission_srv, extra.submissions_srv, extra.suggested_submission):
                if hostport and hostport.rsplit(":", 1)[0] == host:
                    return extra
        return None


def _text(d: Mapping | None) -> Bilingual | None:
    return Bilingual(d["en"], d["ru"]) if d else None


def parse_extras(text: str | bytes) -> ExtrasCatalog:
    from smtpdoctor.knowledge.tomlcache import loads_cached

    raw = loads_cached(text, "provider-extras", validate=_validate)
    providers = {}
    for pid, d in raw["provider"].items():
        changes = tuple(AuthChange(
            day=date.fromisoformat(str(c["date"])), what=_text(c["what"]), fix=_text(c["fix"]), confirmed=c["confirmed"],
            source=c["source"], status=c.get("status", "in_effect"), month_only=c.get("date_precision") == "month",
            error=c.get("error"), note=_text(c.get("note"))) for c in d.get("auth_change", ()))
        providers[pid] = ProviderExtra(
            id=pid, preset=d.get("preset", True), name=d.get("name"), mx=tuple(d.get("mx", ())),
            mx_name=_text(d.get("mx_name")), mx_means=_text(d.get("mx_means")), mx_confirmed=d.get("mx_confirmed", True),
            mx_host_hint=dict(d.get("mx_host_hint", {})), submission_srv=d.get("submission_srv"),
            submissions_srv=d.get("submissions_srv"), oauth2_scope=d.get("oauth2_scope"),
            oauth2_mechanisms=tuple(d.get("oauth2_mechanisms", ())), suggested_submission=d.get("suggested_submission"),
            suggested_mode=d.get("suggested_mode"), suggested_secret=_text(d.get("suggested_secret")),
            auth_changes=changes)
    return ExtrasCatalog(providers)


def _validate(raw: dict) -> None:
    from smtpdoctor.knowledge.extras_schema import ExtrasFile  # pydantic: only when the file is parsed anew

    ExtrasFile.model_validate(raw)


@cache
def load_extras() -> ExtrasCatalog:
    from smtpdoctor.knowledge.tomlcache import shipped_bytes

    return parse_extras(shipped_bytes("provider_extras.toml"))
