"""IPv4 and IPv6 apart: a host with A and AAAA records (a dnslib zone on loopback), the probe still races
both for its verdict, and IPv6 failing while IPv4 works is `net.ipv6_unreachable`.

The unroutable AAAA is a multicast address: the kernel refuses a TCP connect to it at once with
ENETUNREACH — the errno of a host without IPv6 egress — and no packet leaves the machine. (This machine
has a default IPv6 route, so 100::/64 or 2001:db8::/32 would send SYNs off loopback.)"""

from __future__ import annotations

import errno
import socket

import pytest

from dns_server import LoopbackDns
from smtpdoctor.probe.runner import ProbePolicy, run_probe
from smtpdoctor.report import StepName
from smtpdoctor.settings.model import clean, load_settings_input
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec, ipv6_loopback_missing

UNROUTABLE_V6 = "ff0e::5d7c"


def _unroutable_is_local() -> str | None:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        code = sock.connect_ex((UNROUTABLE_V6, 9))
    return None if code == errno.ENETUNREACH else f"connect to {UNROUTABLE_V6} gives {errno.errorcode.get(code, code)}"


pytestmark = pytest.mark.skipif(ipv6_loopback_missing() is not None, reason=ipv6_loopback_missing() or "")

ZONE = f"""
dual.test.        300 IN A    127.0.0.1
dual.test.        300 IN AAAA ::1
dark.test.        300 IN A    127.0.0.1
dark.test.        300 IN AAAA {UNROUTABLE_V6}
"""


def _probe(host: str, port: int, ca_file, nameserver: str):
    env = {"SMTP_HOST": host, "SMTP_PORT": str(port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD,
           "SMTP_FROM": DEMO_USER}
    policy = ProbePolicy(timeout=2.0, insecure=True, nameservers=(nameserver,), dns_timeout=2.0)
    return run_probe(clean(load_settings_input({}, env)), None, policy)


def test_ipv6_refused_while_ipv4_works(smtp_server, ca_file):
    server = smtp_server(ServerSpec())  # listens on 127.0.0.1 only: [::1]:port refuses
    with LoopbackDns(ZONE) as dns:
        run = _probe("dual.test", server.port, ca_file, dns.address)
    codes = [f.code for f in run.findings]
    assert "ok.connected" in codes  # the race still gives the verdict
    found = next(f for f in run.findings if f.code == "net.ipv6_unreachable")
    assert found.params["ipv6"] == "::1" and found.params["ipv4"] == "127.0.0.1" and found.params["status"] == "refused"
    assert found.step is StepName.CONNECT and "ECONNREFUSED" in found.evidence.text


@pytest.mark.skipif(_unroutable_is_local() is not None, reason=_unroutable_is_local() or "")
def test_unroutable_aaaa_is_enetunreach(smtp_server, ca_file):
    server = smtp_server(ServerSpec())
    with LoopbackDns(ZONE) as dns:
        run = _probe("dark.test", server.port, ca_file, dns.address)
    found = next(f for f in run.findings if f.code == "net.ipv6_unreachable")
    assert found.params["status"] == "unreachable" and "ENETUNREACH" in found.evidence.text
    assert any(f.code == "ok.connected" for f in run.findings)


def test_both_families_answer_no_warning(smtp_server, ca_file):
    server = smtp_server(ServerSpec())
    listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        listener.bind(("::1", server.port))
    except OSError:
        listener.close()
        pytest.skip("the same port is taken on ::1")
    listener.listen(8)
    try:
        with LoopbackDns(ZONE) as dns:
            run = _probe("dual.test", server.port, ca_file, dns.address)
    finally:
        listener.close()
    assert not any(f.code == "net.ipv6_unreachable" for f in run.findings)


def test_port_table_per_family(smtp_server, run_cli):
    server = smtp_server(ServerSpec())
    with LoopbackDns(ZONE) as dns:
        result = run_cli(["check", "--host", "dual.test", "--port", str(server.port), "--nameserver", dns.address,
                          "--ports", "--timeout", "1", "--insecure", "--no-dns", "--platform", "none", "--format", "json"],
                         env={"SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD})
    import json

    doc = json.loads(result.out)
    rows = {(a["port"], a["family"]): a["status"] for a in doc["ports"]["attempts"]}
    assert rows[(server.port, "ipv4")] == "open" and rows[(server.port, "ipv6")] == "refused"
    assert doc["ports"]["verdict"]["phrase"] == "platform.ports.verdict_ok"
