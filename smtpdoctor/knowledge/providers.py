"""Provider presets: loading and validating providers.toml, and recognising a provider."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path

from dataclasses import field, fields

from smtpdoctor.errors import InputError
from smtpdoctor.report import Evidence, EvidenceKind, Param, Phrase, phrase
from smtpdoctor.values import value


class TlsMode(StrEnum):
    STARTTLS = "starttls"  # plaintext greeting, then STARTTLS: SMTP_SECURE=false
    TLS = "tls"  # TLS from the first byte: SMTP_SECURE=true

    @property
    def secure(self) -> bool:
        return self is TlsMode.TLS


@value
class Bilingual:
    en: str
    ru: str

    def get(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.en

    def param(self) -> Phrase:
        """As a finding parameter: provider data that carries its own two languages."""
        return phrase("static.provider_text", en=self.en, ru=self.ru)


@value
class PortSpec:
    port: int
    mode: TlsMode


@value
class UsernameRule:
    rule: str  # address | literal | domain_address | dashboard
    value: str | None = None
    pattern: str | None = None


@value
class PasswordMistake:
    """A secret of the wrong kind that is easy to recognise (Brevo's API key where the SMTP key belongs)."""

    pattern: str  # matched against the whole secret
    variant: str  # the config.password_format variant that explains it


@value
class PasswordRule:
    kind: str  # app_password | api_key | smtp_password | token | oauth_only | password
    pattern: str | None = None
    strip_spaces: bool = False
    mistakes: tuple[PasswordMistake, ...] = ()


@value
class ProviderPreset:
    """One provider's rules, as validated by providers_schema when its file was parsed."""

    id: str
    name: str
    kind: str  # mailbox | relay | workspace
    ports: tuple[PortSpec, ...]
    default_port: int
    username: UsernameRule
    password: PasswordRule
    sender_rule: str  # account | verified_sender | verified_domain | verified_sender_or_domain
    name_ru: str | None = None  # the name Russian readers know the service by, when it differs
    hosts: tuple[str, ...] = ()
    host_patterns: tuple[str, ...] = ()
    host_example: str | None = None  # for presets known by a host pattern (one endpoint per region)
    domains: tuple[str, ...] = ()
    app_password_required: bool = False
    settings_url: str | None = None
    basic_auth: str = "ok"  # ok | disabled | tenant_setting
    basic_auth_off_since: date | None = None  # when "disabled" took effect
    spf_include: str | None = None
    spf_include_required: bool = False
    dkim_selectors: tuple[str, ...] = ()
    dmarc_policies: Mapping[str, str] = field(default_factory=dict)
    prerequisites: Bilingual | None = None
    free_tier: Bilingual | None = None
    sandbox: Bilingual | None = None
    notes: Bilingual | None = None
    corrections: Bilingual | None = None
    log_hints: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # public pages the facts come from (shown in JSON, not read by the checks)

    @classmethod
    def from_dict(cls, provider_id: str, d: Mapping) -> ProviderPreset:
        def text(key: str) -> Bilingual | None:
            return Bilingual(d[key]["en"], d[key]["ru"]) if d.get(key) else None

        pw = d["password"]
        since = d.get("basic_auth_off_since")
        return cls(
            id=provider_id, name=d["name"], kind=d["kind"],
            ports=tuple(PortSpec(p["port"], TlsMode(p["mode"])) for p in d["ports"]), default_port=d["default_port"],
            username=UsernameRule(d["username"]["rule"], d["username"].get("value"), d["username"].get("pattern")),
            password=PasswordRule(pw["kind"], pw.get("pattern"), pw.get("strip_spaces", False),
                                  tuple(PasswordMistake(m["pattern"], m["variant"]) for m in pw.get("mistakes", ()))),
            sender_rule=d["sender_rule"], name_ru=d.get("name_ru"), hosts=tuple(d.get("hosts", ())),
            host_patterns=tuple(d.get("host_patterns", ())), host_example=d.get("host_example"),
            domains=tuple(d.get("domains", ())),
            app_password_required=d.get("app_password_required", False), settings_url=d.get("settings_url"),
            basic_auth=d.get("basic_auth", "ok"),
            basic_auth_off_since=date.fromisoformat(str(since)) if since else None,
            spf_include=d.get("spf_include"), spf_include_required=d.get("spf_include_required", False),
            dkim_selectors=tuple(d.get("dkim_selectors", ())), dmarc_policies=dict(d.get("dmarc_policies", {})),
            prerequisites=text("prerequisites"), free_tier=text("free_tier"), sandbox=text("sandbox"),
            notes=text("notes"), corrections=text("corrections"), log_hints=tuple(d.get("log_hints", ())),
            sources=tuple(d.get("sources", ())),
        )

    def to_json(self) -> dict:
        """Plain JSON-able data (`smtpdoctor providers --format json`)."""
        def plain(value):
            if isinstance(value, (Bilingual, PortSpec, UsernameRule, PasswordRule, PasswordMistake)):
                return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            if isinstance(value, Mapping):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, StrEnum):
                return value.value
            return value

        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}

    def display_name(self) -> Param:
        """The provider's name as a finding parameter: in the reader's language where it has one."""
        if self.name_ru:
            return phrase("static.provider_text", en=self.name, ru=self.name_ru)
        return self.name

    def mode_of(self, port: int) -> TlsMode | None:
        for spec in self.ports:
            if spec.port == port:
                return spec.mode
        return None

    def default_mode(self) -> TlsMode:
        return self.mode_of(self.default_port) or TlsMode.STARTTLS

    def example_host(self) -> str:
        return self.hosts[0] if self.hosts else (self.host_example or "")

    def matches_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host in self.hosts or any(re.fullmatch(p, host) for p in self.host_patterns)


@value
class ProviderCatalog:
    source: str
    presets: Mapping[str, ProviderPreset]
    def get(self, provider_id: str) -> ProviderPreset | None:
        return self.presets.get(provider_id.lower().replace("-", "_"))

    def by_host(self, host: str | None) -> ProviderPreset | None:
        if not host:
            return None
        return next((p for p in self.presets.values() if p.matches_host(host)), None)

    def by_domain(self, domain: str | None) -> ProviderPreset | None:
        if not domain:
            return None
        domain = domain.lower().rstrip(".")
        return next((p for p in self.presets.values() if domain in p.domains), None)

    def recognise(self, host: str | None, *addresses: str | None) -> ProviderPreset | None:
        """The host decides; only when the host is unknown do the user's or sender's domain."""
        if found := self.by_host(host):
            return found
        if host and looks_like_hostname(host):
            return None  # a custom host is its own provider, whatever the mailbox domain is
        for address in addresses:
            if address and "@" in address and (found := self.by_domain(address.rsplit("@", 1)[1])):
                return found
        return None

    def dmarc_policy(self, domain: str | None) -> str | None:
        """The DMARC policy a mailbox domain is known to publish (providers.toml; live DNS wins)."""
        preset = self.by_domain(domain)
        return preset.dmarc_policies.get(domain.lower().rstrip(".")) if preset is not None and domain else None

    def all_hosts(self) -> list[str]:
        return [h for p in self.presets.values() for h in p.hosts]


_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$", re.I)


def looks_like_hostname(value: str) -> bool:
    return bool(_HOST_RE.match(value))


def default_providers_path():
    """The presets users read and extend: providers.toml at the repository's top level. The wheel carries
    that one file inside the package, next to the other knowledge files (pyproject's force-include); a
    source checkout or an editable install reads it where it lies."""
    from smtpdoctor.knowledge.tomlcache import KNOWLEDGE

    packaged = KNOWLEDGE / "providers.toml"
    return packaged if packaged.is_file() else KNOWLEDGE.parent.parent / "providers.toml"


def resolve_providers_path(option: str | None, env: Mapping[str, str]):
    chosen = option or env.get("SMTPDOCTOR_PROVIDERS") or None
    return Path(chosen) if chosen else default_providers_path()


def _line_of(text: str, table: str, key: str | None) -> int:
    """Best-effort line number of `key` inside `[table]`, for error messages a person can act on."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == f"[{table}]"), None)
    if start is None:
        return 1
    if key:
        for i in range(start + 1, len(lines)):
            stripped = lines[i].strip()
            if stripped.startswith("[") and not stripped.startswith("[["):
                break
            if re.match(rf"{re.escape(key)}(\.\w+)?\s*=", stripped):
                return i + 1
    return start + 1


def load_providers(path) -> ProviderCatalog:
    """Load and validate a providers file."""
    from smtpdoctor.settings.model import read_settings_bytes

    try:  # bounded like a settings file (1 MiB): `--providers /dev/zero` must not fill the memory
        text = read_settings_bytes(Path(path), "error.providers_unreadable").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("error.providers_unreadable", file=path, reason=phrase("reason.not_utf8")) from exc
    from smtpdoctor.knowledge.tomlcache import loads_cached

    try:
        raw = loads_cached(text, "providers", validate=lambda data: _validate(data, text, path))
    except ValueError as exc:  # tomllib is imported only when a file is parsed anew
        import tomllib

        if not isinstance(exc, tomllib.TOMLDecodeError):
            raise
        match = re.search(r"line (\d+)", str(exc))
        raise InputError(
            "error.providers_syntax", file=path, line=match.group(1) if match else "?",
            reason=Evidence(EvidenceKind.SYSTEM, str(exc))
        ) from exc
    presets = {provider_id: ProviderPreset.from_dict(provider_id, body) for provider_id, body in raw.items()}
    return ProviderCatalog(source=str(path), presets=presets)


def _validate(raw: dict, text: str, path) -> None:
    """The schema check, with the file, line and key of the first problem (runs only when the file is parsed anew)."""
    from pydantic import ValidationError

    from smtpdoctor.knowledge.providers_schema import ProviderPresetSchema

    for provider_id, body in raw.items():
        if not isinstance(body, dict):
            raise InputError("error.providers_invalid", file=path, line=1, key=provider_id, reason=phrase("schema.not_a_table"))
        try:
            ProviderPresetSchema(id=provider_id, **body)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = [str(part) for part in first["loc"]]
            key = loc[0] if loc else None
            raise InputError(
                "error.providers_invalid",
                file=path,
                line=_line_of(text, provider_id, key),
                key=".".join([provider_id, *loc]),
                reason=_schema_reason(first["msg"], first.get("type", "")),
            ) from exc
        except TypeError as exc:  # e.g. a duplicated 'id' key
            raise InputError(
                "error.providers_invalid", file=path, line=_line_of(text, provider_id, None), key=provider_id,
                reason=Evidence(EvidenceKind.SYSTEM, str(exc))
            ) from exc
    if not raw:
        raise InputError("error.providers_invalid", file=path, line=1, key="-", reason=phrase("schema.no_providers"))


# pydantic's error types a providers file most often hits, in our words (any other: pydantic's message).
_SCHEMA_ERRORS = {"missing": "schema.missing", "extra_forbidden": "schema.unknown_key", "literal_error": "schema.not_allowed"}


def _schema_reason(message: str, error_type: str = "") -> Phrase | Evidence:
    """Our own complaint (raised as a message id) or a common pydantic error in our words; any other
    pydantic message quoted as its words."""
    found = re.fullmatch(r"Value error, (schema\.[a-z_]+)", message)
    if found:
        return phrase(found.group(1))
    if error_type in _SCHEMA_ERRORS:
        return phrase(_SCHEMA_ERRORS[error_type])
    if error_type.endswith(("_type", "_parsing")):
        return phrase("schema.wrong_type")
    return Evidence(EvidenceKind.SYSTEM, message)
