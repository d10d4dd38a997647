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
import time

from smtpdoctor.report import Evidence, EvidenceKind, PortAttempt, PortTable



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


def attempt_all(targets: list[tuple[int, tuple]], deadline: float) -> list[tuple[int, tuple, str, Evidence | None]]:
    """(family, sockaddr) -> (family, sockaddr, status, reason) for each target, all raced until `deadline`."""
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
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(timeout=left):
                sock = key.fileobj
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                sel.unregister(sock)
                results[pending.pop(sock)] = (_status(code), _reason(code))
                sock.close()
    finally:
        for sock, i in pending.items():
            results.setdefault(i, ("timeout", None))
            sock.close()
        sel.close()
    return [(family, addr, *results.get(i, ("timeout", None))) for i, (family, addr) in enumerate(targets)]


def preflight(host: str, configured: int, ports: list[int], addresses: list[tuple], timeout: float,
              deadline: float | None = None) -> PortTable:
    """Race every port over the first address of each family; one row per (port, family). All within `timeout`,
    and never past `deadline` (time.monotonic(): the run's --max-time), whichever comes first."""
    firsts: dict[int, tuple] = {}
    for family, addr in addresses:
        firsts.setdefault(family, addr)
    ordered_ports = list(dict.fromkeys([configured, *ports]))
    targets = [(family, (addr[0], port, *addr[2:])) for port in ordered_ports for family, addr in firsts.items()]
    now = time.monotonic()
    if deadline is not None and deadline < now + timeout:  # cut short by --max-time: the table says how long it had
        timeout = max(0.0, round(deadline - now, 1))
    outcomes = attempt_all(targets, now + timeout)
    attempts = [PortAttempt(port=addr[1], family=family_name(family), status=status, address=addr[0], reason=reason)
                for family, addr, status, reason in outcomes]
    for family in (socket.AF_INET, socket.AF_INET6):
        if family not in firsts:
            attempts += [PortAttempt(port=p, family=family_name(family), status="no_address") for p in ordered_ports]
    attempts.sort(key=lambda a: (ordered_ports.index(a.port), a.family))
    return PortTable(host=host, configured=configured, attempts=tuple(attempts), timeout=timeout)


def open_ports(table: PortTable) -> list[int]:
    return list(dict.fromkeys(a.port for a in table.attempts if a.status == "open"))
