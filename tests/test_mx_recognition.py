"""The provider behind a custom domain, from its MX and _submission._tcp SRV records (a dnslib zone on
loopback): with only the sender address known, `check` names the provider, the host and port to use,
and how it was recognised — and does not probe a host the user did not choose."""

from __future__ import annotations

import json

import pytest

from dns_server import LoopbackDns
from smtpdoctor.checks.dns import DnsClient, recognise_mailbox
from smtpdoctor.knowledge.extras import load_extras
from smtpdoctor.knowledge.providers import default_providers_path, load_providers
from smtpdoctor.render.i18n import Lang, render_param

PROVIDERS = load_providers(default_providers_path())

ZONE = """
workspace.test.   300 IN MX  1 aspmx.l.google.com.
workspace.test.   300 IN MX  5 alt1.aspmx.l.google.com.
tenant.test.      300 IN MX  0 tenant-test.mail.protection.outlook.com.
zohoeu.test.      300 IN MX  10 mx.zoho.eu.
yandex360.test.   300 IN MX  10 mx.yandex.net.
fm.test.          300 IN MX  10 in1-smtp.messagingengine.com.
routes.test.      300 IN MX  10 mxa.mailgun.org.
srvonly.test.     300 IN MX  10 mx.srvonly.test.
_submission._tcp.srvonly.test. 300 IN SRV 0 1 587 smtp.gmail.com.
own.test.         300 IN MX  10 mx.own.test.
"""


@pytest.fixture(scope="module")
def dns():
    with LoopbackDns(ZONE) as server:
        yield server


@pytest.mark.parametrize("domain, provider, host, port, secure", [
    ("workspace.test", "gmail", "smtp.gmail.com", 587, False),
    ("tenant.test", "microsoft365", "smtp.office365.com", 587, False),
    ("zohoeu.test", "zoho", "smtppro.zoho.eu", 465, True),
    ("yandex360.test", "yandex", "smtp.yandex.ru", 465, True),
    ("fm.test", "fastmail", "smtp.fastmail.com", 465, True),
    ("srvonly.test", "gmail", "smtp.gmail.com", 587, False),
])
def test_recognised_from_dns(dns, domain, provider, host, port, secure):
    rec = recognise_mailbox(domain, DnsClient([dns.address], 2.0), PROVIDERS, load_extras())
    assert (rec.provider_id, rec.host, rec.port, rec.secure) == (provider, host, port, secure)


def test_how_it_was_recognised_is_our_phrase_with_the_mx_host(dns):
    rec = recognise_mailbox("workspace.test", DnsClient([dns.address], 2.0), PROVIDERS, load_extras())
    assert rec.how.id == "platform.recognised.mx" and rec.how.params["mx"] == "aspmx.l.google.com"
    assert render_param(rec.how, Lang.EN) == "MX aspmx.l.google.com → Google Workspace"
    srv = recognise_mailbox("srvonly.test", DnsClient([dns.address], 2.0), PROVIDERS, load_extras())
    assert srv.how.id == "platform.recognised.srv" and "_submission._tcp.srvonly.test" in render_param(srv.how, Lang.RU)


@pytest.mark.parametrize("domain", ["routes.test", "own.test", "nothing.test"])
def test_relay_routes_and_unknown_mx_are_not_a_mailbox(dns, domain):
    assert recognise_mailbox(domain, DnsClient([dns.address], 2.0), PROVIDERS, load_extras()) is None


def test_check_with_only_the_address_names_provider_host_and_port(dns, run_cli):
    for lang in ("en", "ru"):
        result = run_cli(["check", "--sender", "me@workspace.test", "--nameserver", dns.address, "--format", "json",
                          "--lang", lang, "--platform", "none"])
        doc = json.loads(result.out)
        assert doc["provider"] == "gmail"
        assert doc["provider_recognised"]["params"]["mx"] == "aspmx.l.google.com"
        found = next(f for f in doc["findings"] if f["code"] == "config.provider_from_dns")
        assert found["variant"] == "no_host"
        assert found["params"]["host"] == "smtp.gmail.com" and found["params"]["port"] == 587
        assert not doc["steps"]  # no probe of a host the user did not choose
    text = run_cli(["check", "--sender", "me@workspace.test", "--nameserver", dns.address, "--platform", "none"])
    assert "MX aspmx.l.google.com → Google Workspace" in text.out
    assert "SMTP_HOST=smtp.gmail.com" in text.out
