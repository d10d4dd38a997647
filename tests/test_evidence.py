"""The evidence engine: what decides a reading, how status codes are found, and how good it is on
error output nobody here wrote (tests/corpus: real records from public trackers and real clients)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.evidence import Reply, engine_for, replies_in, unwrap
from smtpdoctor.knowledge.status import load_status_knowledge
from smtpdoctor.logs.explain import run_explain

ENGINE = engine_for(load_catalog())
CORPUS = Path(__file__).parent / "corpus"

# (record, command the caller knows or None, expected code, the kind of evidence that must decide)
MATRIX = [
    # an exact enhanced code in its command's context beats the client's wrapper token
    ("Error: Invalid login: 534-5.7.9 Please log in with your web browser\n    code: 'EAUTH', command: 'AUTH PLAIN'",
     None, "auth.app_password_required", "enhanced_code"),
    ("smtplib.SMTPAuthenticationError: (535, b'5.7.8 Authentication credentials invalid')", None,
     "auth.bad_credentials", "enhanced_code"),
    # the command read from the log changes what a reply means (RFC 5321 4.3.2, RFC 4954 6)
    ("smtplib.SMTPSenderRefused: (530, b'5.7.0 Authentication required', 'app@example.com')", None,
     "config.missing", "phrase"),
    ("Error: Mail command failed: 502 5.5.2 Error: command not recognized", None, "smtp.reply_error", "wrapper"),
    ('{"code":"EAUTH","response":"502 5.5.2 Syntax error","responseCode":502,"command":"AUTH PLAIN"}', None,
     "auth.not_supported", "reply_code"),
    ("host mx.example.com said: 550 5.1.1 <bob@example.com>: User unknown (in reply to RCPT TO command)", None,
     "delivery.recipient_rejected", "enhanced_code"),
    # a phrase that names the cause refines a code of the same area
    ("535 5.7.8 Error: authentication failed: account is disabled", "AUTH", "auth.account_disabled", "phrase"),
    # the probe knows the command: 504 after AUTH is an unsupported mechanism
    ("504 5.5.4 Unrecognized authentication type", "AUTH", "auth.not_supported", "phrase"),
    # a nodemailer wrapper (EENVELOPE) does not hide a sender refusal
    ("Error: Mail command failed: 553 5.7.1 <a@example.com>: Sender address rejected: not owned by user\n"
     "    code: 'EENVELOPE', response: '553 5.7.1 ...', responseCode: 553, command: 'MAIL FROM'", None,
     "sender.not_owned", "phrase"),
    # STARTTLS refused is not a TLS version problem
    ("Error upgrading connection with STARTTLS: 500 5.5.2 Error: command not recognized", None,
     "tls.starttls_unsupported", "phrase"),
    # standard vocabularies: errno, runtime timeouts, TLS libraries
    ("Error: connect ECONNREFUSED 127.0.0.1:587", None, "net.refused", "phrase"),
    ("Net::OpenTimeout: execution expired", None, "net.timeout", "phrase"),
    ("ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, "
     "certificate is not valid for '127.0.0.1'. (_ssl.c:1006)", None, "tls.cert_hostname_mismatch", "phrase"),
    ("javax.net.ssl.SSLHandshakeException: PKIX path building failed: unable to find valid certification path",
     None, "tls.cert_untrusted", "phrase"),
    # where a silent failure names port 465, the wrong TLS mode decides (RFC 8314)
    ("Error: Greeting never received at smtp.example.com:465", None, "tls.wrong_mode", "phrase"),
    # a wrapper alone is a less certain reading
    ("SMTP Error: Could not connect to SMTP host.", None, "smtp.connection_failed", "wrapper"),
    # the IANA registry when nothing else is known
    ("550 5.7.26 Unusual status without text", None, "sender.dmarc_rejected", "enhanced_code"),
    ("451 4.3.0 Temporary lookup failure", None, "smtp.reply_error", "generic"),
]


@pytest.mark.parametrize("text, command, code, kind", MATRIX, ids=[m[2] + ":" + m[0][:40] for m in MATRIX])
def test_strongest_evidence_decides(text, command, code, kind):
    reading = ENGINE.read(text, command=command)
    assert reading is not None
    assert (reading.code, reading.kind) == (code, kind), reading


def test_runner_up_is_named():
    reading = ENGINE.read("Error: Invalid login: 534-5.7.9 Application-specific password required\n code: 'EAUTH'")
    assert reading.code == "auth.app_password_required"
    assert reading.runner_up is not None and reading.runner_up.code != reading.code


@pytest.mark.parametrize("text, replies", [
    ("535-5.7.8 Username and Password not accepted. For more information, go to\n535 5.7.8  https://x - gsmtp",
     [Reply(535, "5.7.8")]),
    ("smtplib.SMTPAuthenticationError: (534, b'5.7.14 <https://accounts.google.com>')", [Reply(534, "5.7.14")]),
    ('Expected response code "250" but got code "530", with message "530 5.7.1 Authentication required"',
     [Reply(530, None), Reply(530, "5.7.1")]),
    ("response: '535 Authentication failed', responseCode: 535", [Reply(535, None)]),
    ("ERROR: Invalid response code received from server (535)", [Reply(535, None)]),
    ("curl: (55) RCPT failed: 550", [Reply(550, None)]),
])
def test_status_codes_are_read_in_the_forms_logs_use(text, replies):
    assert replies_in(unwrap(text)) == replies


@pytest.mark.parametrize("text", [
    "took 421 ms to answer", "loaded nodemailer@4.7.0", "client 10.5.7.1 connected", "user_id=534 logged in",
    "GET /static/v5.7.8/app.js 200", "the recipient list has 530 entries", "order total 535.00 EUR",
    "HTTP/1.1 550 in /api/v2 took 12 ms",
])
def test_numbers_that_are_not_replies_are_not_read_as_replies(text):
    assert [r for r in replies_in(unwrap(text)) if r.failed] == []


def test_multiline_reply_is_unwrapped_into_one_sentence():
    flat = unwrap("535-5.7.8 Username and Password not accepted. For more information, go to\n"
                  "535 5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp")
    assert flat == ("535-5.7.8 Username and Password not accepted. For more information, go to "
                    "https://support.google.com/mail/?p=BadCredentials - gsmtp")


def test_status_knowledge_is_complete_and_sourced():
    knowledge = load_status_knowledge()
    codes = set(load_catalog().codes())
    for entries in knowledge.enhanced.values():
        for entry in entries:
            assert entry.finding is None or entry.finding in codes, entry
            assert set(entry.by_command.values()) <= codes, entry
    assert all(rule.finding is None or rule.finding in codes for rule in knowledge.replies.values())
    assert all(term.finding in codes and term.source for term in knowledge.terms)
    catalog = load_catalog()
    for term in knowledge.terms:  # a wording's variant is one its finding really has
        assert term.variant is None or term.variant in catalog.entry(term.finding).variants, term
    for rule in knowledge.replies.values():
        assert rule.variant is None or rule.variant in catalog.entry(rule.finding).variants, rule
    # every registered enhanced code of the IANA registry's security subject is there
    assert {f"X.7.{n}" for n in range(0, 31)} <= set(knowledge.enhanced)


def test_explain_json_says_which_evidence_decided(run_cli):
    log = "Error: Invalid login: 534 5.7.9 Authentication mechanism is too weak\n    code: 'EAUTH', command: 'AUTH PLAIN'\n"
    doc = json.loads(run_cli(["explain", "--format", "json"], stdin=log).out)
    decided = doc["diagnoses"][0]["decided_by"]
    assert decided == {"kind": "enhanced_code", "value": "5.7.9", "command": "AUTH", "runner_up": decided["runner_up"]}
    assert decided["runner_up"] is not None


# -- the corpus ------------------------------------------------------------------------------------


def _entries():
    for name in ("public.jsonl", "captured.jsonl"):
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield json.loads(line)


def _split(text: str) -> str:
    return "heldout" if int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:2], 16) < 77 else "dev"


def test_corpus_entries_are_well_formed():
    entries = list(_entries())
    codes = set(load_catalog().codes())
    assert len(entries) >= 500
    assert len({e["id"] for e in entries}) == len(entries)
    for e in entries:
        assert e["source"] and e["client"] and e["expected"], e["id"]
        assert set(e["expected"]) <= codes, e["id"]


def test_corpus_accuracy_does_not_drop():
    """The figures when this floor was last raised: dev 98.1 %, held-out 91.3 % over 1,573 entries
    (bench/accuracy.py prints them). The floor sits a little below, so a change that loses ground fails here."""
    catalog = load_catalog()
    right = {"dev": 0, "heldout": 0}
    total = {"dev": 0, "heldout": 0}
    for e in _entries():
        report = run_explain(["-"], catalog, stdin=io.BytesIO(e["text"].encode("utf-8")))
        split = _split(e["text"])
        total[split] += 1
        right[split] += bool(report.findings) and report.findings[0].code in e["expected"]
    assert right["dev"] / total["dev"] >= 0.96, right
    assert right["heldout"] / total["heldout"] >= 0.89, right
