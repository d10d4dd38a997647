"""Hostile DNS (issue 21): a resolver that denies everything, SERVFAILs everything, answers slowly or never.

Real DNS servers on 127.0.0.1 (tests/dns_server.py, dnslib): one that knows no name at all (a locked-down
CI resolver), an honest one that knows the control name, a slow one and a silent one. No test reaches real
DNS: every check is pointed at them with --nameserver, and the SMTP host is always 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import time

import pytest

import dns_server
from dns_server import LoopbackDns, SilentDns
from smtpdoctor.checks.dns import CONTROL_NAME, DnsClient, check_sender_domain, unconfirmed
from smtpdoctor.diagnose import diagnose
from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.providers import default_providers_path, load_providers
from smtpdoctor.render.findings import finding_text
from smtpdoctor.render.i18n import Lang, render_param
from smtpdoctor.render.json import check_document
from smtpdoctor.render.text import check_blocks, write
from smtpdoctor.report import EvidenceKind, Finding, Severity, StepName, phrase
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec, closed_port

PROVIDERS = load_providers(default_providers_path())
CATALOG = load_catalog()
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LEFTOVER = re.compile(r"\{[a-z_][a-z0-9_]*(?:\|[a-z_]+)?\}")

# A resolver of a locked-down network: it knows its own zone and denies every other name (NXDOMAIN).
LOCKED_ZONE = "corp.internal. 300 IN A 10.0.0.1\n"
# An honest resolver: the control name exists, and so do the domains a test asks for; others do not.
HONEST_ZONE = f"""
{CONTROL_NAME}. 300 IN A 198.41.0.4
gmail.com.        300 IN MX  5 gmail-smtp-in.l.google.com.
gmail.com.        300 IN TXT "v=spf1 redirect=_spf.google.com"
_spf.google.com.  300 IN TXT "v=spf1 ip4:35.190.247.0/24 ~all"
_dmarc.gmail.com. 300 IN TXT "v=DMARC1; p=none; sp=quarantine"
"""
# Thirteen SPF lookups (an include chain), so a slow resolver spends ~15 queries on one domain.
CHAIN = "\n".join(f'l{i}.many.test. 300 IN TXT "v=spf1 include:l{i + 1}.many.test -all"' for i in range(1, 11))
SLOW_ZONE = f"""
many.test.      300 IN MX  10 mx.many.test.
many.test.      300 IN TXT "v=spf1 include:l1.many.test a mx -all"
{CHAIN}
l11.many.test.  300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.many.test. 300 IN TXT "v=DMARC1; p=quarantine"
"""


class SlowZones(dns_server.TestZones):
    """Answers every query correctly, each after `delay` seconds (inside one try of the resolver's)."""

    def __init__(self, zone: str, delay: float) -> None:
        super().__init__(zone, set())
        self.delay = delay

    def resolve(self, request, handler):
        time.sleep(self.delay)
        return super().resolve(request, handler)


class SlowDns(LoopbackDns):
    def __init__(self, zone: str, delay: float) -> None:
        super().__init__(zone)
        self.resolver = self.server.server.resolver = SlowZones(zone, delay)


@pytest.fixture(scope="module")
def locked():
    with LoopbackDns(LOCKED_ZONE) as server:
        yield server


@pytest.fixture(scope="module")
def honest():
    with LoopbackDns(HONEST_ZONE) as server:
        yield server


@pytest.fixture(scope="module")
def refusing():
    """SERVFAIL for every name it is asked (a resolver cut off from the Internet)."""
    names = {"gmail.com", "_dmarc.gmail.com", CONTROL_NAME, "corp-mail.org"}
    with LoopbackDns(LOCKED_ZONE, servfail=names) as server:
        yield server


@pytest.fixture(scope="module")
def slow():
    with SlowDns(SLOW_ZONE, 0.8) as server:
        yield server


def _texts(findings) -> dict[Lang, str]:
    texts = {}
    for lang in Lang:
        parts = []
        for f in findings:
            text = finding_text(f, CATALOG, lang)
            parts += [text.title, text.explanation, *text.fix]
        texts[lang] = "\n".join(parts)
        assert not LEFTOVER.search(texts[lang]), texts[lang]
    assert not CYRILLIC.search(texts[Lang.EN])
    return texts


def _check(address: str, relay: str | None, server: str, max_time: float | None = None):
    client = DnsClient([server], 2.0, max_time)
    findings, report = check_sender_domain(address, PROVIDERS.get(relay) if relay else None, PROVIDERS, client)
    return findings, report, client


# -- 1. a resolver that fails is a finding of its own ----------------------------------------------

def test_resolver_denying_everything_is_not_a_missing_domain(locked):
    findings, report, client = _check("me@gmail.com", "sendgrid", locked.address)
    codes = {f.code for f in findings}
    assert "dns.resolver_broken" in codes
    # Nothing that rests on a name not being found: the domain, SPF, DMARC, DKIM are unknown, not missing.
    assert not codes & {"config.sender_invalid", "dns.spf_missing", "dns.dmarc_missing", "dns.dkim_missing",
                        "dns.lookup_failed"}, codes
    broken = next(f for f in findings if f.code == "dns.resolver_broken")
    assert broken.severity is None and CATALOG.severity_of(broken) is Severity.WARNING
    assert broken.evidence.kind is EvidenceKind.DNS
    assert broken.evidence.text == f"gmail.com. IN MX: NXDOMAIN\n{CONTROL_NAME}. IN A: NXDOMAIN"
    assert report.skipped == phrase("resolver.skipped") and client.failure == "dns.resolver_broken"
    # What DNS cannot tell, provider knowledge still can: a Gmail address through SendGrid fails DMARC.
    assert "sender.dmarc_rejected" in codes
    # Asked once, and no further lookup is spent on a resolver that denies everything.
    assert locked.resolver.queries.count(CONTROL_NAME) == 1
    assert not any(q.startswith(("_dmarc.", "_spf.")) for q in locked.resolver.queries)
    texts = _texts(findings)
    assert "a.root-servers.net" in texts[Lang.EN] and "denies" in texts[Lang.EN]
    assert "корневых серверов" in texts[Lang.RU] and "неподтверждённые" in texts[Lang.RU]
    assert "dns.resolver_broken" in render_param(report.skipped, Lang.EN)
    assert "не проверено" in render_param(report.skipped, Lang.RU)


def test_resolver_failing_everything_with_servfail(refusing):
    findings, _, client = _check("me@corp-mail.org", None, refusing.address)
    codes = {f.code for f in findings}
    assert "dns.resolver_broken" in codes and "dns.lookup_failed" not in codes, codes
    broken = next(f for f in findings if f.code == "dns.resolver_broken")
    assert broken.evidence.text == f"corp-mail.org. IN MX: SERVFAIL\n{CONTROL_NAME}. IN A: SERVFAIL"


def test_a_domain_that_really_is_missing_is_still_said_so(honest):
    # The control name is asked only after a denial (an existing domain asks nothing more)...
    honest.resolver.queries.clear()
    findings, _, _ = _check("me@gmail.com", "gmail", honest.address)
    assert not {f.code for f in findings} & {"config.sender_invalid", "dns.resolver_broken"}
    assert CONTROL_NAME not in honest.resolver.queries
    # ...and when it exists, the denial stands: the domain is missing.
    findings, _, client = _check("me@no-such-domain-for-smtpdoctor.com", None, honest.address)
    codes = {f.code for f in findings}
    assert "config.sender_invalid" in codes and "dns.resolver_broken" not in codes, codes
    assert honest.resolver.queries.count(CONTROL_NAME) == 1
    assert client.failure is None and unconfirmed(findings, client) == findings


# -- 2. "Start with" never points at a consequence --------------------------------------------------

def _probe_says_host_not_found() -> Finding:
    """What the probe reports when the SMTP host's lookup fails (probe/runner.py, the resolve step)."""
    return Finding(code="net.dns_not_found", variant="known_host", step=StepName.RESOLVE,
                   params={"host": "smtp.gmail.com", "port": 587, "detail": phrase("probe.dns.no_address")})


def test_start_with_names_the_resolver_not_what_it_caused(locked):
    findings, report, client = _check("me@gmail.com", None, locked.address)
    run = unconfirmed([_probe_says_host_not_found(), *findings], client)
    host = next(f for f in run if f.code == "net.dns_not_found")
    assert host.because_of == "dns.resolver_broken"
    result = diagnose(run, CATALOG, "check", dns=report)
    assert result.findings[0].code == "dns.resolver_broken"  # the cause first, although only a warning
    assert [f.code for f in result.findings].index("net.dns_not_found") == 1
    assert result.verdict.errors == 1 and result.verdict.first_error.code == "dns.resolver_broken"
    assert int(result.exit_code()) == 1  # the consequence still counts: the host cannot be found from here
    for lang, start, marker in ((Lang.EN, "The DNS resolver denies names", "Unconfirmed"),
                                (Lang.RU, "DNS-резолвер отрицает существование", "Не подтверждено")):
        import io

        out = io.StringIO()
        write(check_blocks(result, CATALOG, lang), out, color=False)
        text = out.getvalue()
        verdict = " ".join(text.split()).rsplit(". ", 1)[-1]  # the last line, unwrapped
        assert start in verdict, verdict
        assert marker in text and "(dns.resolver_broken)" in text
        doc = check_document(result, CATALOG, lang)
        by_code = {f["code"]: f for f in doc["findings"]}
        assert by_code["net.dns_not_found"]["because_of"] == "dns.resolver_broken"
        assert by_code["dns.resolver_broken"]["because_of"] is None


def test_causes_first_is_general():
    cause = Finding(code="dns.lookup_failed", params={"name": "x.org", "detail": phrase("dns.error.timeout")})
    effect = Finding(code="net.dns_not_found", step=StepName.RESOLVE, because_of="dns.lookup_failed",
                     params={"host": "smtp.x.org", "detail": phrase("probe.dns.no_address")})
    other = Finding(code="config.port_25", params={"port": 25})
    result = diagnose([effect, other, cause], CATALOG, "check")
    codes = [f.code for f in result.findings]
    assert codes.index("dns.lookup_failed") + 1 == codes.index("net.dns_not_found")
    assert result.verdict.first_error.code != "net.dns_not_found"
    # A cause that this run did not find confirms nothing: the finding stands on its own, unmarked.
    alone = diagnose([effect], CATALOG, "check")
    assert alone.findings[0].because_of is None and alone.verdict.first_error.code == "net.dns_not_found"
    # A loop of causes is no cause at all.
    loop = diagnose([Finding(code="dns.lookup_failed", because_of="net.dns_not_found"), effect], CATALOG, "check")
    assert all(f.because_of is None for f in loop.findings)


def test_check_does_not_call_an_existing_domain_missing(run_cli, smtp_server, ca_file, locked):
    """The issue's case end to end: SMTP_FROM at gmail.com, a resolver that denies everything, a server
    that works. Before: "the sender domain gmail.com does not exist", an error to "Start with"."""
    server = smtp_server(ServerSpec())
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER,
           "SMTP_PASS": DEMO_PASSWORD, "SMTP_FROM": "me@gmail.com"}
    for lang in ("en", "ru"):
        result = run_cli(["check", "--nameserver", locked.address, "--ca-file", str(ca_file), "--timeout", "5",
                          "--format", "json", "--lang", lang], env=env)
        doc = json.loads(result.out)
        codes = [f["code"] for f in doc["findings"]]
        assert "dns.resolver_broken" in codes and "config.sender_invalid" not in codes, codes
        assert doc["dns"]["skipped"]["phrase"] == "resolver.skipped"
        assert "ok.connected" in codes  # the server works: what DNS could not tell is no error of its own
        from_dns = {f["code"] for f in doc["findings"] if f["evidence_kind"] == "dns"}
        assert from_dns == {"dns.resolver_broken"}, from_dns


# -- 3. --max-time bounds every DNS lookup of `check` -----------------------------------------------

def test_check_max_time_bounds_a_silent_resolver(run_cli):
    """Before: MX recognition and the sender-domain checks each waited out --dns-timeout (2 x 8 s)."""
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(closed_port()), "SMTP_USER": "me@corp-mail.org",
           "SMTP_PASS": "s3cret-pass-1", "SMTP_FROM": "me@corp-mail.org"}
    with SilentDns() as silent:
        started = time.monotonic()
        result = run_cli(["check", "--nameserver", silent.address, "--dns-timeout", "8", "--max-time", "3",
                          "--timeout", "1", "--format", "json"], env=env)
        elapsed = time.monotonic() - started
    assert elapsed < 6, elapsed  # a generous bound: 3 s of --max-time, not 16 s
    doc = json.loads(result.out)
    failed = next(f for f in doc["findings"] if f["code"] == "dns.lookup_failed")
    assert failed["params"]["detail"]["phrase"] == "hardening.probe.max_time" and "--max-time" in failed["explanation"]


def test_check_max_time_bounds_spf_recursion_on_a_slow_resolver(run_cli, slow):
    """Each answer takes 0.8 s, within --dns-timeout; ~15 of them for one SPF chain. Before: ~12 s."""
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(closed_port()), "SMTP_USER": "me@many.test",
           "SMTP_PASS": "s3cret-pass-1", "SMTP_FROM": "me@many.test"}
    started = time.monotonic()
    result = run_cli(["check", "--nameserver", slow.address, "--max-time", "2", "--timeout", "1", "--format", "json",
                      "--lang", "ru"], env=env)
    elapsed = time.monotonic() - started
    assert elapsed < 5, elapsed
    doc = json.loads(result.out)
    failed = next(f for f in doc["findings"] if f["code"] == "dns.lookup_failed")
    assert "--max-time" in failed["explanation"] and "проверка целиком" in failed["explanation"]
    assert "dns.spf_too_many_lookups" not in {f["code"] for f in doc["findings"]}  # an unfinished count says nothing


def test_client_gives_each_query_what_is_left():
    with SilentDns() as silent:
        client = DnsClient([silent.address], 30.0, max_time=1.0)
        started = time.monotonic()
        first = client.query("corp-mail.org", "MX")
        second = client.query("_dmarc.corp-mail.org", "TXT")
        elapsed = time.monotonic() - started
    assert elapsed < 3, elapsed  # min(--dns-timeout 30 s, 1 s left)
    assert first.error == phrase("hardening.probe.max_time", seconds=1.0) and second.error == first.error
    assert client.failure == "dns.lookup_failed"  # silent for all the second it had: it fails as a whole


# -- 4. `dns` gets an overall bound -----------------------------------------------------------------

def test_dns_command_has_max_time(run_cli, slow):
    for lang, words in (("en", "the whole check took longer than --max-time (2 s)"),
                        ("ru", "проверка целиком заняла больше, чем позволяет --max-time (2 с)")):
        started = time.monotonic()
        result = run_cli(["dns", "many.test", "--nameserver", slow.address, "--max-time", "2", "--format", "json",
                          "--lang", lang])
        elapsed = time.monotonic() - started
        assert elapsed < 5, elapsed  # ~12 s unbounded
        doc = json.loads(result.out)
        failed = next(f for f in doc["findings"] if f["code"] == "dns.lookup_failed")
        assert words in failed["explanation"], failed["explanation"]


def test_dns_max_time_is_checked_and_documented(run_cli):
    for value in ("0", "3601", "nan"):
        bad = run_cli(["dns", "example.org", "--max-time", value])
        assert bad.code == 2 and "--max-time" in bad.err and "Traceback" not in bad.err
    assert "seconds for the whole DNS check" in run_cli(["dns", "--help"]).out
    assert "секунд на всю DNS-проверку" in run_cli(["dns", "--help", "--lang", "ru"]).out


@pytest.mark.parametrize("target", ["\udcff.com", "me@\udcffexample.com", "exa mple.com"])
def test_dns_target_that_is_no_domain_is_a_usage_error(run_cli, target):
    """A byte that is no UTF-8 reaches argv surrogate-escaped: no domain, so nothing is looked up."""
    result = run_cli(["dns", target])
    assert result.code == 2
    assert "not a domain" in result.err
