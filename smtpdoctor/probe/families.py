"""IPv4 and IPv6 apart: the probe races both families for its verdict (RFC 8305), which hides the failure an
app that tries IPv6 first without falling back will hit (nodemailer issue 1791). Alongside the race, one
connect per family tells which works; IPv6 failing while IPv4 works is `net.ipv6_unreachable`.

Also: resolving the SMTP host through the resolver named with `--nameserver` (A and AAAA), so private
and test zones reach the probe as they reach the DNS checks.
"""

from __future__ import annotations

import socket
import threading
import time

from smtpdoctor.probe.ports import attempt_all
from smtpdoctor.probe.transport import remaining
from smtpdoctor.report import Finding, StepName, phrase


def resolve_with(host: str, port: int, nameservers: tuple[str, ...], timeout: float,
                 deadline: float | None = None) -> list[tuple]:
    """A and AAAA from the given resolver, IPv6 and IPv4 interleaved like getaddrinfo's order for the race.
    With `deadline` (time.monotonic(): --max-time), both lookups together end by then: nothing found in time
    is nothing found."""
    from smtpdoctor.checks.dns import DnsClient

    if deadline is not None:
        timeout = min(timeout, deadline - time.monotonic())
        if timeout <= 0:
            return []
    client = DnsClient(list(nameservers), timeout)
    answers: dict[str, object] = {}

    def lookups() -> None:  # two queries, each within `timeout`: run aside, waited for until the deadline
        answers["AAAA"] = client.query(host, "AAAA")
        answers["A"] = client.query(host, "A")

    if deadline is None:
        lookups()
    else:
        worker = threading.Thread(target=lookups, daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            return []
    v6, v4 = answers["AAAA"], answers["A"]
    # Nothing there (a public name asked of a test resolver): the caller falls back to the system resolver.
    six = [(socket.AF_INET6, (a, port, 0, 0)) for a in (v6.records if v6.status == "ok" else [])]
    four = [(socket.AF_INET, (a, port)) for a in (v4.records if v4.status == "ok" else [])]
    ordered = []
    for i in range(max(len(six), len(four))):
        ordered += six[i:i + 1] + four[i:i + 1]
    return ordered


class FamilyCheck:
    """One connect to the first address of each family, in a thread, within the probe's connect deadline."""

    def __init__(self, targets: list[tuple], deadline: float) -> None:
        self.targets = targets
        self.deadline = deadline
        self.outcomes: list[tuple] = []
        self.thread: threading.Thread | None = None

    @classmethod
    def start(cls, addresses: list[tuple], deadline: float) -> FamilyCheck:
        firsts: dict[int, tuple] = {}
        for family, addr in addresses:
            firsts.setdefault(family, addr)
        check = cls(list(firsts.items()) if len(firsts) == 2 else [], deadline)
        if check.targets:
            check.thread = threading.Thread(target=check._run, daemon=True)
            check.thread.start()
        return check

    def _run(self) -> None:
        self.outcomes = attempt_all(self.targets, self.deadline)

    def finding(self, host: str, port: int, timeout: float) -> Finding | None:
        """After the race: IPv6 failed and IPv4 worked -> the warning (waits for the IPv6 verdict, within the deadline)."""
        if self.thread is None:
            return None
        self.thread.join(max(0.0, remaining(self.deadline)) + 0.2)
        by_family = {family: (addr, status, reason) for family, addr, status, reason in self.outcomes}
        v6, v4 = by_family.get(socket.AF_INET6), by_family.get(socket.AF_INET)
        if not v6 or not v4 or v4[1] != "open" or v6[1] == "open":
            return None
        status = v6[1]
        detail = phrase(f"platform.family.{status}", timeout=phrase("probe.unit.seconds", n=timeout)) \
            if status in ("refused", "timeout") else phrase("platform.family.unreachable")
        return Finding(code="net.ipv6_unreachable", step=StepName.CONNECT, evidence=v6[2],
                       params={"host": host, "port": port, "ipv6": v6[0][0], "ipv4": v4[0][0], "detail": detail,
                               "status": status})
