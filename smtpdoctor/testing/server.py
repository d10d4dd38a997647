"""Real SMTP servers on loopback for `smtpdoctor demo` and the test suite.

aiosmtpd does the SMTP; each fault is a small subclass or handler hook, so the client under test
always talks to a real server over real sockets (TLS certificates come from a throwaway trustme CA).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from smtpdoctor.testing.dropping import DroppingListener

import logging

logging.getLogger("mail.log").setLevel(logging.CRITICAL)  # aiosmtpd's own chatter is not our output

DEMO_USER = "demo@smtpdoctor.test"
DEMO_PASSWORD = "demo-password-2024"


class Pki:
    """A throwaway CA and certificates for one run; nothing is trusted outside it."""

    def __init__(self) -> None:
        import trustme

        self.ca = trustme.CA()
        self.other_ca = trustme.CA()  # signs the "untrusted" certificate
        self._dir: Path | None = None

    def server_context(self, kind: str = "good") -> ssl.SSLContext:
        names = ("localhost", "127.0.0.1", "::1")
        if kind == "untrusted":
            cert = self.other_ca.issue_cert(*names)
        elif kind == "wrong_name":
            cert = self.ca.issue_cert("mail.other-domain.test")
        elif kind == "expired":
            now = dt.datetime.now(dt.timezone.utc)
            cert = self.ca.issue_cert(*names, not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=30))
        else:
            cert = self.ca.issue_cert(*names)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        return context

    def ca_file(self, directory: Path) -> Path:
        path = directory / "smtpdoctor-demo-ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return path


def authenticator_for(user: str, password: str, failure: str | None = None):
    """Real AUTH checking; `failure` is the exact reply a provider sends for a wrong login."""

    def authenticate(server, session: Session, envelope: Envelope, mechanism: str, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode("utf-8", "replace")
            secret = auth_data.password.decode("utf-8", "replace")
            if failure is None and login == user and secret == password:
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False, message=failure or "535 5.7.8 Authentication credentials invalid")

    return authenticate


class Handler:
    """Accepts mail; optional replies reject the sender at MAIL FROM or (Postfix-style) at RCPT TO."""

    def __init__(self, mail_reply: str | None = None, rcpt_reply: str | None = None) -> None:
        self.mail_reply = mail_reply
        self.rcpt_reply = rcpt_reply
        self.messages: list[Envelope] = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 2.0.0 OK queued as SDTEST123"


class OwnedSenderHandler(Handler):
    """Postfix `reject_sender_login_mismatch` (smtpd_check.c): a logged-in user may send only from an address it
    owns (here: its own login), and the refusal names that user, as Postfix does ("not owned by user LOGIN")."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        login = getattr(session, "login_data", None)
        login = login.decode("utf-8", "replace") if isinstance(login, bytes) else login
        if login is not None and (envelope.mail_from or "").lower() != login.lower():
            return f"553 5.7.1 <{envelope.mail_from}>: Sender address rejected: not owned by user {login}"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


# OAuth2 access tokens the embedded server knows (XOAUTH2 / OAUTHBEARER): each with the account it was
# issued for, its scope, and whether it has expired. The error challenges follow Google's documented shape
# (base64 of {"status","schemes","scope"}); an unknown account gets Microsoft's bare 535 5.7.3.
OAUTH2_SCOPE = "https://mail.google.com/"
OAUTH2_VALID = "ya29.sdtest-valid-Jx81c"
OAUTH2_EXPIRED = "ya29.sdtest-expired-Qm42d"
OAUTH2_NO_SCOPE = "ya29.sdtest-readonly-Vt09e"
OAUTH2_TOKENS = {
    OAUTH2_VALID: (DEMO_USER, OAUTH2_SCOPE, False),
    OAUTH2_EXPIRED: (DEMO_USER, OAUTH2_SCOPE, True),
    OAUTH2_NO_SCOPE: (DEMO_USER, "https://www.googleapis.com/auth/gmail.readonly", False),
}


class OAuth2Handler(Handler):
    """A Handler that also logs in with SASL XOAUTH2 and OAUTHBEARER (aiosmtpd finds `auth_*` on the handler)."""

    async def _oauth2(self, server, args, mechanism: str) -> AuthResult:
        import base64
        import json

        if len(args) > 1:
            try:
                raw = base64.b64decode(args[1], validate=True)
            except ValueError:
                return AuthResult(success=False, handled=False, message="501 5.5.2 Cannot decode base64")
        else:
            raw = await server.challenge_auth("")
            if not isinstance(raw, bytes):
                return AuthResult(success=False, handled=True)
        fields = dict(part.split("=", 1) for part in raw.decode("utf-8", "replace").split("\x01") if "=" in part)
        if mechanism == "XOAUTH2":
            user = fields.get("user", "")
        else:  # "n,a=user," gs2 header before the first %x01
            header = raw.decode("utf-8", "replace").split("\x01", 1)[0]
            user = next((p[2:] for p in header.split(",") if p.startswith("a=")), "")
        token = fields.get("auth", "").removeprefix("Bearer ").strip()
        known = OAUTH2_TOKENS.get(token)
        if known is not None and known[0] == user and not known[2] and known[1] == OAUTH2_SCOPE:
            return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))
        if known is not None and known[0] != user:
            return AuthResult(success=False, handled=False, message="535 5.7.3 Authentication unsuccessful")
        status = "400" if known is not None and not known[2] else "401"
        challenge = json.dumps({"status": status, "schemes": "bearer", "scope": OAUTH2_SCOPE}, separators=(",", ":"))
        await server.challenge_auth(challenge)  # the client answers with an empty line (XOAUTH2) or %x01
        return AuthResult(success=False, handled=False, message="535 5.7.8 Username and Password not accepted.")

    async def auth_XOAUTH2(self, server, args):
        return await self._oauth2(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server, args):
        return await self._oauth2(server, args, "OAUTHBEARER")


class SilentSMTP(SMTP):
    """Accepts the TCP connection and never says a word."""

    async def _handle_client(self):
        await asyncio.sleep(3600)


class BannerSMTP(SMTP):
    """Greets with a refusal (421/554) and hangs up."""

    banner = "421 4.3.2 Service not available, closing transmission channel"

    async def _handle_client(self):
        await self.push(self.banner)
        self.transport.close()


class HangUpSMTP(SMTP):
    """Closes the connection before any greeting."""

    async def _handle_client(self):
        self.transport.close()


class GarbageSMTP(SMTP):
    """Something that is not an SMTP server answering on the port (an HTTP service, say)."""

    async def _handle_client(self):
        await self.push("HTTP/1.1 400 Bad Request")
        self.transport.close()


class DropOnStartTlsSMTP(SMTP):
    """Says yes to STARTTLS, then drops the connection in the middle of the handshake."""

    async def smtp_STARTTLS(self, arg):
        await self.push("220 2.0.0 Ready to start TLS")
        self.transport.close()


class DropOnAuthSMTP(SMTP):
    """Drops the connection in the middle of the dialogue, when the client tries to log in."""

    async def smtp_AUTH(self, arg):
        self.transport.close()


class OAuthOnlySMTP(SMTP):
    """Advertises only XOAUTH2, as some consumer mail services do."""

    auth_line: str | None = "250-AUTH XOAUTH2 OAUTHBEARER"

    async def smtp_EHLO(self, hostname):
        if not hostname:
            await self.push("501 Syntax: EHLO hostname")
            return
        self._set_rset_state()
        self.session.extended_smtp = True
        self.session.host_name = hostname
        lines = [f"250-{self.hostname}"]
        if self.tls_context and not self._tls_protocol:
            lines.append("250-STARTTLS")
        if self._tls_protocol and self.auth_line:
            lines.append(self.auth_line)
        lines.append("250 HELP")
        for line in lines:
            await self.push(line)


class NoAuthSMTP(OAuthOnlySMTP):
    """A relay-only server: STARTTLS, but no AUTH at all (port 25 of a mail exchanger)."""

    auth_line = None


@dataclass
class ServerSpec:
    """How to build one server: which SMTP class, TLS kind, and the replies to inject."""

    smtp_class: type = SMTP
    implicit_tls: bool = False
    starttls: bool = True
    cert: str = "good"
    auth_require_tls: bool = True
    auth_failure: str | None = None
    mail_reply: str | None = None
    rcpt_reply: str | None = None
    extra: dict = field(default_factory=dict)
    handler_class: type = None  # type: ignore[assignment]  # Handler unless given (OAuth2Handler for XOAUTH2)


class SmtpServer:
    """A real aiosmtpd server on 127.0.0.1 in its own thread and event loop."""

    def __init__(self, spec: ServerSpec, pki: Pki, host: str = "127.0.0.1",
                 user: str = DEMO_USER, password: str = DEMO_PASSWORD) -> None:
        self.spec = spec
        self.pki = pki
        self.host = host
        self.handler = (spec.handler_class or Handler)(spec.mail_reply, spec.rcpt_reply)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._user = user
        self._password = password

    def _factory(self):
        spec = self.spec
        tls = self.pki.server_context(spec.cert)
        kwargs = dict(
            hostname="smtp.smtpdoctor.test",
            ident="smtpdoctor test server",
            authenticator=authenticator_for(self._user, self._password, spec.auth_failure),
            auth_require_tls=spec.auth_require_tls,
            tls_context=tls if spec.starttls and not spec.implicit_tls else None,
            loop=self._loop,
        )
        if spec.implicit_tls:
            kwargs.update(auth_require_tls=False)  # the transport itself is TLS
        kwargs.update(spec.extra)
        return lambda: spec.smtp_class(self.handler, **kwargs)

    def start(self) -> SmtpServer:
        self._thread.start()
        ssl_context = self.pki.server_context(self.spec.cert) if self.spec.implicit_tls else None

        async def serve():
            return await self._loop.create_server(self._factory(), host=self.host, port=0, ssl=ssl_context)

        self._server = asyncio.run_coroutine_threadsafe(serve(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close():
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def ipv6_loopback_missing() -> str | None:
    """None when the kernel can listen on ::1; otherwise why not (for a test's skip reason)."""
    if not socket.has_ipv6:
        return "Python was built without IPv6"
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError as exc:
        return f"the kernel cannot bind ::1 ({exc.strerror})"
    return None


def closed_port(host: str = "127.0.0.1") -> int:
    """A port where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


# A port whose connection attempts go unanswered (the loopback stand-in for a firewall that drops packets): one
# implementation, which also takes ::1 and a chosen port number.
BlackholePort = DroppingListener
