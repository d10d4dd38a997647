"""Sockets for the probe: Happy-Eyeballs connect, bounded SMTP reply reading, TLS, a redacting transcript.

Everything a stranger's server controls is bounded: line length, lines per reply, and time
(every read checks one deadline, so a server sending a byte a second cannot stretch it).
"""

from __future__ import annotations

import errno
import selectors
import socket
import ssl
import time
from dataclasses import dataclass, field

MAX_LINE = 8192  # bytes per reply line (RFC 5321 allows 512; real servers stay far below 8 KiB)
MAX_LINES = 200  # lines per multi-line reply
ATTEMPT_DELAY = 0.25  # RFC 8305: start the next address after 250 ms without an answer


class ProbeError(Exception):
    """A failure the runner turns into a finding."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind  # timeout | refused | reset | protocol | unreachable
        self.detail = detail


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
                raise ProbeError("timeout", "no answer to the TCP connection")
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
                raise ProbeError("timeout", "no answer to the TCP connection")
    finally:
        for sock in pending:
            sock.close()
        sel.close()
    if errors and all(e == errno.ECONNREFUSED for e in errors):
        raise ProbeError("refused", "connection refused")
    if errors:
        raise ProbeError("unreachable", errno.errorcode.get(errors[-1], str(errors[-1])))
    raise ProbeError("timeout", "no answer to the TCP connection")


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
            raise ProbeError("timeout", "no reply in time")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError) as exc:
            raise ProbeError("timeout", "no reply in time") from exc
        except ssl.SSLError as exc:
            raise ProbeError("reset", f"TLS error while reading: {exc.reason or exc}") from exc
        except OSError as exc:
            raise ProbeError("reset", exc.strerror or exc.__class__.__name__) from exc
        if not data:
            raise ProbeError("reset", "the server closed the connection")
        return data

    def read_line(self, deadline: float) -> str:
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE:
                self.broken = True
                raise ProbeError("protocol", f"a reply line longer than {MAX_LINE} bytes")
            self.buffer += self._recv(deadline)
        raw, _, self.buffer = self.buffer.partition(b"\n")
        if len(raw) > MAX_LINE:
            raise ProbeError("protocol", f"a reply line longer than {MAX_LINE} bytes")
        return raw.rstrip(b"\r").decode("utf-8", "replace")

    def read_reply(self, deadline: float) -> Reply:
        lines: list[str] = []
        code: int | None = None
        while True:
            line = self.read_line(deadline)
            self.transcript.server(line)
            if len(line) < 3 or not line[:3].isdigit() or (len(line) > 3 and line[3] not in " -"):
                self.broken = True
                raise ProbeError("protocol", f"not an SMTP reply: {line[:80]!r}")
            this = int(line[:3])
            if code is not None and this != code:
                self.broken = True
                raise ProbeError("protocol", "reply codes change inside one multi-line reply")
            code = this
            lines.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                return Reply(code, lines)
            if len(lines) >= MAX_LINES:
                self.broken = True
                raise ProbeError("protocol", f"a multi-line reply longer than {MAX_LINES} lines")

    def send(self, line: str, deadline: float, masked: str | None = None) -> None:
        if masked is not None:
            self.transcript.client_masked(masked)
        else:
            self.transcript.client(line)
        left = remaining(deadline)
        if left <= 0:
            raise ProbeError("timeout", "no time left to send")
        self.sock.settimeout(left)
        try:
            self.sock.sendall(line.encode("utf-8") + b"\r\n")
        except (socket.timeout, TimeoutError) as exc:
            self.broken = True
            raise ProbeError("timeout", "the server stopped reading") from exc
        except OSError as exc:
            self.broken = True
            raise ProbeError("reset", exc.strerror or exc.__class__.__name__) from exc

    def command(self, line: str, deadline: float, masked: str | None = None) -> Reply:
        self.send(line, deadline, masked)
        return self.read_reply(deadline)

    def start_tls(self, context: ssl.SSLContext, server_hostname: str | None, deadline: float) -> None:
        """Wrap the socket; ssl errors propagate to the caller, who knows the step."""
        if self.buffer:
            # RFC 3207 §4.2: data the server sent before the TLS handshake must be discarded.
            self.transcript.note("discarded data sent before the TLS handshake")
            self.buffer = b""
        left = remaining(deadline)
        if left <= 0:
            raise ProbeError("timeout", "no time left for the TLS handshake")
        self.sock.settimeout(left)
        try:
            self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname)
        except (socket.timeout, TimeoutError) as exc:
            self.broken = True
            raise ProbeError("timeout", "the TLS handshake got no answer") from exc
        except (ssl.SSLError, OSError):
            self.broken = True
            raise
        self.tls_version = self.sock.version()
