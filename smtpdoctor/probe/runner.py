"""The live probe: resolve, connect, greeting, TLS, EHLO, AUTH, sender, send — one step at a time.

Each step is reported (ok / fail / skip, elapsed, detail) and a failing step becomes a Finding
with a catalog code. Server replies are read with the same Matcher `explain` uses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.matcher import Matcher, status_fallback
from smtpdoctor.report import Finding, StepName, StepResult, StepStatus
from smtpdoctor.probe.tls import (
    cert_code,
    client_context,
    describe_certificate,
    looks_like_plaintext_peer,
    unverified_context,
)
from smtpdoctor.probe.transport import ProbeError, Reply, SmtpChannel, Transcript, connect, remaining
from smtpdoctor.knowledge.providers import ProviderPreset, TlsMode
from smtpdoctor.settings.model import SmtpSettings

STANDARD_PORTS = {587: TlsMode.STARTTLS, 465: TlsMode.TLS, 2525: TlsMode.STARTTLS, 25: TlsMode.STARTTLS}
PLAIN_GREETING_PATIENCE = 2.0  # seconds of silence before we also try TLS on the same port


@dataclass(frozen=True)
class ProbePolicy:
    timeout: float = 10.0
    allow_plaintext_auth: bool = False
    insecure: bool = False
    ca_file: Path | None = None
    send_to: str | None = None
    ehlo_name: str | None = None


@dataclass
class ProbeRun:
    steps: list[StepResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)


class _Stop(Exception):
    """Ends the probe after a blocking failure has been recorded."""


@cache
def _matcher() -> Matcher:
    """Built on the first reply that needs reading: a healthy check never pays for it."""
    return Matcher(load_catalog())


def _address_families(host: str, port: int, deadline: float) -> list[tuple]:
    """getaddrinfo with a deadline (it has none of its own), IPv6 and IPv4 interleaved (RFC 8305)."""
    result: dict[str, object] = {}

    def work() -> None:
        try:
            result["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            result["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(max(0.0, remaining(deadline)))
    if thread.is_alive():
        raise ProbeError("timeout", "the DNS lookup did not finish in time")
    if "error" in result:
        exc = result["error"]
        raise ProbeError("dns", getattr(exc, "strerror", None) or str(exc))
    seen, v6, v4 = set(), [], []
    for family, _, _, _, sockaddr in result["infos"]:  # type: ignore[union-attr]
        key = (family, sockaddr[:2])
        if key in seen:
            continue
        seen.add(key)
        (v6 if family == socket.AF_INET6 else v4).append((family, sockaddr))
    ordered = []
    for i in range(max(len(v6), len(v4))):
        ordered += v6[i:i + 1] + v4[i:i + 1]
    return ordered


class Probe:
    def __init__(self, settings: SmtpSettings, preset: ProviderPreset | None, policy: ProbePolicy,
                 on_step: Callable[[StepResult], None] | None = None) -> None:
        self.s = settings
        self.preset = preset
        self.policy = policy
        self.on_step = on_step
        self.run = ProbeRun()
        self.transcript = Transcript()
        self.addresses: list[tuple] = []
        self.channel: SmtpChannel | None = None
        self.extensions: dict[str, str] = {}
        self.encrypted = False
        self.auth_mechanism: str | None = None
        self.host = settings.host or ""
        self.ascii_host = self.host
        self.is_ip = False

    # -- reporting -------------------------------------------------------------------------------

    def step(self, name: StepName, status: StepStatus, started: float, detail: str = "", code: str | None = None) -> None:
        result = StepResult(name=name, status=status, elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
                            detail=detail, code=code)
        self.run.steps.append(result)
        if self.on_step is not None:
            self.on_step(result)

    def find(self, code: str, step: StepName | None, evidence: str | None = None, provider: str | None = None,
             **params: str) -> None:
        variant = params.pop("variant", None)
        params = {"host": self.host, "port": str(self.s.port), "endpoint": f"{self.host}:{self.s.port}",
                  "timeout": f"{self.policy.timeout:g} s",
                  "timeout@ru": f"{self.policy.timeout:g} с", **params}
        self.run.findings.append(Finding(code=code, step=step, evidence=evidence, variant=variant,
                                         provider=provider or (self.preset.id if self.preset else None), params=params))

    def fail(self, name: StepName, started: float, code: str, step_detail: str, evidence: str | None = None,
             provider: str | None = None, **params: str) -> None:
        self.step(name, StepStatus.FAIL, started, step_detail, code)
        self.find(code, name, evidence, provider, **params)
        raise _Stop

    def deadline(self) -> float:
        return time.monotonic() + self.policy.timeout

    def context(self) -> ssl.SSLContext:
        return client_context(self.policy.ca_file, self.policy.insecure)

    # -- the run ----------------------------------------------------------------------------------

    def execute(self) -> ProbeRun:
        try:
            self.resolve()
            self.connect()
            if self.s.secure:
                self.implicit_tls()
                self.greeting()
                self.ehlo()
            else:
                self.greeting()
                self.ehlo()
                self.starttls()
            authed = self.auth()
            if authed is not False:
                self.sender()
                self.send()
            if not any(load_catalog().severity_of(f).value == "error" for f in self.run.findings):
                self.healthy()
        except _Stop:
            pass
        finally:
            self.quit()
            self.run.transcript = self.transcript.lines
        return self.run

    def resolve(self) -> None:
        started = time.perf_counter()
        try:
            ipaddress.ip_address(self.host)
            self.is_ip = True
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            self.addresses = [(family, (self.host, self.s.port))]
            self.step(StepName.RESOLVE, StepStatus.OK, started, "IP address, no lookup")
            return
        except ValueError:
            pass
        try:
            import idna

            self.ascii_host = idna.encode(self.host, uts46=True).decode()
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            self.fail(StepName.RESOLVE, started, "net.dns_not_found", f"not a valid host name ({exc})", detail=str(exc))
        try:
            self.addresses = _address_families(self.ascii_host, self.s.port, self.deadline())
        except ProbeError as exc:
            self.fail(StepName.RESOLVE, started, "net.dns_not_found", exc.detail, detail=exc.detail)
        if not self.addresses:
            self.fail(StepName.RESOLVE, started, "net.dns_not_found", "no A or AAAA record", detail="no A or AAAA record")
        shown = ", ".join(a[1][0] for a in self.addresses[:4])
        self.step(StepName.RESOLVE, StepStatus.OK, started, shown)

    def _alternate_ports(self) -> dict[int, TlsMode]:
        ports = {p.port: p.mode for p in self.preset.ports} if self.preset else dict(STANDARD_PORTS)
        ports.pop(self.s.port, None)
        return ports

    def connect(self) -> None:
        started = time.perf_counter()
        deadline = self.deadline()
        alternates = self._alternate_ports()
        outcomes: dict[int, bool] = {}
        threads: list[threading.Thread] = []

        def try_port(port: int) -> None:
            addrs = [(family, (addr[0], port, *addr[2:])) for family, addr in self.addresses]
            try:
                sock = connect(addrs, deadline)
                sock.close()
                outcomes[port] = True
            except ProbeError:
                outcomes[port] = False

        def start_alternates() -> None:
            for port in alternates:
                thread = threading.Thread(target=try_port, args=(port,), daemon=True)
                thread.start()
                threads.append(thread)

        # If the configured port is slow to answer, probe the provider's other ports alongside it, so a
        # blocked port costs one timeout in total, not one per port.
        timer = threading.Timer(min(1.0, self.policy.timeout / 4), start_alternates)
        timer.daemon = True
        timer.start()
        try:
            sock = connect(self.addresses, deadline)
        except ProbeError as exc:
            timer.cancel()
            if exc.kind == "refused":
                self.fail(StepName.CONNECT, started, "net.refused", exc.detail)
            if exc.kind == "timeout":
                for thread in threads:
                    thread.join(max(0.0, remaining(deadline)) + 0.2)
                working = sorted(p for p, ok in outcomes.items() if ok)
                if working:
                    best = min(working, key=lambda p: (p not in (587, 2525, 2587, 465), p))
                    mode = alternates[best]
                    self.fail(StepName.CONNECT, started, "net.egress_blocked",
                              f"port {self.s.port} timed out; port {best} answers",
                              working_port=str(best), working_secure=str(mode.secure).lower())
                self.fail(StepName.CONNECT, started, "net.timeout", exc.detail)
            self.fail(StepName.CONNECT, started, "net.timeout", exc.detail)  # unreachable: no route answered
        timer.cancel()
        peer = sock.getpeername()
        self.channel = SmtpChannel(sock, self.transcript)
        self.transcript.note(f"connected to {peer[0]} port {peer[1]}")
        self.step(StepName.CONNECT, StepStatus.OK, started, f"{peer[0]} port {peer[1]}")

    # -- greeting and TLS -------------------------------------------------------------------------

    def greeting(self) -> None:
        started = time.perf_counter()
        assert self.channel is not None
        deadline = self.deadline()
        try:
            if self.s.secure:
                reply = self.channel.read_reply(deadline)
            else:
                reply = self._plain_greeting_or_wrong_mode(deadline, started)
        except ProbeError as exc:
            self._greeting_error(exc, started)
        if reply.code != 220:
            self.fail(StepName.GREETING, started, "net.server_unavailable", reply.first, evidence=reply.text,
                      reply=reply.first)
        self.step(StepName.GREETING, StepStatus.OK, started, reply.first[:120])

    def _greeting_error(self, exc: ProbeError, started: float) -> None:
        if exc.kind == "timeout":
            self.fail(StepName.GREETING, started, "net.greeting_timeout", "connected, but no greeting")
        if exc.kind == "protocol":
            self.fail(StepName.GREETING, started, "net.protocol_error", exc.detail, detail=exc.detail)
        self.fail(StepName.GREETING, started, "net.reset", f"closed before the greeting ({exc.detail})",
                  detail="before the greeting", **{"detail@ru": "до приветствия"})

    def _plain_greeting_or_wrong_mode(self, deadline: float, started: float) -> Reply:
        """Wait for a plaintext 220; if the port stays silent, check in parallel whether it speaks TLS."""
        assert self.channel is not None
        patience = min(PLAIN_GREETING_PATIENCE, self.policy.timeout / 3)
        try:
            return self.channel.read_reply(min(deadline, time.monotonic() + patience))
        except ProbeError as exc:
            if exc.kind != "timeout":
                raise
        verdict: dict[str, str] = {}
        thread = threading.Thread(target=self._speaks_tls, args=(deadline, verdict), daemon=True)
        thread.start()
        while remaining(deadline) > 0:
            try:
                return self.channel.read_reply(min(deadline, time.monotonic() + 0.1))
            except ProbeError as exc:
                if exc.kind != "timeout":
                    raise
            if verdict.get("tls") == "yes":
                other = self._other_port(TlsMode.STARTTLS)
                self.fail(StepName.GREETING, started, "tls.wrong_mode",
                          f"port {self.s.port} expects TLS from the first byte", **self._wrong_mode_params(
                              actual_secure=True, port_fix=other))
        raise ProbeError("timeout", "no greeting")

    def _speaks_tls(self, deadline: float, verdict: dict[str, str]) -> None:
        try:
            sock = connect(self.addresses, deadline)
        except ProbeError:
            return
        channel = SmtpChannel(sock, Transcript())
        try:
            channel.start_tls(unverified_context(), None, deadline)
            verdict["tls"] = "yes"
        except (ProbeError, ssl.SSLError, OSError):
            verdict["tls"] = "no"
        finally:
            channel.close()

    def _speaks_plain(self, deadline: float) -> Reply | None:
        try:
            sock = connect(self.addresses, deadline)
        except ProbeError:
            return None
        channel = SmtpChannel(sock, Transcript())
        try:
            return channel.read_reply(deadline)
        except ProbeError:
            return None
        finally:
            channel.close()

    def _other_port(self, mode: TlsMode) -> int:
        """A port of the provider (or the standard one) that uses the mode the user configured."""
        if self.preset:
            for spec in self.preset.ports:
                if spec.mode is mode:
                    return spec.port
        return 465 if mode is TlsMode.TLS else 587

    def _wrong_mode_params(self, actual_secure: bool, port_fix: int) -> dict[str, str]:
        if actual_secure:  # configured STARTTLS/plain, port speaks implicit TLS
            return {"variant": "probe", "actual": "implicit TLS", "actual@ru": "неявного TLS", "configured": "plain SMTP with STARTTLS (SMTP_SECURE=false)",
                    "configured@ru": "обычный SMTP со STARTTLS (SMTP_SECURE=false)", "secure_fix": "true",
                    "port_fix": str(port_fix),
                    "detail": "The client waits for a greeting the server will only send after a TLS handshake (nodemailer: \"Greeting never received\").",
                    "detail@ru": "Клиент ждёт приветствия, которое сервер пришлёт только после TLS-рукопожатия (nodemailer: «Greeting never received»)."}
        return {"variant": "probe", "actual": "plain SMTP with STARTTLS", "actual@ru": "обычного SMTP со STARTTLS", "configured": "implicit TLS (SMTP_SECURE=true)",
                "configured@ru": "неявный TLS (SMTP_SECURE=true)", "secure_fix": "false", "port_fix": str(port_fix),
                "detail": "The client starts TLS while the server sends a plain greeting (OpenSSL: \"wrong version number\").",
                "detail@ru": "Клиент начинает TLS, а сервер присылает обычное приветствие (OpenSSL: «wrong version number»)."}

    def implicit_tls(self) -> None:
        started = time.perf_counter()
        deadline = self.deadline()
        self._handshake(started, deadline, implicit=True)

    def _handshake(self, started: float, deadline: float, implicit: bool) -> None:
        assert self.channel is not None
        server_name = self.ascii_host  # an IP here is matched against IP SANs; no SNI is sent for it
        try:
            self.channel.start_tls(self.context(), server_name, deadline)
        except ssl.SSLCertVerificationError as exc:
            code = cert_code(exc)
            cert_text, names = self._fetch_certificate(implicit)
            detail = exc.verify_message or str(exc)
            self.fail(StepName.TLS, started, code, detail, evidence=cert_text or None,
                      detail=detail, names=", ".join(names) or "-")
        except ssl.SSLError as exc:
            if implicit and looks_like_plaintext_peer(exc):
                plain = self._speaks_plain(self.deadline())
                if plain is not None and plain.code == 220:
                    self.fail(StepName.TLS, started, "tls.wrong_mode", f"port {self.s.port} speaks plain SMTP",
                              evidence=plain.first, **self._wrong_mode_params(actual_secure=False,
                                                                              port_fix=self._other_port(TlsMode.TLS)))
            reason = exc.reason or str(exc)
            self.fail(StepName.TLS, started, "tls.handshake_failed", str(reason), detail=str(reason))
        except ProbeError as exc:
            if exc.kind == "timeout":
                code = "net.greeting_timeout" if implicit else "tls.handshake_failed"
                self.fail(StepName.TLS, started, code, "no answer to the TLS handshake",
                          detail="no answer to the TLS handshake", **{"detail@ru": "нет ответа на TLS-рукопожатие"})
            self.fail(StepName.TLS, started, "tls.handshake_failed", exc.detail, detail=exc.detail)
        except OSError as exc:
            self.fail(StepName.TLS, started, "tls.handshake_failed", f"connection closed during the handshake ({exc.__class__.__name__})",
                      detail="the connection was closed during the handshake",
                      **{"detail@ru": "соединение закрыто во время рукопожатия"})
        self.encrypted = True
        self.step(StepName.TLS, StepStatus.OK, started, f"{self.channel.tls_version}{' (verification OFF)' if self.policy.insecure else ''}")

    def _fetch_certificate(self, implicit: bool) -> tuple[str, list[str]]:
        """Reconnect without verification only to show the user which certificate the server has."""
        deadline = self.deadline()
        try:
            sock = connect(self.addresses, deadline)
        except ProbeError:
            return "", []
        channel = SmtpChannel(sock, Transcript())
        try:
            if not implicit:
                channel.read_reply(deadline)
                channel.command(f"EHLO {self.ehlo_name()}", deadline)
                if channel.command("STARTTLS", deadline).code != 220:
                    return "", []
            channel.start_tls(unverified_context(), self.ascii_host, deadline)
            der = channel.sock.getpeercert(binary_form=True)
            return describe_certificate(der) if der else ("", [])
        except (ProbeError, ssl.SSLError, OSError, ValueError):
            return "", []
        finally:
            channel.close()

    def ehlo_name(self) -> str:
        if self.policy.ehlo_name:
            return self.policy.ehlo_name
        if self.channel is not None:
            try:
                local = self.channel.sock.getsockname()[0]
                return f"[IPv6:{local}]" if ":" in local else f"[{local}]"
            except OSError:
                pass
        return "smtpdoctor.invalid"

    def ehlo(self) -> None:
        started = time.perf_counter()
        assert self.channel is not None
        deadline = self.deadline()
        try:
            reply = self.channel.command(f"EHLO {self.ehlo_name()}", deadline)
            if reply.code != 250:
                reply = self.channel.command(f"HELO {self.ehlo_name()}", deadline)
                self.extensions = {}
            else:
                self.extensions = {}
                for line in reply.lines[1:]:
                    word, _, rest = line.partition(" ")
                    if word.upper().startswith("AUTH="):  # pre-RFC 4954 servers
                        word, rest = "AUTH", word[5:] + " " + rest
                    self.extensions[word.upper()] = rest.strip()
        except ProbeError as exc:
            code = "net.protocol_error" if exc.kind == "protocol" else ("net.timeout" if exc.kind == "timeout" else "net.reset")
            self.fail(StepName.EHLO, started, code, exc.detail, detail=exc.detail, reply=exc.detail)
        if reply.code != 250:
            self.fail(StepName.EHLO, started, "net.server_unavailable", reply.first, evidence=reply.text, reply=reply.first)
        shown = ", ".join(f"{k} {v}".strip() for k, v in self.extensions.items()) or "no extensions (HELO)"
        self.step(StepName.EHLO, StepStatus.OK, started, shown[:300])

    def starttls(self) -> None:
        started = time.perf_counter()
        assert self.channel is not None
        deadline = self.deadline()
        if "STARTTLS" not in self.extensions:
            self.step(StepName.TLS, StepStatus.FAIL, started, "STARTTLS not offered", "tls.starttls_unsupported")
            self.find("tls.starttls_unsupported", StepName.TLS)
            return
        try:
            reply = self.channel.command("STARTTLS", deadline)
        except ProbeError as exc:
            self.fail(StepName.TLS, started, "tls.handshake_failed", exc.detail, detail=exc.detail)
        if reply.code != 220:
            self.step(StepName.TLS, StepStatus.FAIL, started, reply.first, "tls.starttls_unsupported")
            self.find("tls.starttls_unsupported", StepName.TLS, evidence=reply.text)
            return
        self._handshake(started, deadline, implicit=False)
        # RFC 3207 §4.2: forget what was learnt before TLS and ask again.
        self.ehlo()

    # -- AUTH -------------------------------------------------------------------------------------

    def auth(self) -> bool | None:
        """True: logged in; False: failed (stop); None: skipped."""
        started = time.perf_counter()
        assert self.channel is not None
        if not self.s.user or self.s.password is None:
            self.step(StepName.AUTH, StepStatus.SKIP, started, "no user/password configured")
            return None
        if not self.encrypted and not self.policy.allow_plaintext_auth:
            self.step(StepName.AUTH, StepStatus.SKIP, started,
                      "not sent: the connection is not encrypted (--allow-plaintext-auth for lab servers)")
            if not any(f.code == "tls.starttls_unsupported" for f in self.run.findings):
                self.run.findings.append(Finding(code="auth.requires_tls", variant="plaintext_refused", step=StepName.AUTH))
            return False
        offered = self.extensions.get("AUTH", "").upper().split()
        if not offered:
            self.fail(StepName.AUTH, started, "auth.not_supported", "no AUTH extension advertised",
                      variant="probe", mechanisms="no AUTH", **{"mechanisms@ru": "отсутствие AUTH",
                                                "detail": "The server does not accept logins on this port.",
                                                "detail@ru": "Сервер не принимает вход на этом порту."})
        mechanism = next((m for m in ("PLAIN", "LOGIN", "CRAM-MD5") if m in offered), None)
        if mechanism is None:
            oauth_only = any(m in offered for m in ("XOAUTH2", "OAUTHBEARER"))
            detail_en = "Only OAuth2 is offered: a password cannot be used." if oauth_only else "None of PLAIN, LOGIN, CRAM-MD5 is offered."
            detail_ru = "Предлагается только OAuth2: паролем войти нельзя." if oauth_only else "Не предлагается ни PLAIN, ни LOGIN, ни CRAM-MD5."
            self.fail(StepName.AUTH, started, "auth.not_supported", f"offered: {' '.join(offered)}",
                      variant="probe", mechanisms="AUTH " + " ".join(offered), detail=detail_en, **{"detail@ru": detail_ru})
        self.auth_mechanism = mechanism
        deadline = self.deadline()
        try:
            reply = self._authenticate(mechanism, deadline)
        except ProbeError as exc:
            self.transcript.secret = False
            code = "net.protocol_error" if exc.kind == "protocol" else ("net.timeout" if exc.kind == "timeout" else "net.reset")
            self.fail(StepName.AUTH, started, code, exc.detail, detail=exc.detail, reply=exc.detail)
        finally:
            self.transcript.secret = False
        if reply.code == 235:
            self.step(StepName.AUTH, StepStatus.OK, started, f"AUTH {mechanism} as {self.s.user}")
            return True
        if 200 <= reply.code < 400:  # a 2xx/3xx that is not "235 authenticated": the dialogue is out of step
            self.channel.broken = True
            detail = f"unexpected reply to AUTH: {reply.first[:120]}"
            self.fail(StepName.AUTH, started, "net.protocol_error", detail, evidence=reply.text, detail=detail)
        match = _matcher().match_or_fallback(reply.text, ("auth",), require_context=False)
        code, provider = self._auth_code(reply, match)
        self.step(StepName.AUTH, StepStatus.FAIL, started, reply.first[:200], code)
        self.find(code, StepName.AUTH, evidence=reply.text, provider=provider, reply=reply.first[:160])
        return False

    @staticmethod
    def _auth_code(reply: Reply, match) -> tuple[str, str | None]:
        if match is not None and match.code.startswith(("auth.", "delivery.", "sender.", "net.")) and match.code != "smtp.reply_error":
            return match.code, match.provider
        by_code = {535: "auth.bad_credentials", 534: "auth.app_password_required", 530: "auth.requires_tls",
                   538: "auth.requires_tls", 504: "auth.not_supported", 454: "auth.too_many_attempts"}
        return by_code.get(reply.code, "auth.bad_credentials"), None

    def _authenticate(self, mechanism: str, deadline: float) -> Reply:
        assert self.channel is not None and self.s.password is not None and self.s.user is not None
        user = self.s.user
        secret = self.s.password.get_secret_value()
        channel = self.channel
        if mechanism == "PLAIN":
            token = base64.b64encode(f"\0{user}\0{secret}".encode()).decode()
            return channel.command(f"AUTH PLAIN {token}", deadline, masked="AUTH PLAIN ********")
        if mechanism == "LOGIN":
            reply = channel.command("AUTH LOGIN", deadline)
            if reply.code != 334:
                return reply
            self.transcript.secret = True
            reply = channel.command(base64.b64encode(user.encode()).decode(), deadline)
            if reply.code != 334:
                return reply
            return channel.command(base64.b64encode(secret.encode()).decode(), deadline)
        reply = channel.command("AUTH CRAM-MD5", deadline)
        if reply.code != 334:
            return reply
        try:
            challenge = base64.b64decode(reply.lines[0].strip(), validate=True)
        except (ValueError, IndexError) as exc:
            channel.send("*", deadline)  # RFC 4954: cancel the exchange
            raise ProbeError("protocol", "the server sent an invalid CRAM-MD5 challenge") from exc
        self.transcript.secret = True
        digest = hmac.new(secret.encode(), challenge, hashlib.md5).hexdigest()
        return channel.command(base64.b64encode(f"{user} {digest}".encode()).decode(), deadline)

    # -- sender and send --------------------------------------------------------------------------

    def sender(self) -> None:
        started = time.perf_counter()
        assert self.channel is not None
        sender = self.s.sender or (self.s.user if self.s.user and "@" in self.s.user else None)
        if not sender:
            self.step(StepName.SENDER, StepStatus.SKIP, started, "no sender configured")
            return
        recipient = self.policy.send_to or sender
        deadline = self.deadline()
        params = {"sender": sender, "user": self.s.user or "-", "domain": sender.rsplit("@", 1)[-1]}
        try:
            reply = self.channel.command(f"MAIL FROM:<{sender}>", deadline)
            if reply.code != 250:
                code, provider = self._sender_code(reply, at_rcpt=False)
                self.fail(StepName.SENDER, started, code, f"MAIL FROM: {reply.first[:160]}", evidence=reply.text,
                          provider=provider, reply=reply.first[:160], **params)
            reply = self.channel.command(f"RCPT TO:<{recipient}>", deadline)
            if reply.code not in (250, 251):
                code, provider = self._sender_code(reply, at_rcpt=True)
                self.fail(StepName.SENDER, started, code, f"RCPT TO: {reply.first[:160]}", evidence=reply.text,
                          provider=provider, reply=reply.first[:160], **params)
            if not self.policy.send_to:
                self.channel.command("RSET", deadline)
        except ProbeError as exc:
            code = "net.protocol_error" if exc.kind == "protocol" else ("net.timeout" if exc.kind == "timeout" else "net.reset")
            self.fail(StepName.SENDER, started, code, exc.detail, detail=exc.detail, reply=exc.detail)
        self.step(StepName.SENDER, StepStatus.OK, started, f"{sender} → {recipient} accepted")

    @staticmethod
    def _sender_code(reply: Reply, at_rcpt: bool) -> tuple[str, str | None]:
        """Postfix and others delay a sender rejection until RCPT: read the text, not only the stage."""
        match = _matcher().match(reply.text, ("sender", "delivery", "auth"))
        if match is not None and match.code.split(".")[0] in ("sender", "delivery", "auth"):
            return match.code, match.provider
        fallback = status_fallback(reply.text, require_context=False)
        if fallback is not None and fallback.code not in ("smtp.reply_error",):
            return fallback.code, None
        return ("delivery.recipient_rejected" if at_rcpt else "sender.unverified"), None

    def send(self) -> None:
        if not self.policy.send_to:
            return
        started = time.perf_counter()
        assert self.channel is not None
        deadline = self.deadline()
        sender = self.s.sender or self.s.user or ""
        message = [
            f"From: {sender}",
            f"To: {self.policy.send_to}",
            "Subject: smtpdoctor test / проверка smtpdoctor",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            "This is a test message from smtpdoctor: your SMTP settings can send mail.",
            "Это тестовое письмо от smtpdoctor: ваши настройки SMTP позволяют отправлять почту.",
        ]
        try:
            reply = self.channel.command("DATA", deadline)
            if reply.code != 354:
                code, provider = self._sender_code(reply, at_rcpt=True)
                self.fail(StepName.SEND, started, code, reply.first, evidence=reply.text, provider=provider, reply=reply.first)
            for line in message:
                self.channel.send("." + line if line.startswith(".") else line, deadline)
            reply = self.channel.command(".", deadline)
        except ProbeError as exc:
            self.fail(StepName.SEND, started, "net.reset", exc.detail, detail=exc.detail)
        if reply.code != 250:
            match = _matcher().match_or_fallback(reply.text, ("delivery", "sender"), require_context=False)
            code = match.code if match and match.code != "smtp.reply_error" else "delivery.spam_rejected"
            self.fail(StepName.SEND, started, code, reply.first, evidence=reply.text,
                      provider=match.provider if match else None, reply=reply.first)
        self.step(StepName.SEND, StepStatus.OK, started, reply.first[:160])
        self.find("ok.sent", StepName.SEND, evidence=reply.text,
                  detail=f"The server accepted the message for {self.policy.send_to}: {reply.first}",
                  **{"detail@ru": f"Сервер принял письмо для {self.policy.send_to}: {reply.first}"})

    def healthy(self) -> None:
        mode = "implicit TLS" if self.s.secure else "STARTTLS"
        mode_ru = "неявный TLS" if self.s.secure else "STARTTLS"
        tls = self.channel.tls_version if self.channel else None
        login = f"AUTH {self.auth_mechanism} as {self.s.user}" if self.auth_mechanism else "no login tested"
        login_ru = f"AUTH {self.auth_mechanism} под {self.s.user}" if self.auth_mechanism else "вход не проверялся"
        self.find("ok.connected", None,
                  detail=f"{self.host}:{self.s.port} — {mode} ({tls or 'no TLS'}), {login}",
                  **{"detail@ru": f"{self.host}:{self.s.port} — {mode_ru} ({tls or 'без TLS'}), {login_ru}"})

    def quit(self) -> None:
        if self.channel is None:
            return
        if self.channel.broken:  # out of sync or dead: a polite QUIT would only wait for nothing
            self.channel.close()
            return
        try:
            self.channel.command("QUIT", time.monotonic() + min(2.0, self.policy.timeout))
        except (ProbeError, OSError, ssl.SSLError):
            pass
        finally:
            self.channel.close()


def run_probe(settings: SmtpSettings, preset: ProviderPreset | None, policy: ProbePolicy,
              on_step: Callable[[StepResult], None] | None = None) -> ProbeRun:
    return Probe(settings, preset, policy, on_step).execute()
