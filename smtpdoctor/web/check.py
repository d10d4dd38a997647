"""The Check page's work: the form read and refused when unsafe, then `app.run_check` — the function
`smtpdoctor check` calls — with the probe's steps handed to the page as they finish.

The server's own environment is never read (its SMTP_* variables are not the customer's settings): the
form is the only source. The password lives in this request's memory only: it is not put back into the
form, not logged (uvicorn's access log is off, and it is in the POST body, not the URL), and every
output passes the run's Redactor, as every output of the CLI does.

Server-side request forgery: the page opens connections for whoever reaches it, so it refuses a host
whose address is private, loopback, link-local or otherwise not global, and ports other than mail
submission ports, unless `--allow-private` is given. The name is resolved before the probe resolves it
again; a name whose DNS answer changes in between (rebinding) is the remaining gap, which is why the
whole page stays off without `--allow-check`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, field

import anyio

MAIL_PORTS = (25, 465, 587, 2525)
CHECK_MAX_TIME = 45.0  # seconds for the whole check (--max-time), within the request's limit (guard.TIME_LIMIT)
STEP_TIMEOUT = 10.0  # seconds for each wait of the probe (--timeout)
RESOLVE_TIMEOUT = 10.0
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass
class CheckForm:
    host: str = ""
    port: str = ""
    mode: str = "auto"
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""

    def shown(self) -> dict[str, str]:
        """What the form shows again after a check: everything but the password."""
        return {"host": self.host, "port": self.port, "mode": self.mode, "user": self.user, "sender": self.sender}


def read_form(values) -> CheckForm:
    def one(name: str, limit: int = 320) -> str:
        value = values.get(name)
        return value[:limit] if isinstance(value, str) else ""

    mode = one("mode")
    return CheckForm(host=one("host").strip(), port=one("port").strip(), mode=mode if mode in ("auto", "starttls", "tls") else "auto",
                     user=one("user").strip(), password=one("password", 4096), sender=one("sender").strip())


def target_of(form: CheckForm) -> tuple[str | None, int | None, list[tuple[str, dict]]]:
    """The host as DNS needs it and the port; or the errors, as (message id, parameters)."""
    errors: list[tuple[str, dict]] = []
    host = ascii_host(form.host) if form.host else None
    if not form.host:
        errors.append(("web.check.error.host", {}))
    elif host is None:
        errors.append(("web.check.error.host_bad", {"value": form.host}))
    port: int | None = 465 if form.mode == "tls" else 587
    if form.port:
        port = int(form.port) if form.port.isascii() and form.port.isdigit() and len(form.port) <= 5 else None
        if port is None or not 1 <= port <= 65535:
            errors.append(("web.check.error.port", {}))
            port = None
    return host, port, errors


def ascii_host(value: str) -> str | None:
    """A host name (IDN allowed) or an IP address, in the form DNS takes; None for anything else (a URL,
    a user name, spaces, control characters)."""
    bare = value.strip()
    if bare.startswith("[") and bare.endswith("]"):
        bare = bare[1:-1]
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    if not bare or len(bare) > 253 or any(ch.isspace() or ord(ch) < 32 or ch in "/@?#\\:[]%" for ch in bare):
        return None
    from smtpdoctor.settings.model import ascii_domain

    name = ascii_domain(bare.rstrip("."))
    if name is None or not all(_LABEL.fullmatch(label) for label in name.split(".")):
        return None
    return name.lower()


def not_public(address: str) -> bool:
    """Private, loopback, link-local, multicast, reserved, unspecified or shared: not an address on the
    internet. An IPv6 address that carries an IPv4 one (mapped, NAT64, 6to4, Teredo) is judged by that one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip.teredo is not None:
            ip = ip.teredo[1]
    return (not ip.is_global or ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


async def refusal(host: str, port: int, allow_private: bool) -> tuple[str, dict] | None:
    """Why this target may not be probed from here, or None. Resolves the name (in a thread, bounded)."""
    if allow_private:
        return None
    if port not in MAIL_PORTS:
        return "web.check.error.port_not_mail", {"port": port}
    try:
        with anyio.fail_after(RESOLVE_TIMEOUT):
            infos = await anyio.to_thread.run_sync(
                lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM), abandon_on_cancel=True)
    except (OSError, UnicodeError, TimeoutError):
        return "web.check.error.unresolved", {"host": host}
    for info in infos:
        address = info[4][0]
        if not_public(address):
            return "web.check.error.private", {"host": host, "address": address}
    return None


def prepared(form: CheckForm, host: str, port: int, ca_file=None):
    """The settings as `check --host ... --port ...` reads them (no environment), the options, the redactor."""
    from smtpdoctor.app import CheckOptions
    from smtpdoctor.redact import Redactor
    from smtpdoctor.settings.frameworks import read_source

    options: dict[str, str | None] = {"host": host, "port": str(port), "user": form.user or None,
                                      "sender": form.sender or None, "password": form.password or None}
    names = {"host": "--host", "port": "--port", "user": "--user", "sender": "--sender", "password": "--password"}
    mode = form.mode if form.mode != "auto" else ("tls" if port == 465 else None)  # as the form says: 465 is TLS
    if mode is not None:
        options["secure"] = "true" if mode == "tls" else "false"
        names["secure"] = "--secure" if mode == "tls" else "--no-secure"
    read = read_source("nodemailer", options, {}, None, [], names)
    opts = CheckOptions(timeout=STEP_TIMEOUT, max_time=CHECK_MAX_TIME, platform="none", check_dns=True, ca_file=ca_file)
    return read, opts, Redactor.for_input(read.inp)
