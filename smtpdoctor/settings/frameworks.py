"""Read SMTP settings where they live: nodemailer-style SMTP_*, Django, Laravel, Symfony MAILER_DSN,
Supabase Auth (GoTrue env or supabase/config.toml), Spring Boot (application.properties / .yml) and Rails
ActionMailer (SMTP_ADDRESS... or `smtp_settings` in config/environments/*.rb).

Every format becomes the same SettingsInput (each value with its own name, file and line), plus the
findings only that format can have, plus how the format spells each setting so fixes use its names. Which
format was read, and why, is a finding too when it was detected; so are names one slip away from a name
that is read (`SMTP_PASWORD`), and values with bytes that are not UTF-8.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qs, unquote

from smtpdoctor.secret import Secret

from smtpdoctor.errors import InputError, UsageError
from smtpdoctor.report import Finding, Param, Phrase, ValueSource, phrase
from smtpdoctor.settings.model import (ENV_NAMES, RawValue, SettingsInput, load_settings_input, parse_bool, read_env_file,
                                       readable)
from smtpdoctor.settings.semantics import IMPLICIT, INVALID, NONE, Decision, Version, decide, find_version
from smtpdoctor.values import value


class SourceFormat(StrEnum):
    NODEMAILER = "nodemailer"
    DJANGO = "django"
    LARAVEL = "laravel"
    SYMFONY = "symfony"
    SUPABASE = "supabase"
    SPRING = "spring"
    RAILS = "rails"


# A Naming value that takes words is a message id under this prefix (worded in the reader's language).
PHRASE_PREFIX = "frameworks.naming."


@value
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
    # The names Rails apps commonly map into smtp_settings (SMTP_ADDRESS -> address: ...).
    SourceFormat.RAILS: Naming("SMTP_ADDRESS", "SMTP_PORT", "SMTP_USER_NAME", "SMTP_PASSWORD", "SMTP_FROM",
                               "SMTP_TLS=true (tls: true)", "SMTP_ENABLE_STARTTLS=always (enable_starttls: :always)",
                               "SMTP_TLS / SMTP_ENABLE_STARTTLS"),
}
RAILS_FILE_NAMING = Naming("smtp_settings[:address]", "smtp_settings[:port]", "smtp_settings[:user_name]",
                           "smtp_settings[:password]", "default_options[:from]", "smtp_settings[:tls] = true",
                           "smtp_settings[:enable_starttls] = :always", "smtp_settings[:tls] / [:enable_starttls]")
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


@value(frozen=False)
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


@value(frozen=False)
class Entry:
    value: str
    source: ValueSource
    unreadable_at: int | None = None  # the first byte that is not UTF-8 (1-based), replaced by U+FFFD in `value`
    given: str = ""  # the value as given when it had such bytes (lone surrogates), for an escaped display


def _entries(env: Mapping[str, str], env_files: tuple[Path, ...]) -> dict[str, Entry]:
    """Environment over .env files (the later file over the earlier), each value remembering where it came from.
    A file is strict UTF-8 (read_env_file refuses it otherwise); the environment is what the OS gave."""
    entries: dict[str, Entry] = {}
    for path in env_files:
        for key, (value, line) in read_env_file(path).items():
            entries[key] = Entry(value, ValueSource(kind="dotenv", name=key, file=str(path), line=line))
    for key, value in env.items():
        text, bad = readable(value)
        entries[key] = Entry(text, ValueSource(kind="env", name=key), bad, value if bad else "")
    return entries


def _raw(entry: Entry | None) -> RawValue | None:
    return RawValue(text=Secret(entry.value), source=entry.source) if entry is not None else None


def _finding(code: str, source: ValueSource | None, variant: str | None = None, **params: Param) -> Finding:
    return Finding(code=code, variant=variant, source=source, params=params)


def _shown(value: object) -> str:
    """A value as written, quoted for a finding, with the password of any URL in it masked: a DSN pasted into
    the wrong variable (MAIL_MAILER=smtp://me:PASS@host) is still a secret, wherever it is echoed."""
    from smtpdoctor.redact import MASK, url_passwords

    text = str(value)
    for secret in sorted(set(url_passwords(text, bare=True)), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return repr(text)


def _key_slip(framework_id: str, key: str, known: frozenset[str], normal=lambda k: k) -> str | None:
    """The key of a framework's own file that `key` was meant to be (Rails `host:` -> `address`), or None."""
    from smtpdoctor.settings.names import slip_of, wrong_keys

    word = normal(key)
    if word in known:
        return None
    return wrong_keys(framework_id).get(word) or slip_of(word, known)


def _secure_raw(value: bool, source: ValueSource) -> RawValue:
    return RawValue(text=Secret("true" if value else "false"), source=source)


# -- detection --------------------------------------------------------------------------------------

MARKERS = {
    SourceFormat.NODEMAILER: ("SMTP_HOST", "SMTP_URL"),
    SourceFormat.DJANGO: ("EMAIL_HOST", "EMAIL_HOST_USER"),
    SourceFormat.LARAVEL: ("MAIL_HOST", "MAIL_MAILER"),
    SourceFormat.SYMFONY: ("MAILER_DSN",),
    SourceFormat.SUPABASE: ("GOTRUE_SMTP_HOST",),
    SourceFormat.RAILS: ("SMTP_ADDRESS", "SMTP_USER_NAME", "SMTP_AUTHENTICATION", "SMTP_ENABLE_STARTTLS_AUTO",
                         "SMTP_ENABLE_STARTTLS", "SMTP_OPENSSL_VERIFY_MODE"),
}
CONFIG_SUFFIXES = {".toml": SourceFormat.SUPABASE, ".properties": SourceFormat.SPRING, ".yml": SourceFormat.SPRING,
                   ".yaml": SourceFormat.SPRING, ".rb": SourceFormat.RAILS}


def config_format(path: Path) -> SourceFormat | None:
    """The format a --config file is by its name; None: not a framework config file (a .env, say)."""
    name = path.name.lower()
    return next((fmt for suffix, fmt in CONFIG_SUFFIXES.items() if name.endswith(suffix)), None)


def detect(entries: Mapping[str, Entry], config_files: list[Path]) -> list[SourceFormat]:
    found = [fmt for fmt, keys in MARKERS.items() if any(k in entries for k in keys)]
    found += [fmt for fmt in map(config_format, config_files) if fmt is not None]
    return list(dict.fromkeys(found))


@value
class Detection:
    """Which format a run reads when --source does not say, and why."""

    chosen: SourceFormat
    candidates: tuple[SourceFormat, ...]
    names: tuple[str, ...] = ()  # the chosen format's own names that were found
    project: str | None = None  # the project file that decided between several formats (Gemfile.lock...)
    file: str | None = None  # the framework config file given with --config that decided


def choose_format(entries: Mapping[str, Entry], config_files: list[Path], near: Path | None) -> Detection:
    """One format: the only one whose names are there; among several, the one whose project files (composer.lock,
    Gemfile.lock...) are next to the settings, else the one with the most of its own names, else nodemailer."""
    from smtpdoctor.settings.names import format_names

    candidates = detect(entries, config_files)
    files = {fmt: path.name for path in config_files if (fmt := config_format(path)) is not None}

    def own(fmt: SourceFormat) -> tuple[str, ...]:
        others = set().union(*(format_names(o.value) for o in candidates if o is not fmt))
        return tuple(n for n in entries if n in format_names(fmt.value) and n not in others)

    if len(candidates) <= 1:
        chosen = candidates[0] if candidates else SourceFormat.NODEMAILER
        return Detection(chosen, tuple(candidates), own(chosen)[:4], file=files.get(chosen))
    by_project = [fmt for fmt in candidates if fmt not in files and not find_version(fmt.value, near).assumed]
    if len(by_project) == 1 and not files:
        chosen = by_project[0]
        from pathlib import PurePath

        project = PurePath(find_version(chosen.value, near).file).name
        return Detection(chosen, tuple(candidates), own(chosen)[:4], project)
    if files:  # a framework's own file given with --config is what the user wants read
        chosen = next(iter(files))
        return Detection(chosen, tuple(candidates), own(chosen)[:4], file=files[chosen])
    scores = {fmt: len(own(fmt)) for fmt in candidates}
    best = max(scores.values())
    leaders = [fmt for fmt in candidates if scores[fmt] == best]
    chosen = SourceFormat.NODEMAILER if len(leaders) > 1 and SourceFormat.NODEMAILER in leaders else leaders[0]
    return Detection(chosen, tuple(candidates), own(chosen)[:4])


def _detection_finding(detection: Detection, entries: Mapping[str, Entry], lint: bool) -> list[Finding]:
    """Which format was read and why; with names of another format present, which of them were not read.
    Names are parameters in backticks: a format's own spelling (SMTP_HOST -> MAIL_HOST) never renames them."""
    from smtpdoctor.settings.names import format_names

    chosen = detection.chosen
    others = [fmt for fmt in detection.candidates if fmt is not chosen]
    names = tuple(phrase("settings.name", name=name) for name in detection.names)
    if detection.file:
        why = phrase("settings.format.why_file", file=detection.file)
    elif detection.project:
        why = phrase("settings.format.why_project", file=detection.project, names=names)
    else:
        why = phrase("settings.format.why_names", names=names)
    if not others:
        if chosen is SourceFormat.NODEMAILER or lint:
            return []  # the default format, or a pre-commit hook that must stay quiet about a good file
        return [_finding("config.format_read", None, format=chosen.value, why=why)]
    read = format_names(chosen.value)
    ignored = tuple(_name_at(name, entry.source) for name, entry in entries.items()
                    if name not in read and any(name in format_names(o.value) for o in others))
    return [_finding("config.format_read", None, variant="mixed", format=chosen.value, why=why,
                     ignored=ignored[:8], other=others[0].value, formats=tuple(o.value for o in others))]


def _name_at(name: str, source: ValueSource) -> Phrase:
    if source.file and source.line:
        from pathlib import PurePath

        return phrase("settings.name_in_file", name=name, file=PurePath(source.file).name, line=source.line)
    return phrase("settings.name_in_env", name=name)


def _name_findings(entries: Mapping[str, Entry]) -> list[Finding]:
    """`SMTP_PASWORD` (.env line 3): a name one slip away from a name that is read."""
    from smtpdoctor.settings.names import misspelled_env_name

    found = []
    for name, entry in entries.items():
        meant = misspelled_env_name(name)
        if meant is not None:
            found.append(_finding("config.ignored_name", entry.source, suggested=meant))
    return found


_SECRET_WORDS = ("PASS", "SECRET", "TOKEN", "KEY", "DSN", "URL", "CREDENTIAL")


def _unreadable_findings(entries: Mapping[str, Entry], options: Mapping[str, str | None],
                         option_names: Mapping[str, str] | None) -> list[Finding]:
    """A byte that is not UTF-8 in a setting: the application gets something else than was meant (Node.js a
    U+FFFD in its place, Python a value it cannot encode). Only its place is said for a secret, never a byte."""
    from smtpdoctor.settings.names import all_env_names

    found = []
    given = [(name, entry.given, entry.source) for name, entry in entries.items()
             if entry.unreadable_at is not None and name in all_env_names()]
    for field_name, value in options.items():
        if value is not None and readable(value)[1] is not None:
            name = (option_names or {}).get(field_name, f"--{field_name.replace('_', '-')}")
            given.append((name, value, ValueSource(kind="option", name=name)))
    from smtpdoctor.redact import url_passwords

    for name, value, source in given:
        text, at = readable(value)
        params: dict[str, Param] = {"at": at}
        if not any(word in name.upper() for word in _SECRET_WORDS) and not url_passwords(text, bare=True):
            params["shown"] = _escaped(value)
        found.append(Finding(code="config.invalid_value", variant="not_utf8" if "shown" in params else "not_utf8_secret",
                             source=source, params=params))
    return found


def _escaped(value: str) -> str:
    """A value with its undecodable bytes written as \\xNN, in quotes: "me\\xff@example.com"."""
    try:
        raw = value.encode("utf-8", "surrogateescape")  # the OS's bytes back, as Python received them
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "replace")
    text = raw.decode("utf-8", "backslashreplace")
    return '"' + "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text) + '"'


def read_source(fmt: str | None, options: Mapping[str, str | None], env: Mapping[str, str], env_file: Path | None,
                config_files: list[Path], option_names: Mapping[str, str] | None = None, lint: bool = False) -> SourceRead:
    """Read one settings format. With `lint`, references to secrets (env(NAME), ${NAME}) and empty values
    in a template file (.env.example) are placeholders filled at deploy time, not missing values.

    A --config file that is no framework's config file (a .env) is read as an env file, and the report says so."""
    as_env = tuple(path for path in config_files if config_format(path) is None)
    config_files = [path for path in config_files if config_format(path) is not None]
    env_files = (*as_env, *((env_file,) if env_file is not None else ()))
    entries = _entries(env, env_files)
    near = env_file or (config_files[0] if config_files else (as_env[0] if as_env else None))
    detection = None
    if fmt is None:
        detection = choose_format(entries, config_files, near)
        chosen = detection.chosen
    else:
        try:
            chosen = SourceFormat(fmt.lower())
        except ValueError:
            raise UsageError("error.bad_option", option="--source", reason=phrase(
                "frameworks.source_choices", formats=", ".join(f.value for f in SourceFormat))) from None
    context = _Context(lint=lint, near=near, template=lint and bool(env_files) and _is_template(env_files[-1]))
    if chosen is SourceFormat.NODEMAILER:
        read = SourceRead(chosen, load_settings_input(options, env, None, option_names, env_files=env_files))
        read.in_use = any(name in entries for names in ENV_NAMES.values() for name in names) or "SMTP_URL" in entries
        if lint:
            read.deferred = frozenset(f for f, names in ENV_NAMES.items() for name in names
                                      if name in entries and context.placeholder(entries[name].value))
    else:
        read = READERS[chosen](entries, config_files, context)
        read.inp = _with_options(read.inp, options, option_names)
        read.deferred = frozenset(read.deferred | context.deferred)
    read.detected = detection is not None and chosen is not SourceFormat.NODEMAILER
    notes = [_finding("config.format_read", None, variant="config_as_env", file=path.name) for path in as_env]
    if detection is not None:
        notes += _detection_finding(detection, entries, lint)
    read.findings = [*notes, *_unreadable_findings(entries, options, option_names), *_name_findings(entries),
                     *read.findings]
    return read


def _is_template(path: Path) -> bool:
    return path.name.lower().endswith((".example", ".sample", ".template", ".dist", ".tpl"))


_DEPLOY_REF = re.compile(r"^\s*(?:env\((\w+)\)|\$\{(\w+)\}|\$(\w+))\s*$")


@value(frozen=False)
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
            updates[key] = RawValue(text=Secret(readable(value)[0]),
                                    source=ValueSource(kind=kind, name=(names or {}).get(key, f"--{key}")))
    from dataclasses import replace

    return replace(inp, **updates)


# -- Django -----------------------------------------------------------------------------------------

DJANGO_SMTP_BACKEND = "django.core.mail.backends.smtp.emailbackend"


def _values(entries: Mapping[str, Entry], names) -> dict[str, str | None]:
    return {name: entries[name].value for name in names if name in entries}


def _framework_read(fmt: SourceFormat, framework: str, inp: SettingsInput, findings: list[Finding],
                    decision: Decision | None, version: Version, naming: Naming | None = None) -> SourceRead:
    if decision is not None and decision.mode == "plain" and inp.password is not None and inp.password.value.strip():
        # The framework never encrypts (Django with neither switch, JavaMail without ssl/starttls): the probe
        # upgrades with STARTTLS where the application would not, so this is said here (issue 18).
        from smtpdoctor.settings.semantics import load_frameworks

        known = load_frameworks().get(framework)
        findings = [*findings, _finding("auth.requires_tls", inp.secure.source if inp.secure else None,
                                        variant="framework_plain", framework=known.label if known else framework)]
    return SourceRead(fmt, inp, findings, naming or NAMINGS[fmt], in_use=not (decision and decision.mode == NONE),
                      decision=decision, version=version, framework=framework)


def read_django(entries: Mapping[str, Entry], _files: list[Path], context: _Context | None = None) -> SourceRead:
    context = context or _Context()
    findings: list[Finding] = []
    tls, ssl_ = entries.get("EMAIL_USE_TLS"), entries.get("EMAIL_USE_SSL")
    for entry in (tls, ssl_):
        if entry is not None and parse_bool(entry.value) is None:
            findings.append(_finding("config.invalid_value", entry.source, shown=_shown(entry.value),
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

# phpdotenv (vlucas/phpdotenv, Laravel's .env reader) replaces ${NAME} in an unquoted or double-quoted value with
# NAME from the environment or from a line above; a single-quoted value is literal; an unknown name stays as written.
_PHPDOTENV_REF = re.compile(r"\$\{([A-Za-z0-9_.]+)\}")


def laravel_expanded(entries: Mapping[str, Entry]) -> dict[str, Entry]:
    """The .env values as Laravel sees them: MAIL_FROM_NAME="${APP_NAME}" is the app's name."""
    from dataclasses import replace

    out = dict(entries)

    def expanded(key: str, seen: frozenset[str]) -> str:
        entry = out[key]
        if entry.source.kind != "dotenv" or "${" not in entry.value or _single_quoted(entry):
            return entry.value

        def one(m: re.Match[str]) -> str:
            name = m.group(1)
            ref = out.get(name)
            if ref is None or name in seen or not _defined_before(ref, entry):
                return m.group(0)
            return expanded(name, seen | {name})

        return _PHPDOTENV_REF.sub(one, entry.value)

    for key in list(out):
        value = expanded(key, frozenset({key}))
        if value != out[key].value:
            out[key] = replace(out[key], value=value)
    return out


def _defined_before(ref: Entry, entry: Entry) -> bool:
    """The environment, another file, or a line above in the same file: phpdotenv reads a file top to bottom."""
    if ref.source.kind != "dotenv" or ref.source.file != entry.source.file:
        return True
    return (ref.source.line or 0) < (entry.source.line or 0)


def _single_quoted(entry: Entry) -> bool:
    try:
        text = Path(entry.source.file or "").read_text(encoding="utf-8-sig").splitlines()[(entry.source.line or 1) - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        return False
    return text.partition("=")[2].lstrip().startswith("'")


def read_laravel(entries: Mapping[str, Entry], _files: list[Path], context: _Context | None = None) -> SourceRead:
    context = context or _Context()
    entries = laravel_expanded(entries)
    findings: list[Finding] = []
    version = context.version("laravel")
    mailer = entries.get("MAIL_MAILER") or entries.get("MAIL_DRIVER")
    sends_smtp = mailer is None or mailer.value.strip().strip("\"'").lower() in ("smtp", "")
    if not sends_smtp and not context.lint:
        findings.append(_finding("config.invalid_value", mailer.source, variant="mailer_not_smtp", shown=_shown(mailer.value)))
    from smtpdoctor.settings.semantics import version_matches

    encryption = entries.get("MAIL_ENCRYPTION")
    # From 11.35 Laravel does not read MAIL_ENCRYPTION at all: an odd value there is harmless.
    if encryption is not None and not version_matches(">=11.35", version.text):
        word = encryption.value.strip().strip("\"'").lower()
        if word not in ("", "null", "none", "ssl", "tls", "smtps", "smtp"):
            findings.append(_finding("config.invalid_value", encryption.source, shown=_shown(encryption.value),
                                     expected=phrase("frameworks.expected.laravel_encryption")))
    scheme = entries.get("MAIL_SCHEME")
    if scheme is not None and scheme.value.strip().strip("\"'").lower() not in ("smtps", "smtp", "", "null"):
        findings.append(_finding("config.invalid_value", scheme.source, shown=_shown(scheme.value),
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
        findings.append(_finding("config.invalid_value", src, variant="mailer_not_smtp", shown=_shown(f"{scheme}://")))
        return SourceRead(SourceFormat.SYMFONY, SettingsInput(), findings, NAMINGS[SourceFormat.SYMFONY])
    elif scheme not in ("smtp", "smtps"):
        findings.append(_finding("config.invalid_value", src, variant="mailer_not_smtp", shown=_shown(f"{scheme}://")))
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

    known = frozenset(("enabled", "host", "port", "user", "pass", "admin_email", "sender_name", "max_frequency"))
    for key in smtp:
        meant = _key_slip("supabase", str(key), known)
        if meant is not None:
            findings.append(_finding("config.ignored_name", ValueSource(kind="config", name=f"[auth.email.smtp] {key}",
                                     file=str(path), line=line_of(re.escape(str(key)))), suggested=meant))
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
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The line, never the decoder's message: that names the byte, and the byte may be one of a password's.
        raise InputError("error.env_encoding", file=path, line=data[:exc.start].count(b"\n") + 1) from exc


# spring.mail.* keys Spring Boot binds (MailProperties), in their canonical kebab-case form; `from` is not Spring's
# own but apps commonly set it for themselves (and this reader takes it as the sender).
SPRING_KEYS = frozenset(("host", "port", "username", "password", "protocol", "default-encoding", "jndi-name",
                         "test-connection", "ssl.enabled", "ssl.bundle", "from"))
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
    for key, (_, line, path) in props.items():
        if key.startswith(base) and not key.startswith(base + "properties."):
            meant = _key_slip("spring", key[len(base):], SPRING_KEYS, lambda k: k.lower().replace("_", "-"))
            if meant is not None:
                findings.append(_finding("config.ignored_name", ValueSource(kind="config", name=key, file=str(path),
                                                                            line=line), suggested=base + meant))
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


# -- Rails ActionMailer -----------------------------------------------------------------------------

# The names Rails apps commonly map into smtp_settings, when only an env file is given.
RAILS_ENV = {"host": ("SMTP_ADDRESS",), "port": ("SMTP_PORT",), "user": ("SMTP_USER_NAME", "SMTP_USERNAME"),
             "password": ("SMTP_PASSWORD",), "sender": ("SMTP_FROM",)}
RAILS_FLAGS = {"tls": ("SMTP_TLS", "SMTP_SSL"), "enable_starttls": ("SMTP_ENABLE_STARTTLS",),
               "enable_starttls_auto": ("SMTP_ENABLE_STARTTLS_AUTO",), "openssl_verify_mode": ("SMTP_OPENSSL_VERIFY_MODE",),
               "authentication": ("SMTP_AUTHENTICATION",)}
# Mail::SMTP's own keys: anything else in smtp_settings is ignored by the mail gem.
RAILS_KEYS = frozenset(("address", "port", "domain", "user_name", "password", "authentication", "enable_starttls",
                        "enable_starttls_auto", "openssl_verify_mode", "ssl", "tls", "open_timeout", "read_timeout",
                        "ca_path", "ca_file", "return_response"))
RAILS_FIELDS = {"address": "host", "port": "port", "user_name": "user", "password": "password"}
RAILS_AUTH = ("plain", "login", "cram_md5", "xoauth2")
FALSE_LOOKING = ("false", "0", "no", "off", "")


@value(frozen=False)
class _RailsFlags:
    """The TLS keys of smtp_settings as the mail gem sees them, each with where it was set."""

    values: dict[str, str] = field(default_factory=dict)  # tls: true/false, enable_starttls: always/auto/false...
    sources: dict[str, ValueSource] = field(default_factory=dict)
    unknown: bool = False  # a TLS key is computed by code or set at deploy time: the mode is not known here


def read_rails(entries: Mapping[str, Entry], files: list[Path], context: _Context | None = None) -> SourceRead:
    context = context or _Context()
    version = context.version("rails")
    rb = next((f for f in files if f.name.lower().endswith(".rb")), None)
    if rb is not None:
        return _read_rails_file(rb, entries, context, version)
    findings: list[Finding] = []
    values = {f: _raw(next((entries[n] for n in ns if n in entries), None)) for f, ns in RAILS_ENV.items()}
    flags = _RailsFlags()
    for key, names in RAILS_FLAGS.items():
        for name in names:
            entry = entries.get(name)
            if entry is None or not entry.value.strip():
                continue
            word = entry.value.strip().strip("\"'").lower().lstrip(":")
            if key in ("openssl_verify_mode", "authentication"):
                _rails_word(key, word, entry.source, findings)
                continue
            truth = parse_bool(word)
            if key == "enable_starttls" and word in ("always", "auto"):
                flags.values[key], flags.sources[key] = word, entry.source
            elif truth is None:
                findings.append(_finding("config.invalid_value", entry.source, shown=_shown(entry.value),
                                         expected=phrase("frameworks.expected.true_false")))
            elif key == "tls" and flags.values.get("tls") == "true":
                continue  # SMTP_TLS=true and SMTP_SSL=false: either one on means TLS
            else:
                flags.values[key] = ("always" if truth else "false") if key == "enable_starttls" else str(truth).lower()
                flags.sources[key] = entry.source
    return _rails_read(SettingsInput(**values), flags, findings, version, NAMINGS[SourceFormat.RAILS], True)


def _rails_word(key: str, word: str, source: ValueSource, findings: list[Finding]) -> None:
    if key == "openssl_verify_mode" and word in ("none", "verify_none", "openssl::ssl::verify_none"):
        findings.append(_finding("config.tls_verification_disabled", source, option="openssl_verify_mode: none"))
    elif key == "authentication" and word and word not in RAILS_AUTH:
        findings.append(_finding("config.invalid_value", source, shown=_shown(word), expected=", ".join(RAILS_AUTH)))


def _rails_read(inp: SettingsInput, flags: _RailsFlags, findings: list[Finding], version: Version, naming: Naming,
                sends: bool, in_use: bool = True) -> SourceRead:
    decision = None if flags.unknown else decide("rails", flags.values, version)
    if decision is not None and decision.mode == INVALID:
        findings.append(_finding("config.invalid_value", flags.sources.get("tls"), variant="rails_tls_starttls"))
    if not sends:
        decision = Decision(NONE, decision.rule if decision else None, ())
    inp_secure = _secure_from(decision, flags.sources)
    from dataclasses import replace

    read = _framework_read(SourceFormat.RAILS, "rails", replace(inp, secure=inp_secure), findings, decision, version,
                           naming)
    read.in_use = read.in_use and in_use
    return read


def _read_rails_file(path: Path, entries: Mapping[str, Entry], context: _Context, version: Version) -> SourceRead:
    from smtpdoctor.settings.ruby_hash import read_mailer_config, resolve, truthy

    config = read_mailer_config(_read_text(path))
    findings: list[Finding] = []

    def lookup(name: str) -> str | None:
        return entries[name].value if name in entries else None

    def source(name: str, line: int | None) -> ValueSource:
        return ValueSource(kind="config", name=name, file=str(path), line=line)

    if config.assigned_at is None or config.whole is not None:
        where = source("config.action_mailer.smtp_settings", config.assigned_at)
        if not context.lint:
            findings.append(_finding("config.missing", where, variant="rails_no_settings" if config.whole is None
                                     else "unreadable", how=phrase("settings.ruby.expression"), file=path.name))
        if config.whole is not None:
            context.deferred.update(("host", "port", "user", "password"))
        return _rails_read(SettingsInput(), _RailsFlags(), findings, version, RAILS_FILE_NAMING, True,
                           in_use=config.assigned_at is not None)
    for key, setting in config.settings.items():
        meant = _key_slip("rails", key, RAILS_KEYS)
        if meant is not None:
            findings.append(_finding("config.ignored_name", source(f"smtp_settings[:{key}]", setting.line),
                                     suggested=meant))

    def value(key: str, field_name: str | None, setting=None) -> tuple[RawValue | None, object]:
        setting = setting or config.settings.get(key)
        if setting is None:
            return None, None
        name = "default_options[:from]" if key == "from" else f"smtp_settings[:{key}]"
        src = source(name, setting.line)
        got = resolve(setting.value, lookup)
        if got.unknown:
            unknown.add(key)
            if field_name:
                context.deferred.add(field_name)
            if not context.lint:
                findings.append(_finding("config.missing", src, variant="unreadable", how=phrase(f"settings.ruby.{got.unknown}")))
            return None, None
        if got.missing:
            if context.lint:  # ENV["X"]: set at deploy time
                unknown.add(key)
                if field_name:
                    context.deferred.add(field_name)
                return None, None
            if field_name:  # a switch left nil is simply off; a host or password left nil is missing
                findings.extend(_finding("config.missing", src, variant="unresolved", ref=ref) for ref in got.missing)
        text = "" if got.value is None else (str(got.value).lower() if isinstance(got.value, bool) else str(got.value))
        return RawValue(text=Secret(text), source=src), got

    unknown: set[str] = set()  # keys whose value is not known here: no TLS verdict rests on a guess
    fields: dict[str, RawValue | None] = {}
    for key, field_name in RAILS_FIELDS.items():
        fields[field_name] = value(key, field_name)[0]
    if config.sender is not None:
        fields["sender"] = value("from", "sender", config.sender)[0]
    flags = _RailsFlags()
    for key in ("tls", "ssl", "enable_starttls", "enable_starttls_auto", "openssl_verify_mode", "authentication"):
        raw, got = value(key, None)
        if raw is None or got is None or got.value is None:
            continue
        if key in ("openssl_verify_mode", "authentication"):
            _rails_word(key, str(got.value).lower(), raw.source, findings)
            continue
        if isinstance(got.value, str) and not got.symbol and got.value.strip().lower() in FALSE_LOOKING:
            # ENV["SMTP_TLS"] is the string "false": every string is true to Ruby, so this turns the key on.
            findings.append(_finding("config.invalid_value", raw.source, variant="ruby_string_true",
                                     shown=_shown(got.value), key=key))
        on = truthy(got.value)
        name = "tls" if key == "ssl" else key
        if name == "tls" and flags.values.get("tls") == "true":
            continue
        if name == "enable_starttls":
            word = got.value if got.symbol and got.value in ("always", "auto") else ("always" if on else "false")
        else:
            word = "true" if on else "false"
        flags.values[name], flags.sources[name] = word, raw.source
    sends = True
    for setting, expected in ((config.delivery_method, "smtp"), (config.perform_deliveries, True)):
        if setting is None or context.lint:
            continue
        got = resolve(setting.value, lookup)
        if got.unknown is None and got.value is not None and got.value != expected:
            sends = False
            findings.append(_finding("config.invalid_value", source(f"config.action_mailer.{setting.key}", setting.line),
                                     variant="mailer_not_smtp", shown=_shown(got.value if not got.symbol else f":{got.value}")))
    if unknown & {"tls", "ssl", "enable_starttls", "enable_starttls_auto"}:
        flags = _RailsFlags(unknown=True)
    return _rails_read(SettingsInput(**fields), flags, findings, version, RAILS_FILE_NAMING, sends)


READERS = {
    SourceFormat.RAILS: read_rails,
    SourceFormat.DJANGO: read_django,
    SourceFormat.LARAVEL: read_laravel,
    SourceFormat.SYMFONY: read_symfony,
    SourceFormat.SUPABASE: read_supabase,
    SourceFormat.SPRING: read_spring,
}
