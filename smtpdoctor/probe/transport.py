"""Sockets for the probe: Happy-Eyeballs connect, bounded SMTP reply reading, TLS, a redacting transcript.

Everything a stranger's server controls is bounded: line length, lines per reply, and time
(every read checks one deadline, so a server sending a byte a second cannot stretch it).

What the server said is kept whole (it is evidence): a text is only ever cut at EVIDENCE_LIMIT, after every
secret in it has been masked on the whole text, and a cut says so and how much it left out (`kept`).
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import ssl
import time

from smtpdoctor.report import Evidence, EvidenceKind, Phrase, phrase

MAX_LINE = 8192  # bytes per reply line (RFC 5321 allows 512; real servers stay far below 8 KiB)
MAX_LINES = 200  # lines per multi-line reply
EVIDENCE_LIMIT = MAX_LINE  # characters of one server text kept (a line, a reply, a challenge); more is cut, marked
DRAIN_TIME = 0.25  # seconds spent reading past an over-long line, only to say how long it was
DRAIN_MAX = 4 * 1024 * 1024  # bytes read past an over-long line at most (a line that never ends)
ATTEMPT_DELAY = 0.25  # RFC 8305: start the next address after 250 ms without an answer


class ProbeError(Exception):
    """A failure the runner turns into a finding: our reason as a Phrase, the other side's words as Evidence."""

    def __init__(self, kind: str, reason: Phrase, evidence: Evidence | None = None) -> None:
        super().__init__(f"{kind}: {reason.id}")
        self.kind = kind  # timeout | refused | reset | protocol | unreachable | dns
        self.reason = reason
        self.evidence = evidence  # SYSTEM: the OS's or OpenSSL's reason; SERVER: what the server sent


def cut_marker(left_out: int, exact: bool = True) -> str:
    """What follows a cut: "…" and how many bytes were left out, "+≥" when more came than was read.
    Language-neutral (a unit symbol, like the transcript's own notes): it sits inside the other side's words."""
    return f"…[+{left_out} B]" if exact else f"…[+≥{left_out} B]"


def without_secret_start(text: str, redactor) -> str:
    """`text` (the kept part of a cut) without a trailing start of a secret's form: the rest of that form was
    cut away, so masking could not see it ("…hunter2sec" is 10 of 16 characters). Any case, as masking is."""
    if not redactor:
        return text
    from smtpdoctor.redact import MIN_SECRET

    forms = (*redactor.forms, *getattr(redactor, "runner", ()))  # runner: plain hex and case spellings too
    changed = True
    while changed and text:
        changed = False
        for form in forms:
            last = text[-1].lower()
            for n in range(min(len(form) - 1, len(text)), MIN_SECRET - 1, -1):
                if form[n - 1].lower() == last and text[-n:].lower() == form[:n].lower():
                    text, changed = text[:-n], True
                    break
            if changed:
                break
    return text


def kept(text: str, redactor=None, limit: int = EVIDENCE_LIMIT, unread: int = 0, exact: bool = True) -> str:
    """A server's text as it is kept: every secret masked on the whole text first, then cut to `limit`
    characters with a marker of how much was left out. `unread`: bytes of the same text that were never
    decoded (the rest of an over-long line); `exact` False: more than that came, uncounted."""
    if redactor:
        text = redactor.server_text(text)
    if len(text) <= limit and not unread and exact:
        return text
    shown = without_secret_start(text[:limit], redactor)
    left_out = len(text[len(shown):].encode("utf-8", "surrogateescape")) + unread
    return shown + cut_marker(left_out, exact)


def system(text: str) -> Evidence:
    return Evidence(EvidenceKind.SYSTEM, text)


def os_reason(exc: OSError) -> Evidence:
    return system(exc.strerror or exc.__class__.__name__)


class Reply:
    """One SMTP reply: its code and the text of each line (after the code)."""

    __slots__ = ("code", "lines")

    def __init__(self, code: int, lines: list[str]) -> None:
        self.code = code
        self.lines = lines

    def __repr__(self) -> str:
        return f"Reply({self.code!r}, {self.lines!r})"

    @property
    def text(self) -> str:
        return " ".join(f"{self.code} {line}".strip() for line in self.lines) if self.lines else str(self.code)

    @property
    def first(self) -> str:
        return f"{self.code} {self.lines[0]}".strip() if self.lines else str(self.code)

    def ok(self) -> bool:
        return 200 <= self.code < 400


class Transcript:
    """The SMTP dialogue as shown to users. Redaction is by protocol state: while `secret` is on,
    every client line is masked, so AUTH LOGIN continuation lines never get recorded. A server line is
    kept whole, its secrets masked (`redactor`, a smtpdoctor.redact.Redactor) before any cut (`kept`)."""

    __slots__ = ("lines", "secret", "limit", "redactor")

    def __init__(self, redactor: object | None = None, limit: int = 400) -> None:
        self.lines: list[str] = []
        self.secret = False
        self.limit = limit
        self.redactor = redactor

    def keep(self, text: str, unread: int = 0, exact: bool = True) -> str:
        return kept(text, self.redactor, unread=unread, exact=exact)

    def client(self, line: str) -> None:
        shown = "C: ********" if self.secret else f"C: {line}"
        self._add(shown)

    def client_masked(self, shown: str) -> None:
        self._add(f"C: {shown}")

    def server(self, line: str) -> None:
        self._add(f"S: {self.keep(line)}")

    def server_kept(self, text: str) -> None:
        """A server line already masked and cut (`keep`)."""
        self._add(f"S: {text}")

    def note(self, text: str) -> None:
        self._add(f"-- {text}")

    def _add(self, text: str) -> None:
        if len(self.lines) < self.limit:
            self.lines.append(text)


def is_ascii_digits(text: str) -> bool:
    """0-9 only: str.isdigit() also accepts superscripts and other scripts' digits, which int() may reject."""
    return bool(text) and text.isascii() and text.isdigit()


def ascii_bytes(host: str | None) -> str | bytes | None:
    """An ASCII host name as bytes, for getaddrinfo and the TLS layer: given a str, both encode it with Python's
    'idna' codec, whose import (stringprep, unicodedata) costs a healthy check ~2 ms. The probe's host is ASCII
    already (idna.encode made it so, or it is an IP address); bytes reach the resolver and SNI unchanged."""
    return host.encode("ascii") if host is not None and host.isascii() else host


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
        # Bytes received since the last whole reply (or command): a wait that times out with some is a server
        # trickling its answer (slow, or a tarpit on purpose), not a silent one.
        self.since_reply = 0

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
        self.since_reply += len(data)
        return data

    def partial(self) -> str:
        """What has come of a reply that has not ended (the unfinished line), as the server sent it."""
        return self.buffer[:MAX_LINE].decode("utf-8", "replace")

    def read_line(self, deadline: float) -> str:
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE:
                raise self._too_long(self.buffer, *self._drain_line(deadline))
            self.buffer += self._recv(deadline)
        raw, _, self.buffer = self.buffer.partition(b"\n")
        if len(raw) > MAX_LINE:
            raise self._too_long(raw.rstrip(b"\r"), 0, True)
        return raw.rstrip(b"\r").decode("utf-8", "replace")

    def _too_long(self, received: bytes, unread: int, ended: bool) -> ProbeError:
        """An over-long line: its start is the evidence, masked as a whole and then cut, with how much more came."""
        self.broken = True
        self.buffer = b""
        text = self.transcript.keep(received.decode("utf-8", "replace"), unread=unread, exact=ended)
        self.transcript.server_kept(text)
        return ProbeError("protocol", phrase("probe.error.line_too_long", n=MAX_LINE), Evidence(EvidenceKind.SERVER, text))

    def _drain_line(self, deadline: float) -> tuple[int, bool]:
        """Reads past an over-long line, briefly, only to count it: (bytes read, whether its end came)."""
        stop = min(deadline, time.monotonic() + DRAIN_TIME)
        count = 0
        while count < DRAIN_MAX:
            try:
                data = self._recv_once(stop)
            except ProbeError:
                return count, False
            end = data.find(b"\n")
            if end >= 0:
                return count + len(data[:end].rstrip(b"\r")), True
            count += len(data)
        return count, False

    def _said(self, line: str) -> Evidence:
        return Evidence(EvidenceKind.SERVER, self.transcript.keep(line))

    def read_reply(self, deadline: float) -> Reply:
        lines: list[str] = []
        code: int | None = None
        while True:
            line = self.read_line(deadline)
            self.transcript.server(line)
            if len(line) >= 3 and not line[:3].isascii() and any(ch.isdigit() for ch in line[:3]):
                # '²²⁰', '٢٢٠', '２２０' are digits to str.isdigit() but no SMTP reply code: ASCII 0-9 only.
                self.broken = True
                raise ProbeError("protocol", phrase("hardening.probe.reply_code_not_ascii"), self._said(line))
            if len(line) < 3 or not is_ascii_digits(line[:3]) or (len(line) > 3 and line[3] not in " -"):
                self.broken = True
                raise ProbeError("protocol", phrase("probe.error.not_smtp"), self._said(line))
            this = int(line[:3])
            if code is not None and this != code:
                self.broken = True
                raise ProbeError("protocol", phrase("probe.error.code_changed"), self._said(line))
            code = this
            lines.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                self.since_reply = len(self.buffer)  # what is already here belongs to the next reply
                return Reply(code, lines)
            if len(lines) >= MAX_LINES:
                self.broken = True
                raise ProbeError("protocol", phrase("probe.error.too_many_lines", n=MAX_LINES))

    def send(self, line: str, deadline: float, masked: str | None = None) -> None:
        if masked is not None:
            self.transcript.client_masked(masked)
        else:
            self.transcript.client(line)
        self.since_reply = len(self.buffer)
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
        self.since_reply = 0
        left = remaining(deadline)
        if left <= 0:
            raise ProbeError("timeout", phrase("probe.error.no_time_for_tls"))
        self.sock.settimeout(left)
        try:
            self.sock = context.wrap_socket(self.sock, server_hostname=ascii_bytes(server_hostname))
        except (socket.timeout, TimeoutError) as exc:
            self.broken = True
            raise ProbeError("timeout", phrase("probe.error.tls_no_answer")) from exc
        except (ssl.SSLError, OSError):
            self.broken = True
            raise
        self.tls_version = self.sock.version()
