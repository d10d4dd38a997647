"""Read SMTP settings where they live: nodemailer-style SMTP_*, Django, Laravel, Symfony MAILER_DSN,
Supabase Auth (GoTrue env or supabase/config.toml) and Spring Boot (application.properties / .yml).

Every format becomes the same SettingsInput (each value with its own name, file and line), plus the
findings only that format can have, plus how the format spells each setting so fixes use its names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from smtpdoctor.secret import Secret

from smtpdoctor.errors import InputError, UsageError, os_reason
from smtpdoctor.report import Evidence, EvidenceKind, Finding, Param, ValueSource, phrase
from smtpdoctor.settings.model import RawValue, SettingsInput, load_settings_input, parse_bool, read_env_file


class SourceFormat(StrEnum):
    NODEMAILER = "nodemailer"
    DJANGO = "django"
    LARAVEL = "laravel"
    SYMFONY = "symfony"
    SUPABASE = "supabase"
    SPRING = "spring"


# A Naming value that takes words is a message id under this prefix (worded in the reader's language).
PHRASE_PREFIX = "frameworks.naming."


@dataclass(frozen=True)
class Naming:
    """How a format spells the settings, to rewrite the catalog's SMTP_* names in fixes.

    Each value is either the format's own identifier (EMAIL_HOST, spring.mail.port), shown as it
    is, or a message id starting with `frameworks.naming.` for names that take words."""

    host: str = "SMTP_HOST"
    port: str = "SMTP_PORT"
    user: str = "SMTP_USER"
    password: str = "SMTP_PASS"
    sender: str = "SMTP_FROM"
    secure_true: str = "SMTP_SECURE=true"
    secure_false: str = "SMTP_SECURE=false"
    secure: str = "SMTP_SECURE"

    # render.findings.apply_naming rewrites the catalog's SMTP_* names with these (words in the reader's language).


NAMINGS: dict[SourceFormat, Naming] = {
    SourceFormat.NODEMAILER: Naming(),
    SourceFormat.DJANGO: Naming("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "DEFAULT_FROM_EMAIL",
                                PHRASE_PREFIX + "django.secure_true", PHRASE_PREFIX + "django.secure_false",
                                "EMAIL_USE_TLS/EMAIL_USE_SSL"),
    SourceFormat.LARAVEL: Naming("MAIL_HOST", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM_ADDRESS",
                                 "MAIL_ENCRYPTION=ssl (Laravel 11+: MAIL_SCHEME=smtps)", "MAIL_ENCRYPTION=tls (Laravel 11+: MAIL_SCHEME=smtp)",
                                 "MAIL_ENCRYPTION"),
    SourceFormat.SYMFONY: Naming(*(PHRASE_PREFIX + f"symfony.{name}" for name in (
        "host", "port", "user", "password", "sender", "secure_true", "secure_false", "secure"))),
    SourceFormat.SUPABASE: Naming("GOTRUE_SMTP_HOST", "GOTRUE_SMTP_PORT", "GOTRUE_SMTP_USER", "GOTRUE_SMTP_PASS",
                                  "GOTRUE_SMTP_ADMIN_EMAIL", PHRASE_PREFIX + "supabase.secure_true",
                                  PHRASE_PREFIX + "supabase.secure_false", PHRASE_PREFIX + "supabase.secure"),
    SourceFormat.SPRING: Naming("spring.mail.host", "spring.mail.port", "spring.mail.username", "spring.mail.password",
                                "spring.mail.properties.mail.smtp.from",
                                "spring.mail.properties.mail.smtp.ssl.enable=true", "spring.mail.properties.mail.smtp.starttls.enable=true",
                                PHRASE_PREFIX + "spring.secure"),
}
SUPABASE_TOML_NAMING = Naming("[auth.email.smtp] host", "[auth.email.smtp] port", "[auth.email.smtp] user",
                              "[auth.email.smtp] pass", "[auth.email.smtp] admin_email",
                              PHRASE_PREFIX + "supabase_toml.secure_true", PHRASE_PREFIX + "supabase_toml.secure_false",
                              PHRASE_PREFIX + "supabase_toml.secure")

# Symfony mailer bridges (scheme "gmail+smtp" etc.) and the servers they stand for.
SYMFONY_BRIDGES = {"gmail": ("smtp.gmail.com", 465), "sendgrid": ("smtp.sendgrid.net", 465), "mailgun": ("smtp.mailgun.org", 465),
                   "mailjet": ("in-v3.mailjet.com", 587), "postmark": ("smtp.postmarkapp.com", 587), "brevo": ("smtp-relay.brevo.com", 587),
                   "sendinblue": ("smtp-relay.brevo.com", 587), "ses": ("email-smtp.eu-west-1.amazonaws.com", 465)}


@dataclass
class SourceRead:
    format: SourceFormat
    inp: SettingsInput
    findings: list[Finding] = field(default_factory=list)
    naming: Naming = field(default_factory=Naming)
    detected: bool = False


@dataclass
class Entry:
    value: str
    source: ValueSource


def _entries(env: Mapping[str, str], env_file: Path | None) -> dict[str, Entry]:
    """Environment over .env file, each value remembering where it came from."""
    entries: dict[str, Entry] = {}
    if env_file is not None:
        for key, (value, line) in read_env_file(env_file).items():
            entries[key] = Entry(value, ValueSource(kind="dotenv", name=key, file=str(env_file), line=line))
    for key, value in env.items():
        entries[key] = Entry(value, ValueSource(kind="env", name=key))
    return entries


def _raw(entry: Entry | None) -> RawValue | None:
    return RawValue(text=Secret(entry.value), source=entry.source) if entry is not None else None


def _finding(code: str, source: ValueSource | None, variant: str | None = None, **params: Param) -> Finding:
    return Finding(code=code, variant=variant, source=source, params=params)


def _secure_raw(value: bool, source: ValueSource) -> RawValue:
    return RawValue(text=Secret("true" if value else "false"), source=source)


# -- detection --------------------------------------------------------------------------------------

MARKERS = {
    SourceFormat.NODEMAILER: ("SMTP_HOST", "SMTP_URL"),
    SourceFormat.DJANGO: ("EMAIL_HOST", "EMAIL_HOST_USER"),
    SourceFormat.LARAVEL: ("MAIL_HOST", "MAIL_MAILER"),
    SourceFormat.SYMFONY: ("MAILER_DSN",),
    SourceFormat.SUPABASE: ("GOTRUE_SMTP_HOST",),
}


def detect(entries: Mapping[str, Entry], config_files: list[Path]) -> list[SourceFormat]:
    found = [fmt for fmt, keys in MARKERS.items() if any(k in entries for k in keys)]
    for path in config_files:
        name = path.name.lower()
        if name.endswith(".toml"):
            found.append(SourceFormat.SUPABASE)
        elif name.endswith((".properties", ".yml", ".yaml")):
            found.append(SourceFormat.SPRING)
    return list(dict.fromkeys(found))


def read_source(fmt: str | None, options: Mapping[str, str | None], env: Mapping[str, str], env_file: Path | None,
                config_files: list[Path], option_names: Mapping[str, str] | None = None) -> SourceRead:
    entries = _entries(env, env_file)
    detected = False
    if fmt is None:
        candidates = detect(entries, config_files)
        chosen = candidates[0] if len(candidates) == 1 else SourceFormat.NODEMAILER
        detected = len(candidates) == 1 and chosen is not SourceFormat.NODEMAILER
    else:
        try:
            chosen = SourceFormat(fmt.lower())
        except ValueError:
            raise UsageError("error.bad_option", option="--source", reason=phrase(
                "frameworks.source_choices", formats=", ".join(f.value for f in SourceFormat))) from None
    if chosen is SourceFormat.NODEMAILER:
        read = SourceRead(chosen, load_settings_input(options, env, env_file, option_names))
    else:
        read = READERS[chosen](entries, config_files)
        read.inp = _with_options(read.inp, options, option_names)
    read.detected = detected
    return read


def _with_options(inp: SettingsInput, options: Mapping[str, str | None], names: Mapping[str, str] | None) -> SettingsInput:
    """Command-line options still win over whatever the format says."""
    updates = {}
    for key, value in options.items():
        if value is not None:
            kind = "stdin" if key == "password" and (names or {}).get(key) == "--password-stdin" else "option"
            updates[key] = RawValue(text=Secret(value), source=ValueSource(kind=kind, name=(names or {}).get(key, f"--{key}")))
    from dataclasses import replace

    return replace(inp, **updates)


# -- Django -----------------------------------------------------------------------------------------

def read_django(entries: Mapping[str, Entry], _files: list[Path]) -> SourceRead:
    findings: list[Finding] = []
    tls, ssl_ = entries.get("EMAIL_USE_TLS"), entries.get("EMAIL_USE_SSL")
    tls_on = parse_bool(tls.value) if tls else False
    ssl_on = parse_bool(ssl_.value) if ssl_ else False
    for entry, on in ((tls, tls_on), (ssl_, ssl_on)):
        if entry is not None and on is None:
            findings.append(_finding("config.invalid_value", entry.source, shown=repr(entry.value),
                                     expected=phrase("frameworks.expected.true_false")))
    secure = None
    if tls_on and ssl_on:
        findings.append(_finding("config.invalid_value", (ssl_ or tls).source, variant="django_tls_ssl"))
    elif ssl_on:
        secure = _secure_raw(True, ssl_.source)
    elif tls_on:
        secure = _secure_raw(False, tls.source)
    inp = SettingsInput(host=_raw(entries.get("EMAIL_HOST")), port=_raw(entries.get("EMAIL_PORT")), secure=secure,
                        user=_raw(entries.get("EMAIL_HOST_USER")), password=_raw(entries.get("EMAIL_HOST_PASSWORD")),
                        sender=_raw(entries.get("DEFAULT_FROM_EMAIL") or entries.get("SERVER_EMAIL")))
    return SourceRead(SourceFormat.DJANGO, inp, findings, NAMINGS[SourceFormat.DJANGO])


# -- Laravel ----------------------------------------------------------------------------------------

def read_laravel(entries: Mapping[str, Entry], _files: list[Path]) -> SourceRead:
    findings: list[Finding] = []
    mailer = entries.get("MAIL_MAILER") or entries.get("MAIL_DRIVER")
    if mailer is not None and mailer.value.strip().lower() not in ("smtp", ""):
        findings.append(_finding("config.invalid_value", mailer.source, variant="mailer_not_smtp", shown=repr(mailer.value)))
    secure = None
    encryption = entries.get("MAIL_ENCRYPTION")
    if encryption is not None:
        word = encryption.value.strip().strip("\"'").lower()
        if word in ("ssl", "smtps"):
            secure = _secure_raw(True, encryption.source)
        elif word == "tls":
            secure = _secure_raw(False, encryption.source)
        elif word not in ("", "null", "none"):
            findings.append(_finding("config.invalid_value", encryption.source, shown=repr(encryption.value),
                                     expected=phrase("frameworks.expected.laravel_encryption")))
    scheme = entries.get("MAIL_SCHEME")
    if scheme is not None:
        word = scheme.value.strip().lower()
        if word in ("smtps", "smtp"):
            secure = _secure_raw(word == "smtps", scheme.source)
        elif word not in ("", "null"):
            findings.append(_finding("config.invalid_value", scheme.source, shown=repr(scheme.value),
                                     expected=phrase("frameworks.expected.laravel_scheme")))
    inp = SettingsInput(host=_raw(entries.get("MAIL_HOST")), port=_raw(entries.get("MAIL_PORT")), secure=secure,
                        user=_raw(entries.get("MAIL_USERNAME")), password=_raw(entries.get("MAIL_PASSWORD")),
                        sender=_raw(entries.get("MAIL_FROM_ADDRESS")), sender_name=_raw(entries.get("MAIL_FROM_NAME")))
    return SourceRead(SourceFormat.LARAVEL, inp, findings, NAMINGS[SourceFormat.LARAVEL])


# -- Symfony ----------------------------------------------------------------------------------------

def read_symfony(entries: Mapping[str, Entry], _files: list[Path]) -> SourceRead:
    findings: list[Finding] = []
    dsn = entries.get("MAILER_DSN")
    if dsn is None:
        return SourceRead(SourceFormat.SYMFONY, SettingsInput(), findings, NAMINGS[SourceFormat.SYMFONY])
    src = dsn.source
    try:
        parts = urlsplit(dsn.value.strip().strip("\"'"))
        port = parts.port
    except ValueError as exc:
        findings.append(_finding("config.invalid_value", src, variant="url",
                                 detail=Evidence(EvidenceKind.SYSTEM, str(exc).split(":")[0])))
        return SourceRead(SourceFormat.SYMFONY, SettingsInput(), findings, NAMINGS[SourceFormat.SYMFONY])
    scheme = parts.scheme.lower()
    host = parts.hostname
    bridge, _, transport = scheme.partition("+")
    if bridge in SYMFONY_BRIDGES and transport in ("smtp", "smtps", ""):
        host, default_port = SYMFONY_BRIDGES[bridge]
        port = port or default_port
        scheme = "smtps" if port == 465 else "smtp"
    elif scheme not in ("smtp", "smtps"):
        findings.append(_finding("config.invalid_value", src, variant="mailer_not_smtp", shown=repr(f"{scheme}://")))
        return SourceRead(SourceFormat.SYMFONY, SettingsInput(), findings, NAMINGS[SourceFormat.SYMFONY])
    options = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
    if options.get("verify_peer", "1").lower() in ("0", "false", "no", ""):
        findings.append(_finding("config.tls_verification_disabled", src, option="verify_peer=0"))

    def raw(text: str | None) -> RawValue | None:
        return RawValue(text=Secret(text), source=src) if text is not None else None

    # Symfony's EsmtpTransport turns TLS on from the first byte for smtps:// and for port 465 whatever the scheme.
    inp = SettingsInput(host=raw(host), port=raw(str(port)) if port else None, secure=_secure_raw(scheme == "smtps" or port == 465, src),
                        user=raw(unquote(parts.username) if parts.username else None),
                        password=raw(unquote(parts.password) if parts.password else None),
                        sender=_raw(entries.get("MAILER_FROM") or entries.get("MAIL_FROM")))
    return SourceRead(SourceFormat.SYMFONY, inp, findings, NAMINGS[SourceFormat.SYMFONY])


# -- Supabase Auth ----------------------------------------------------------------------------------

_ENV_REF = re.compile(r"^env\((\w+)\)$")


def read_supabase(entries: Mapping[str, Entry], files: list[Path]) -> SourceRead:
    findings: list[Finding] = []
    toml_file = next((f for f in files if f.name.lower().endswith(".toml")), None)
    if toml_file is not None:
        return _read_supabase_toml(toml_file, entries)
    names = {"host": ("GOTRUE_SMTP_HOST", "SMTP_HOST"), "port": ("GOTRUE_SMTP_PORT", "SMTP_PORT"),
             "user": ("GOTRUE_SMTP_USER", "SMTP_USER"), "password": ("GOTRUE_SMTP_PASS", "SMTP_PASS"),
             "sender": ("GOTRUE_SMTP_ADMIN_EMAIL", "SMTP_ADMIN_EMAIL"), "sender_name": ("GOTRUE_SMTP_SENDER_NAME", "SMTP_SENDER_NAME")}
    values = {f: _raw(next((entries[n] for n in ns if n in entries), None)) for f, ns in names.items()}
    port = values["port"]
    # GoTrue picks the TLS mode from the port: 465 means TLS from the first byte, anything else STARTTLS.
    secure = _secure_raw(port.value.strip() == "465", port.source) if port is not None else None
    return SourceRead(SourceFormat.SUPABASE, SettingsInput(**values, secure=secure), findings, NAMINGS[SourceFormat.SUPABASE])


def _read_supabase_toml(path: Path, entries: Mapping[str, Entry]) -> SourceRead:
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("error.log_unreadable", file=path, reason=os_reason(exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError("error.config_syntax", file=path, line=_toml_line(str(exc))) from exc
    smtp = data.get("auth", {}).get("email", {}).get("smtp")
    findings: list[Finding] = []
    if not isinstance(smtp, dict):
        findings.append(_finding("config.missing", ValueSource(kind="config", name="[auth.email.smtp]", file=str(path)),
                                 variant="empty"))
        return SourceRead(SourceFormat.SUPABASE, SettingsInput(), findings, SUPABASE_TOML_NAMING)
    lines = text.splitlines()
    section = next((i for i, line in enumerate(lines) if line.strip() == "[auth.email.smtp]"), 0)

    def line_of(key: str) -> int | None:
        for i in range(section + 1, len(lines)):
            if lines[i].strip().startswith("["):
                return None
            if re.match(rf"\s*{key}\s*=", lines[i]):
                return i + 1
        return None

    def value(key: str) -> RawValue | None:
        if key not in smtp:
            return None
        raw = str(smtp[key])
        src = ValueSource(kind="config", name=f"[auth.email.smtp] {key}", file=str(path), line=line_of(key))
        ref = _ENV_REF.match(raw.strip())
        if ref:  # supabase resolves env(NAME) from the environment
            entry = entries.get(ref.group(1))
            if entry is None:
                findings.append(_finding("config.missing", src, variant="unresolved", ref=ref.group(1)))
                return RawValue(text=Secret(""), source=src)
            return RawValue(text=Secret(entry.value), source=src)
        return RawValue(text=Secret(raw), source=src)

    if smtp.get("enabled") is False:
        findings.append(_finding("config.invalid_value", ValueSource(kind="config", name="[auth.email.smtp] enabled",
                                 file=str(path), line=line_of("enabled")), variant="supabase_disabled"))
    port = value("port")
    secure = _secure_raw(port.value.strip() == "465", port.source) if port is not None else None
    inp = SettingsInput(host=value("host"), port=port, secure=secure, user=value("user"), password=value("pass"),
                        sender=value("admin_email"), sender_name=value("sender_name"))
    return SourceRead(SourceFormat.SUPABASE, inp, findings, SUPABASE_TOML_NAMING)


def _toml_line(message: str) -> str:
    m = re.search(r"line (\d+)", message)
    return m.group(1) if m else "?"


# -- Spring Boot ------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][\w.]*)(?::([^}]*))?\}")


def _spring_properties(path: Path) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    text = _read_text(path)
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "!")):
            continue
        m = re.match(r"([^=:\s]+)\s*[=:]\s*(.*)$", stripped)
        if m:
            out[m.group(1)] = (m.group(2), number)
    return out


def _spring_yaml(path: Path) -> dict[str, tuple[str, int]]:
    import yaml

    text = _read_text(path)
    out: dict[str, tuple[str, int]] = {}
    try:
        documents = list(yaml.compose_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError("error.config_syntax", file=path, line=(mark.line + 1) if mark else "?") from exc

    def walk(node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, child in node.value:
                walk(child, f"{prefix}.{key.value}" if prefix else str(key.value))
        elif isinstance(node, yaml.ScalarNode):
            out[prefix] = (node.value, node.start_mark.line + 1)

    for document in documents:
        if document is not None:
            walk(document, "")
    return out


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("error.log_unreadable", file=path, reason=os_reason(exc)) from exc


def read_spring(entries: Mapping[str, Entry], files: list[Path]) -> SourceRead:
    props: dict[str, tuple[str, int, Path]] = {}
    for path in files:
        name = path.name.lower()
        parsed = _spring_yaml(path) if name.endswith((".yml", ".yaml")) else _spring_properties(path)
        props.update({k: (v, line, path) for k, (v, line) in parsed.items()})
    findings: list[Finding] = []

    def value(key: str) -> RawValue | None:
        if key not in props:
            return None
        raw, line, path = props[key]
        src = ValueSource(kind="config", name=key, file=str(path), line=line)

        def resolve(m: re.Match[str]) -> str:
            entry = entries.get(m.group(1)) or entries.get(m.group(1).upper().replace(".", "_"))
            if entry is not None:
                return entry.value
            if m.group(2) is not None:
                return m.group(2)
            findings.append(_finding("config.missing", src, variant="unresolved", ref=m.group(1)))
            return ""

        return RawValue(text=Secret(_PLACEHOLDER.sub(resolve, raw)), source=src)

    base = "spring.mail."
    ssl_on = value(base + "properties.mail.smtp.ssl.enable")
    starttls_on = value(base + "properties.mail.smtp.starttls.enable")
    protocol = value(base + "protocol")
    secure = None
    ssl_flag = parse_bool(ssl_on.value) if ssl_on else False
    starttls_flag = parse_bool(starttls_on.value) if starttls_on else False
    if ssl_flag and starttls_flag:
        findings.append(_finding("config.invalid_value", ssl_on.source, variant="spring_ssl_starttls"))
    elif protocol is not None and protocol.value.strip().lower() == "smtps":
        secure = _secure_raw(True, protocol.source)
    elif ssl_flag:
        secure = _secure_raw(True, ssl_on.source)
    elif starttls_flag:
        secure = _secure_raw(False, starttls_on.source)
    inp = SettingsInput(host=value(base + "host"), port=value(base + "port"), secure=secure, user=value(base + "username"),
                        password=value(base + "password"),
                        sender=value(base + "properties.mail.smtp.from") or value(base + "from"))
    return SourceRead(SourceFormat.SPRING, inp, findings, NAMINGS[SourceFormat.SPRING])


READERS = {
    SourceFormat.DJANGO: read_django,
    SourceFormat.LARAVEL: read_laravel,
    SourceFormat.SYMFONY: read_symfony,
    SourceFormat.SUPABASE: read_supabase,
    SourceFormat.SPRING: read_spring,
}
