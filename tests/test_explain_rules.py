"""The rules of `explain` that decide between readings, each on hand-written log lines: a hang-up right after
a refusal, a success that is not one, traceback frames, invented replies, reply forms of one library."""

from __future__ import annotations

import io

import pytest

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.logs.explain import run_explain

CATALOG = load_catalog()


def explain(text: str):
    return run_explain(["-"], CATALOG, stdin=io.BytesIO(text.encode("utf-8")))


def codes(text: str) -> list[str]:
    return [f.code for f in explain(text).findings]


def test_a_hang_up_right_after_a_refusal_is_that_refusal():
    report = explain("<** 421 4.7.0 mail.example.com Error: too many connections from 192.0.2.7\n"
                     " -> QUIT\n"
                     "*** Remote host closed connection unexpectedly.\n")
    assert [f.code for f in report.findings] == ["delivery.rate_limited"]
    # the hang-up stays in the list of matched lines, under the refusal it follows
    assert [(m.line, m.code) for m in report.logs.matches] == [(1, "delivery.rate_limited"), (3, "delivery.rate_limited")]


def test_a_hang_up_after_a_success_is_a_failure_of_its_own():
    report = explain("2026-11-26 10:00:00 mailer: sent: 250 2.0.0 OK queued as 4F1A2\n"
                     "2026-11-26 10:00:01 mailer: Error: read ECONNRESET\n")
    assert "net.reset" in [f.code for f in report.findings] and report.exit_code() == 1


def test_a_hang_up_minutes_after_a_refusal_is_another_failure():
    assert set(codes("2026-11-26 10:00:00 SERVER -> CLIENT: 550 5.1.1 <bob@example.com>: User unknown\n"
                     "2026-11-26 10:07:00 SMTP Error: Could not connect to SMTP host.\n")) == {
        "delivery.recipient_rejected", "smtp.connection_failed"}


def test_a_positive_reply_the_client_did_not_expect_is_no_success():
    assert codes('Expected response code 354 but got code "250", with message "250 Accepted"')[0] == "net.protocol_error"


def test_a_success_that_mentions_an_earlier_retry_is_still_a_success():
    assert codes("Message sent: 250 2.0.0 Ok: queued as 4F1A2 (after 1 failed attempt: Connection reset by peer)") == [
        "ok.sent"]


def test_traceback_frames_quote_source_not_events():
    text = ('  File "/usr/lib/python3.11/smtplib.py", line 401, in getreply\n'
            '    raise SMTPServerDisconnected("Connection unexpectedly closed: "\n'
            "smtplib.SMTPServerDisconnected: Connection unexpectedly closed: timed out\n")
    # smtplib says "closed: timed out" for a timeout at any step: a timeout, and no "connection closed" from
    # the quoted `raise` line
    assert codes(text) == ["net.timeout"]


def test_perls_invented_421_is_no_server_reply():
    report = explain("MAIL failed: 421 [Net::SMTP] Connection closed")
    assert [f.code for f in report.findings] == ["net.reset"]
    assert report.findings[0].decided_by.runner_up != "net.server_unavailable"


@pytest.mark.parametrize("line, code", [
    ("MailKit.Security.AuthenticationException: 535: Authentication Credentials Invalid", "auth.bad_credentials"),
    ("curl: (55) RCPT failed: 501", "config.recipient_invalid"),
    ("curl: (55) MAIL failed: 501", "config.sender_invalid"),
    ("554 5.6.0 Message content not accepted", "smtp.reply_error"),  # X.6.* reaches the engine, read by its class
])
def test_reply_forms_and_commands(line, code):
    assert codes(line)[0] == code


@pytest.mark.parametrize("line", ["ERROR webhook HttpRequestException: 503: Service Unavailable",
                                  "GET /api/users Error: 404: Not Found"])
def test_http_errors_are_no_smtp_replies(line):
    assert codes(line) == []


def test_a_wording_can_name_its_catalog_variant():
    finding = explain("msmtp: cannot use a secure authentication method").findings[0]
    assert (finding.code, finding.variant) == ("auth.requires_tls", "client_refused")


@pytest.mark.parametrize("text, code", [
    # a client's summary that names only the layer
    ("2026-11-26 10:00:00 SMTP ERROR: Failed to connect to server: Connection refused (111)\n"
     "2026-11-26 10:00:00 SMTP Error: Could not connect to SMTP host.\n", "net.refused"),
    # the same reply code again, read less well
    ("< 530 5.7.0 Must issue a STARTTLS command first\n"
     "curl: (55) MAIL failed: 530\n", "auth.requires_tls"),
])
def test_a_clients_summary_right_after_the_cause_is_the_cause(text, code):
    report = explain(text)
    assert [f.code for f in report.findings] == [code]
    assert [m.code for m in report.logs.matches] == [code, code]
