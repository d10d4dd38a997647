"""Where the SMTP settings come from, and what they mean once cleaned.

Priority, highest first: command-line options > environment > --env-file > provider defaults.
Each raw value keeps its source so a diagnosis can say "SMTP_PORT (from .env, line 4)".
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dataclasses import dataclass

from smtpdoctor.secret import Secret

from smtpdoctor.errors import InputError, os_reason
from smtpdoctor.report import ValueSource

# The names apps use for each field, in the order we prefer them.
ENV_NAMES: dict[str, tuple[str, ...]] = {
    "host": ("SMTP_HOST",),
    "port": ("SMTP_PORT",),
    "secure": ("SMTP_SECURE",),
    "user": ("SMTP_USER", "SMTP_USERNAME"),
    "password": ("SMTP_PASS", "SMTP_PASSWORD"),
    "sender": ("SMTP_FROM", "SMTP_SENDER"),
    "sender_name": ("SMTP_SENDER_NAME", "SMTP_FROM_NAME"),
}
URL_NAME = "SMTP_URL"


@dataclass(frozen=True)
class RawValue:
    """A setting exactly as given (quotes, spaces and all), with its origin."""

    text: Secret  # a Secret for every field, so no raw value can leak through a repr
    source: ValueSource

    @property
    def value(self) -> str:
        return self.text.get_secret_value()


@dataclass(frozen=True)
class SettingsInput:
    """The raw settings after merging all layers, before any cleaning."""

    host: RawValue | None = None
    port: RawValue | None = None
    secure: RawValue | None = None
    user: RawValue | None = None
    password: RawValue | None = None
    sender: RawValue | None = None
    sender_name: RawValue | None = None
    url_problem: str | None = None  # SMTP_URL given but not usable: "scheme", "no_host" or "syntax"
    url_error: str | None = None  # for "syntax": the URL parser's own reason, verbatim
    url_source: ValueSource | None = None

    def get(self, field: str) -> RawValue | None:
        return getattr(self, field)


@dataclass(frozen=True)
class SmtpSettings:
    """Cleaned, typed settings the probe uses."""

    port: int
    secure: bool
    host: str | None = None
    secure_explicit: bool = False
    user: str | None = None
    password: Secret | None = None
    sender: str | None = None
    sender_name: str | None = None
    provider: str | None = None


MAX_SETTINGS_FILE = 1 << 20  # 1 MiB: a .env or config file is a few KiB; /dev/zero must not fill the memory


def read_settings_bytes(path: Path, error_id: str, limit: int = MAX_SETTINGS_FILE) -> bytes:
    """At most `limit` bytes of a settings file, else an InputError. Reading stops at limit + 1, so a
    device or a pipe that never ends costs 1 MiB, and `--env-file <(command)` (a pipe) still works."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(error_id, file=path, reason=os_reason(exc)) from exc
    if len(data) > limit:
        from smtpdoctor.report import phrase

        raise InputError(error_id, file=path, reason=phrase("hardening.reason.too_large", n=limit // (1 << 20)))
    return data


def read_env_file(path: Path) -> dict[str, tuple[str, int]]:
    """Parse a .env file into {name: (value, line)}; an unreadable or broken file is an InputError."""
    from dotenv.parser import parse_stream

    data = read_settings_bytes(path, "error.env_unreadable")
    if b"\0" in data:
        raise InputError("error.env_binary", file=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("error.env_encoding", file=path, line=data[: exc.start].count(b"\n") + 1) from exc
    values: dict[str, tuple[str, int]] = {}
    # newline="" keeps a lone \r inside values: a Windows-saved file is a finding, not a silent fix.
    for binding in parse_stream(io.StringIO(text, newline="")):
        if binding.error:
            raise InputError("error.env_syntax", file=path, line=binding.original.line)
        if binding.key is not None:
            values[binding.key] = (binding.value or "", binding.original.line)
    return values


def split_url(url: str):
    """urlsplit, or None when the URL cannot be read as one. Never the parser's own message: it quotes
    the offending part ("... integer value as 'Hunter2'"), which is the password when a '/', '#' or
    '?' in it was not percent-encoded. A '@' after the host part means exactly that too."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not ASCII 0-9 or out of range
    except ValueError:
        return None
    if "@" in parts.path + parts.query + parts.fragment:
        return None
    return parts


def _from_url(url: str, base: ValueSource) -> tuple[dict[str, RawValue], tuple[str, str | None] | None]:
    """Split smtp://user:pass@host:port into raw values; returns (values, (problem, parser's reason) or None)."""
    parts = split_url(url)
    if parts is None:
        return {}, ("syntax", None)
    port = parts.port
    if parts.scheme.lower() not in ("smtp", "smtps"):
        return {}, ("scheme", None)
    if not parts.hostname:
        return {}, ("no_host", None)
    src = ValueSource(kind="url", name=base.name, file=base.file, line=base.line)
    out: dict[str, RawValue] = {"host": RawValue(text=Secret(parts.hostname), source=src)}
    out["secure"] = RawValue(text=Secret("true" if parts.scheme.lower() == "smtps" else "false"), source=src)
    if port is not None:
        out["port"] = RawValue(text=Secret(str(port)), source=src)
    if parts.username:
        out["user"] = RawValue(text=Secret(unquote(parts.username)), source=src)
    if parts.password:
        out["password"] = RawValue(text=Secret(unquote(parts.password)), source=src)
    return out, None


def _layer(env: Mapping[str, str], kind: str, lines: Mapping[str, int] | None = None, file: str | None = None):
    values: dict[str, RawValue] = {}
    for field, names in ENV_NAMES.items():
        for name in names:
            if name in env:
                src = ValueSource(kind=kind, name=name, file=file, line=(lines or {}).get(name))
                values[field] = RawValue(text=Secret(env[name]), source=src)
                break
    url_values: dict[str, RawValue] = {}
    problem = None
    url_source = None
    if env.get(URL_NAME, "").strip():
        url_source = ValueSource(kind=kind, name=URL_NAME, file=file, line=(lines or {}).get(URL_NAME))
        url_values, problem = _from_url(env[URL_NAME], url_source)
    # Within one layer a specific variable beats the URL.
    return {**url_values, **values}, problem, url_source


def load_settings_input(
    options: Mapping[str, str | None],
    env: Mapping[str, str],
    env_file: Path | None = None,
    option_names: Mapping[str, str] | None = None,
) -> SettingsInput:
    """Merge options > environment > .env file. Provider defaults are applied in `clean`."""
    merged: dict[str, RawValue] = {}
    url_problem = None
    url_source = None
    if env_file is not None:
        parsed = read_env_file(env_file)
        flat = {k: v for k, (v, _) in parsed.items()}
        lines = {k: line for k, (_, line) in parsed.items()}
        layer, problem, src = _layer(flat, "dotenv", lines, str(env_file))
        merged.update(layer)
        url_problem, url_source = problem or url_problem, src or url_source
    layer, problem, src = _layer(env, "env")
    merged.update(layer)
    if src is not None:
        url_problem, url_source = problem, src
    for field, value in options.items():
        if value is not None:
            kind = "stdin" if field == "password" and (option_names or {}).get(field) == "--password-stdin" else "option"
            name = (option_names or {}).get(field, f"--{field.replace('_', '-')}")
            merged[field] = RawValue(text=Secret(value), source=ValueSource(kind=kind, name=name))
    problem, error = url_problem or (None, None)
    return SettingsInput(**merged, url_problem=problem, url_error=error, url_source=url_source)


QUOTES = "\"'`«»“”„"


def clean_text(value: str) -> str:
    """What the value would be without the usual copy-paste damage: spaces, quotes, trailing ; or ,."""
    cleaned = value.strip()
    while len(cleaned) >= 2 and cleaned[0] in QUOTES and cleaned[-1] in QUOTES:
        cleaned = cleaned[1:-1].strip()
    return cleaned.rstrip(";,").strip()


def clean_host(value: str) -> str:
    host = clean_text(value).lower()
    for prefix in ("smtps://", "smtp://", "https://", "http://"):
        if host.startswith(prefix):
            host = host[len(prefix):]
    host = host.split("/", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.strip("[]").rstrip(".")


TRUE_WORDS = {"true", "1", "yes", "on"}
FALSE_WORDS = {"false", "0", "no", "off", ""}


def parse_bool(value: str) -> bool | None:
    word = clean_text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def parse_port(value: str) -> int | None:
    text = clean_text(value)
    # ASCII 0-9 only: '٥٨٧' or '１２３' are digits to str.isdigit() (and int() reads them), but no mail
    # client would; '²' passes isdigit() and crashes int(); 5 000 digits exceed int()'s limit.
    if not (text.isascii() and text.isdigit()) or len(text) > 5:
        return None
    port = int(text)
    return port if 1 <= port <= 65535 else None


def clean(inp: SettingsInput, preset=None, default_port: int = 587) -> SmtpSettings:
    """Typed settings, with the provider's defaults where a value is missing.

    Values that cannot be parsed fall back to defaults here; the static checks report them.
    """
    host = clean_host(inp.host.value) if inp.host and inp.host.value.strip() else None
    if host is None and preset is not None:
        host = preset.example_host() or None
    secure_explicit = inp.secure is not None and parse_bool(inp.secure.value) is not None
    port = parse_port(inp.port.value) if inp.port else None
    if port is None:
        if secure_explicit and parse_bool(inp.secure.value):
            port = 465
        elif preset is not None:
            port = preset.default_port
        else:
            port = default_port
    if secure_explicit:
        secure = bool(parse_bool(inp.secure.value))
    elif inp.port is None and preset is not None:
        secure = preset.default_mode().secure
    else:
        secure = port == 465  # nodemailer: secure undefined + port 465 means implicit TLS
    password = None
    if inp.password is not None and inp.password.value.strip():
        password = Secret(clean_text(inp.password.value))
    return SmtpSettings(
        host=host or None,
        port=port,
        secure=secure,
        secure_explicit=secure_explicit,
        user=clean_text(inp.user.value) or None if inp.user else None,
        password=password,
        sender=_address_only(inp.sender.value) if inp.sender else None,
        sender_name=clean_text(inp.sender_name.value) or None if inp.sender_name else None,
        provider=preset.id if preset is not None else None,
    )


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def _address_only(value: str) -> str | None:
    text = clean_text(value)
    if not text:
        return None
    if _PLAIN_ADDRESS.fullmatch(text):
        return text  # a bare address: nothing for the header parser to take apart (and no import of it)
    from email.utils import parseaddr

    _, addr = parseaddr(text)
    return addr or text
