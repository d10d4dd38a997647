"""Checks that need no network: the settings against what the recognised provider requires.

Each check returns Findings with language-neutral parameters (our words as Phrase ids from
knowledge/phrases/checks.toml). None of them ever puts a password into a parameter: at most its length.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping

from smtpdoctor.report import Evidence, EvidenceKind, Finding, Param, Phrase, Severity, ValueSource, phrase
from smtpdoctor.knowledge.providers import ProviderCatalog, ProviderPreset, looks_like_hostname
from smtpdoctor.settings.model import (ENV_NAMES, QUOTES, SettingsInput, SmtpSettings, ascii_domain, clean_host, clean_text,
                                       idna_encoded, parse_bool, parse_port)
from smtpdoctor.settings.names import osa_distance as _osa_distance
from smtpdoctor.values import value

MAILBOX_PORTS = {143: "IMAP", 993: "IMAP", 110: "POP3", 995: "POP3"}
ADDRESS_RE = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def is_address(value: str | None) -> bool:
    """A bare address whose domain is a valid host name, internationalised ones included (me@пример.рф); a
    Unicode local part is an address too (RFC 6531: it needs SMTPUTF8, which check_sender says)."""
    if not value:
        return False
    if ADDRESS_RE.match(value):
        return True
    local, at, domain = value.rpartition("@")
    if not at or domain.isascii():
        return False
    converted = ascii_domain(domain)
    return converted is not None and bool(ADDRESS_RE.match(f"{local}@{converted}"))


def needs_smtputf8(address: str | None) -> bool:
    """An address whose local part is not ASCII: only a server that offers SMTPUTF8 takes it in MAIL FROM."""
    return bool(address and "@" in address and not address.rpartition("@")[0].isascii())


def shown(value: str) -> str:
    """A non-secret value with its invisible characters made visible: "smtp.gmail.com\\r"."""
    import json  # a value with a problem only: a healthy check need not import it

    return json.dumps(value, ensure_ascii=False)


def password_shape(password: str) -> dict[str, Param]:
    """All a finding may say about a secret: its length (`{n} {n|character}` in the templates)."""
    return {"n": len(password)}


def date_param(day) -> Phrase:
    """A calendar date as a parameter, worded by the renderer (static.date: day, month name, year)."""
    return phrase("static.date", day=day.day, month=phrase(f"static.month.{day.month}"), year=day.year)




def _src(inp: SettingsInput, field: str) -> ValueSource:
    raw = inp.get(field)
    return raw.source if raw else ValueSource(kind="default", name=ENV_NAMES[field][0])


def _f(code: str, inp: SettingsInput | None = None, field: str | None = None, **kw) -> Finding:
    source = _src(inp, field) if inp is not None and field else kw.pop("source", None)
    return Finding(code=code, source=source, params=dict(kw.pop("params", {})), **kw)


def check_injection(inp: SettingsInput) -> Iterator[Finding]:
    for field in ("host", "port", "secure", "user", "password", "sender", "sender_name"):
        raw = inp.get(field)
        if raw is None:
            continue
        body = raw.value[:-1] if raw.value.endswith("\r") and "\r" not in raw.value[:-1] else raw.value
        chars = [name for ch, name in (("\r", "CR"), ("\n", "LF"), ("\0", "NUL")) if ch in body]
        if chars:
            yield _f("config.header_injection", inp, field, params={"chars": " / ".join(chars)})


def injected_fields(findings: list[Finding]) -> bool:
    return any(f.code == "config.header_injection" for f in findings)


def check_whitespace(inp: SettingsInput, preset: ProviderPreset | None, providers: ProviderCatalog) -> Iterator[Finding]:
    for field in ("host", "port", "secure", "user", "password", "sender"):
        raw = inp.get(field)
        if raw is None or not raw.value:
            continue
        value = raw.value
        if any(ch in value.rstrip("\r") for ch in "\n\0"):
            continue  # already refused as injection
        crlf = value.endswith("\r")
        stripped = value.rstrip("\r")
        has_quotes = len(stripped.strip()) >= 2 and stripped.strip()[0] in QUOTES and stripped.strip()[-1] in QUOTES
        outer_space = stripped != stripped.strip()
        trailing_punct = stripped.strip().rstrip("\"'").endswith((";", ","))
        if not (crlf or has_quotes or outer_space or trailing_punct):
            continue
        if field == "password":
            parts = tuple(phrase(f"static.whitespace.{name}") for name, present in
                          (("crlf", crlf), ("spaces", outer_space), ("quotes", has_quotes), ("punct", trailing_punct))
                          if present)
            yield _f("config.whitespace", inp, field, variant="secret", params={"detail": parts})
            continue
        cleaned = suggest_host(value, providers) if field == "host" else clean_text(value)
        variant = "crlf" if crlf and not (has_quotes or outer_space) else ("quotes" if has_quotes else None)
        variant = variant or ("port" if field == "port" else None)  # a port is read as a number, not used as text
        yield _f("config.whitespace", inp, field, variant=variant,
                 params={"shown": shown(value), "suggested": cleaned})
    pw = inp.password
    if preset and preset.password.strip_spaces and pw and " " in clean_text(pw.value):
        yield _f("config.whitespace", inp, "password", variant="app_password_spaces",
                 params=password_shape(clean_text(pw.value)))


def _mode_of_port(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None):
    """The TLS mode the configured port speaks (the provider's, else the standard one), when a port is given."""
    from smtpdoctor.knowledge.ports import standard_modes

    if inp.port is None:
        return None
    return (preset.mode_of(settings.port) if preset else None) or standard_modes().get(settings.port)


def check_missing(inp: SettingsInput, preset: ProviderPreset | None, deferred: frozenset[str] = frozenset(),
                  in_file: str | None = None) -> Iterator[Finding]:
    """Host, user and password that are not there. A value set at deploy time (`deferred`) is not missing; in a
    framework's own file the fix is to add the key to that file (`in_file`), not to an environment."""
    file_params = {"file": _file_name(in_file)} if in_file else {}
    if (inp.host is None or not inp.host.value.strip()) and preset is None and "host" not in deferred:
        yield _f("config.missing", inp, "host", variant="host", params={})
    for field in ("user", "password"):
        if field in deferred:
            continue
        raw = inp.get(field)
        if raw is None:
            yield _f("config.missing", source=ValueSource(kind="default", name=ENV_NAMES[field][0]),
                     variant="in_file" if in_file else None, params=file_params)
        elif not clean_text(raw.value):
            yield _f("config.missing", inp, field, variant="empty")


@value
class AppDefaults:
    """What the application does with a host or port it does not have: its framework (label) and that
    framework's rule (settings.semantics.Unset)."""

    framework: str
    unset: object  # settings.semantics.Unset


def check_unset(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None, app: AppDefaults | None,
                deferred: frozenset[str] = frozenset()) -> Iterator[Finding]:
    """A host or port the application does not have, when a provider was recognised: the provider's value is
    the fix, never a stand-in. Without a host the application connects to its framework's default (nodemailer:
    localhost) or sends nothing at all; without a port it uses its framework's default, which is fine if the
    provider takes it in the mode the application speaks (the settings table notes whose default it is), else
    an error."""
    if preset is None:
        return
    provider = preset.display_name()
    framework: Param = app.framework if app is not None else "nodemailer"
    if (inp.host is None or not inp.host.value.strip()) and "host" not in deferred:
        source = inp.host.source if inp.host is not None else ValueSource(kind="default", name=ENV_NAMES["host"][0])
        default = app.unset.host if app is not None else "localhost"
        params: dict[str, Param] = {"framework": framework, "provider": provider, "suggested": preset.example_host()}
        if default:
            params["default"] = default
        yield Finding(code="config.missing", variant="host_preset" if default else "host_preset_off", source=source,
                      provider=preset.id, params=params)
    if inp.port is None and "port" not in deferred:
        mode = preset.mode_of(settings.port)
        params = {"framework": framework, "provider": provider, "port": settings.port,
                  "mode": phrase("static.mode.tls" if settings.secure else "static.mode.starttls")}
        source = ValueSource(kind="default", name=ENV_NAMES["port"][0])
        if mode is None or mode.secure != settings.secure:  # when it fits, the settings table says whose default it is
            yield Finding(code="config.missing", variant="port_default", source=source, provider=preset.id,
                          params={**params, "suggested": _other_port(preset, settings.secure)})


def _file_name(path: str) -> str:
    from pathlib import PurePath

    return PurePath(path).name


def check_port_and_mode(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None) -> Iterator[Finding]:
    """The port and the TLS mode as configured. A platform that blocks the port is checks/platform.py's (platforms.toml)."""
    suggested = preset.default_port if preset else 587
    port_ok = True
    if inp.port is not None:
        port = parse_port(inp.port.value)
        if port is None:
            port_ok = False
            yield _f("config.invalid_port", inp, "port", params={"shown": shown(inp.port.value), "suggested": suggested})
        elif port in MAILBOX_PORTS:
            port_ok = False
            yield _f("config.invalid_port", inp, "port", variant="mailbox_port",
                     params={"shown": port, "protocol": MAILBOX_PORTS[port], "suggested": suggested})
    if inp.secure is not None and parse_bool(inp.secure.value) is None:
        meant = _mode_of_port(inp, settings, preset) if port_ok else None
        if meant is not None:  # "tls" on 587: the port says which of true / false is meant
            yield _f("config.invalid_value", inp, "secure", variant="by_port", params={
                "shown": shown(inp.secure.value), "port": settings.port, "meant": str(meant.secure).lower(),
                "mode": phrase("newuser.mode.tls" if meant.secure else "newuser.mode.starttls")})
        else:
            # The accepted words themselves, the same in every language.
            yield _f("config.invalid_value", inp, "secure", params={
                "shown": shown(inp.secure.value), "expected": "true / false (1 / 0, yes / no)"})
    if inp.url_problem is not None:
        detail = (Evidence(EvidenceKind.SYSTEM, inp.url_error) if inp.url_error
                  else phrase(f"static.url.{inp.url_problem}"))
        yield _f("config.invalid_value", variant="url", source=inp.url_source, params={"detail": detail})
    if not port_ok:
        return
    if inp.port is None and preset is not None:
        return  # a port the application does not set: check_unset says what its framework's default means here
    port = settings.port
    if port == 25:
        yield _f("config.port_25", inp, "port", params={})
    from smtpdoctor.knowledge.ports import standard_modes

    mode = (preset.mode_of(port) if preset else None) or standard_modes().get(port)
    if preset is not None and preset.mode_of(port) is None:
        alt = preset.default_port
        yield _f("config.port_unsupported", inp, "port", provider=preset.id, params={
            "provider": preset.display_name(), "port": port, "ports": tuple(p.port for p in preset.ports),
            "suggested": alt, "suggested_secure": preset.default_mode().secure})
    if settings.secure_explicit and mode is not None and mode.secure != settings.secure:
        yield _f("config.secure_port_mismatch", inp, "secure", params={
            "secure_var": _as_written(inp.secure, f"SMTP_SECURE={str(settings.secure).lower()}"),
            "secure_meaning": phrase("static.mode.tls" if settings.secure else "static.mode.starttls"),
            "port": port,
            "port_meaning": phrase("static.mode.port_tls" if mode.secure else "static.mode.port_starttls"),
            "secure_fix": mode.secure,
            "port_fix": _other_port(preset, settings.secure),
        })


def _as_written(raw, fallback: str) -> str:
    """SMTP_SECURE as the user wrote it (SMTP_SECURE=1, --no-secure); a framework's own switch is named by
    the renderer in that framework's terms (from `fallback`)."""
    if raw is None or not (raw.source.name in ENV_NAMES["secure"] or raw.source.name.startswith("--")):
        return fallback
    return raw.source.name if raw.source.name.startswith("--") else f"{raw.source.name}={raw.value.strip()}"


def _other_port(preset: ProviderPreset | None, secure: bool) -> int:
    """A port of the provider that matches the TLS mode the user chose."""
    if preset:
        for spec in preset.ports:
            if spec.mode.secure == secure:
                return spec.port
    return 465 if secure else 587


def closest(word: str, candidates: list[str]) -> str | None:
    """The candidate one or two keystrokes away from `word` (gmial -> gmail), if any."""
    best = min(candidates, key=lambda c: _osa_distance(word, c), default=None)
    return best if best is not None and 0 < _osa_distance(word, best) <= 2 else None


def typo_of(host: str, providers: ProviderCatalog) -> str | None:
    """The known submission host this one is one or two keystrokes away from (smtp.gmial.com)."""
    best = min(providers.all_hosts(), key=lambda h: _osa_distance(host, h), default=host)
    return best if 0 < _osa_distance(host, best) <= 2 else None


def suggest_host(raw: str, providers: ProviderCatalog) -> str:
    """The host the user most likely meant: cleaned of URL parts, with an obvious typo corrected."""
    host = clean_host(raw)
    if providers.by_host(host) or not host:
        return host
    if (by_domain := providers.by_domain(host)) is not None:
        return by_domain.example_host()
    return typo_of(host, providers) or host


def check_host(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None,
               providers: ProviderCatalog) -> Iterator[Finding]:
    raw = inp.host
    if raw is None or not clean_text(raw.value):
        return
    text = clean_text(raw.value)
    host = clean_host(raw.value)
    lowered = text.lower()

    def bad(detail: Phrase, **kw) -> Finding:
        # what was given and what is meant: worked out only for a host with a problem
        found = {"shown": shown(raw.value), "suggested": suggest_host(raw.value, providers), **kw.pop("params", {}),
                 "detail": detail}
        if not found.get("suggested") or found["suggested"] == text:
            # Nothing better than what is already there: "Set SMTP_HOST=x." would only repeat the mistake.
            del found["suggested"]
            kw.setdefault("variant", "no_suggestion")
        return _f("config.unknown_host", inp, "host", params=found, **kw)

    if "://" in lowered or ":" in text.rpartition("@")[0]:  # a URL, or credentials before the host (me:pass@host)
        yield bad(phrase("static.host.is_url"))
        return
    if "/" in text:
        yield bad(phrase("static.host.has_path"))
        return
    if text.count(":") == 1:
        yield bad(phrase("static.host.has_port", port=text.split(":", 1)[1]))
        return
    if text.endswith("."):
        yield bad(phrase("static.host.trailing_dot"), variant="trailing_dot")
        return
    try:
        ipaddress.ip_address(host)
        return  # an IP address is a valid (if unusual) host; certificate checks will tell
    except ValueError:
        pass
    if host == "localhost":
        return
    try:
        ascii_host = idna_encoded(host)
    except (UnicodeError, ValueError):  # idna.IDNAError is a UnicodeError
        ascii_host = ""
    if not ascii_host or not looks_like_hostname(ascii_host):
        yield bad(phrase("static.host.invalid"))
        return
    known = providers.by_host(host)
    if known is None:
        by_domain = providers.by_domain(host)
        if by_domain is not None:
            server = by_domain.example_host()
            yield bad(phrase("static.host.mail_domain", host=host, provider=by_domain.display_name(), server=server),
                      provider=by_domain.id, params={"suggested": server})
            return
        for prefix in ("imap.", "pop.", "pop3."):
            if host.startswith(prefix):
                candidate = "smtp." + host[len(prefix):]
                guess = providers.by_host(candidate)
                suggestion = guess.example_host() if guess else candidate
                yield bad(phrase("static.host.reading_server", host=host, protocol=prefix.rstrip(".").upper()),
                          params={"suggested": suggestion})
                return
        if best := typo_of(host, providers):
            yield bad(phrase("static.host.typo", suggested=best), params={"suggested": best})
        return
    # Host is a known mailbox provider, but the login belongs to another mailbox provider.
    user = settings.user or ""
    if known.kind == "mailbox" and "@" in user:
        owner = providers.by_domain(user.rsplit("@", 1)[1])
        if owner is not None and owner.id != known.id:
            yield bad(phrase("static.host.wrong_mailbox", host=host, provider=known.display_name(),
                             owner=owner.display_name()),
                      provider=owner.id, params={"suggested": owner.example_host()})


def check_username(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None) -> Iterator[Finding]:
    user = settings.user
    if preset is None or not user:
        return
    rule = preset.username
    base = {"provider": preset.display_name(), "shown": shown(user)}
    if rule.rule == "literal" and user != rule.value:
        yield _f("config.username_format", inp, "user", provider=preset.id, params={
            **base, "rule": phrase("static.user_rule.literal", value=rule.value), "suggested": rule.value})
    elif rule.rule == "address" and not is_address(user):
        domain = preset.domains[0] if preset.domains else "example.com"
        suggested = f"{user}@{domain}" if "@" not in user else f"name@{domain}"
        yield _f("config.username_format", inp, "user", provider=preset.id, params={
            **base, "rule": phrase("static.user_rule.address"), "suggested": suggested})
    elif rule.rule == "domain_address" and not is_address(user):
        yield _f("config.username_format", inp, "user", provider=preset.id, params={
            **base, "rule": phrase("static.user_rule.domain_address"),
            "suggested": phrase("static.user_rule.domain_example")})
    elif rule.pattern and not re.fullmatch(rule.pattern, user):
        yield _f("config.username_format", inp, "user", provider=preset.id, severity=Severity.WARNING, params={
            **base, "rule": phrase("static.user_rule.dashboard"),
            "suggested": phrase("static.user_rule.dashboard_placeholder")})


def check_password(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None) -> Iterator[Finding]:
    if settings.password is None:
        return
    secret = settings.password.get_secret_value()
    from_dotenv = inp.password is not None and inp.password.source.kind == "dotenv"
    if preset is None:
        if "$" in secret and from_dotenv:
            yield _f("config.password_format", inp, "password", variant="dollar", params={})
        return
    rule = preset.password
    base: dict[str, Param] = {"provider": preset.display_name(), "settings_url": preset.settings_url or "",
                              **password_shape(secret), "expected": phrase(f"static.password_kind.{rule.kind}")}
    if preset.prerequisites:
        base["prerequisites"] = preset.prerequisites.param()
    if rule.kind == "oauth_only":
        since = preset.basic_auth_off_since
        yield _f("auth.basic_auth_disabled", inp, "password", provider=preset.id, params={
            "reply": phrase("static.basic_auth.policy_since", date=date_param(since))} if since else {})
        return
    for mistake in rule.mistakes:
        if re.fullmatch(mistake.pattern, secret):
            yield _f("config.password_format", inp, "password", variant=mistake.variant, provider=preset.id, params=base)
            return
    candidate = secret.replace(" ", "") if rule.strip_spaces else secret
    if rule.pattern and not re.fullmatch(rule.pattern, candidate):
        if preset.app_password_required:
            hint = (phrase("static.password_hint.letters", n=16) if "16" in rule.pattern
                    else phrase("static.password_hint.generated"))
            yield _f("config.password_format", inp, "password", variant="app_password", provider=preset.id,
                     params={**base, "expected": hint})
        else:
            yield _f("config.password_format", inp, "password", provider=preset.id, params=base)
    elif "$" in secret and from_dotenv:
        yield _f("config.password_format", inp, "password", variant="dollar", provider=preset.id, params=base)


def check_sender(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None,
                 providers: ProviderCatalog) -> Iterator[Finding]:
    if inp.sender is not None and clean_text(inp.sender.value):
        sender = settings.sender or ""
        if not is_address(sender):
            yield _f("config.sender_invalid", inp, "sender", params={
                "shown": shown(inp.sender.value), "detail": phrase("static.sender.not_address")})
            return
    sender = settings.sender or (settings.user if is_address(settings.user) else None)
    if needs_smtputf8(sender):
        field = "sender" if settings.sender else "user"
        yield _f("config.sender_invalid", inp, field, variant="smtputf8", params={"shown": shown(sender)})
    if preset is None:
        return
    if sender is None:
        if preset.kind == "relay" and inp.sender is None:
            yield _f("config.sender_invalid", variant="missing", provider=preset.id,
                     source=ValueSource(kind="default", name="SMTP_FROM"),
                     params={**({"user": shown(settings.user)} if settings.user else {}),  # none: that sentence goes
                             "provider": preset.display_name()})
        return
    domain = sender.rsplit("@", 1)[1].lower()
    owner = providers.by_domain(domain)
    user = settings.user or ""
    if preset.sender_rule == "account" and is_address(user) and settings.sender and sender.lower() != user.lower():
        yield _f("sender.not_owned", inp, "sender", variant="predicted", provider=preset.id,
                 params={"provider": preset.display_name(), "sender": sender, "user": user})
    if owner is not None and owner.kind == "mailbox" and owner.id != preset.id:
        policy = providers.dmarc_policy(domain)
        enforced = policy in ("reject", "quarantine") or preset.sender_rule == "verified_domain"
        yield _f("sender.dmarc_rejected", inp, "sender" if inp.sender else "user", variant="route", provider=preset.id,
                 severity=Severity.ERROR if enforced else Severity.WARNING,
                 params={"domain": domain, "relay": preset.display_name(), "own_host": owner.example_host(),
                         "policy": f"p={policy}" if policy else phrase("static.dmarc.check_with", domain=domain)})


def check_option_injection(options: Mapping[str, str | None]) -> Iterator[Finding]:
    """Values given only as options (EHLO name, recipient) go into SMTP commands too."""
    for name, value in options.items():
        if value is not None and any(ch in value for ch in "\r\n\0"):
            chars = [label for ch, label in (("\r", "CR"), ("\n", "LF"), ("\0", "NUL")) if ch in value]
            yield _f("config.header_injection", source=ValueSource(kind="option", name=name), params={"chars": " / ".join(chars)})


def run_static_checks_by_name(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None,
                              providers: ProviderCatalog, env: Mapping[str, str], send_to: str | None = None,
                              ehlo_name: str | None = None, deferred: frozenset[str] = frozenset(),
                              in_file: str | None = None, app: AppDefaults | None = None) -> dict[str, list[Finding]]:
    """Each static check by name (CI reports show one test case per check), in a fixed order.

    `deferred`: fields set at deploy time (env(NAME) in a committed file), never reported missing."""
    checks: dict[str, list[Finding]] = {
        "injection": [*check_injection(inp), *check_option_injection({"--send-to": send_to, "--ehlo-name": ehlo_name})],
        "whitespace": list(check_whitespace(inp, preset, providers)),
        "missing": [*check_missing(inp, preset, deferred, in_file), *check_unset(inp, settings, preset, app, deferred)],
        "port_and_mode": list(check_port_and_mode(inp, settings, preset)),
        "host": list(check_host(inp, settings, preset, providers)),
        "username": list(check_username(inp, settings, preset)),
        "password": list(check_password(inp, settings, preset)),
        "sender": list(check_sender(inp, settings, preset, providers)),
    }
    if send_to is not None and not any(ch in send_to for ch in "\r\n\0"):
        checks["recipient"] = [] if is_address(send_to.strip()) else [
            _f("config.recipient_invalid", source=ValueSource(kind="option", name="--send-to"), params={"shown": shown(send_to)})]
    return checks

