"""Hostile servers: every one ends in bounded time and memory with a precise finding, never a traceback."""

from __future__ import annotations

import json
import time
import tracemalloc

import pytest

from smtpdoctor.probe.runner import ProbePolicy, run_probe
from smtpdoctor.report import EvidenceKind, Phrase, StepStatus
from smtpdoctor.settings.model import clean, load_settings_input
from smtpdoctor.testing import hostile
from smtpdoctor.testing.hostile import HostileServer
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec, SMTP
from test_probe_matrix import rendered

TIMEOUT = 2.0

# (id, behaviour, app settings, extra options, expected code)
HOSTILE = [
    ("greeting one byte per second", hostile.slowloris_greeting, {}, {}, "net.greeting_timeout"),
    ("greeting line that never ends", hostile.endless_greeting_line, {}, {}, "net.protocol_error"),
    ("1 MB reply line", hostile.megabyte_reply_line, {}, {}, "net.protocol_error"),
    ("endless 250- reply to EHLO", hostile.endless_multiline_ehlo, {}, {}, "net.protocol_error"),
    ("binary instead of a greeting", hostile.binary_greeting, {}, {}, "net.protocol_error"),
    ("server closes after every command", hostile.close_after_every_command, {}, {}, "net.reset"),
    ("garbage CRAM-MD5 challenge", hostile.garbage_cram_challenge, {}, {"allow_plaintext_auth": True}, "net.protocol_error"),
    ("2xx in answer to AUTH", hostile.unexpected_auth_success_code, {}, {"allow_plaintext_auth": True}, "net.protocol_error"),
    ("invalid UTF-8 in replies is tolerated", hostile.invalid_utf8_greeting, {}, {"allow_plaintext_auth": True}, "auth.bad_credentials"),
]


def probe(port: int, settings: dict | None = None, **options):
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD,
           "SMTP_FROM": DEMO_USER, **(settings or {})}
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = run_probe(clean(load_settings_input({}, env)), None, ProbePolicy(timeout=TIMEOUT, **options))
    finally:
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, elapsed, peak


@pytest.mark.parametrize("behaviour,settings,options,expected", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_server(behaviour, settings, options, expected):
    with HostileServer(behaviour) as server:
        result, elapsed, peak = probe(server.port, settings, **options)
    codes = [f.code for f in result.findings]
    assert expected in codes, (codes, result.steps)
    # How long it took is bounded in bench/hostile.py, not here: a busy machine must not fail a behaviour test.
    # one blocking failure ends it (a missing STARTTLS is not blocking with allow_plaintext_auth)
    assert sum(1 for s in result.steps if s.status is StepStatus.FAIL and s.code != "tls.starttls_unsupported") <= 1, \
        result.steps
    assert peak < 16 * 1024 * 1024, peak  # reads are capped: a megabyte line is never buffered whole
    failed = [s for s in result.steps if s.status is StepStatus.FAIL]
    if failed:  # our words for what went wrong; whatever the server sent stays its own, verbatim
        assert isinstance(failed[-1].detail, Phrase) or failed[-1].reply is not None, failed[-1]
        assert failed[-1].reply is None or failed[-1].reply.kind is EvidenceKind.SERVER
    texts = rendered(result)  # complete in both languages, whatever the server sent
    assert all(len(text) < 64 * 1024 for text in texts.values())  # a hostile reply is never shown whole


# What each hostile server's failure is called (the probe's Phrase ids, not English text).
REASONS = {
    "1 MB reply line": ("probe.error.line_too_long", {"n": 8192}),
    "endless 250- reply to EHLO": ("probe.error.too_many_lines", {"n": 200}),
    "garbage CRAM-MD5 challenge": ("probe.error.bad_cram_challenge", {}),
    "2xx in answer to AUTH": ("probe.step.auth_unexpected", {}),
}


@pytest.mark.parametrize("name", REASONS)
def test_hostile_reason_is_a_phrase(name):
    behaviour, settings, options = next(h[1:4] for h in HOSTILE if h[0] == name)
    with HostileServer(behaviour) as server:
        result, _, _ = probe(server.port, settings, **options)
    failing = [f for f in result.findings if f.code == "net.protocol_error"][0]
    assert failing.params["detail"] == Phrase(*REASONS[name])


def test_tls_then_silence(pki):
    with HostileServer(hostile.silent, tls=pki.server_context()) as server:
        result, elapsed, _ = probe(server.port, {"SMTP_SECURE": "true", "SMTP_HOST": "localhost"}, insecure=True)
    assert "net.greeting_timeout" in [f.code for f in result.findings]  # time bound: bench/hostile.py


class WrongQuitSMTP(SMTP):
    async def smtp_QUIT(self, arg):
        await self.push("500 5.5.1 what quit")
        self.transport.close()


def test_wrong_quit_reply_does_not_matter(smtp_server, ca_file):
    server = smtp_server(ServerSpec(smtp_class=WrongQuitSMTP))
    result, _, _ = probe(server.port, {"SMTP_HOST": "localhost"}, ca_file=ca_file)
    assert [f.code for f in result.findings] == ["ok.connected"]


@pytest.mark.parametrize("field,value", [("SMTP_HOST", "smtp.gmail.com\r\nQUIT"), ("SMTP_USER", "a@b.c\nRCPT TO:<x@y.z>"),
                                         ("SMTP_FROM", "a@b.c\r\nDATA")])
def test_injection_is_refused_before_any_byte(run_cli, field, value):
    """No server listens: if the probe ran, it would report a connection finding; it must not run at all."""
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "9", "SMTP_USER": "a@b.c", "SMTP_PASS": "p", field: value}
    doc = json.loads(run_cli(["check", "--format", "json", "--no-dns"], env=env).out)
    assert "config.header_injection" in {f["code"] for f in doc["findings"]}
    assert doc["steps"] == []


@pytest.mark.parametrize("option", [["--ehlo-name", "me\r\nMAIL FROM:<x@y>"], ["--send-to", "a@b.c\r\nDATA"]])
def test_injection_through_options_is_refused(run_cli, option):
    """Refused as a usage error before anything runs (issue 14: --ehlo-name and --send-to are validated)."""
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "9", "SMTP_USER": "a@b.c", "SMTP_PASS": "p"}
    result = run_cli(["check", "--format", "json", "--no-dns", *option], env=env)
    assert result.code == 2 and option[0] in result.err and result.out == ""
