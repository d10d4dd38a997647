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


IPV6_GRACE = 1.0  # seconds IPv6 may still take once IPv4 has answered (RFC 6298's initial RTO: a SYN unanswered
# that long was dropped); then the verdict is given and IPv6 is reported from what was seen


class FamilyCheck:
    """One connect to the first address of each family, in a thread, within the probe's connect deadline.

    It does not hold the verdict up: once IPv4 has answered, IPv6 gets IPV6_GRACE more and no longer; once IPv6
    has answered, nothing more is needed (the warning is about IPv6 failing). The probe reads it after its
    dialogue, so the grace runs alongside the TLS handshake and the login."""

    def __init__(self, targets: list[tuple], deadline: float) -> None:
        self.targets = targets
        self.deadline = deadline
        self.outcomes: list[tuple] = []
        self.thread: threading.Thread | None = None
        self.ipv4_answered_at: float | None = None

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
        self.outcomes = attempt_all(self.targets, self.deadline, settle=self._settle)

    def _settle(self, statuses: dict[int, str]) -> float | None:
        """When the race may end: at once when IPv6 connected, IPV6_GRACE after IPv4 did."""
        by_family = {family: statuses.get(i) for i, (family, _) in enumerate(self.targets)}
        if by_family.get(socket.AF_INET6) == "open":
            return time.monotonic()
        if by_family.get(socket.AF_INET) == "open":
            if self.ipv4_answered_at is None:
                self.ipv4_answered_at = time.monotonic()
            return self.ipv4_answered_at + IPV6_GRACE
        return None

    def _wait(self) -> None:
        if self.thread is not None:
            self.thread.join(max(0.0, remaining(self.deadline)) + 0.2)

    def configured_outcomes(self, addresses: list[tuple]) -> dict[int, tuple]:
        """family -> (status, reason) of the configured port, for the port table after its connect timed out:
        what each family's own connect saw when there are two, else the probe's timeout."""
        self._wait()
        seen = {family: (status, reason) for family, _, status, reason in self.outcomes}
        return {family: seen.get(family, ("timeout", None)) for family, _ in addresses}

    def finding(self, host: str, port: int, timeout: float) -> Finding | None:
        """After the dialogue: IPv6 failed and IPv4 worked -> the warning (IPv6 waited for no longer than the grace)."""
        if self.thread is None:
            return None
        self._wait()
        by_family = {family: (addr, status, reason) for family, addr, status, reason in self.outcomes}
        v6, v4 = by_family.get(socket.AF_INET6), by_family.get(socket.AF_INET)
        if not v6 or not v4 or v4[1] != "open" or v6[1] == "open":
            return None
        status = v6[1]
        cut = self.ipv4_answered_at is not None and self.ipv4_answered_at + IPV6_GRACE < self.deadline
        if status == "timeout" and cut:
            detail = phrase("speed.family.grace", grace=phrase("probe.unit.seconds", n=IPV6_GRACE))
        elif status in ("refused", "timeout"):
            detail = phrase(f"platform.family.{status}", timeout=phrase("probe.unit.seconds", n=timeout))
        else:
            detail = phrase("platform.family.unreachable")
        return Finding(code="net.ipv6_unreachable", step=StepName.CONNECT, evidence=v6[2],
                       params={"host": host, "port": port, "ipv6": v6[0][0], "ipv4": v4[0][0], "detail": detail,
                               "status": status})
