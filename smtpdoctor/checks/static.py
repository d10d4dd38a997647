"""Checks that need no network: the settings against what the recognised provider requires.

Each check returns Findings; none of them ever puts a password into a parameter. At most the
password's length and character classes are described.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator, Mapping

from smtpdoctor.report import Finding, Severity, ValueSource
from smtpdoctor.knowledge.providers import ProviderCatalog, ProviderPreset, TlsMode, looks_like_hostname
from smtpdoctor.settings.model import ENV_NAMES, QUOTES, SettingsInput, SmtpSettings, clean_host, clean_text, parse_bool, parse_port

MAILBOX_PORTS = {143: "IMAP", 993: "IMAP", 110: "POP3", 995: "POP3"}
STANDARD_MODES = {465: TlsMode.TLS, 2465: TlsMode.TLS, 8465: TlsMode.TLS, 587: TlsMode.STARTTLS,
                  25: TlsMode.STARTTLS, 2525: TlsMode.STARTTLS, 2587: TlsMode.STARTTLS}
# Published DMARC policies of big mailbox domains (checked against public DNS snapshots; live DNS wins).
KNOWN_DMARC = {"yahoo.com": "reject", "ymail.com": "reject", "rocketmail.com": "reject", "aol.com": "reject",
               "mail.ru": "reject", "inbox.ru": "reject", "list.ru": "reject", "bk.ru": "reject",
               "gmail.com": "quarantine", "googlemail.com": "quarantine"}
ADDRESS_RE = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def is_address(value: str | None) -> bool:
    return bool(value and ADDRESS_RE.match(value))


def shown(value: str) -> str:
    """A non-secret value with its invisible characters made visible: "smtp.gmail.com\\r"."""
    return json.dumps(value, ensure_ascii=False)


def password_shape(password: str) -> dict[str, str]:
    classes_en, classes_ru = [], []
    if re.search(r"[a-z]", password):
        classes_en.append("lower-case letters"); classes_ru.append("строчные буквы")
    if re.search(r"[A-Z]", password):
        classes_en.append("capital letters"); classes_ru.append("заглавные буквы")
    if re.search(r"[0-9]", password):
        classes_en.append("digits"); classes_ru.append("цифры")
    if re.search(r"[^A-Za-z0-9]", password):
        classes_en.append("other characters"); classes_ru.append("другие символы")
    n = len(password)
    from smtpdoctor.render.i18n import plural_ru

    return {
        "shape": f"{n} characters ({', '.join(classes_en) or 'empty'})",
        "shape@ru": f"{n} {plural_ru(n, 'символ', 'символа', 'символов')} ({', '.join(classes_ru) or 'пусто'})",
    }


def _osa_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (a transposition counts once: gmial -> gmail is 1)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _src(inp: SettingsInput, field: str) -> ValueSource:
    raw = inp.get(field)
    return raw.source if raw else ValueSource(kind="default", name=ENV_NAMES[field][0])


def _f(code: str, inp: SettingsInput | None = None, field: str | None = None, **kw) -> Finding:
    source = _src(inp, field) if inp is not None and field else kw.pop("source", None)
    params = {k: str(v) for k, v in kw.pop("params", {}).items()}
    return Finding(code=code, source=source, params=params, **kw)


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
            parts_en, parts_ru = [], []
            if crlf:
                parts_en.append("a carriage return (\\r) at the end"); parts_ru.append("символ \\r в конце")
            if outer_space:
                parts_en.append("spaces before or after it"); parts_ru.append("пробелы до или после")
            if has_quotes:
                parts_en.append("surrounding quotes"); parts_ru.append("кавычки вокруг")
            if trailing_punct:
                parts_en.append("a trailing ; or ,"); parts_ru.append("; или , в конце")
            yield _f("config.whitespace", inp, field, variant="secret",
                     params={"detail": " and ".join(parts_en), "detail@ru": " и ".join(parts_ru)})
            continue
        cleaned = suggest_host(value, providers) if field == "host" else clean_text(value)
        variant = "crlf" if crlf and not (has_quotes or outer_space) else ("quotes" if has_quotes else None)
        yield _f("config.whitespace", inp, field, variant=variant,
                 params={"shown": shown(value), "suggested": cleaned})
    pw = inp.password
    if preset and preset.password.strip_spaces and pw and " " in clean_text(pw.value):
        yield _f("config.whitespace", inp, "password", variant="app_password_spaces",
                 params={"length": len(clean_text(pw.value))})


def check_missing(inp: SettingsInput, preset: ProviderPreset | None) -> Iterator[Finding]:
    if (inp.host is None or not inp.host.value.strip()) and preset is None:
        yield _f("config.missing", inp, "host", variant="host", params={})
    for field in ("user", "password"):
        raw = inp.get(field)
        if raw is None:
            yield _f("config.missing", source=ValueSource(kind="default", name=ENV_NAMES[field][0]))
        elif not clean_text(raw.value):
            yield _f("config.missing", inp, field, variant="empty")


def check_port_and_mode(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None,
                        env: Mapping[str, str]) -> Iterator[Finding]:
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
        yield _f("config.invalid_value", inp, "secure", params={
            "shown": shown(inp.secure.value), "expected": "true / false (1 / 0, yes / no)",
            "expected@ru": "true / false (1 / 0, yes / no)"})
    if inp.url_problem is not None:
        yield _f("config.invalid_value", variant="url", source=inp.url_source, params={"detail": inp.url_problem})
    if not port_ok:
        return
    port = settings.port
    if port == 25:
        yield _f("config.port_25", inp, "port", params={})
    mode = (preset.mode_of(port) if preset else None) or STANDARD_MODES.get(port)
    if preset is not None and preset.mode_of(port) is None:
        alt = preset.default_port
        yield _f("config.port_unsupported", inp, "port", provider=preset.id, params={
            "provider": preset.name, "port": port, "ports": ", ".join(str(p.port) for p in preset.ports),
            "suggested": alt, "suggested_secure": str(preset.default_mode().secure).lower()})
    if settings.secure_explicit and mode is not None and mode.secure != settings.secure:
        other = _other_port(preset, settings.secure)
        secure_var = f"SMTP_SECURE={str(settings.secure).lower()}"
        yield _f("config.secure_port_mismatch", inp, "secure", params={
            "secure_var": secure_var,
            "secure_meaning": "implicit TLS (TLS from the first byte)" if settings.secure else "plain connection upgraded with STARTTLS",
            "secure_meaning@ru": "неявный TLS (шифрование с первого байта)" if settings.secure else "обычное соединение с переходом на STARTTLS",
            "port": port,
            "port_meaning": "expects STARTTLS (plain greeting first)" if not mode.secure else "expects TLS from the first byte",
            "port_meaning@ru": "ожидает STARTTLS (сначала обычное приветствие)" if not mode.secure else "ожидает TLS с первого байта",
            "secure_fix": str(mode.secure).lower(),
            "port_fix": other,
        })
    if env.get("RENDER") and port in (25, 465, 587):
        alt_ports = [p for p in (preset.ports if preset else []) if p.port not in (25, 465, 587)]
        if alt_ports:
            a = alt_ports[0]
            alternative = f"Set SMTP_PORT={a.port} and SMTP_SECURE={str(a.mode.secure).lower()} ({preset.name} accepts it)."
            alternative_ru = f"Задайте SMTP_PORT={a.port} и SMTP_SECURE={str(a.mode.secure).lower()} ({preset.name} принимает этот порт)."
        else:
            who = preset.name if preset else "This provider"
            alternative = f"{who} offers no port other than 25/465/587: send through an HTTPS email API (SendGrid, Resend, Mailgun, Postmark...) instead."
            alternative_ru = f"{preset.name if preset else 'Этот провайдер'}: других портов, кроме 25/465/587, нет — отправляйте через HTTPS API сервиса рассылки (SendGrid, Resend, Mailgun, Postmark...)."
        yield _f("net.egress_blocked", inp, "port", variant="platform_render",
                 params={"port": port, "alternative": alternative, "alternative@ru": alternative_ru})


def _other_port(preset: ProviderPreset | None, secure: bool) -> int:
    """A port of the provider that matches the TLS mode the user chose."""
    if preset:
        for spec in preset.ports:
            if spec.mode.secure == secure:
                return spec.port
    return 465 if secure else 587


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
    params = {"shown": shown(raw.value), "suggested": suggest_host(raw.value, providers)}
    lowered = text.lower()
    if "://" in lowered:
        yield _f("config.unknown_host", inp, "host", params={**params,
                 "detail": "That is a URL; SMTP_HOST takes a bare host name.",
                 "detail@ru": "Это URL, а в SMTP_HOST нужно просто имя хоста."})
        return
    if "/" in text:
        yield _f("config.unknown_host", inp, "host", params={**params,
                 "detail": "A host name has no slashes or paths.", "detail@ru": "В имени хоста не бывает слешей и путей."})
        return
    if text.count(":") == 1:
        port_part = text.split(":", 1)[1]
        yield _f("config.unknown_host", inp, "host", params={**params,
                 "detail": f"The port belongs in SMTP_PORT ({port_part}), not in the host.",
                 "detail@ru": f"Порт указывается в SMTP_PORT ({port_part}), а не в имени хоста."})
        return
    if text.endswith("."):
        yield _f("config.unknown_host", inp, "host", variant="trailing_dot", params={**params,
                 "detail": "The trailing dot makes TLS certificate checks fail in many clients.",
                 "detail@ru": "Точка в конце ломает проверку TLS-сертификата во многих клиентах."})
        return
    try:
        ipaddress.ip_address(host)
        return  # an IP address is a valid (if unusual) host; certificate checks will tell
    except ValueError:
        pass
    if host == "localhost":
        return
    try:
        import idna

        ascii_host = idna.encode(host, uts46=True).decode()
    except (idna.IDNAError, UnicodeError, ValueError):
        ascii_host = ""
    if not ascii_host or not looks_like_hostname(ascii_host):
        yield _f("config.unknown_host", inp, "host", params={**params,
                 "detail": "That is not a valid host name.", "detail@ru": "Это не корректное имя хоста."})
        return
    known = providers.by_host(host)
    if known is None:
        by_domain = providers.by_domain(host)
        if by_domain is not None:
            yield _f("config.unknown_host", inp, "host", provider=by_domain.id, params={**params,
                     "suggested": by_domain.example_host(),
                     "detail": f"{host} is the mail domain; {by_domain.name}'s sending server is {by_domain.example_host()}.",
                     "detail@ru": f"{host} — это почтовый домен, а сервер отправки {by_domain.name} — {by_domain.example_host()}."})
            return
        for prefix in ("imap.", "pop.", "pop3."):
            if host.startswith(prefix):
                candidate = "smtp." + host[len(prefix):]
                guess = providers.by_host(candidate)
                suggestion = guess.example_host() if guess else candidate
                yield _f("config.unknown_host", inp, "host", params={**params, "suggested": suggestion,
                         "detail": f"{host} is a server for reading mail ({prefix.rstrip('.').upper()}), not for sending.",
                         "detail@ru": f"{host} — сервер для чтения почты ({prefix.rstrip('.').upper()}), а не для отправки."})
                return
        if best := typo_of(host, providers):
            yield _f("config.unknown_host", inp, "host", params={**params, "suggested": best,
                     "detail": f"It looks like a typo of {best}.", "detail@ru": f"Похоже на опечатку в {best}."})
        return
    # Host is a known mailbox provider, but the login belongs to another mailbox provider.
    user = settings.user or ""
    if known.kind == "mailbox" and "@" in user:
        owner = providers.by_domain(user.rsplit("@", 1)[1])
        if owner is not None and owner.id != known.id:
            yield _f("config.unknown_host", inp, "host", provider=owner.id, params={**params,
                     "suggested": owner.example_host(),
                     "detail": f"{host} only accepts {known.name} accounts, but the login is a {owner.name} address.",
                     "detail@ru": f"{host} принимает только аккаунты {known.name}, а логин — адрес {owner.name}."})


def check_username(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None) -> Iterator[Finding]:
    user = settings.user
    if preset is None or not user:
        return
    rule = preset.username
    base = {"provider": preset.name, "shown": shown(user)}
    if rule.rule == "literal" and user != rule.value:
        yield _f("config.username_format", inp, "user", provider=preset.id, params={**base,
                 "rule": f"the literal word {rule.value}", "rule@ru": f"буквально слово {rule.value}", "suggested": rule.value})
    elif rule.rule == "address" and not is_address(user):
        domain = preset.domains[0] if preset.domains else "example.com"
        suggested = f"{user}@{domain}" if "@" not in user else f"name@{domain}"
        yield _f("config.username_format", inp, "user", provider=preset.id, params={**base,
                 "rule": "the full email address", "rule@ru": "полный адрес почты", "suggested": suggested})
    elif rule.rule == "domain_address" and not is_address(user):
        yield _f("config.username_format", inp, "user", provider=preset.id, params={**base,
                 "rule": "the domain's SMTP login, an address like postmaster@mg.example.com",
                 "rule@ru": "SMTP-логин домена — адрес вида postmaster@mg.example.com",
                 "suggested": "postmaster@mg.your-domain.com"})
    elif rule.pattern and not re.fullmatch(rule.pattern, user):
        yield _f("config.username_format", inp, "user", provider=preset.id, severity=Severity.WARNING, params={**base,
                 "rule": "the SMTP user name from the dashboard", "rule@ru": "SMTP-логин из панели управления",
                 "suggested": "<SMTP user name from the dashboard>"})


KIND_TEXT = {
    "app_password": ("an app password", "пароль приложения"),
    "api_key": ("an API key", "API-ключ"),
    "smtp_password": ("the SMTP password or key from the dashboard", "SMTP-пароль или ключ из панели"),
    "token": ("a server API token", "серверный API-токен"),
    "password": ("the mailbox password", "пароль от ящика"),
    "oauth_only": ("OAuth2", "OAuth2"),
}


def check_password(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None) -> Iterator[Finding]:
    if settings.password is None:
        return
    secret = settings.password.get_secret_value()
    if preset is None:
        if "$" in secret and inp.password and inp.password.source.kind == "dotenv":
            yield _f("config.password_format", inp, "password", variant="dollar", params={})
        return
    rule = preset.password
    base = {"provider": preset.name, "settings_url": preset.settings_url or "", **password_shape(secret)}
    en, ru = KIND_TEXT[rule.kind]
    base |= {"expected": en, "expected@ru": ru}
    if preset.prerequisites:
        base |= {"prerequisites": preset.prerequisites.en, "prerequisites@ru": preset.prerequisites.ru}
    if rule.kind == "oauth_only":
        yield _f("auth.basic_auth_disabled", inp, "password", provider=preset.id, params={
            "reply": "provider policy since 16 September 2024", "reply@ru": "политика провайдера с 16 сентября 2024 года"})
        return
    if preset.id == "brevo" and secret.startswith("xkeysib-"):
        yield _f("config.password_format", inp, "password", variant="api_key_not_smtp_key", provider=preset.id, params=base)
        return
    if preset.id == "ses" and len(secret) == 40:
        yield _f("config.password_format", inp, "password", variant="iam_secret", provider=preset.id, params=base)
        return
    candidate = secret.replace(" ", "") if rule.strip_spaces else secret
    if rule.pattern and not re.fullmatch(rule.pattern, candidate):
        if preset.app_password_required:
            hint_en = "16 letters" if "16" in rule.pattern else "generated in the account's security settings"
            hint_ru = "16 букв" if "16" in rule.pattern else "создаётся в настройках безопасности аккаунта"
            yield _f("config.password_format", inp, "password", variant="app_password", provider=preset.id,
                     params={**base, "expected": hint_en, "expected@ru": hint_ru})
        else:
            yield _f("config.password_format", inp, "password", provider=preset.id, params=base)
    elif "$" in secret and inp.password and inp.password.source.kind == "dotenv":
        yield _f("config.password_format", inp, "password", variant="dollar", provider=preset.id, params=base)


def check_sender(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None,
                 providers: ProviderCatalog) -> Iterator[Finding]:
    if inp.sender is not None and clean_text(inp.sender.value):
        sender = settings.sender or ""
        if not is_address(sender):
            yield _f("config.sender_invalid", inp, "sender", params={"shown": shown(inp.sender.value),
                     "detail": "not a valid email address.", "detail@ru": "это не корректный адрес почты."})
            return
    sender = settings.sender or (settings.user if is_address(settings.user) else None)
    if preset is None:
        return
    if sender is None:
        if preset.kind == "relay" and inp.sender is None:
            yield _f("config.sender_invalid", variant="missing", provider=preset.id,
                     source=ValueSource(kind="default", name="SMTP_FROM"),
                     params={"user": shown(settings.user or ""), "provider": preset.name})
        return
    domain = sender.rsplit("@", 1)[1].lower()
    owner = providers.by_domain(domain)
    user = settings.user or ""
    if preset.sender_rule == "account" and is_address(user) and settings.sender and sender.lower() != user.lower():
        yield _f("sender.not_owned", inp, "sender", variant="predicted", provider=preset.id,
                 params={"provider": preset.name, "sender": sender, "user": user})
    if owner is not None and owner.kind == "mailbox" and owner.id != preset.id:
        policy = KNOWN_DMARC.get(domain)
        severity = Severity.ERROR if policy in ("reject", "quarantine") or preset.sender_rule == "verified_domain" else Severity.WARNING
        yield _f("sender.dmarc_rejected", inp, "sender" if inp.sender else "user", variant="route", provider=preset.id, severity=severity,
                 params={"domain": domain, "relay": preset.name, "own_host": owner.example_host(),
                         "policy": f"p={policy}" if policy else "check it with `smtpdoctor dns " + domain + "`",
                         "policy@ru": f"p={policy}" if policy else "проверьте её через `smtpdoctor dns " + domain + "`"})


def check_option_injection(options: Mapping[str, str | None]) -> Iterator[Finding]:
    """Values given only as options (EHLO name, recipient) go into SMTP commands too."""
    for name, value in options.items():
        if value is not None and any(ch in value for ch in "\r\n\0"):
            chars = [label for ch, label in (("\r", "CR"), ("\n", "LF"), ("\0", "NUL")) if ch in value]
            yield _f("config.header_injection", source=ValueSource(kind="option", name=name), params={"chars": " / ".join(chars)})


def run_static_checks_by_name(inp: SettingsInput, settings: SmtpSettings, preset: ProviderPreset | None,
                              providers: ProviderCatalog, env: Mapping[str, str], send_to: str | None = None,
                              ehlo_name: str | None = None) -> dict[str, list[Finding]]:
    """Each static check by name (CI reports show one test case per check), in a fixed order."""
    checks: dict[str, list[Finding]] = {
        "injection": [*check_injection(inp), *check_option_injection({"--send-to": send_to, "--ehlo-name": ehlo_name})],
        "whitespace": list(check_whitespace(inp, preset, providers)),
        "missing": list(check_missing(inp, preset)),
        "port and TLS mode": list(check_port_and_mode(inp, settings, preset, env)),
        "host": list(check_host(inp, settings, preset, providers)),
        "username": list(check_username(inp, settings, preset)),
        "password": list(check_password(inp, settings, preset)),
        "sender": list(check_sender(inp, settings, preset, providers)),
    }
    if send_to is not None and not any(ch in send_to for ch in "\r\n\0"):
        checks["recipient"] = [] if is_address(send_to.strip()) else [
            _f("config.recipient_invalid", source=ValueSource(kind="option", name="--send-to"), params={"shown": shown(send_to)})]
    return checks

