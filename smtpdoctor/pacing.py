"""How many `batch` checks may run at once on this machine, found while the batch runs.

A check that times out because its own batch starved the machine is no finding about the server. With
`--concurrency` high on few cores, a thousand TLS handshakes at once leave a healthy server's greeting unread
past `--timeout`. So the batch keeps to what the machine can do:

* A watcher thread wakes every TICK and measures how late it woke (the scheduling lag: the same wait every
  check's thread has for the CPU and the interpreter). Lag above STARVED means the machine is starved.
* At most `limit` checks run at once: it starts at a few per core and grows while the lag stays low and every
  slot is busy (a batch of slow, remote servers needs many at once and little CPU), up to `--concurrency`;
  it is cut back whenever the machine starves (never below one per core).
* A check that failed only by timing out while the machine was starved is asked again once, after the rest,
  when the load is gone (`suspect`): its second answer is the one reported.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager

TICK = 0.02  # seconds between the watcher's wake-ups
STARVED = 0.15  # seconds of lag that mean the machine is starved (a loaded but healthy one stays well below)
IDLE = 0.03  # lag below this: room for more checks at once
GROW_EVERY = 0.1  # seconds between two raises of the limit
CUT_EVERY = 0.25  # seconds between two cuts: a cut needs time to show
START_PER_CORE = 8

# What a starved machine makes of a healthy server: no answer in time. Anything else is the server's own word.
TIMEOUT_CODES = frozenset({"net.timeout", "net.greeting_timeout", "net.egress_blocked", "tls.handshake_failed"})


class Pacer:
    def __init__(self, ceiling: int, cores: int | None = None) -> None:
        cores = cores or os.cpu_count() or 1
        self.ceiling = ceiling
        self.floor = min(ceiling, cores)
        self.limit = min(ceiling, START_PER_CORE * cores)
        self.active = 0
        self.lowest = self.limit  # the lowest the limit went: what the machine could do at its worst
        self.last_starved = float("-inf")
        self._changed = time.monotonic()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="smtpdoctor-pacer", daemon=True)
        self._watcher.start()

    @contextmanager
    def slot(self):
        """One check's turn: waits while `limit` checks run; yields when it started (for `suspect`)."""
        with self._cond:
            while self.active >= self.limit:
                self._cond.wait(0.5)
            self.active += 1
        try:
            yield time.monotonic()
        finally:
            with self._cond:
                self.active -= 1
                self._cond.notify()

    def starved_since(self, started: float) -> bool:
        return self.last_starved >= started

    def suspect(self, started: float, report) -> bool:
        """The check failed, only by waiting in vain, and the machine starved meanwhile: ask again later."""
        errors = [f for f in report.findings if f.severity is not None and f.severity.value == "error"]
        return bool(errors) and all(_waited_in_vain(f) for f in errors) and self.starved_since(started)

    def close(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        woke = time.monotonic()
        while not self._stop.wait(TICK):
            now = time.monotonic()
            lag, woke = now - woke - TICK, now
            with self._cond:
                if lag > STARVED:
                    self.last_starved = now
                    if now - self._changed > CUT_EVERY and self.limit > self.floor:
                        self.limit = max(self.floor, int(self.limit * 0.7))
                        self.lowest = min(self.lowest, self.limit)
                        self._changed = now
                elif lag < IDLE and self.active >= self.limit and self.limit < self.ceiling \
                        and now - self._changed > GROW_EVERY and now - self.last_starved > CUT_EVERY:
                    self.limit = min(self.ceiling, self.limit + max(1, self.limit // 4))
                    self._changed = now
                    self._cond.notify_all()


def _waited_in_vain(finding) -> bool:
    """A timeout of any step, the host's lookup included (getaddrinfo that did not return in time)."""
    if finding.code in TIMEOUT_CODES:
        return True
    detail = finding.params.get("detail") if finding.params else None
    return finding.code == "net.dns_not_found" and getattr(detail, "id", None) == "probe.dns.timeout"


SETTLE = 1.0  # seconds a starved check waits before its second try: long enough for the load to have eased


class SecondTries:
    """The checks `Pacer.suspect` sent back: each is tried again by the first worker free once SETTLE has passed
    (so the second try runs beside the rest of the batch, not after it), and the rest at the end."""

    def __init__(self) -> None:
        self._rows: list[tuple[float, object]] = []
        self._lock = threading.Lock()

    def add(self, row) -> None:
        with self._lock:
            self._rows.append((time.monotonic() + SETTLE, row))

    def due(self):
        """The oldest row whose time has come, or None."""
        with self._lock:
            if self._rows and self._rows[0][0] <= time.monotonic():
                return self._rows.pop(0)[1]
        return None

    def rest(self) -> list:
        with self._lock:
            rows, self._rows = [row for _, row in self._rows], []
        return rows
