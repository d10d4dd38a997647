"""SMTP_URL and MAILER_DSN as parts, read leniently (a password holding an unencoded '@', '#' or '/' included)
and written back with every part percent-encoded, so the application's own URL parser reads what was meant."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote

MASK = "********"  # smtpdoctor.redact.MASK: a password is never part of a shown value

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$", re.DOTALL)
# What may follow the last '@' of a URL: a host name or [IPv6], an optional port, then path, query or fragment.
_HOST_PART = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-_]*)(?::(\d*))?([/?#].*)?$", re.DOTALL)


@dataclass(frozen=True)
class UrlParts:
    scheme: str
    host: str
    user: str | None = None  # percent-decoded
    password: str | None = None  # percent-decoded
    port: str | None = None
    rest: str = ""  # path, query and fragment as written (Symfony's ?verify_peer=0...)

    def with_changes(self, **changes) -> UrlParts:
        return replace(self, **changes)


MAX_URL = 8192  # characters: a DSN is a line of a .env; anything longer is not re-spelt
MAX_AT = 16  # the last '@'s tried as the end of the user and password (each try reads the rest once)


def parse_loose(text: str) -> UrlParts | None:
    """The parts of `scheme://user:password@host:port/rest`, where the user and password may hold any character:
    the host is what follows the last '@' that leaves a valid host, port and rest. None when no such split."""
    if len(text) > MAX_URL:
        return None
    m = _SCHEME.match(text.strip().strip("\"'"))
    if m is None:
        return None
    scheme, rest = m.group(1), m.group(2)
    ats = [i for i, ch in enumerate(rest) if ch == "@"]
    for at in reversed(ats[-MAX_AT:]):
        host = _HOST_PART.match(rest[at + 1:])
        if host is not None and host.group(1):
            user, colon, password = rest[:at].partition(":")
            return UrlParts(scheme, host.group(1), unquote(user) if user else None,
                            unquote(password) if colon else None, host.group(2) or None, host.group(3) or "")
    host = _HOST_PART.match(rest)
    if host is None or not host.group(1):
        return None
    return UrlParts(scheme, host.group(1), port=host.group(2) or None, rest=host.group(3) or "")


def build(parts: UrlParts, masked: bool = False) -> str:
    """The URL with the user and password percent-encoded (every reserved character: Symfony decodes them with
    urldecode, which also reads '+' as a space); `masked`: the password as ******** (what may be shown)."""
    info = ""
    if parts.user is not None or parts.password is not None:
        info = quote(parts.user or "", safe="")
        if parts.password is not None:
            info += ":" + (MASK if masked and parts.password else quote(parts.password, safe=""))
        info += "@"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{info}{parts.host}{port}{parts.rest}"
