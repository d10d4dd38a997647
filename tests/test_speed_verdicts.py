"""Verdicts sooner where users wait (issue 23), and the right reading under time pressure.

Real sockets on loopback only: a port that drops SYNs is a listener whose accept queue is full
(smtpdoctor.testing.dropping), a dual-stack name comes from a dnslib zone on loopback (tests/dns_server.py),
a tarpit is a hostile server sending a byte a second. The only clock checks are generous budgets against
the old behaviour (a second --timeout, IPv6's whole timeout): "well under 2x", never an exact figure."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time

import pytest

from dns_server import LoopbackDns
from smtpdoctor.probe.families import IPV6_GRACE
from smtpdoctor.probe.runner import ProbePolicy, run_probe
from smtpdoctor.settings.model import clean, load_settings_input
from smtpdoctor.testing import hostile
from smtpdoctor.testing.dropping import DroppingListener
from smtpdoctor.testing.hostile import HostileServer
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec, ipv6_loopback_missing

TIMEOUT = 2.0


def _env(host: str, port: int, **more: str) -> dict[str, str]:
    return {"SMTP_HOST": host, "SMTP_PORT": str(port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD,
            "SMTP_FROM": DEMO_USER, **more}


def _check(run_cli, env: dict, *args: str, timeout: float = TIMEOUT) -> tuple[dict, float]:
    started = time.monotonic()
    result = run_cli(["check", "--timeout", f"{timeout:g}", "--no-dns", "--platform", "none", "--format", "json",
                      *args], env=env)
    return json.loads(result.out), time.monotonic() - started


def _provider(tmp_path, ports: list[tuple[int, str]]):
    rows = ", ".join(f'{{ port = {p}, mode = "{mode}" }}' for p, mode in ports)
    path = tmp_path / "providers.toml"
    path.write_text(f'[loopback]\nname = "Loopback relay"\nkind = "relay"\nhosts = ["127.0.0.1"]\nports = [{rows}]\n'
                    f'default_port = {ports[0][0]}\nusername = {{ rule = "dashboard" }}\n'
                    'password = { kind = "smtp_password" }\nsender_rule = "verified_sender_or_domain"\n')
    return path


# -- 1. a black-holed port: one --timeout in all, and which port answers -------------------------------------------

def test_black_holed_port_names_the_port_that_answers_within_one_timeout(run_cli, smtp_server, ca_file, tmp_path):
    server = smtp_server(ServerSpec())
    with DroppingListener() as hole:
        providers = _provider(tmp_path, [(hole.port, "starttls"), (server.port, "starttls")])
        doc, elapsed = _check(run_cli, _env("127.0.0.1", hole.port), "--providers", str(providers),
                              "--ca-file", str(ca_file))
    egress = next(f for f in doc["findings"] if f["code"] == "net.egress_blocked")
    assert egress["params"]["working_port"] == server.port
    rows = {(a["port"], a["family"]): a["status"] for a in doc["ports"]["attempts"]}
    assert rows[(hole.port, "ipv4")] == "timeout" and rows[(server.port, "ipv4")] == "open"
    assert doc["ports"]["verdict"]["phrase"] == "platform.ports.verdict_other"
    assert doc["ports"]["verdict"]["params"]["working_port"] == server.port
    assert elapsed < 1.5 * TIMEOUT  # the other ports were raced during the first connect, not after it


def test_black_holed_port_with_refusals_elsewhere_is_a_dead_service_not_a_platform_block(run_cli, tmp_path):
    with DroppingListener() as hole, socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections to it are refused
        refused = closed.getsockname()[1]
        providers = _provider(tmp_path, [(hole.port, "starttls"), (refused, "tls")])
        doc, elapsed = _check(run_cli, _env("127.0.0.1", hole.port), "--providers", str(providers))
        texts = {lang: run_cli(["check", "--timeout", f"{TIMEOUT:g}", "--no-dns", "--platform", "none", "--lang", lang,
                                "--providers", str(providers)], env=_env("127.0.0.1", hole.port)).out
                 for lang in ("en", "ru")}
    codes = [(f["code"], f.get("variant")) for f in doc["findings"]]
    assert ("net.timeout", "host_up") in codes, codes
    assert not any(code == "net.egress_blocked" for code, _ in codes), codes  # the host answered: no block on the way
    host_up = next(f for f in doc["findings"] if f.get("variant") == "host_up")
    assert str(refused) in host_up["params"]["answered"].split(", ")
    assert doc["ports"]["verdict"]["phrase"] == "speed.ports.verdict_host_up"
    assert elapsed < 1.5 * TIMEOUT
    for lang, words in (("en", "the host does"), ("ru", "хост отвечает")):
        assert words in texts[lang] and str(refused) in texts[lang]


def test_a_port_that_answers_in_time_starts_no_race(smtp_server, ca_file):
    """A healthy connect answers within the RTO: no other port is tried, and no table is made."""
    server = smtp_server(ServerSpec())
    env = _env("127.0.0.1", server.port)
    run = run_probe(clean(load_settings_input({}, env)), None, ProbePolicy(timeout=TIMEOUT, ca_file=ca_file))
    assert run.ports is None and any(f.code == "ok.connected" for f in run.findings)


# -- 2. IPv6 does not hold up a working IPv4 -------------------------------------------------------------------

ZONE = """
dual.test.        300 IN A    127.0.0.1
dual.test.        300 IN AAAA ::1
"""


@pytest.mark.skipif(ipv6_loopback_missing() is not None, reason=ipv6_loopback_missing() or "")
def test_dropped_ipv6_gets_a_grace_not_the_whole_timeout(smtp_server, ca_file):
    server = smtp_server(ServerSpec())  # IPv4 only; IPv6 on the same port drops every SYN
    timeout = 6.0
    with LoopbackDns(ZONE) as dns, DroppingListener("::1", server.port):
        env = _env("dual.test", server.port)
        policy = ProbePolicy(timeout=timeout, insecure=True, nameservers=(dns.address,), dns_timeout=2.0)
        started = time.monotonic()
        run = run_probe(clean(load_settings_input({}, env)), None, policy)
        elapsed = time.monotonic() - started
    codes = [f.code for f in run.findings]
    assert "ok.connected" in codes, codes  # the verdict on IPv4
    found = next(f for f in run.findings if f.code == "net.ipv6_unreachable")
    assert found.params["status"] == "timeout" and found.params["ipv6"] == "::1"
    assert found.params["detail"].id == "speed.family.grace"
    assert elapsed < IPV6_GRACE + 2.0 < timeout  # before: IPv6's whole --timeout


# -- 3. bytes trickling in: a slow server, not a silent one ------------------------------------------------------

def test_a_greeting_trickling_in_is_a_slow_server():
    with HostileServer(hostile.slowloris_greeting) as server:
        run = run_probe(clean(load_settings_input({}, _env("127.0.0.1", server.port))), None, ProbePolicy(timeout=3.0))
    found = next(f for f in run.findings if f.code == "net.greeting_timeout")
    assert found.variant == "slow"
    assert found.params["received"].params["n"] >= 2
    assert found.evidence is not None and found.evidence.text.startswith("22")  # what came, as it came


def test_a_silent_server_stays_silent():
    with HostileServer(hostile.silent) as server:
        run = run_probe(clean(load_settings_input({}, _env("127.0.0.1", server.port))), None, ProbePolicy(timeout=2.0))
    found = next(f for f in run.findings if f.code == "net.greeting_timeout")
    assert found.variant is None


async def _ehlo_a_byte_a_second(reader, writer) -> None:
    writer.write(b"220 ok\r\n")
    await writer.drain()
    await reader.readline()
    for byte in b"250-slow.example\r\n250 AUTH PLAIN\r\n":
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.5)


def test_a_reply_trickling_in_is_a_slow_server(run_cli):
    with HostileServer(_ehlo_a_byte_a_second) as server:
        doc, _ = _check(run_cli, _env("127.0.0.1", server.port), timeout=2.0)
    found = next(f for f in doc["findings"] if f["code"] == "net.timeout")
    assert found["variant"] == "slow" and found["step"] == "ehlo"
    for lang, words in (("en", "arrives too slowly"), ("ru", "слишком медленно")):
        with HostileServer(_ehlo_a_byte_a_second) as server:
            text = run_cli(["check", "--timeout", "2", "--no-dns", "--platform", "none", "--lang", lang],
                           env=_env("127.0.0.1", server.port)).out
        assert words in text


# -- 4. --version before Typer -----------------------------------------------------------------------------------

def test_version_is_answered_without_importing_typer():
    code = ("import sys; sys.argv = ['smtpdoctor', '--version']; from smtpdoctor.entry import main; rc = main(); "
            "print('typer' in sys.modules, rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.split("\n")
    assert out[0].startswith("smtpdoctor ") and out[1] == "False 0"


def test_version_with_anything_else_still_goes_to_the_cli():
    code = ("import sys; sys.argv = ['smtpdoctor', '--version', '--bogus']; from smtpdoctor.entry import main; "
            "rc = main(); print(rc)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "2" and "--bogus" in proc.stderr
