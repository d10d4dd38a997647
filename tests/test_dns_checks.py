"""Sender-domain checks against a real DNS server on loopback. No test reaches real DNS.

`check_sender_domain` is called directly; its findings are checked by code, typed parameters and
DNS evidence, and rendered through the catalog in English and Russian."""

from __future__ import annotations

import json
import re

import pytest

from dns_server import LoopbackDns, SilentDns
from smtpdoctor.checks.dns import DnsClient, check_sender_domain
from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.providers import default_providers_path, load_providers
from smtpdoctor.render.findings import finding_text
from smtpdoctor.render.i18n import Lang, render_param
from smtpdoctor.report import DnsReport, EvidenceKind, Phrase, Severity

PROVIDERS = load_providers(default_providers_path())
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LEFTOVER = re.compile(r"\{[a-z_][a-z0-9_]*(?:\|[a-z_]+)?\}")

DKIM_KEY = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC5"
INCLUDES = "\n".join(f'l{i}.many.test. 300 IN TXT "v=spf1 include:l{i + 1}.many.test -all"' for i in range(1, 11))

ZONE = f"""
good.test.              300 IN MX  10 mx.good.test.
mx.good.test.           300 IN A   127.0.0.1
good.test.              300 IN TXT "v=spf1 include:sendgrid.net -all"
s1._domainkey.good.test. 300 IN TXT "{DKIM_KEY}"
_dmarc.good.test.       300 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.test"
sendgrid.net.           300 IN TXT "v=spf1 ip4:167.89.0.0/17 ip4:208.117.48.0/20 -all"
mailgun.org.            300 IN TXT "v=spf1 ip4:198.61.254.0/23 -all"
_spf.google.com.        300 IN TXT "v=spf1 ip4:35.190.247.0/24 ~all"

noinclude.test.         300 IN MX  10 mx.good.test.
noinclude.test.         300 IN TXT "v=spf1 include:_spf.google.com ~all"
_dmarc.noinclude.test.  300 IN TXT "v=DMARC1; p=none"

many.test.              300 IN MX  10 mx.good.test.
many.test.              300 IN TXT "v=spf1 include:l1.many.test a mx -all"
{INCLUDES}
l11.many.test.          300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.many.test.       300 IN TXT "v=DMARC1; p=quarantine"

twospf.test.            300 IN MX  10 mx.good.test.
twospf.test.            300 IN TXT "v=spf1 include:sendgrid.net -all"
twospf.test.            300 IN TXT "v=spf1 include:mailgun.org -all"

strict.test.            300 IN MX  10 mx.good.test.
strict.test.            300 IN TXT "v=spf1 include:_spf.google.com -all"
_dmarc.strict.test.     300 IN TXT "v=DMARC1; p=reject; pct=100"

loose.test.             300 IN MX  10 mx.good.test.
loose.test.             300 IN TXT "v=spf1 +all"
_dmarc.loose.test.      300 IN TXT "v=DMARC1; p=maybe"

sub.org.test.           300 IN MX  10 mx.good.test.
sub.org.test.           300 IN TXT "v=spf1 include:mailgun.org -all"
_dmarc.org.test.        300 IN TXT "v=DMARC1; p=reject"

noreceive.test.         300 IN TXT "v=spf1 -all"

ro.ru.                  300 IN MX  10 mx.rambler.ru.
ro.ru.                  300 IN TXT "v=spf1 redirect=_spf.rambler.ru"
_spf.rambler.ru.        300 IN TXT "v=spf1 ip4:81.19.66.0/23 ~all"
_dmarc.ro.ru.           300 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@rambler-co.ru"
gmail.com.              300 IN MX  5 gmail-smtp-in.l.google.com.
gmail.com.              300 IN TXT "v=spf1 redirect=_spf.google.com"
_dmarc.gmail.com.       300 IN TXT "v=DMARC1; p=none; sp=quarantine"
"""


@pytest.fixture(scope="module")
def dns_server():
    with LoopbackDns(ZONE, servfail={"broken.test"}) as server:
        yield server


def dns(server_address: str, target: str, relay: str | None = None, selectors: list[str] | None = None,
        timeout: float = 2.0):
    """(findings, report, texts): the check itself, and every finding rendered in both languages."""
    preset = PROVIDERS.get(relay) if relay else None
    findings, report = check_sender_domain(target, preset, PROVIDERS, DnsClient([server_address], timeout), selectors)
    assert isinstance(report, DnsReport)
    catalog = load_catalog()
    texts = {}
    for lang in Lang:
        parts = []
        for f in findings:
            text = finding_text(f, catalog, lang)
            parts += [text.title, text.explanation, *text.fix]
            assert f.evidence is None or f.evidence.kind is EvidenceKind.DNS, f
        texts[lang] = "\n".join(parts)
        assert not LEFTOVER.search(texts[lang]), texts[lang]
    assert not CYRILLIC.search(texts[Lang.EN]), texts[Lang.EN]
    return findings, report, texts


CASES = [
    # id, target, relay, expected codes, codes that must not appear
    ("correct SPF/DKIM/DMARC for SendGrid", "noreply@good.test", "sendgrid", set(),
     {"dns.spf_missing", "dns.dkim_missing", "dns.dmarc_missing", "dns.spf_relay_not_authorized", "sender.dmarc_rejected"}),
    ("SPF lacks the relay's include", "noinclude.test", "mailgun", {"dns.spf_relay_not_authorized", "dns.dkim_missing"}, set()),
    ("eleven SPF lookups", "many.test", None, {"dns.spf_too_many_lookups"}, set()),
    ("two SPF records", "twospf.test", None, {"dns.spf_invalid"}, set()),
    ("p=reject through a relay it does not authorise", "strict.test", "mailgun", {"sender.dmarc_rejected", "dns.spf_relay_not_authorized"}, set()),
    ("+all and a broken DMARC record", "loose.test", None, {"dns.spf_permissive", "dns.dmarc_invalid"}, set()),
    ("DMARC found at the organisational domain", "sub.org.test", "mailgun", set(), {"dns.dmarc_missing"}),
    ("no MX and no address", "noreceive.test", None, {"config.sender_invalid", "dns.dmarc_missing"}, set()),
    ("NXDOMAIN", "nobody@nxdomain.test", None, {"config.sender_invalid"}, {"dns.lookup_failed"}),
    ("SERVFAIL is not 'missing'", "broken.test", None, {"dns.lookup_failed"}, {"dns.spf_missing", "config.sender_invalid"}),
    ("seed: Rambler through SMTP2GO", "karto.help@ro.ru", "smtp2go", {"sender.dmarc_rejected"}, {"dns.spf_missing"}),
    ("Gmail address through Resend", "me@gmail.com", "resend", {"sender.dmarc_rejected"}, set()),
    ("Gmail address through Gmail itself", "me@gmail.com", "gmail", set(), {"sender.dmarc_rejected"}),
]


@pytest.mark.parametrize("target,relay,expected,absent", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_domain_matrix(dns_server, target, relay, expected, absent):
    findings, report, _ = dns(dns_server.address, target, relay)
    codes = {f.code for f in findings}
    assert expected <= codes, (codes, report)
    assert not (absent & codes), codes
    for f in findings:
        assert f.evidence or f.code == "dns.lookup_failed"


def test_seed_rambler_route_is_an_error_with_a_fix(dns_server):
    findings, _, texts = dns(dns_server.address, "karto.help@ro.ru", "smtp2go")
    finding = next(f for f in findings if f.code == "sender.dmarc_rejected")
    assert finding.severity is Severity.ERROR
    assert finding.params["policy"] == "p=reject" and "_dmarc.ro.ru" in finding.evidence.text
    en = finding_text(finding, load_catalog(), Lang.EN)
    assert "p=reject" in en.explanation and any("smtp.rambler.ru" in step for step in en.fix)
    assert "Этот маршрут не пройдёт DMARC" in texts[Lang.RU]


def test_gmail_policy_none_is_a_warning(dns_server):
    findings, _, _ = dns(dns_server.address, "me@gmail.com", "sendgrid")
    finding = next(f for f in findings if f.code == "sender.dmarc_rejected")
    assert finding.severity is Severity.WARNING


def test_spf_chain_is_shown(dns_server):
    findings, report, texts = dns(dns_server.address, "many.test")
    finding = next(f for f in findings if f.code == "dns.spf_too_many_lookups")
    assert "l10.many.test" in finding.evidence.text and report.spf_lookups == 13  # include:l1 + ten nested includes + a + mx
    assert finding.params["count"] == 13 and isinstance(report.spf_chain, tuple)
    assert "13 DNS lookups" in texts[Lang.EN] and "13 DNS-запросов" in texts[Lang.RU]


def test_two_spf_records_are_counted_in_both_languages(dns_server):
    findings, _, texts = dns(dns_server.address, "twospf.test")
    finding = next(f for f in findings if f.code == "dns.spf_invalid")
    assert finding.params["detail"] == Phrase("dns.spf.duplicate", {"domain": "twospf.test", "n": 2})
    assert "twospf.test publishes 2 SPF records" in texts[Lang.EN]
    assert "twospf.test публикует 2 записи SPF" in texts[Lang.RU]


def test_broken_dmarc_is_explained(dns_server):
    findings, report, texts = dns(dns_server.address, "loose.test")
    finding = next(f for f in findings if f.code == "dns.dmarc_invalid")
    assert finding.params["detail"] == Phrase("dns.dmarc.bad_policy", {"tag": "p"})
    assert finding.evidence.text == '_dmarc.loose.test. IN TXT: "v=DMARC1; p=maybe"'
    assert "p= must be none, quarantine or reject" in texts[Lang.EN] and "p= должен быть" in texts[Lang.RU]
    assert report.dmarc == "v=DMARC1; p=maybe"


def test_missing_records_are_shown_as_dns_answers(dns_server):
    findings, _, _ = dns(dns_server.address, "noreceive.test")
    invalid = next(f for f in findings if f.code == "config.sender_invalid")
    assert invalid.params["detail"] == Phrase("dns.sender.cannot_receive", {"domain": "noreceive.test"})
    assert "noreceive.test. IN MX: NODATA" in invalid.evidence.text
    missing = next(f for f in findings if f.code == "dns.dmarc_missing")
    assert missing.evidence.text.startswith("_dmarc.noreceive.test. IN TXT: NXDOMAIN")


def test_custom_dkim_selector(dns_server):
    findings, report, texts = dns(dns_server.address, "good.test", selectors=["custom"])
    assert dict(report.dkim) == {"custom": None}
    finding = next(f for f in findings if f.code == "dns.dkim_missing")
    assert finding.params["relay"] == Phrase("dns.your_relay", {})
    assert "your sending service" in texts[Lang.EN] and "ваш сервис отправки" in texts[Lang.RU]


def test_servfail_is_lookup_failed_in_our_words(dns_server):
    findings, _, texts = dns(dns_server.address, "broken.test")
    failed = next(f for f in findings if f.code == "dns.lookup_failed")
    assert failed.params["detail"] == Phrase("dns.error.no_nameserver", {})
    assert "SERVFAIL" in texts[Lang.EN] and "ни один DNS-сервер не дал ответа" in texts[Lang.RU]


def test_reserved_name_is_skipped():
    findings, report = check_sender_domain("me@example.com", None, PROVIDERS, DnsClient(None, 1.0))
    assert findings == [] and report.skipped == Phrase("dns.skipped_reserved", {})
    assert "RFC 6761" in render_param(report.skipped, Lang.EN) and "зарезервированное" in render_param(report.skipped, Lang.RU)


def test_silent_resolver_is_lookup_failed_and_bounded():
    import time

    with SilentDns() as silent:
        started = time.monotonic()
        findings, _, texts = dns(silent.address, "karto.help@ro.ru", "smtp2go", timeout=1)
        elapsed = time.monotonic() - started
    codes = [f.code for f in findings]
    assert "dns.lookup_failed" in codes and "dns.spf_missing" not in codes
    assert "sender.dmarc_rejected" in codes  # known to be a freemail route even when DNS cannot tell
    assert next(f for f in findings if f.code == "dns.lookup_failed").params["detail"] == Phrase("dns.error.timeout", {})
    assert elapsed < 4  # one timeout, not one per lookup (a generous bound, not a benchmark)


def test_check_runs_dns_for_the_sender(run_cli, dns_server):
    env = {"SMTP_HOST": "mail.smtp2go.com", "SMTP_PORT": "587", "SMTP_USER": "KARTO", "SMTP_PASS": "s3cretSMTPuser1",
           "SMTP_FROM": "karto.help@ro.ru"}
    # --offline: static only; the route is still flagged from provider knowledge.
    offline = json.loads(run_cli(["check", "--offline", "--format", "json"], env=env).out)
    assert "sender.dmarc_rejected" in {f["code"] for f in offline["findings"]} and offline["dns"] is None
    # With DNS (and the probe pointed at a closed loopback port so nothing leaves the machine).
    from smtpdoctor.testing.server import closed_port

    env["SMTP_HOST"], env["SMTP_PORT"] = "127.0.0.1", str(closed_port())
    doc = json.loads(run_cli(["check", "--provider", "smtp2go", "--format", "json", "--nameserver", dns_server.address,
                              "--timeout", "1"], env=env).out)
    route = [f for f in doc["findings"] if f["code"] == "sender.dmarc_rejected"]
    assert len(route) == 1 and route[0]["severity"] == "error" and "_dmarc.ro.ru" in route[0]["evidence"]
    assert doc["dns"]["dmarc"].startswith("v=DMARC1; p=reject")


def test_bad_nameserver_option_is_usage_error(run_cli):
    assert run_cli(["dns", "example.org", "--nameserver", "not-an-ip"]).code == 2
    assert run_cli(["dns", "example.org", "--relay", "nope"]).code == 2
