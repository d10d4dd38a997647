"""Changes of the effective settings -> Edits in the user's own source, each in that source's format.

A TLS mode is spelt with the framework's own switches (prescriptions.toml [tls.*]) and kept only when the
framework's rules (frameworks.toml, for the project's version) give that mode back; a switch whose value
would not change anything is left out (Django: `EMAIL_USE_SSL=False`, not both flags again). What lives in a
URL (SMTP_URL, Symfony's MAILER_DSN) is edited as the whole URL, percent-encoded, its password masked in what
is shown and kept in clear only in `Edit.clear`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from smtpdoctor.prescribe.model import Edit, Field
from smtpdoctor.prescribe.urls import UrlParts, build, parse_loose
from smtpdoctor.prescribe.written import SUPABASE_TABLE, Written
from smtpdoctor.secret import Secret

# The key each format reads a setting from, in its order of preference (the first one present wins).
FIELD_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "nodemailer": {"host": ("SMTP_HOST",), "port": ("SMTP_PORT",), "user": ("SMTP_USER", "SMTP_USERNAME"),
                   "sender": ("SMTP_FROM", "SMTP_SENDER")},
    "django": {"host": ("EMAIL_HOST",), "port": ("EMAIL_PORT",), "user": ("EMAIL_HOST_USER",),
               "sender": ("DEFAULT_FROM_EMAIL", "SERVER_EMAIL")},
    "laravel": {"host": ("MAIL_HOST",), "port": ("MAIL_PORT",), "user": ("MAIL_USERNAME",), "sender": ("MAIL_FROM_ADDRESS",)},
    "symfony": {"sender": ("MAILER_FROM", "MAIL_FROM")},
    "spring": {"host": ("spring.mail.host",), "port": ("spring.mail.port",), "user": ("spring.mail.username",),
               "sender": ("spring.mail.properties.mail.smtp.from", "spring.mail.from")},
    "supabase": {"host": ("GOTRUE_SMTP_HOST", "SMTP_HOST"), "port": ("GOTRUE_SMTP_PORT", "SMTP_PORT"),
                 "user": ("GOTRUE_SMTP_USER", "SMTP_USER"), "sender": ("GOTRUE_SMTP_ADMIN_EMAIL", "SMTP_ADMIN_EMAIL")},
    "rails": {"host": ("SMTP_ADDRESS",), "port": ("SMTP_PORT",), "user": ("SMTP_USER_NAME", "SMTP_USERNAME"),
              "sender": ("SMTP_FROM",)},
    "supabase_toml": {"host": (f"{SUPABASE_TABLE} host",), "port": (f"{SUPABASE_TABLE} port",),
                      "user": (f"{SUPABASE_TABLE} user",), "sender": (f"{SUPABASE_TABLE} admin_email",)},
}
URL_KEYS = {"nodemailer": "SMTP_URL", "symfony": "MAILER_DSN"}
# The key of the port among the settings a framework's TLS rules read (the port decides the mode there).
PORT_RULE_KEY = {"nodemailer": "SMTP_PORT", "laravel": "MAIL_PORT", "symfony": "MAILER_DSN.port"}
TLS_RULE_KEYS = {
    "nodemailer": ("SMTP_SECURE", "SMTP_PORT", "SMTP_REQUIRE_TLS", "SMTP_IGNORE_TLS"),
    "django": ("EMAIL_USE_TLS", "EMAIL_USE_SSL"),
    "laravel": ("MAIL_ENCRYPTION", "MAIL_SCHEME", "MAIL_PORT"),
    "spring": ("spring.mail.protocol", "spring.mail.ssl.enabled", "spring.mail.properties.mail.smtp.ssl.enable",
               "spring.mail.properties.mail.smtp.starttls.required", "spring.mail.properties.mail.smtp.starttls.enable",
               "spring.mail.host"),
}
IMPLICIT = "implicit"
STARTTLS_MODES = ("starttls", "starttls-opportunistic")


@dataclass
class Spelt:
    """Changes spelt in the source: `keys` the written keys with their new raw values (None: removed), `url`
    the URL or DSN re-spelt (clear, or None), `edits` what is shown and applied."""

    edits: tuple[Edit, ...]
    keys: dict[str, str | None] = field(default_factory=dict)
    url: str | None = None
    url_key: str | None = None


def _kind(written: Written, file: str | None) -> str:
    if file is None:
        return "env"
    name = file.lower()
    if name.endswith(".toml"):
        return "toml"
    if name.endswith(".properties"):
        return "properties"
    if name.endswith((".yml", ".yaml")):
        return "yaml"
    return "env"


_ENV_PLAIN = re.compile(r"^[A-Za-z0-9_.,:/@+\-=%*]*$")


def env_line(key: str, value: str) -> str:
    """`KEY=value` as a .env file (or a platform's variable screen) holds it: quoted only when it must be."""
    if _ENV_PLAIN.match(value):
        return f"{key}={value}"
    return f'{key}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def properties_line(key: str, value: str) -> str:
    """`key=value` as java.util.Properties reads it back (a backslash doubled, a leading space escaped)."""
    escaped = value.replace("\\", "\\\\").replace("\n", "\\n")
    return f"{key}=\\{escaped}" if escaped.startswith(" ") else f"{key}={escaped}"


_YAML_PLAIN = re.compile(r"^[A-Za-z0-9_.\-/@+]+$")


def yaml_scalar(value: str) -> str:
    return value if _YAML_PLAIN.match(value) and value.lower() not in ("null", "~", "yes", "no", "on", "off") \
        else json.dumps(value, ensure_ascii=False)


def yaml_line(key: str, value: str, file: str | None, line: int | None) -> str:
    """The YAML line holding the key: the file's own line with its value replaced (its indentation and leaf key
    kept), or a dotted key Spring Boot binds just the same for a key the file does not have yet."""
    original = _line_of(file, line)
    m = re.match(r"^(\s*[^#\n]*?:\s+)(\"[^\"]*\"|'[^']*'|[^#\s][^#]*?)?(\s+#.*)?$", original or "")
    if m is not None and original is not None:
        return (m.group(1) + yaml_scalar(value) + (m.group(3) or "")).rstrip()
    return f"{key}: {yaml_scalar(value)}"


def _line_of(file: str | None, line: int | None) -> str | None:
    if file is None or not line:
        return None
    try:
        from smtpdoctor.settings.model import read_settings_bytes

        lines = read_settings_bytes(Path(file), "error.log_unreadable").decode("utf-8", "replace").splitlines()
    except Exception:  # noqa: BLE001 - only the shape of one line is wanted; without it a plain line is fine
        return None
    return lines[line - 1] if 0 < line <= len(lines) else None


def toml_line(key: str, value: str, typed: str) -> str:
    short = key.removeprefix(SUPABASE_TABLE).strip()
    if typed == "int" and value.isdigit():
        return f"{short} = {int(value)}"
    if typed == "bool" and value in ("true", "false"):
        return f"{short} = {value}"
    return f"{short} = {json.dumps(value, ensure_ascii=False)}"


def line_for(written: Written, key: str, value: str | None, file: str | None, line: int | None) -> str | None:
    if value is None:
        return None
    kind = _kind(written, file)
    if kind == "toml":
        typed = "int" if key.endswith((" port",)) else ("bool" if key.endswith(" enabled") else "str")
        return toml_line(key, value, typed)
    if kind == "properties":
        return properties_line(key, value)
    if kind == "yaml":
        return yaml_line(key, value, file, line)
    return env_line(key, value)


# --- the keys ------------------------------------------------------------------------------------------------

def _table(written: Written) -> dict[str, tuple[str, ...]]:
    return FIELD_KEYS.get("supabase_toml" if written.toml else written.format, {})  # a format without keys here: no edit


def key_for(written: Written, field_name: str, inp=None) -> str | None:
    """The key the application reads `field_name` from: the one the settings came from, else the format's first."""
    raw = getattr(inp, field_name, None) if inp is not None else None
    if raw is not None and raw.source.kind in ("env", "dotenv", "config") and raw.source.name in written.keys:
        return raw.source.name
    names = _table(written).get(field_name, ())
    return next((k for k in names if k in written.keys), names[0] if names else None)


def _in_url(written: Written, field_name: str, inp) -> bool:
    """The setting comes from SMTP_URL / MAILER_DSN (no variable of its own overrides it there)."""
    if written.format == "symfony":
        return field_name in ("host", "port", "user", "secure", "password")
    raw = getattr(inp, field_name, None) if inp is not None else None
    return raw is not None and raw.source.kind == "url"


# --- TLS -----------------------------------------------------------------------------------------------------

def _normal(value: str | None) -> str | None:
    from smtpdoctor.settings.semantics import _normal as normal

    return normal(value)


def tls_values(written: Written, keys: Mapping[str, str | None], url: UrlParts | None, inp) -> dict[str, str | None]:
    """The settings the framework's TLS rules read, with `keys` (written key -> new value) applied."""
    fw = written.framework or written.format
    values: dict[str, str | None] = {}
    if written.format == "symfony":
        from urllib.parse import parse_qs

        if url is None:
            return {}
        values = {"MAILER_DSN.scheme": url.scheme.lower(), "MAILER_DSN.port": url.port or "",
                  "MAILER_DSN.host": url.host.lower()}
        query = url.rest.partition("?")[2].partition("#")[0]
        values.update({f"MAILER_DSN.{k.lower()}": v[-1] for k, v in parse_qs(query).items()})
        return values
    if written.format == "supabase":
        port_key = f"{SUPABASE_TABLE} port" if written.toml else key_for(written, "port", inp)
        port = keys.get(port_key, written.value(port_key)) if port_key else None
        rule_key = "auth.email.smtp.port" if written.toml else "GOTRUE_SMTP_PORT"
        return {rule_key: port.strip()} if port is not None else {}
    for key in TLS_RULE_KEYS.get(fw, ()):
        if key in keys:
            if keys[key] is not None:
                values[key] = keys[key]
        elif key in written.keys:
            values[key] = written.value(key)
    if fw == "nodemailer":
        # The effective values, wherever they came from (an option, SMTP_URL): the rules read nodemailer's options.
        for name, key in (("secure", "SMTP_SECURE"), ("port", "SMTP_PORT")):
            raw = getattr(inp, name, None)
            if key not in keys and raw is not None:
                values[key] = raw.value
    port_key = PORT_RULE_KEY.get(fw)
    field_port = key_for(written, "port", inp)
    if port_key and field_port in keys and port_key not in keys:
        values[port_key] = keys[field_port]
    return values


def decided_mode(written: Written, values: Mapping[str, str | None]) -> str | None:
    from smtpdoctor.settings.semantics import Version, decide

    fw = written.framework or written.format
    decision = decide(fw, values, Version(written.version))
    return decision.mode if decision is not None else None


def _wanted(secure: bool) -> tuple[str, ...]:
    return (IMPLICIT,) if secure else STARTTLS_MODES


def spell_tls(written: Written, secure: bool, keys: dict[str, str | None], url: UrlParts | None,
              inp) -> tuple[dict[str, str | None], UrlParts | None] | None:
    """The switches that give the TLS mode `secure` (True: from the first byte), added to `keys` (or the
    URL's scheme); None when this framework cannot be told that mode without another change (the port)."""
    from smtpdoctor.prescribe.rules import load_rules
    from smtpdoctor.settings.semantics import version_matches

    fw = written.framework or written.format
    if fw not in TLS_RULE_KEYS and fw not in ("symfony", "supabase"):
        return None  # no spelling known for its switches (Rails' smtp_settings): a TLS change is not said in them
    wanted = _wanted(secure)
    if decided_mode(written, tls_values(written, keys, url, inp)) in wanted:
        return keys, url  # the mode already follows (a port the framework decides by)
    spellings = load_rules().tls.get(fw, {}).get(IMPLICIT if secure else "starttls", ())
    for spelling in spellings:
        if not version_matches(spelling.versions, written.version) and spelling.versions != "*":
            continue
        trial = dict(keys)
        trial_url = url
        for key, value in spelling.set.items():
            if key == "MAILER_DSN.scheme":
                trial_url = url.with_changes(scheme=value) if url is not None else None
            else:
                trial[key] = value if value != "" else None
        if decided_mode(written, tls_values(written, trial, trial_url, inp)) not in wanted:
            continue
        # Leave out what changes nothing: a switch already so, or one the mode does not need.
        for key in [k for k in spelling.set if k != "MAILER_DSN.scheme"]:
            if _normal(trial[key]) == _normal(written.value(key)):
                trial.pop(key)
                continue
            without = {k: v for k, v in trial.items() if k != key}
            if key not in written.keys and decided_mode(written, tls_values(written, without, trial_url, inp)) in wanted:
                trial = without  # a switch the file does not have and the mode does not need: not added
        return trial, trial_url
    return None


# --- spelling a change ----------------------------------------------------------------------------------------

def spell(changes: Mapping[Field, str], written: Written, inp, effective_secure: bool | None,
          current_secure: bool | None = None) -> Spelt | None:
    """`changes` spelt in `written`'s format; None when the format cannot say them (a TLS switch Supabase does
    not have, a TLS mode a framework version decides by the port alone)."""
    if written.format == "rails" and any(getattr(inp, name) is not None and getattr(inp, name).source.kind == "config"
                                         for name in ("host", "port", "secure", "user", "sender")):
        return None  # config/environments/*.rb is Ruby: no edit is written into code
    keys: dict[str, str | None] = {}
    url_key = URL_KEYS.get(written.format)
    url_text = written.value(url_key) if url_key else None
    url = parse_loose(url_text) if url_text else None
    url_changed = False
    if Field.URL in changes:
        url = parse_loose(changes[Field.URL])
        if url is None or url_key is None:
            return None
        url_changed = True
    for field_name in ("host", "port", "user", "sender"):
        value = changes.get(Field(field_name))
        if value is None:
            continue
        if _in_url(written, field_name, inp) and url is not None:
            url = url.with_changes(**{field_name: value}) if field_name != "sender" else url
            url_changed = True
            continue
        key = key_for(written, field_name, inp)
        if key is None:
            return None
        keys[key] = value
    if Field.SECURE in changes or effective_secure is not None:
        secure = changes.get(Field.SECURE)
        target = (secure == "true") if secure is not None else effective_secure
        if _in_url(written, "secure", inp) and url is not None and written.format == "nodemailer":
            scheme = "smtps" if target else "smtp"
            if url.scheme.lower() != scheme:
                url, url_changed = url.with_changes(scheme=scheme), True
        else:
            spelt = spell_tls(written, bool(target), keys, url, inp)
            if spelt is None and target == current_secure and (written.framework or written.format) not in TLS_RULE_KEYS:
                spelt = keys, url  # a mode it has already, in switches not known here: the reading back will tell
            if spelt is None:
                return None
            new_keys, new_url = spelt
            url_changed = url_changed or (new_url is not url)
            keys, url = new_keys, new_url
    return _edits(written, keys, url if url_changed else None, url_key)


def _edits(written: Written, keys: dict[str, str | None], url: UrlParts | None, url_key: str | None) -> Spelt | None:
    edits: list[Edit] = []
    kept: dict[str, str | None] = {}
    for key, value in keys.items():
        old = written.value(key)
        if value is None and key not in written.keys:
            continue
        if value is not None and old is not None and _same(old, value):
            continue
        value = _styled(old, value)
        source = written.source(key)
        file = source.file if source is not None and source.kind in ("dotenv", "config") else \
            (None if source is not None else written.home)
        at = source.line if source is not None and file is not None and source.file == file else None
        edits.append(Edit(file=file, key=key, value=value, line=line_for(written, key, value, file, at), at=at))
        kept[key] = value
    clear = None
    if url is not None and url_key is not None:
        clear = build(url)
        if written.value(url_key) is None or clear != written.value(url_key).strip():
            source = written.source(url_key)
            file = source.file if source is not None and source.kind in ("dotenv", "config") else \
                (None if source is not None else written.home)
            shown = build(url, masked=True)
            secret = Secret(clear) if shown != clear else None
            at = source.line if source is not None and file is not None and source.file == file else None
            edits.append(Edit(file=file, key=url_key, value=shown, line=env_line(url_key, shown), clear=secret, at=at))
        else:
            clear = None
    if not edits:
        return None
    return Spelt(tuple(edits), kept, clear, url_key)


def _same(old: str, new: str) -> bool:
    """Already so, as written: the same text, or the same boolean however spelt (True, true, 1)."""
    return old == new or (_normal(old) == _normal(new) and _normal(new) in ("true", "false", None))


_STYLES = {"true": ("True", "true", "TRUE", "1", "yes", "on"), "false": ("False", "false", "FALSE", "0", "no", "off")}


def _styled(old: str | None, new: str | None) -> str | None:
    """A boolean written the way the file already writes its booleans (Django's True/False, 1/0)."""
    if new is None or _normal(new) not in ("true", "false") or new.lower() not in ("true", "false"):
        return new
    if old is None:
        return new
    word = old.strip().strip("\"'")
    for flag, forms in _STYLES.items():
        if word in forms:
            index = forms.index(word)
            return _STYLES["true" if new.lower() == "true" else "false"][index]
    return new
