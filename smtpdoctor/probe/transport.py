"""Sockets for the probe: Happy-Eyeballs connect, bounded SMTP reply reading, TLS, a redacting transcript.

Everything a stranger's server controls is bounded: line length, lines per reply, and time
(every read checks one deadline, so a server sending a byte a second cannot stretch it).
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import ssl
import time
from dataclasses import dataclass, field

from smtpdoctor.report import Evidence, EvidenceKind, Phrase, phrase

MAX_LINE = 8192  # bytes per reply line (RFC 5321 allows 512; real servers stay far below 8 KiB)
MAX_LINES = 200  # lines per multi-line reply
ATTEMPT_DELAY = 0.25  # RFC 8305: start the next address after 250 ms without an answer


class ProbeError(Exception):
    """A failure the runner turns into a finding: our reason as a Phrase, the other side's words as Evidence."""

    def __init__(self, kind: str, reason: Phrase, evidence: Evidence | None = None) -> None:
        super().__init__(f"{kind}: {reason.id}")
        self.kind = kind  # timeout | refused | reset | protocol | unreachable | dns
        self.reason = reason
        self.evidence = evidence  # SYSTEM: the OS's or OpenSSL's reason; SERVER: what the server sent


def system(text: str) -> Evidence:
    return Evidence(EvidenceKind.SYSTEM, text)


def os_reason(exc: OSError) -> Evidence:
    return system(exc.strerror or exc.__class__.__name__)


@dataclass
class Reply:
    code: int
    lines: list[str]

    @property
    def text(self) -> str:
        return " ".join(f"{self.code} {line}".strip() for line in self.lines) if self.lines else str(self.code)

    @property
    def first(self) -> str:
        return f"{self.code} {self.lines[0]}".strip() if self.lines else str(self.code)

    def ok(self) -> bool:
        return 200 <= self.code < 400


@dataclass
class Transcript:
    """The SMTP dialogue as shown to users. Redaction is by protocol state: while `secret` is on,
    every client line is masked, so AUTH LOGIN continuation lines never get recorded."""

    lines: list[str] = field(default_factory=list)
    secret: bool = False
    limit: int = 400

    def client(self, line: str) -> None:
        shown = "C: ********" if self.secret else f"C: {line}"
        self._add(shown)

    def client_masked(self, shown: str) -> None:
        self._add(f"C: {shown}")

    def server(self, line: str) -> None:
        self._add(f"S: {line}")

    def note(self, text: str) -> None:
        self._add(f"-- {text}")

    def _add(self, text: str) -> None:
        if len(self.lines) < self.limit:
            self.lines.append(text[:300] + ("…" if len(text) > 300 else ""))


def is_ascii_digits(text: str) -> bool:
    """0-9 only: str.isdigit() also accepts superscripts and other scripts' digits, which int() may reject."""
    return bool(text) and text.isascii() and text.isdigit()


def remaining(deadline: float) -> float:
    return deadline - time.monotonic()


def connect(addresses: list[tuple], deadline: float) -> socket.socket:
    """Happy Eyeballs (RFC 8305, simplified): staggered non-blocking attempts, first to connect wins,
    so a dead IPv6 route cannot eat the whole timeout."""
    sel = selectors.DefaultSelector()
    pending: dict[socket.socket, tuple] = {}
    errors: list[int] = []
    queue = list(addresses)
    next_start = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            if queue and (now >= next_start or not pending):
                family, addr = queue.pop(0)
                sock = socket.socket(family, socket.SOCK_STREAM)
                sock.setblocking(False)
                code = sock.connect_ex(addr)
                if code in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
                    pending[sock] = addr
                    sel.register(sock, selectors.EVENT_WRITE)
                else:
                    errors.append(code)
                    sock.close()
                next_start = time.monotonic() + ATTEMPT_DELAY
                continue
            if not pending and not queue:
                break
            wait = min(remaining(deadline), max(0.0, next_start - now) if queue else remaining(deadline))
            if wait <= 0 and remaining(deadline) <= 0:
                raise ProbeError("timeout", phrase("probe.error.connect_no_answer"))
            for key, _ in sel.select(timeout=max(wait, 0.001)):
                sock = key.fileobj
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                sel.unregister(sock)
                pending.pop(sock)
                if code == 0:
                    sock.setblocking(True)
                    for other in pending:
                        other.close()
                    pending.clear()
                    return sock
                errors.append(code)
                sock.close()
            if remaining(deadline) <= 0:
                raise ProbeError("timeout", phrase("probe.error.connect_no_answer"))
    finally:
        for sock in pending:
            sock.close()
        sel.close()
    if errors and all(e == errno.ECONNREFUSED for e in errors):
        raise ProbeError("refused", phrase("probe.error.refused"), system(os.strerror(errno.ECONNREFUSED)))
    if errors:
        code = errors[-1]
        raise ProbeError("unreachable", phrase("probe.error.unreachable"),
                         system(f"{errno.errorcode.get(code, code)}: {os.strerror(code)}"))
    raise ProbeError("timeout", phrase("probe.error.connect_no_answer"))


class SmtpChannel:
    """A line-oriented SMTP connection on a plain or TLS socket, with bounded reads."""

    def __init__(self, sock: socket.socket, transcript: Transcript) -> None:
        self.sock: socket.socket = sock
        self.transcript = transcript
        self.buffer = b""
        self.tls_version: str | None = None
        self.broken = False  # set once a read, write or handshake failed: the dialogue is out of sync

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def _recv(self, deadline: float) -> bytes:
        try:
            return self._recv_once(deadline)
        except ProbeError:
            self.broken = True
            raise

    def _recv_once(self, deadline: float) -> bytes:
        left = remaining(deadline)
        if left <= 0:
            raise ProbeError("timeout", phrase("probe.error.no_reply"))
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError) as exc:
            raise ProbeError("timeout", phrase("probe.error.no_reply")) from exc
        except ssl.SSLError as exc:
            raise ProbeError("reset", phrase("probe.error.tls_read"), system(str(exc.reason or exc))) from exc
        except OSError as exc:
            raise ProbeError("reset", phrase("probe.error.connection_lost"), os_reason(exc)) from exc
        if not data:
            raise ProbeError("reset", phrase("probe.error.closed"))
        return data

    def read_line(self, deadline: float) -> str:
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE:
                self.broken = True
                raise ProbeError("protocol", phrase("probe.error.line_too_long", n=MAX_LINE))
            self.buffer += self._recv(deadline)
        raw, _, self.buffer = self.buffer.partition(b"\n")
        if len(raw) > MAX_LINE:
            raise ProbeError("protocol", phrase("probe.error.line_too_long", n=MAX_LINE))
        return raw.rstrip(b"\r").decode("utf-8", "replace")

    def read_reply(self, deadline: float) -> Reply:
        lines: list[str] = []
        code: int | None = None
        while True:
            line = self.read_line(deadline)
            self.transcript.server(line)
            if len(line) >= 3 and not line[:3].isascii() and any(ch.isdigit() for ch in line[:3]):
                # '²²⁰', '٢٢٠', '２２０' are digits to str.isdigit() but no SMTP reply code: ASCII 0-9 only.
                self.broken = True
                raise ProbeError("protocol", phrase("hardening.probe.reply_code_not_ascii"),
                                 Evidence(EvidenceKind.SERVER, line[:80]))
            if len(line) < 3 or not is_ascii_digits(line[:3]) or (len(line) > 3 and line[3] not in " -"):
                self.broken = True
                raise ProbeError("protocol", phrase("probe.error.not_smtp"), Evidence(EvidenceKind.SERVER, line[:80]))
            this = int(line[:3])
            if code is not None and this != code:
                self.broken = True
                raise ProbeError("protocol", phrase("probe.error.code_changed"), Evidence(EvidenceKind.SERVER, line[:80]))
            code = this
            lines.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                return Reply(code, lines)
            if len(lines) >= MAX_LINES:
                self.broken = True
                raise ProbeError("protocol", phrase("probe.error.too_many_lines", n=MAX_LINES))

    def send(self, line: str, deadline: float, masked: str | None = None) -> None:
        if masked is not None:
            self.transcript.client_masked(masked)
        else:
            self.transcript.client(line)
        left = remaining(deadline)
        if left <= 0:
            raise ProbeError("timeout", phrase("probe.error.no_time_to_send"))
        self.sock.settimeout(left)
        try:
            self.sock.sendall(line.encode("utf-8") + b"\r\n")
        except (socket.timeout, TimeoutError) as exc:
            self.broken = True
            raise ProbeError("timeout", phrase("probe.error.stopped_reading")) from exc
        except OSError as exc:
            self.broken = True
            raise ProbeError("reset", phrase("probe.error.connection_lost"), os_reason(exc)) from exc

    def command(self, line: str, deadline: float, masked: str | None = None) -> Reply:
        self.send(line, deadline, masked)
        return self.read_reply(deadline)

    def start_tls(self, context: ssl.SSLContext, server_hostname: str | None, deadline: float) -> None:
        """Wrap the socket; ssl errors propagate to the caller, who knows the step."""
        if self.buffer:
            # RFC 3207 §4.2: data the server sent before the TLS handshake must be discarded.
            self.transcript.note(f"STARTTLS: -{len(self.buffer)} B (RFC 3207 4.2)")
            self.buffer = b""
        left = remaining(deadline)
        if left <= 0:
            raise ProbeError("timeout", phrase("probe.error.no_time_for_tls"))
        self.sock.settimeout(left)
        try:
            self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname)
        except (socket.timeout, TimeoutError) as exc:
            self.broken = True
            raise ProbeError("timeout", phrase("probe.error.tls_no_answer")) from exc
        except (ssl.SSLError, OSError):
            self.broken = True
            raise
        self.tls_version = self.sock.version()
