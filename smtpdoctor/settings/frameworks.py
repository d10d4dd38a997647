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
from urllib.parse import parse_qs, unquote

from smtpdoctor.secret import Secret

from smtpdoctor.errors import InputError, UsageError, os_reason
from smtpdoctor.report import Finding, Param, ValueSource, phrase
from smtpdoctor.settings.model import ENV_NAMES, RawValue, SettingsInput, load_settings_input, parse_bool, read_env_file
from smtpdoctor.settings.semantics import IMPLICIT, INVALID, NONE, Decision, Version, decide, find_version


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
def symfony_bridge(name: str) -> tuple[str, int] | None:
    """Host and port of a Symfony provider bridge (`gmail+smtp://`): the port from frameworks.toml, the host
    from the provider's preset in providers.toml, so a provider's host is written down once."""
    from smtpdoctor.knowledge.providers import default_providers_path, load_providers
    from smtpdoctor.knowledge.tomlcache import load_shipped

    bridges = load_shipped("frameworks.toml").get("symfony_bridges", {})
    bridge = bridges.get(name)
    if bridge is None:
        return None
    preset = load_providers(default_providers_path()).get(bridge["provider"])
    return (preset.example_host(), bridge["port"]) if preset is not None else None


@dataclass
class SourceRead:
    format: SourceFormat
    inp: SettingsInput
    findings: list[Finding] = field(default_factory=list)
    naming: Naming = field(default_factory=Naming)
    detected: bool = False
    # False when the file configures no SMTP at all (a Hugo config.toml, MAIL_MAILER=log, Spring without
    # spring.mail.host): `lint` has nothing to say about it.
    in_use: bool = True
    # Fields whose value is a reference to a secret set at deploy time (env(NAME), ${NAME}) or an empty
    # placeholder in a template; `lint` does not call them missing.
    deferred: frozenset[str] = frozenset()
    decision: Decision | None = None  # how the framework turns these settings into a TLS mode
    version: Version | None = None  # the framework version that verdict rests on
    framework: str | None = None  # the knowledge/frameworks.toml id


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
                config_files: list[Path], option_names: Mapping[str, str] | None = None, lint: bool = False) -> SourceRead:
    """Read one settings format. With `lint`, references to secrets (env(NAME), ${NAME}) and empty values
    in a template file (.env.example) are placeholders filled at deploy time, not missing values."""
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
    context = _Context(lint=lint, near=env_file or (config_files[0] if config_files else None),
                       template=lint and env_file is not None and _is_template(env_file))
    if chosen is SourceFormat.NODEMAILER:
        read = SourceRead(chosen, load_settings_input(options, env, env_file, option_names))
        read.in_use = any(name in entries for names in ENV_NAMES.values() for name in names) or "SMTP_URL" in entries
        if lint:
            read.deferred = frozenset(f for f, names in ENV_NAMES.items() for name in names
                                      if name in entries and context.placeholder(entries[name].value))
    else:
        read = READERS[chosen](entries, config_files, context)
        read.inp = _with_options(read.inp, options, option_names)
        read.deferred = frozenset(read.deferred | context.deferred)
    read.detected = detected
    return read


def _is_template(path: Path) -> bool:
    return path.name.lower().endswith((".example", ".sample", ".template", ".dist", ".tpl"))


_DEPLOY_REF = re.compile(r"^\s*(?:env\((\w+)\)|\$\{(\w+)\}|\$(\w+))\s*$")


@dataclass
class _Context:
    """How a reader treats what it cannot know: the lint flag, where lock files may be, placeholders seen."""

    lint: bool = False
    near: Path | None = None
    template: bool = False
    deferred: set[str] = field(default_factory=set)

    def placeholder(self, value: str) -> bool:
        """A value filled in at deploy time: a reference to a variable, or empty in a template file."""
        return bool(_DEPLOY_REF.match(value)) or (self.template and not value.strip())

    def version(self, framework: str) -> Version:
        return find_version(framework, self.near)


def _secure_from(decision: Decision | None, sources: Mapping[str, ValueSource]) -> RawValue | None:
    """The framework's TLS mode as the secure flag, attributed to the setting that decided it."""
    if decision is None or decision.mode not in (IMPLICIT, "starttls", "starttls-opportunistic", "plain"):
        return None
    keys = [m.split("=", 1)[0] for m in decision.matched] + list(sources)
    source = next((sources[k] for k in keys if k in sources), None)
    if source is None:
        return None
    return _secure_raw(decision.mode == IMPLICIT, source)


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

DJANGO_SMTP_BACKEND = "django.core.mail.backends.smtp.emailbackend"


def _values(entries: Mapping[str, Entry], names) -> dict[str, str | None]:
    return {name: entries[name].value for name in names if name in entries}


def _framework_read(fmt: SourceFormat, framework: str, inp: SettingsInput, findings: list[Finding],
                    decision: Decision | None, version: Version, naming: Naming | None = None) -> SourceRead:
    return SourceRead(fmt, inp, findings, naming or NAMINGS[fmt], in_use=not (decision and decision.mode == NONE),
                      decision=decision, version=version, framework=framework)


def read_django(entries: Mapping[str, Entry], _files: list[Path], context: _Context | None = None) -> SourceRead:
    context = context or _Context()
    findings: list[Finding] = []
    tls, ssl_ = entries.get("EMAIL_USE_TLS"), entries.get("EMAIL_USE_SSL")
    for entry in (tls, ssl_):
        if entry is not None and parse_bool(entry.value) is None:
            findings.append(_finding("config.invalid_value", entry.source, shown=repr(entry.value),
                                     expected=phrase("frameworks.expected.true_false")))
    version = context.version("django")
    decision = decide("django", _values(entries, ("EMAIL_USE_TLS", "EMAIL_USE_SSL")), version)
    if decision is not None and decision.mode == INVALID:
        findings.append(_finding("config.invalid_value", (ssl_ or tls).source, variant="django_tls_ssl"))
    backend = entries.get("EMAIL_BACKEND")
    if backend is not None and backend.value.strip().lower() not in ("", DJANGO_SMTP_BACKEND):
        decision = Decision(NONE, decision.rule if decision else None, (f"EMAIL_BACKEND={backend.value}",))
    secure = _secure_from(decision, {k: e.source for k, e in entries.items() if k in ("EMAIL_USE_SSL", "EMAIL_USE_TLS")})
    inp = SettingsInput(host=_raw(entries.get("EMAIL_HOST")), port=_raw(entries.get("EMAIL_PORT")), secure=secure,
                        user=_raw(entries.get("EMAIL_HOST_USER")), password=_raw(entries.get("EMAIL_HOST_PASSWORD")),
                        sender=_raw(entries.get("DEFAULT_FROM_EMAIL") or entries.get("SERVER_EMAIL")))
    return _framework_read(SourceFormat.DJANGO, "django", inp, findings, decision, version)


# -- Laravel ----------------------------------------------------------------------------------------

LARAVEL_TLS_SETTINGS = ("MAIL_ENCRYPTION", "MAIL_SCHEME", "MAIL_PORT")


def read_laravel(entries: Mapping[str, Entry], _files: list[Path], context: _Context | None = None) -> SourceRead:
    context = context or _Context()
    findings: list[Finding] = []
    version = context.version("laravel")
    mailer = entries.get("MAIL_MAILER") or entries.get("MAIL_DRIVER")
    sends_smtp = mailer is None or mailer.value.strip().strip("\"'").lower() in ("smtp", "")
    if not sends_smtp and not context.lint:
        findings.append(_finding("config.invalid_value", mailer.source, variant="mailer_not_smtp", shown=repr(mailer.value)))
    from smtpdoctor.settings.semantics import version_matches

    encryption = entries.get("MAIL_ENCRYPTION")
    # From 11.35 Laravel does not read MAIL_ENCRYPTION at all: an odd value there is harmless.
    if encryption is not None and not version_matches(">=11.35", version.text):
        word = encryption.value.strip().strip("\"'").lower()
        if word not in ("", "null", "none", "ssl", "tls", "smtps", "smtp"):
            findings.append(_finding("config.invalid_value", encryption.source, shown=repr(encryption.value),
                                     expected=phrase("frameworks.expected.laravel_encryption")))
    scheme = entries.get("MAIL_SCHEME")
    if scheme is not None and scheme.value.strip().strip("\"'").lower() not in ("smtps", "smtp", "", "null"):
        findings.append(_finding("config.invalid_value", scheme.source, shown=repr(scheme.value),
                                 expected=phrase("frameworks.expected.laravel_scheme")))
    decision = decide("laravel", _values(entries, LARAVEL_TLS_SETTINGS), version)
    if not sends_smtp:
        decision = Decision(NONE, decision.rule if decision else None, (f"{mailer.source.name}={mailer.value}",))
    secure = _secure_from(decision, {k: entries[k].source for k in LARAVEL_TLS_SETTINGS if k in entries})
    inp = SettingsInput(host=_raw(entries.get("MAIL_HOST")), port=_raw(entries.get("MAIL_PORT")), secure=secure,
                        user=_raw(entries.get("MAIL_USERNAME")), password=_raw(entries.get("MAIL_PASSWORD")),
                        sender=_raw(entries.get("MAIL_FROM_ADDRESS")), sender_name=_raw(entries.get("MAIL_FROM_NAME")))
    return _framework_read(SourceFormat.LARAVEL, "laravel", inp, findings, decision, version)


# -- Symfony ----------------------------------------------------------------------------------------

def read_symfony(entries: Mapping[str, Entry], _files: list[Path], context: _Context | None = None) -> SourceRead:
    context = context or _Context()
    findings: list[Finding] = []
    version = context.version("symfony")
    dsn = entries.get("MAILER_DSN")
    if dsn is None:
        return SourceRead(SourceFormat.SYMFONY, SettingsInput(), findings, NAMINGS[SourceFormat.SYMFONY], in_use=False)
    src = dsn.source
    if context.lint and context.placeholder(dsn.value):
        return SourceRead(SourceFormat.SYMFONY, SettingsInput(), findings, NAMINGS[SourceFormat.SYMFONY], in_use=False)
    from smtpdoctor.settings.model import split_url

    parts = split_url(dsn.value.strip().strip("\"'"))  # never the parser's message: it may quote the password
    if parts is None:
        findings.append(_finding("config.invalid_value", src, variant="url", detail=phrase("static.url.syntax")))
        return SourceRead(SourceFormat.SYMFONY, SettingsInput(), findings, NAMINGS[SourceFormat.SYMFONY])
    port = parts.port
    scheme = parts.scheme.lower()
    host = parts.hostname
    bridge, _, transport = scheme.partition("+")
    known_bridge = symfony_bridge(bridge) if bridge and transport in ("smtp", "smtps", "") else None
    if known_bridge is not None:
        host, default_port = known_bridge
        port = port or default_port
        scheme = "smtps" if port == 465 else "smtp"
    elif scheme in ("null", "sendmail", "native") or (scheme not in ("smtp", "smtps") and context.lint):
        # null://, sendmail:// or an HTTP API bridge: no SMTP connection to check in a file.
        if context.lint or scheme == "null":
            return SourceRead(SourceFormat.SYMFONY, SettingsInput(), findings, NAMINGS[SourceFormat.SYMFONY], in_use=False)
        findings.append(_finding("config.invalid_value", src, variant="mailer_not_smtp", shown=repr(f"{scheme}://")))
        return SourceRead(SourceFormat.SYMFONY, SettingsInput(), findings, NAMINGS[SourceFormat.SYMFONY])
    elif scheme not in ("smtp", "smtps"):
        findings.append(_finding("config.invalid_value", src, variant="mailer_not_smtp", shown=repr(f"{scheme}://")))
        return SourceRead(SourceFormat.SYMFONY, SettingsInput(), findings, NAMINGS[SourceFormat.SYMFONY])
    options = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
    if options.get("verify_peer", "1").lower() in ("0", "false", "no", ""):
        findings.append(_finding("config.tls_verification_disabled", src, option="verify_peer=0"))
    values: dict[str, str | None] = {"MAILER_DSN.scheme": scheme, "MAILER_DSN.port": str(port) if port else "",
                                     "MAILER_DSN.host": host or ""}
    values.update({f"MAILER_DSN.{k}": v for k, v in options.items()})
    decision = decide("symfony", values, version)
    if port is None and decision is not None:
        # smtp://host without a port: Symfony picks 465 (TLS) for a remote host, 25 for localhost.
        port = 25 if host == "localhost" and decision.mode != IMPLICIT else 465

    def raw(text: str | None) -> RawValue | None:
        return RawValue(text=Secret(text), source=src) if text is not None else None

    secure = _secure_raw(decision.mode == IMPLICIT, src) if decision is not None else _secure_raw(scheme == "smtps", src)
    inp = SettingsInput(host=raw(host), port=raw(str(port)) if port else None, secure=secure,
                        user=raw(unquote(parts.username) if parts.username else None),
                        password=raw(unquote(parts.password) if parts.password else None),
                        sender=_raw(entries.get("MAILER_FROM") or entries.get("MAIL_FROM")))
    return _framework_read(SourceFormat.SYMFONY, "symfony", inp, findings, decision, version)


# -- Supabase Auth ----------------------------------------------------------------------------------

_ENV_REF = re.compile(r"^env\((\w+)\)$")


def read_supabase(entries: Mapping[str, Entry], files: list[Path], context: _Context | None = None) -> SourceRead:
    context = context or _Context()
    findings: list[Finding] = []
    toml_file = next((f for f in files if f.name.lower().endswith(".toml")), None)
    if toml_file is not None:
        return _read_supabase_toml(toml_file, entries, context)
    names = {"host": ("GOTRUE_SMTP_HOST", "SMTP_HOST"), "port": ("GOTRUE_SMTP_PORT", "SMTP_PORT"),
             "user": ("GOTRUE_SMTP_USER", "SMTP_USER"), "password": ("GOTRUE_SMTP_PASS", "SMTP_PASS"),
             "sender": ("GOTRUE_SMTP_ADMIN_EMAIL", "SMTP_ADMIN_EMAIL"), "sender_name": ("GOTRUE_SMTP_SENDER_NAME", "SMTP_SENDER_NAME")}
    values = {f: _raw(next((entries[n] for n in ns if n in entries), None)) for f, ns in names.items()}
    port = values["port"]
    version = context.version("supabase")
    decision = decide("supabase", {"GOTRUE_SMTP_PORT": port.value.strip()} if port is not None else {}, version)
    secure = _secure_from(decision, {"GOTRUE_SMTP_PORT": port.source}) if port is not None else None
    return _framework_read(SourceFormat.SUPABASE, "supabase", SettingsInput(**values, secure=secure), findings,
                           decision, version)


def _read_supabase_toml(path: Path, entries: Mapping[str, Entry], context: _Context) -> SourceRead:
    import tomllib

    text = _read_text(path)  # bounded
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("hardening.error.supabase_toml", file=path, line=_toml_line(exc)) from exc
    auth = data.get("auth")
    email = auth.get("email") if isinstance(auth, dict) else None
    smtp = email.get("smtp") if isinstance(email, dict) else None
    findings: list[Finding] = []
    if not isinstance(smtp, dict):
        # Not a Supabase file with custom SMTP (a Hugo or Cargo config.toml, or the local mail catcher in use).
        if not context.lint:
            findings.append(_finding("config.missing", ValueSource(kind="config", name="[auth.email.smtp]", file=str(path)),
                                     variant="empty"))
        return SourceRead(SourceFormat.SUPABASE, SettingsInput(), findings, SUPABASE_TOML_NAMING, in_use=False)
    lines = text.splitlines()
    section = next((i for i, line in enumerate(lines) if line.strip() == "[auth.email.smtp]"), 0)

    def line_of(key: str) -> int | None:
        for i in range(section + 1, len(lines)):
            if lines[i].strip().startswith("["):
                return None
            if re.match(rf"\s*{key}\s*=", lines[i]):
                return i + 1
        return None

    def value(key: str, field_name: str) -> RawValue | None:
        if key not in smtp:
            return None
        raw = str(smtp[key])
        src = ValueSource(kind="config", name=f"[auth.email.smtp] {key}", file=str(path), line=line_of(key))
        ref = _ENV_REF.match(raw.strip())
        if ref:  # supabase resolves env(NAME) from the environment
            entry = entries.get(ref.group(1))
            if entry is None:
                if context.lint:  # set at deploy time: the documented way to keep a secret out of git
                    context.deferred.add(field_name)
                    return None
                findings.append(_finding("config.missing", src, variant="unresolved", ref=ref.group(1)))
                return RawValue(text=Secret(""), source=src)
            return RawValue(text=Secret(entry.value), source=src)
        return RawValue(text=Secret(raw), source=src)

    version = context.version("supabase")
    if smtp.get("enabled") is False:
        decision = decide("supabase", {"auth.email.smtp.enabled": "false"}, version)
        if not context.lint:
            findings.append(_finding("config.invalid_value", ValueSource(kind="config", name="[auth.email.smtp] enabled",
                                     file=str(path), line=line_of("enabled")), variant="supabase_disabled"))
    port = value("port", "port")
    if smtp.get("enabled") is not False:
        decision = decide("supabase", {"auth.email.smtp.port": port.value.strip()} if port is not None else {}, version)
    secure = _secure_from(decision, {"auth.email.smtp.port": port.source}) if port is not None else None
    inp = SettingsInput(host=value("host", "host"), port=port, secure=secure, user=value("user", "user"),
                        password=value("pass", "password"), sender=value("admin_email", "sender"),
                        sender_name=value("sender_name", "sender_name"))
    return _framework_read(SourceFormat.SUPABASE, "supabase", inp, findings, decision, version, SUPABASE_TOML_NAMING)


def _toml_line(exc: Exception) -> int | str:
    line = getattr(exc, "lineno", None)  # Python 3.14 gives it; before that, only the message has it
    if line:
        return line
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else "?"


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
    except RecursionError as exc:  # thousands of nested [ or {
        raise InputError("hardening.error.spring_yaml", file=path, line="?") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError("hardening.error.spring_yaml", file=path, line=(mark.line + 1) if mark else "?") from exc

    # Aliases make the node tree a graph: a recursive alias loops and a "billion laughs" one grows
    # exponentially. Visit each node once per path, not deeper than Spring ever nests, within a budget.
    # Running out of either is refused, not cut short: settings silently missing would be checked as unset.
    budget = [20_000]

    def walk(node, prefix: str, depth: int, seen: frozenset) -> None:
        budget[0] -= 1
        if budget[0] < 0 or depth > 32:
            raise InputError("hardening.error.spring_yaml", file=path, line=node.start_mark.line + 1)
        if id(node) in seen:
            return
        if isinstance(node, yaml.MappingNode):
            inner = seen | {id(node)}
            for key, child in node.value:
                if isinstance(key, yaml.ScalarNode):
                    walk(child, f"{prefix}.{key.value}" if prefix else str(key.value), depth + 1, inner)
        elif isinstance(node, yaml.ScalarNode):
            out[prefix] = (node.value, node.start_mark.line + 1)

    for document in documents:
        if document is not None:
            walk(document, "", 0, frozenset())
    return out


def _read_text(path: Path) -> str:
    from smtpdoctor.settings.model import read_settings_bytes

    data = read_settings_bytes(path, "error.log_unreadable")  # bounded: /dev/zero is not a config file
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("error.log_unreadable", file=path, reason=os_reason(exc)) from exc


SPRING_TLS_SETTINGS = ("spring.mail.protocol", "spring.mail.ssl.enabled", "spring.mail.properties.mail.smtp.ssl.enable",
                       "spring.mail.properties.mail.smtp.starttls.required", "spring.mail.properties.mail.smtp.starttls.enable",
                       "spring.mail.host")


def read_spring(entries: Mapping[str, Entry], files: list[Path], context: _Context | None = None) -> SourceRead:
    context = context or _Context()
    props: dict[str, tuple[str, int, Path]] = {}
    for path in files:
        name = path.name.lower()
        parsed = _spring_yaml(path) if name.endswith((".yml", ".yaml")) else _spring_properties(path)
        props.update({k: (v, line, path) for k, (v, line) in parsed.items()})
    findings: list[Finding] = []
    fields_of = {"spring.mail.host": "host", "spring.mail.port": "port", "spring.mail.username": "user",
                 "spring.mail.password": "password", "spring.mail.properties.mail.smtp.from": "sender",
                 "spring.mail.from": "sender"}

    def value(key: str) -> RawValue | None:
        if key not in props:
            return None
        raw, line, path = props[key]
        src = ValueSource(kind="config", name=key, file=str(path), line=line)
        unresolved: list[str] = []

        def resolve(m: re.Match[str]) -> str:
            entry = entries.get(m.group(1)) or entries.get(m.group(1).upper().replace(".", "_"))
            if entry is not None:
                return entry.value
            if m.group(2) is not None:
                return m.group(2)
            unresolved.append(m.group(1))
            return ""

        text = _PLACEHOLDER.sub(resolve, raw)
        if unresolved and context.lint and key in fields_of:
            context.deferred.add(fields_of[key])  # ${NAME}: set at deploy time
            return None
        for ref in unresolved:
            findings.append(_finding("config.missing", src, variant="unresolved", ref=ref))
        return RawValue(text=Secret(text), source=src)

    base = "spring.mail."
    resolved = {key: value(key) for key in SPRING_TLS_SETTINGS}
    version = context.version("spring")
    # JavaMailSender exists only when spring.mail.host is set: without it, the file configures no mail.
    in_use = base + "host" in props
    decision = decide("spring", {k: (v.value if v else None) for k, v in resolved.items() if k in props}, version) \
        if in_use else None
    secure = _secure_from(decision, {k: v.source for k, v in resolved.items() if v is not None})
    inp = SettingsInput(host=resolved[base + "host"], port=value(base + "port"), secure=secure,
                        user=value(base + "username"), password=value(base + "password"),
                        sender=value(base + "properties.mail.smtp.from") or value(base + "from"))
    read = _framework_read(SourceFormat.SPRING, "spring", inp, findings, decision, version)
    read.in_use = in_use
    return read


READERS = {
    SourceFormat.DJANGO: read_django,
    SourceFormat.LARAVEL: read_laravel,
    SourceFormat.SYMFONY: read_symfony,
    SourceFormat.SUPABASE: read_supabase,
    SourceFormat.SPRING: read_spring,
}
