"""Sender-domain checks against a real DNS server on loopback. No test reaches real DNS."""

from __future__ import annotations

import json

import pytest

from dns_server import LoopbackDns, SilentDns

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


def dns(run_cli, server_address, target, *args):
    result = run_cli(["dns", target, "--nameserver", server_address, "--dns-timeout", "2", "--format", "json", *args])
    assert "Traceback" not in result.all
    return result, json.loads(result.out)


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
def test_domain_matrix(run_cli, dns_server, target, relay, expected, absent):
    args = ["--relay", relay] if relay else []
    _, doc = dns(run_cli, dns_server.address, target, *args)
    codes = {f["code"] for f in doc["findings"]}
    assert expected <= codes, (codes, doc["dns"])
    assert not (absent & codes), codes
    for f in doc["findings"]:
        assert f["evidence"] or f["code"] in ("config.sender_invalid", "dns.lookup_failed")


def test_seed_rambler_route_is_an_error_with_a_fix(run_cli, dns_server):
    result, doc = dns(run_cli, dns_server.address, "karto.help@ro.ru", "--relay", "smtp2go")
    finding = next(f for f in doc["findings"] if f["code"] == "sender.dmarc_rejected")
    assert finding["severity"] == "error" and result.code == 1
    assert "p=reject" in finding["explanation"] and "_dmarc.ro.ru" in finding["evidence"]
    assert any("smtp.rambler.ru" in step for step in finding["fix"])
    ru = run_cli(["dns", "karto.help@ro.ru", "--relay", "smtp2go", "--nameserver", dns_server.address, "--lang", "ru"])
    assert "Этот маршрут не пройдёт DMARC" in ru.out


def test_gmail_policy_none_is_a_warning(run_cli, dns_server):
    _, doc = dns(run_cli, dns_server.address, "me@gmail.com", "--relay", "sendgrid")
    finding = next(f for f in doc["findings"] if f["code"] == "sender.dmarc_rejected")
    assert finding["severity"] == "warning"


def test_spf_chain_is_shown(run_cli, dns_server):
    _, doc = dns(run_cli, dns_server.address, "many.test")
    finding = next(f for f in doc["findings"] if f["code"] == "dns.spf_too_many_lookups")
    assert "l10.many.test" in finding["evidence"] and doc["dns"]["spf_lookups"] == 13  # include:l1 + ten nested includes + a + mx


def test_custom_dkim_selector(run_cli, dns_server):
    _, doc = dns(run_cli, dns_server.address, "good.test", "--dkim-selector", "custom")
    assert doc["dns"]["dkim"] == {"custom": None}
    assert "dns.dkim_missing" in {f["code"] for f in doc["findings"]}


def test_silent_resolver_is_lookup_failed_and_bounded(run_cli):
    import time

    with SilentDns() as silent:
        started = time.monotonic()
        result = run_cli(["dns", "karto.help@ro.ru", "--relay", "smtp2go", "--nameserver", silent.address,
                          "--dns-timeout", "1", "--format", "json"])
        elapsed = time.monotonic() - started
    codes = [f["code"] for f in json.loads(result.out)["findings"]]
    assert "dns.lookup_failed" in codes and "dns.spf_missing" not in codes
    assert "sender.dmarc_rejected" in codes  # known to be a freemail route even when DNS cannot tell
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
