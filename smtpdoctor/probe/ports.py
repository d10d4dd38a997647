"""Many TCP connects at once within one deadline: the port preflight table and the IPv4/IPv6 check.

Every (port, address) pair gets its own non-blocking socket and all of them wait on one selector, so
the table costs one `--timeout` however many ports and families it covers. Only TCP handshakes: no
byte is sent. What the OS said (errno text) is kept as Evidence(SYSTEM).
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import threading
import time
from collections.abc import Callable

from smtpdoctor.report import Evidence, EvidenceKind, PortAttempt, PortTable

UNANSWERED = 1.0  # seconds a connect goes unanswered before the other ports are raced (RFC 6298 2.1: initial RTO)


def family_name(family: int) -> str:
    return "ipv6" if family == socket.AF_INET6 else "ipv4"


def _status(code: int) -> str:
    if code == 0:
        return "open"
    if code == errno.ECONNREFUSED:
        return "refused"
    if code in (errno.ETIMEDOUT,):
        return "timeout"
    return "unreachable"


def _reason(code: int) -> Evidence | None:
    if code == 0:
        return None
    return Evidence(EvidenceKind.SYSTEM, f"{errno.errorcode.get(code, code)}: {os.strerror(code)}")


class Cancel:
    """Ends a race from another thread at once (the configured port answered: the others are moot), by waking
    the race's selector rather than letting it sleep out its deadline."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self.fired = False

    def fire(self) -> None:
        self.fired = True
        try:
            self._writer.send(b"x")
        except OSError:  # already closed: the race is over anyway
            pass

    def close(self) -> None:
        self._reader.close()
        self._writer.close()


def attempt_all(targets: list[tuple[int, tuple]], deadline: float, cancel: Cancel | None = None,
                settle: Callable[[dict[int, str]], float | None] | None = None,
                ) -> list[tuple[int, tuple, str, Evidence | None]]:
    """(family, sockaddr) -> (family, sockaddr, status, reason) for each target, all raced until `deadline`.

    `cancel` ends the race early (what has not answered is "timeout"); `settle(statuses so far)` may bring the
    deadline forward once enough is known (IPv4 answered: IPv6 gets a short grace, not the whole timeout)."""
    sel = selectors.DefaultSelector()
    results: dict[int, tuple[str, Evidence | None]] = {}
    pending: dict[socket.socket, int] = {}
    try:
        for i, (family, addr) in enumerate(targets):
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
            except OSError as exc:
                results[i] = ("unreachable", _reason(exc.errno or errno.EAFNOSUPPORT))
                continue
            sock.setblocking(False)
            code = sock.connect_ex(addr)
            if code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
                pending[sock] = i
                sel.register(sock, selectors.EVENT_WRITE)
            else:
                results[i] = (_status(code), _reason(code))
                sock.close()
        if cancel is not None:
            sel.register(cancel._reader, selectors.EVENT_READ)
        deadline = _settled(deadline, settle, results)
        while pending and not (cancel is not None and cancel.fired):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(timeout=left):
                sock = key.fileobj
                if sock not in pending:  # the cancel socket
                    continue
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                sel.unregister(sock)
                results[pending.pop(sock)] = (_status(code), _reason(code))
                sock.close()
                deadline = _settled(deadline, settle, results)
    finally:
        for sock, i in pending.items():
            results.setdefault(i, ("timeout", None))
            sock.close()
        sel.close()
    return [(family, addr, *results.get(i, ("timeout", None))) for i, (family, addr) in enumerate(targets)]


def _settled(deadline: float, settle, results: dict) -> float:
    if settle is None:
        return deadline
    earlier = settle({i: status for i, (status, _) in results.items()})
    return min(deadline, earlier) if earlier is not None else deadline


def _targets(configured: int, ports: list[int], addresses: list[tuple]) -> tuple[list[int], dict[int, tuple], list]:
    """The ports in order (the configured one first), the first address of each family, one target per pair."""
    firsts: dict[int, tuple] = {}
    for family, addr in addresses:
        firsts.setdefault(family, addr)
    ordered_ports = list(dict.fromkeys([configured, *ports]))
    targets = [(family, (addr[0], port, *addr[2:])) for port in ordered_ports for family, addr in firsts.items()]
    return ordered_ports, firsts, targets


def _table(host: str, configured: int, ordered_ports: list[int], firsts: dict, outcomes: list,
           timeout: float) -> PortTable:
    attempts = [PortAttempt(port=addr[1], family=family_name(family), status=status, address=addr[0], reason=reason)
                for family, addr, status, reason in outcomes]
    for family in (socket.AF_INET, socket.AF_INET6):
        if family not in firsts:
            attempts += [PortAttempt(port=p, family=family_name(family), status="no_address") for p in ordered_ports]
    attempts.sort(key=lambda a: (ordered_ports.index(a.port), a.family))
    return PortTable(host=host, configured=configured, attempts=tuple(attempts), timeout=timeout)


def preflight(host: str, configured: int, ports: list[int], addresses: list[tuple], timeout: float,
              deadline: float | None = None) -> PortTable:
    """Race every port over the first address of each family; one row per (port, family). All within `timeout`,
    and never past `deadline` (time.monotonic(): the run's --max-time), whichever comes first."""
    ordered_ports, firsts, targets = _targets(configured, ports, addresses)
    now = time.monotonic()
    if deadline is not None and deadline < now + timeout:  # cut short by --max-time: the table says how long it had
        timeout = max(0.0, round(deadline - now, 1))
    outcomes = attempt_all(targets, now + timeout)
    return _table(host, configured, ordered_ports, firsts, outcomes, timeout)


class PortRace:
    """The host's other SMTP ports, raced in the background while the connect to the configured port is still
    pending, all ending at that connect's own deadline: a black-holed port then costs one --timeout in all, and
    the verdict can say which port answers instead (or that the host answers at all).

    Started only once the configured connect has gone unanswered for UNANSWERED seconds (RFC 6298's initial
    retransmission timeout: a reachable host answers a SYN well within it), so a healthy check never pays:
    no socket, no thread of the race exists before then."""

    def __init__(self, host: str, configured: int, ports: list[int], addresses: list[tuple], deadline: float) -> None:
        self.host = host
        self.configured = configured
        self.ordered, self.firsts, targets = _targets(configured, ports, addresses)
        # The configured port is the probe's own connect: racing it again would only repeat that answer.
        self.targets = [t for t in targets if t[1][1] != configured]
        self.deadline = deadline
        self.outcomes: list | None = None
        self.started_at: float | None = None
        self._cancel: Cancel | None = None
        self._over = False  # stopped or read: a timer firing late must not start it
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()  # a start racing a stop: either the race runs and is joined, or never runs

    def start_after(self, delay: float) -> PortRace:
        self._timer = threading.Timer(delay, self._start)
        self._timer.daemon = True
        self._timer.start()
        return self

    def _start(self) -> None:
        with self._lock:
            if self._over or not self.targets:
                return
            self.started_at = time.monotonic()
            self._cancel = Cancel()
            self._thread = threading.Thread(target=self._run, args=(self._cancel,), daemon=True,
                                            name="smtpdoctor-port-race")
            self._thread.start()

    def _run(self, cancel: Cancel) -> None:
        self.outcomes = attempt_all(self.targets, self.deadline, cancel)

    def _end(self, cancel_now: bool) -> threading.Thread | None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._over = True
            if cancel_now and self._cancel is not None:
                self._cancel.fire()
            return self._thread

    def stop(self) -> None:
        """The configured port answered (or was refused): the race is moot; its sockets close now."""
        thread = self._end(cancel_now=True)
        if thread is not None:
            thread.join(1.0)
        if self._cancel is not None:
            self._cancel.close()

    def table(self, configured: dict[int, tuple[str, Evidence | None]]) -> PortTable | None:
        """After the configured connect failed: every port's outcome (waits for the race, which shares its deadline).
        `configured`: family -> (status, reason) of the configured port, from the probe's own connects.
        None when the race never started (the connect failed before UNANSWERED)."""
        thread = self._end(cancel_now=False)
        if thread is not None:
            thread.join(max(0.0, self.deadline - time.monotonic()) + 1.0)
        if self._cancel is not None:
            self._cancel.close()
        outcomes, started = self.outcomes, self.started_at
        if outcomes is None or started is None:
            return None
        mine = [(family, (addr[0], self.configured, *addr[2:]), *configured.get(family, ("timeout", None)))
                for family, addr in self.firsts.items()]
        # What the other ports had: from the moment they started to the shared deadline.
        return _table(self.host, self.configured, self.ordered, self.firsts, [*mine, *outcomes],
                      round(max(0.0, self.deadline - started), 1))


def open_ports(table: PortTable) -> list[int]:
    return list(dict.fromkeys(a.port for a in table.attempts if a.status == "open"))
