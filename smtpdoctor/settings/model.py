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


from smtpdoctor.secret import Secret

from smtpdoctor.errors import InputError, os_reason
from smtpdoctor.report import ValueSource
from smtpdoctor.values import value

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


@value
class RawValue:
    """A setting exactly as given (quotes, spaces and all), with its origin."""

    text: Secret  # a Secret for every field, so no raw value can leak through a repr
    source: ValueSource

    @property
    def value(self) -> str:
        return self.text.get_secret_value()


@value
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


@value
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


def readable(value: str) -> tuple[str, int | None]:
    """The value as text, and the place (1-based, in characters) of its first byte that is not UTF-8, if any.

    Python hands such bytes of the environment and of the command line over as lone surrogates (PEP 383),
    which nothing can encode later (a crash in whatever prints or hashes the value); Node.js reads each as
    U+FFFD, so that is what the application gets and what is checked."""
    try:
        value.encode("utf-8")
        return value, None
    except UnicodeEncodeError as exc:
        first = exc.start + 1
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value), first


_LDH_LABEL = re.compile(r"(?!-)(?!..--)[a-z0-9-]{1,63}(?<!-)")


def idna_encoded(host: str) -> str:
    """`idna.encode(host, uts46=True)` as text (IDNAError or UnicodeError when it is no valid name). A plain
    ASCII host name (letters, digits, inner hyphens, labels of 1 to 63, 253 in all: nearly every one) comes
    out lower-cased and otherwise as it is, which is all idna would do with it: it is answered here, without
    importing idna (its tables cost a healthy check ~4 ms). Anything else (xn--, _, a trailing dot) goes to idna."""
    lowered = host.lower()
    if host.isascii() and len(host) <= 253 and all(_LDH_LABEL.fullmatch(label) for label in lowered.split(".")):
        return lowered
    import idna

    return idna.encode(host, uts46=True).decode()


def ascii_domain(domain: str) -> str | None:
    """An internationalised domain (пример.рф) in the A-label form DNS and SMTP use (xn--e1afmkfd.xn--p1ai);
    an ASCII domain as it is; None when it is no valid IDN."""
    if domain.isascii():
        return domain
    import idna  # only for a non-ASCII name: most runs never need it

    try:
        return idna.encode(domain.rstrip("."), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def ascii_address(address: str) -> str:
    """The address with its domain in A-labels (me@пример.рф -> me@xn--e1afmkfd.xn--p1ai); a Unicode local
    part stays as it is: only SMTPUTF8 carries it."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    converted = ascii_domain(domain)
    return f"{local}@{converted}" if converted else address


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
                values[field] = RawValue(text=Secret(readable(env[name])[0]), source=src)
                break
    url_values: dict[str, RawValue] = {}
    problem = None
    url_source = None
    if env.get(URL_NAME, "").strip():
        url_source = ValueSource(kind=kind, name=URL_NAME, file=file, line=(lines or {}).get(URL_NAME))
        url_values, problem = _from_url(readable(env[URL_NAME])[0], url_source)
    # Within one layer a specific variable beats the URL.
    return {**url_values, **values}, problem, url_source


def load_settings_input(
    options: Mapping[str, str | None],
    env: Mapping[str, str],
    env_file: Path | None = None,
    option_names: Mapping[str, str] | None = None,
    env_files: tuple[Path, ...] = (),
) -> SettingsInput:
    """Merge options > environment > .env file(s), the later file over the earlier. Nothing is filled in from a
    provider: a value the application does not have stays missing (`clean` and the static checks say what then)."""
    merged: dict[str, RawValue] = {}
    url_problem = None
    url_source = None
    for path in (*env_files, *((env_file,) if env_file is not None else ())):
        parsed = read_env_file(path)
        flat = {k: v for k, (v, _) in parsed.items()}
        lines = {k: line for k, (_, line) in parsed.items()}
        layer, problem, src = _layer(flat, "dotenv", lines, str(path))
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
            merged[field] = RawValue(text=Secret(readable(value)[0]), source=ValueSource(kind=kind, name=name))
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
    userinfo, at, rest = host.rpartition("@")
    if at and (":" in userinfo or value.strip().lower().startswith(("smtp://", "smtps://"))):
        host = rest  # credentials written into the host (smtp://me:pass@host): the host is what follows them
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


def clean(inp: SettingsInput, preset=None, default_port: int = 587, unset=None) -> SmtpSettings:
    """Typed settings as the application has them.

    A host that is not set stays None: the provider's host is only ever a suggestion (app.run_check probes it,
    marked as such). A port that is not set is the framework's default (`unset`: semantics.Unset; nodemailer's
    587, or 465 with TLS from the first byte, when no format is known). A port that cannot be parsed falls back
    to the provider's default so the probe can still test the rest; the static checks report it."""
    host = clean_host(inp.host.value) if inp.host and inp.host.value.strip() else None
    if host:
        host = ascii_domain(host) or host  # пример.рф -> xn--e1afmkfd.xn--p1ai; an invalid one is check_host's
    secure_explicit = inp.secure is not None and parse_bool(inp.secure.value) is not None
    implicit_wanted = secure_explicit and bool(parse_bool(inp.secure.value))
    port = parse_port(inp.port.value) if inp.port else None
    if port is None and inp.port is not None and inp.port.value.strip() and preset is not None:
        port = preset.default_port  # unreadable: config.invalid_port says so; the probe still tests the rest
    if port is None:
        if unset is not None:
            port = unset.port_implicit if implicit_wanted and unset.port_implicit else unset.port
        else:
            port = 465 if implicit_wanted else default_port
    if secure_explicit:
        secure = implicit_wanted
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
        # Its domain in A-labels: what goes into MAIL FROM and the DNS queries (me@пример.рф -> me@xn--...).
        sender=ascii_address(_address_only(inp.sender.value) or "") or None if inp.sender else None,
        sender_name=clean_text(inp.sender_name.value) or None if inp.sender_name else None,
        provider=preset.id if preset is not None else None,
    )


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def _address_only(value: str) -> str | None:
    """The bare address of a From value, as the stdlib's header parser takes it."""
    text = clean_text(value)
    if not text:
        return None
    if _PLAIN_ADDRESS.fullmatch(text):
        return text  # a bare address: nothing for the header parser to take apart (and no import of it)
    from email.utils import parseaddr

    _, addr = parseaddr(text)
    return addr or text
