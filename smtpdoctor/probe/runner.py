"""The live probe: resolve, connect, greeting, TLS, EHLO, AUTH, sender, send — one step at a time.

Each step is reported (ok / fail / skip, elapsed, detail) and a failing step becomes a Finding
with a catalog code. Server replies are read with the same Matcher `explain` uses.

No words of any language here: a step's detail and a finding's parameters are Phrases (texts in
knowledge/phrases/probe.toml); what the server said is Evidence(SERVER), what the OS or OpenSSL
said is Evidence(SYSTEM), both verbatim.

What the server said is kept whole: its secrets masked on the whole text (the probe knows them: the password
and the OAuth2 token it sends), then cut only at the transport's generous EVIDENCE_LIMIT, marked. Shortening
for a terminal is the text renderer's business, on the masked text. Nothing is upper-cased for display.
"""

from __future__ import annotations

import base64
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.ports import alternate_ports, preference, preflight_ports
from smtpdoctor.report import (
    Evidence,
    EvidenceKind,
    Finding,
    Param,
    Phrase,
    PortTable,
    StepName,
    StepResult,
    StepStatus,
    phrase,
)
from smtpdoctor.probe.tls import (
    cert_code,
    cert_problem,
    cert_reason,
    describe_certificate,
    library_said,
    looks_like_plaintext_peer,
)
from smtpdoctor.probe.trust import client_context, unverified_context
from smtpdoctor.probe.transport import (EVIDENCE_LIMIT, ProbeError, Reply, SmtpChannel, Transcript, ascii_bytes,
                                       connect, kept, os_reason, remaining)
from smtpdoctor.knowledge.providers import ProviderPreset, TlsMode
from smtpdoctor.settings.model import SmtpSettings, idna_encoded

PLAIN_GREETING_PATIENCE = 2.0  # seconds of silence before we also try TLS on the same port
QUIT_PATIENCE = 2.0  # seconds to wait for the answer to QUIT (within --timeout and --max-time)


class ProbePolicy:
    """How the probe behaves: the limits and the options of `check` it reads. A plain class: it is built once
    per check, and a dataclass would cost every run more to define than the probe spends using it."""

    __slots__ = ("timeout", "allow_plaintext_auth", "insecure", "ca_file", "send_to", "ehlo_name", "max_time",
                 "max_time_spent", "nameservers", "dns_timeout", "oauth2_token")

    def __init__(self, timeout: float = 10.0, allow_plaintext_auth: bool = False, insecure: bool = False,
                 ca_file: Path | None = None, send_to: str | None = None, ehlo_name: str | None = None,
                 max_time: float | None = None, max_time_spent: float = 0.0, nameservers: tuple[str, ...] = (),
                 dns_timeout: float = 5.0, oauth2_token: object | None = None) -> None:
        self.timeout = timeout
        self.allow_plaintext_auth = allow_plaintext_auth
        self.insecure = insecure
        self.ca_file = ca_file
        self.send_to = send_to
        self.ehlo_name = ehlo_name
        self.max_time = max_time  # --max-time: seconds for the whole check (each wait also stays within `timeout`)
        self.max_time_spent = max_time_spent  # seconds of max_time already used before the probe began (the DNS checks)
        self.nameservers = nameservers  # resolve the SMTP host there too (a private or test zone)
        self.dns_timeout = dns_timeout
        self.oauth2_token = oauth2_token  # a secret.Secret: log in with XOAUTH2/OAUTHBEARER instead of a password

    @classmethod
    def of(cls, options) -> ProbePolicy:
        """The probe's part of a check's options (app.CheckOptions holds these fields and more), by name."""
        return cls(**{name: getattr(options, name) for name in cls.__slots__ if hasattr(options, name)})


class ProbeRun:
    """What the probe found: its steps, findings and transcript, and the ports it raced (if it had to)."""

    __slots__ = ("steps", "findings", "transcript", "ports")

    def __init__(self) -> None:
        self.steps: list[StepResult] = []
        self.findings: list[Finding] = []
        self.transcript: list[str] = []
        self.ports: PortTable | None = None  # the other ports, raced while the configured one did not answer


class _Stop(Exception):
    """Ends the probe after a blocking failure has been recorded."""


def with_reason(what: Phrase, reason: Param | None) -> Phrase:
    """A step detail: our words, then the other side's ("connection lost (Connection reset by peer)")."""
    return phrase("probe.step.with_reason", what=what, reason=reason) if reason is not None else what


def _server_part(evidence: Evidence | None) -> Evidence | None:
    return evidence if evidence is not None and evidence.kind is EvidenceKind.SERVER else None


def _gai_reason(exc: OSError) -> Phrase:
    """getaddrinfo's error, in our words (its own text follows as Evidence)."""
    number = getattr(exc, "errno", None)
    if number == socket.EAI_NONAME:
        return phrase("probe.dns.no_such_name")
    if number == socket.EAI_AGAIN:
        return phrase("probe.dns.temporary_failure")
    if number is not None and number == getattr(socket, "EAI_NODATA", None):
        return phrase("probe.dns.no_address")
    return phrase("probe.dns.lookup_failed")


# When the evidence engine finds nothing more specific than "an error reply", the step that failed
# still says what failed: a refused login, a refused sender, a refused recipient, a refused message.
STAGE_DEFAULT = {"AUTH": "auth.bad_credentials", "MAIL": "sender.unverified", "RCPT": "delivery.recipient_rejected",
                 "DATA": "delivery.recipient_rejected", "DATA_END": "delivery.spam_rejected"}


def read_reply(text: str, command: str, areas: tuple[str, ...], configured: str | None = None) -> tuple[str, str | None]:
    """The finding code a server reply means after `command` — the same evidence engine `explain` uses, told
    the command — and whose advice fits: the configured provider's, never another provider's whose wording
    the reply happens to share (a lab server answering like Gmail gets no Gmail app-password advice).
    Built on the first reply that needs reading: a healthy check never pays for it."""
    from smtpdoctor.knowledge.evidence import engine_for

    reading = engine_for(load_catalog()).read(text, command=command, areas=areas)
    # A less certain reading (a code's class meaning, a wrapper) says no more than the step that failed.
    if reading is None or not reading.certain or reading.code.split(".")[0] not in (*areas, "net", "config"):
        return STAGE_DEFAULT[command], configured
    return reading.code, configured


def _redactor(settings: SmtpSettings, policy: ProbePolicy):
    """What the probe masks in the server's words before keeping them: the secrets it sends (a server may echo
    them), in every form smtpdoctor.redact knows. Built only when there is a secret."""
    secrets = [s for s in (settings.password, policy.oauth2_token) if s is not None]
    if not secrets:
        return None
    from smtpdoctor.redact import Redactor

    return Redactor.for_secrets(secrets, settings.user) or None


def _address_families(host: str, port: int, deadline: float) -> list[tuple]:
    """getaddrinfo with a deadline (it has none of its own), IPv6 and IPv4 interleaved (RFC 8305)."""
    result: dict[str, object] = {}

    def work() -> None:
        try:
            result["infos"] = socket.getaddrinfo(ascii_bytes(host), port, type=socket.SOCK_STREAM)
        except OSError as exc:
            result["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(max(0.0, remaining(deadline)))
    if thread.is_alive():
        raise ProbeError("timeout", phrase("probe.dns.timeout"))
    if "error" in result:
        exc = result["error"]
        raise ProbeError("dns", _gai_reason(exc),  # type: ignore[arg-type]
                         Evidence(EvidenceKind.SYSTEM, getattr(exc, "strerror", None) or str(exc)))
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
        self.redactor = _redactor(settings, policy)
        self.transcript = Transcript(redactor=self.redactor)
        self.addresses: list[tuple] = []
        self.families = None  # probe.families.FamilyCheck, started with the connect
        self.channel: SmtpChannel | None = None
        self.extensions: dict[str, str] = {}
        self.encrypted = False
        self.auth_mechanism: str | None = None
        self.host = settings.host or ""
        self.ascii_host = self.host
        self.is_ip = False
        # One overall bound (--max-time): a server answering every step just under --timeout cannot
        # stretch a run to steps x timeout.
        self.overall = (time.monotonic() + max(0.1, policy.max_time - policy.max_time_spent)
                        if policy.max_time else float("inf"))

    # -- reporting -------------------------------------------------------------------------------

    def step(self, name: StepName, status: StepStatus, started: float, detail: Phrase | None = None,
             code: str | None = None, reply: Evidence | None = None) -> None:
        result = StepResult(name=name, status=status, elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
                            detail=detail, reply=reply, code=code)
        self.run.steps.append(result)
        if self.on_step is not None:
            self.on_step(result)

    def find(self, code: str, step: StepName | None, evidence: Evidence | None = None, provider: str | None = None,
             variant: str | None = None, **params: Param) -> None:
        params = {"host": self.host, "port": self.s.port, "endpoint": f"{self.host}:{self.s.port}",
                  "timeout": phrase("probe.unit.seconds", n=self.policy.timeout), **params}
        self.run.findings.append(Finding(code=code, step=step, evidence=evidence, variant=variant,
                                         provider=provider or (self.preset.id if self.preset else None), params=params))

    def fail(self, name: StepName, started: float, code: str, step_detail: Phrase | None,
             evidence: Evidence | None = None, provider: str | None = None, reply: Evidence | None = None,
             variant: str | None = None, **params: Param) -> None:
        """Record the failed step and its finding, then stop. `reply` is the server's line, for both."""
        if self.out_of_time() and code in ("net.timeout", "net.greeting_timeout", "tls.handshake_failed"):
            # Cut off by --max-time, not by the server: the step keeps its own code (a connected TCP
            # session is no blocked port), and the wording says which limit ran out.
            step_detail = phrase("hardening.probe.max_time", seconds=float(self.policy.max_time))
            variant = "max_time"
            params["detail"] = step_detail
            params["max_time"] = float(self.policy.max_time)
        self.step(name, StepStatus.FAIL, started, step_detail, code, reply)
        if reply is not None:
            params.setdefault("reply", reply)
        self.find(code, name, evidence, provider, variant, **params)
        raise _Stop

    def fail_error(self, name: StepName, started: float, code: str, exc: ProbeError, **params: Param) -> None:
        """A transport failure: our reason as the detail, the OS's or the server's words as evidence."""
        if code == "net.timeout" and name is not StepName.CONNECT:
            self.fail_if_slow(name, started, code, exc, "speed.step.slow_reply")
        reply = _server_part(exc.evidence)  # the server's line goes in the step's reply, not into our words
        detail = exc.reason if reply is not None else with_reason(exc.reason, exc.evidence)
        self.fail(name, started, code, detail, evidence=exc.evidence, reply=reply, detail=exc.reason, **params)

    def fail_if_slow(self, name: StepName, started: float, code: str, exc: ProbeError, what: str) -> None:
        """A wait that timed out while bytes kept arriving: a slow server (or a tarpit), not a silent one."""
        channel = self.channel
        if exc.kind != "timeout" or channel is None or channel.since_reply <= 0:
            return
        n = channel.since_reply
        waited = phrase("probe.unit.seconds", n=self.policy.timeout)
        partial = channel.partial()
        evidence = self.said(partial) if partial.strip() else None
        self.fail(name, started, code, phrase(what, n=n, seconds=waited), evidence=evidence, variant="slow",
                  received=phrase("speed.amount.bytes", n=n), detail=phrase(what, n=n, seconds=waited))

    @staticmethod
    def _error_code(exc: ProbeError) -> str:
        return "net.protocol_error" if exc.kind == "protocol" else ("net.timeout" if exc.kind == "timeout" else "net.reset")

    def said(self, text: str) -> Evidence:
        """The server's words as evidence: secrets masked on the whole text, then bounded (transport.kept)."""
        return Evidence(EvidenceKind.SERVER, self.transcript.keep(text))

    def said_first(self, reply: Reply) -> Evidence:
        """A reply's first line, as a step and an explanation quote it. The other lines of a multi-line reply are
        counted in the cut marker (`…[+N B]`): a quote that stops after its first line must not read as the
        whole reply (the finding's evidence has it all)."""
        if len(reply.lines) < 2:
            return self.said(reply.first)
        # Masked first, then measured: a secret the server echoes changes the line's length.
        redactor = self.transcript.redactor
        first = redactor.server_text(reply.first) if redactor else reply.first
        whole = redactor.server_text(reply.text) if redactor else reply.text
        if len(first) >= EVIDENCE_LIMIT or not whole.startswith(first):
            return self.said(reply.text)  # kept whole up to the limit, the cut marked there
        return Evidence(EvidenceKind.SERVER, kept(whole, limit=len(first)))

    def deadline(self, timeout: float | None = None) -> float:
        """When a wait must end: its own timeout (--timeout unless given), never past --max-time."""
        return min(time.monotonic() + (self.policy.timeout if timeout is None else timeout), self.overall)

    def out_of_time(self) -> bool:
        return time.monotonic() >= self.overall - 0.05

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
        except BaseException:  # Ctrl-C (or worse): close at once, no polite QUIT to wait for
            if self.channel is not None:
                self.channel.broken = True
            raise
        finally:
            self.quit()
            self.run.transcript = self.transcript.lines
        self.family_finding()
        return self.run

    def family_finding(self) -> None:
        """IPv6 failing where IPv4 works, read last: its short grace ran alongside the dialogue."""
        if self.families is None or self.channel is None:
            return
        finding = self.families.finding(self.host, self.s.port, self.policy.timeout)
        if finding is not None:
            self.run.findings.append(finding)

    def resolve(self) -> None:
        started = time.perf_counter()
        try:
            ipaddress.ip_address(self.host)
            self.is_ip = True
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            self.addresses = [(family, (self.host, self.s.port))]
            self.step(StepName.RESOLVE, StepStatus.OK, started, phrase("probe.step.ip_no_lookup"))
            return
        except ValueError:
            pass
        try:
            self.ascii_host = idna_encoded(self.host)
        except (UnicodeError, ValueError) as exc:  # idna.IDNAError is a UnicodeError
            self.fail_error(StepName.RESOLVE, started, "net.dns_not_found",
                            ProbeError("dns", phrase("probe.dns.invalid_name"), Evidence(EvidenceKind.SYSTEM, str(exc))))
        try:
            if self.policy.nameservers:
                from smtpdoctor.probe.families import resolve_with

                self.addresses = resolve_with(self.ascii_host, self.s.port, self.policy.nameservers,
                                              min(self.policy.dns_timeout, self.policy.timeout),
                                              self.overall if self.policy.max_time else None)
            if not self.addresses:
                self.addresses = _address_families(self.ascii_host, self.s.port, self.deadline())
        except ProbeError as exc:
            self.fail_error(StepName.RESOLVE, started, "net.dns_not_found", exc)
        if not self.addresses:
            self.fail(StepName.RESOLVE, started, "net.dns_not_found", phrase("probe.dns.no_address"),
                      detail=phrase("probe.dns.no_address"))
        shown = tuple(dict.fromkeys(a[1][0] for a in self.addresses[:4]))
        self.step(StepName.RESOLVE, StepStatus.OK, started, phrase("probe.step.resolved", addresses=", ".join(shown)))

    def _alternate_ports(self) -> dict[int, TlsMode]:
        ports = {p.port: p.mode for p in self.preset.ports} if self.preset else alternate_ports()
        ports.pop(self.s.port, None)
        return ports

    def connect(self) -> None:
        started = time.perf_counter()
        deadline = self.deadline()
        alternates = self._alternate_ports()
        from smtpdoctor.probe.families import FamilyCheck
        from smtpdoctor.probe.ports import UNANSWERED, PortRace

        # A connect still unanswered after about a second is a dropped SYN, not a slow host: race the host's other
        # ports (the provider's, and the standard ones of both TLS modes) alongside it, within the same deadline,
        # so a black-holed port costs one --timeout in all and the verdict names the port that does answer.
        race = PortRace(self.host, self.s.port, [*alternates, *preflight_ports()], self.addresses, deadline)
        race.start_after(min(UNANSWERED, self.policy.timeout / 4))
        self.families = FamilyCheck.start(self.addresses, deadline)  # IPv4 and IPv6 apart, alongside the race
        try:
            sock = connect(self.addresses, deadline)
        except ProbeError as exc:
            if exc.kind == "timeout":
                self._unanswered(started, exc, race, alternates)
            race.stop()
            if exc.kind == "refused":
                self.fail(StepName.CONNECT, started, "net.refused", exc.reason, evidence=exc.evidence)
            self.fail_error(StepName.CONNECT, started, "net.timeout", exc)  # unreachable: no route answered
        race.stop()
        peer = sock.getpeername()
        self.channel = SmtpChannel(sock, self.transcript)
        self.transcript.note(f"TCP [{peer[0]}]:{peer[1]}" if ":" in peer[0] else f"TCP {peer[0]}:{peer[1]}")
        self.step(StepName.CONNECT, StepStatus.OK, started, phrase("probe.step.connected", address=peer[0], port=peer[1]))

    def _unanswered(self, started: float, exc: ProbeError, race, alternates: dict[int, TlsMode]) -> None:
        """The configured port never answered: read what the other ports said meanwhile. One of them connects ->
        this port is blocked on the way (use that one); they answer "refused" -> the host is up and reachable, so
        no platform blocks SMTP here: the service on this port is down or filtered at the server."""
        table = race.table(self.families.configured_outcomes(self.addresses))
        self.run.ports = table
        if table is None or self.out_of_time():  # cut short by --max-time: nothing is known about the port
            self.fail_error(StepName.CONNECT, started, "net.timeout", exc)
        answered = {a.port: a.status for a in table.attempts if a.port != self.s.port and a.status in ("open", "refused")}
        working = [port for port, status in answered.items() if status == "open" and port in alternates]
        if working:
            best = min(working, key=preference)
            self.fail(StepName.CONNECT, started, "net.egress_blocked",
                      phrase("probe.step.port_blocked", port=self.s.port, working_port=best),
                      working_port=best, working_secure=alternates[best].secure)
        if answered:
            shown = ", ".join(str(port) for port in sorted(answered, key=preference))
            self.fail(StepName.CONNECT, started, "net.timeout", phrase("probe.error.connect_no_answer"),
                      variant="host_up", answered=shown, n=len(answered), detail=phrase("probe.error.connect_no_answer"))
        self.fail_error(StepName.CONNECT, started, "net.timeout", exc)

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
            self.fail(StepName.GREETING, started, "net.server_unavailable", phrase("probe.step.service_refused"),
                      evidence=self.said(reply.text), reply=self.said_first(reply))
        self.step(StepName.GREETING, StepStatus.OK, started, reply=self.said_first(reply))

    def _greeting_error(self, exc: ProbeError, started: float) -> None:
        if exc.kind == "timeout":
            self.fail_if_slow(StepName.GREETING, started, "net.greeting_timeout", exc, "speed.step.slow_greeting")
            self.fail(StepName.GREETING, started, "net.greeting_timeout", phrase("probe.step.no_greeting"))
        if exc.kind == "protocol":
            self.fail_error(StepName.GREETING, started, "net.protocol_error", exc)
        self.fail(StepName.GREETING, started, "net.reset",
                  with_reason(phrase("probe.reset.before_greeting", reason=exc.reason), exc.evidence),
                  evidence=exc.evidence, detail=phrase("probe.reset.before_greeting", reason=exc.reason))

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
                          phrase("probe.step.expects_tls", port=self.s.port), variant="probe",
                          **self._wrong_mode_params(actual_secure=True, port_fix=other))
        raise ProbeError("timeout", phrase("probe.step.no_greeting"))

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

    @staticmethod
    def _wrong_mode_params(actual_secure: bool, port_fix: int) -> dict[str, Param]:
        """tls.wrong_mode (variant probe): what the port speaks, what the client was set up for, the two fixes."""
        if actual_secure:  # configured STARTTLS/plain, port speaks implicit TLS
            return {"actual": phrase("probe.mode.actual_tls"), "configured": phrase("probe.mode.configured_starttls"),
                    "secure_fix": True, "port_fix": port_fix, "detail": phrase("probe.wrong_mode.expects_tls")}
        return {"actual": phrase("probe.mode.actual_starttls"), "configured": phrase("probe.mode.configured_tls"),
                "secure_fix": False, "port_fix": port_fix, "detail": phrase("probe.wrong_mode.expects_plain")}

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
            problem = cert_problem(exc)
            cert_text, names = self._fetch_certificate(implicit)
            # The certificate is the evidence; OpenSSL's reason follows our words in the step and in `reason`.
            self.fail(StepName.TLS, started, code, with_reason(problem, library_said(cert_reason(exc).text)),
                      evidence=Evidence(EvidenceKind.CERTIFICATE, cert_text) if cert_text else None,
                      detail=problem, reason=cert_reason(exc), names=", ".join(names) or "-")
        except ssl.SSLError as exc:
            plaintext_peer = looks_like_plaintext_peer(exc)
            if implicit and plaintext_peer:
                plain = self._speaks_plain(self.deadline())
                if plain is not None and plain.code == 220:
                    self.fail(StepName.TLS, started, "tls.wrong_mode", phrase("probe.step.speaks_plain", port=self.s.port),
                              evidence=self.said(plain.first), variant="probe",
                              **self._wrong_mode_params(actual_secure=False, port_fix=self._other_port(TlsMode.TLS)))
            reason = library_said(exc.reason or str(exc))
            if plaintext_peer:
                ours = phrase("probe.tls.peer_not_tls")
            elif "EOF" in str(exc.reason or exc).upper():
                ours = phrase("probe.tls.closed_during_handshake")
            else:
                ours = phrase("probe.tls.handshake_rejected")
            self.fail(StepName.TLS, started, "tls.handshake_failed", with_reason(ours, reason),
                      evidence=Evidence(EvidenceKind.SYSTEM, str(exc.reason or exc)), detail=ours)
        except ProbeError as exc:
            if exc.kind == "timeout":
                code = "net.greeting_timeout" if implicit else "tls.handshake_failed"
                self.fail(StepName.TLS, started, code, phrase("probe.error.tls_no_answer"),
                          detail=phrase("probe.error.tls_no_answer"))
            self.fail_error(StepName.TLS, started, "tls.handshake_failed", exc)
        except OSError as exc:
            self.fail_error(StepName.TLS, started, "tls.handshake_failed",
                            ProbeError("reset", phrase("probe.tls.closed_during_handshake"), os_reason(exc)))
        self.encrypted = True
        version = self.channel.tls_version or "TLS"
        if self.policy.insecure:
            self._verification_would_find(implicit)
        self.step(StepName.TLS, StepStatus.OK, started,
                  phrase("probe.step.tls_unverified" if self.policy.insecure else "probe.step.tls_version", version=version))

    def _verification_would_find(self, implicit: bool) -> None:
        """--insecure went on past the certificate: one more handshake, verified, says what it skipped (a
        self-signed or expired certificate is then a warning, never a silent "No problems found")."""
        der = self.channel.sock.getpeercert(binary_form=True) if self.channel is not None else None
        deadline = self.deadline()
        try:
            sock = connect(self.addresses, deadline)
        except ProbeError:
            return
        channel = SmtpChannel(sock, Transcript())
        try:
            if not implicit:
                channel.read_reply(deadline)
                channel.command(f"EHLO {self.ehlo_name()}", deadline)
                if channel.command("STARTTLS", deadline).code != 220:
                    return
            channel.start_tls(client_context(self.policy.ca_file, False), self.ascii_host, deadline)
        except ssl.SSLCertVerificationError as exc:
            cert_text, names = describe_certificate(der) if der else ("", [])
            problem = cert_problem(exc)
            self.find(cert_code(exc), StepName.TLS, Evidence(EvidenceKind.CERTIFICATE, cert_text) if cert_text else None,
                      variant="insecure", detail=with_reason(problem, library_said(cert_reason(exc).text)),
                      reason=cert_reason(exc), names=", ".join(names) or "-")
        except (ProbeError, ssl.SSLError, OSError, ValueError):
            return  # nothing learned about the certificate
        finally:
            channel.close()

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
                    # Upper-cased only as our lookup key; the value keeps the server's own case.
                    self.extensions[word.upper()] = rest.strip()
        except ProbeError as exc:
            self.fail_error(StepName.EHLO, started, self._error_code(exc), exc)
        if reply.code != 250:
            self.fail(StepName.EHLO, started, "net.server_unavailable", phrase("probe.step.service_refused"),
                      evidence=self.said(reply.text), reply=self.said_first(reply))
        # The keywords as the server wrote them (secrets masked first): never the upper-cased lookup keys.
        shown = ", ".join(line.strip() for line in reply.lines[1:] if line.strip()) if self.extensions else ""
        self.step(StepName.EHLO, StepStatus.OK, started,
                  phrase("probe.step.extensions", extensions=self.transcript.keep(shown)) if shown
                  else phrase("probe.step.helo_only"))

    def starttls(self) -> None:
        started = time.perf_counter()
        assert self.channel is not None
        deadline = self.deadline()
        if "STARTTLS" not in self.extensions:
            self.step(StepName.TLS, StepStatus.FAIL, started, phrase("probe.step.starttls_not_offered"),
                      "tls.starttls_unsupported")
            self.find("tls.starttls_unsupported", StepName.TLS)
            return
        try:
            reply = self.channel.command("STARTTLS", deadline)
        except ProbeError as exc:
            self.fail_error(StepName.TLS, started, "tls.handshake_failed", exc)
        if reply.code != 220:
            self.step(StepName.TLS, StepStatus.FAIL, started, phrase("probe.step.starttls_refused"),
                      "tls.starttls_unsupported", self.said_first(reply))
            self.find("tls.starttls_unsupported", StepName.TLS, evidence=self.said(reply.text), reply=self.said_first(reply))
            return
        self._handshake(started, deadline, implicit=False)
        # RFC 3207 §4.2: forget what was learnt before TLS and ask again.
        self.ehlo()

    # -- AUTH -------------------------------------------------------------------------------------

    def auth(self) -> bool | None:
        """True: logged in; False: failed (stop); None: skipped."""
        started = time.perf_counter()
        assert self.channel is not None
        if self.policy.oauth2_token is not None and self.s.user and (self.encrypted or self.policy.allow_plaintext_auth):
            from smtpdoctor.probe.oauth2 import login

            return login(self, started)
        if not self.s.user or self.s.password is None:
            self.step(StepName.AUTH, StepStatus.SKIP, started, phrase("probe.step.no_credentials"))
            return None
        if not self.encrypted and not self.policy.allow_plaintext_auth:
            self.step(StepName.AUTH, StepStatus.SKIP, started, phrase("probe.step.auth_not_sent"))
            if not any(f.code == "tls.starttls_unsupported" for f in self.run.findings):
                self.run.findings.append(Finding(code="auth.requires_tls", variant="plaintext_refused", step=StepName.AUTH))
            return False
        written = self.extensions.get("AUTH", "").split()  # as the server wrote them: what is shown
        offered = [m.upper() for m in written]  # SASL names are case-insensitive (RFC 4422 3.1): what is compared
        if not offered:
            self.fail(StepName.AUTH, started, "auth.not_supported", phrase("probe.step.no_auth"), variant="probe",
                      offer=phrase("probe.auth.offer_none"), mechanisms="", detail=phrase("probe.auth.no_login_here"))
        mechanism = next((m for m in ("PLAIN", "LOGIN", "CRAM-MD5") if m in offered), None)
        if mechanism is None:
            oauth_only = any(m in offered for m in ("XOAUTH2", "OAUTHBEARER"))
            mechanisms = self.transcript.keep(" ".join(written))
            self.fail(StepName.AUTH, started, "auth.not_supported", phrase("probe.step.auth_offered", mechanisms=mechanisms),
                      variant="probe", offer=phrase("probe.auth.offer_only", mechanisms=mechanisms), mechanisms=mechanisms,
                      detail=phrase("probe.auth.oauth_only" if oauth_only else "probe.auth.no_password_mechanism"))
        self.auth_mechanism = mechanism
        deadline = self.deadline()
        try:
            reply = self._authenticate(mechanism, deadline)
        except ProbeError as exc:
            self.transcript.secret = False
            self.fail_error(StepName.AUTH, started, self._error_code(exc), exc)
        finally:
            self.transcript.secret = False
        if reply.code == 235:
            self.step(StepName.AUTH, StepStatus.OK, started, phrase("probe.step.auth_ok", mechanism=mechanism, user=self.s.user))
            return True
        if 200 <= reply.code < 400:  # a 2xx/3xx that is not "235 authenticated": the dialogue is out of step
            self.channel.broken = True
            self.fail(StepName.AUTH, started, "net.protocol_error", phrase("probe.step.auth_unexpected"),
                      evidence=self.said(reply.text), reply=self.said_first(reply), detail=phrase("probe.step.auth_unexpected"))
        code, provider = read_reply(reply.text, "AUTH", ("auth", "delivery", "sender"), self.preset.id if self.preset else None)
        self.step(StepName.AUTH, StepStatus.FAIL, started, None, code, self.said_first(reply))
        self.find(code, StepName.AUTH, evidence=self.said(reply.text), provider=provider, reply=self.said_first(reply))
        return False

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
            raise ProbeError("protocol", phrase("probe.error.bad_cram_challenge"), self.said_first(reply)) from exc
        self.transcript.secret = True
        import hashlib  # CRAM-MD5 only: no other login needs them imported
        import hmac

        digest = hmac.new(secret.encode(), challenge, hashlib.md5).hexdigest()
        return channel.command(base64.b64encode(f"{user} {digest}".encode()).decode(), deadline)

    # -- sender and send --------------------------------------------------------------------------

    def sender(self) -> None:
        started = time.perf_counter()
        assert self.channel is not None
        sender = self.s.sender or (self.s.user if self.s.user and "@" in self.s.user else None)
        if not sender:
            self.step(StepName.SENDER, StepStatus.SKIP, started, phrase("probe.step.no_sender"))
            return
        recipient = self.policy.send_to or sender
        deadline = self.deadline()
        domain = sender.rsplit("@", 1)[-1]
        params: dict[str, Param] = {"sender": sender, "user": self.s.user or "-", "domain": domain, "sender_domain": domain}
        try:
            reply = self.channel.command(f"MAIL FROM:<{sender}>", deadline)
            if reply.code != 250:
                code, provider = read_reply(reply.text, "MAIL", ("sender", "delivery", "auth"), self.preset.id if self.preset else None)
                self.fail(StepName.SENDER, started, code, phrase("probe.step.rejected_at", command="MAIL FROM"),
                          evidence=self.said(reply.text), provider=provider, reply=self.said_first(reply), **params)
            reply = self.channel.command(f"RCPT TO:<{recipient}>", deadline)
            if reply.code not in (250, 251):
                code, provider = read_reply(reply.text, "RCPT", ("sender", "delivery", "auth"), self.preset.id if self.preset else None)
                self.fail(StepName.SENDER, started, code, phrase("probe.step.rejected_at", command="RCPT TO"),
                          evidence=self.said(reply.text), provider=provider, reply=self.said_first(reply), **params)
            if not self.policy.send_to:
                self.channel.command("RSET", deadline)
        except ProbeError as exc:
            self.fail_error(StepName.SENDER, started, self._error_code(exc), exc)
        self.step(StepName.SENDER, StepStatus.OK, started, phrase("probe.step.sender_ok", sender=sender, recipient=recipient))

    def send(self) -> None:
        if not self.policy.send_to:
            return
        started = time.perf_counter()
        assert self.channel is not None
        deadline = self.deadline()
        sender = self.s.sender or self.s.user or ""
        message = test_message(sender, self.policy.send_to)
        about: dict[str, Param] = {"sender_domain": sender.rsplit("@", 1)[-1]} if "@" in sender else {}
        try:
            reply = self.channel.command("DATA", deadline)
            if reply.code != 354:
                code, provider = read_reply(reply.text, "DATA", ("sender", "delivery", "auth"), self.preset.id if self.preset else None)
                self.fail(StepName.SEND, started, code, phrase("probe.step.rejected_at", command="DATA"),
                          evidence=self.said(reply.text), provider=provider, reply=self.said_first(reply), **about)
            for line in message:
                self.channel.send("." + line if line.startswith(".") else line, deadline)
            reply = self.channel.command(".", deadline)
        except ProbeError as exc:
            self.fail_error(StepName.SEND, started, "net.reset", exc)
        if reply.code != 250:
            code, provider = read_reply(reply.text, "DATA_END", ("delivery", "sender"), self.preset.id if self.preset else None)
            self.fail(StepName.SEND, started, code, phrase("probe.step.message_rejected"), evidence=self.said(reply.text),
                      provider=provider, reply=self.said_first(reply), **about)
        self.step(StepName.SEND, StepStatus.OK, started, phrase("probe.step.sent", recipient=self.policy.send_to),
                  reply=self.said_first(reply))
        self.find("ok.sent", StepName.SEND, evidence=self.said(reply.text), recipient=self.policy.send_to,
                  reply=self.said_first(reply), detail=phrase("probe.ok.sent", recipient=self.policy.send_to,
                                                              reply=self.said_first(reply)))

    def healthy(self) -> None:
        tls = self.channel.tls_version if self.channel else None
        if not self.encrypted:
            mode = phrase("probe.mode.plain")
        else:
            mode = phrase("probe.mode.tls_version" if self.s.secure else "probe.mode.starttls_version", version=tls or "TLS")
        login = (phrase("probe.ok.login", mechanism=self.auth_mechanism, user=self.s.user or "")
                 if self.auth_mechanism else phrase("probe.ok.no_login"))
        self.find("ok.connected", None, mode=mode, login=login,
                  detail=phrase("probe.ok.connected", endpoint=f"{self.host}:{self.s.port}", mode=mode, login=login))

    def quit(self) -> None:
        if self.channel is None:
            return
        if self.channel.broken:  # out of sync or dead: a polite QUIT would only wait for nothing
            self.channel.close()
            return
        try:
            # A polite wait for "221", no longer than 2 s and never past --max-time (no time left: no QUIT).
            deadline = self.deadline(min(QUIT_PATIENCE, self.policy.timeout))
            if remaining(deadline) > 0:
                self.channel.command("QUIT", deadline)
        except (ProbeError, OSError, ssl.SSLError):
            pass
        finally:
            self.channel.close()


def test_message(sender: str, recipient: str | None) -> list[str]:
    """The --send-to message as the lines of its DATA, built by the standard library's `email` package so that
    it is what receivers expect of real mail: RFC 5322 Date and Message-ID, an RFC 2047 encoded subject, one
    plain-text part in quoted-printable (7-bit safe without 8BITMIME) carrying both languages (message content,
    not interface: texts from knowledge/test_message.toml, in both languages whatever --lang says)."""
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formatdate, make_msgid

    from smtpdoctor.knowledge.tomlcache import load_shipped

    texts = load_shipped("test_message.toml")
    domain = sender.rsplit("@", 1)[1] if "@" in sender else None
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = recipient or sender
    message["Subject"] = " / ".join(dict.fromkeys(texts["subject"]))
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid("smtpdoctor", domain=domain)
    message.set_content("\n\n".join(texts["body"]) + "\n",
                        charset="utf-8", cte="quoted-printable")
    return message.as_string().rstrip("\r\n").split("\r\n")


def run_probe(settings: SmtpSettings, preset: ProviderPreset | None, policy: ProbePolicy,
              on_step: Callable[[StepResult], None] | None = None) -> ProbeRun:
    return Probe(settings, preset, policy, on_step).execute()
