"""A port that drops SYNs, on 127.0.0.1 or ::1 and on a chosen port number, without firewall rules.

A listener with a backlog of 0 whose accept queue is already full: Linux (tcp_abort_on_overflow = 0, the
default) then ignores further SYNs, so a connect stays in SYN-SENT until the client gives up — what a
firewall that drops packets looks like from the client. A chosen port lets an IPv6 listener that drops sit
beside a working IPv4 server on the same number (a dual-stack name whose IPv6 is black-holed).
"""

from __future__ import annotations

import socket
import time


class DroppingListener:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET6:
            self.listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        self.listener.bind((host, port))
        self.listener.listen(0)
        self.host = host
        self.port = self.listener.getsockname()[1]
        self.fillers: list[socket.socket] = []
        for _ in range(8):  # fill the accept queue (its real size is small and kernel-dependent)
            filler = socket.socket(family, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex((host, self.port))
            self.fillers.append(filler)
        time.sleep(0.05)

    def close(self) -> None:
        for sock in self.fillers:
            sock.close()
        self.listener.close()

    def __enter__(self) -> DroppingListener:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
