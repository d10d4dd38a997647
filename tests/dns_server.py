"""A real DNS server on 127.0.0.1 (dnslib) serving test zones, plus one that never answers."""

from __future__ import annotations

import socket

from dnslib import RCODE, RR
from dnslib.server import BaseResolver, DNSLogger, DNSServer
from dnslib.zoneresolver import ZoneResolver


class TestZones(BaseResolver):
    """Answers from a zone text; names in `servfail` get SERVFAIL (a broken authoritative server)."""

    def __init__(self, zone: str, servfail: set[str]) -> None:
        self.zone = ZoneResolver(zone, glob=False)
        self.names = {str(rr.rname).rstrip(".").lower() for rr in RR.fromZone(zone)}
        self.servfail = {name.rstrip(".").lower() for name in servfail}
        self.queries: list[str] = []

    def resolve(self, request, handler):
        qname = str(request.q.qname).rstrip(".").lower()
        self.queries.append(qname)
        if qname in self.servfail:
            reply = request.reply()
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        reply = self.zone.resolve(request, handler)
        if reply.header.rcode == RCODE.NXDOMAIN and qname in self.names:
            reply.header.rcode = RCODE.NOERROR  # the name exists with other types: NODATA, not NXDOMAIN
        return reply


class LoopbackDns:
    def __init__(self, zone: str, servfail: set[str] | None = None) -> None:
        self.resolver = TestZones(zone, servfail or set())
        quiet = DNSLogger(logf=lambda *args: None)  # dnslib logs every query to stdout by default
        self.server = DNSServer(self.resolver, address="127.0.0.1", port=0, logger=quiet)
        self.port = self.server.server.server_address[1]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackDns:
        self.server.start_thread()
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop()


class SilentDns:
    """A UDP port that receives queries and never replies."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"

    def __enter__(self) -> SilentDns:
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()
