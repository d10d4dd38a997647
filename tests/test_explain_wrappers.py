"""Issue 20, mail wrapper libraries: emailjs keeps the server's words but drops the reply code and names the
command by the first word it sent ("mail", "RCPT", and "\r\n." for the message's end, which breaks the log
line inside the quote); fastapi-mail wraps aiosmtplib's connect error. Each line as the library's source writes
it (emailjs smtp/connection.ts; aiosmtplib smtp.py), read as the failure it reports."""

from __future__ import annotations

import pytest
from conftest import failure_codes as diagnoses


@pytest.mark.parametrize(("printed", "code"), [
    # the command named decides what the words mean; the words decide over the wrapper
    ("Error: bad response on command 'RCPT': Unrouteable address", "delivery.recipient_rejected"),
    ("Error: bad response on command 'mail': Relaying disallowed as app@example.com", "sender.not_owned"),
    ("Error: bad response on command 'RCPT': https://www.spamhaus.org/query/ip/192.0.2.7", "delivery.spam_rejected"),
    # the message's end: the quote holds CRLF + "." and the words go on on the next line
    ("Error: bad response on command '\r\n.': 5.7.1 Spam message rejected\n"
     "    at SMTPConnection.response (node_modules/emailjs/smtp/connection.js:620:14)", "delivery.spam_rejected"),
    ("Error: bad response on command '\n.': 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; "
     "Failed to process message due to a permanent exception with message Cannot submit message.",
     "delivery.quota_exceeded"),
    # a refusal whose words say nothing more
    ("Error: bad response on command 'RCPT': Nope", "smtp.reply_error"),
    ("Error: bad response on connection", "net.server_unavailable"),
    ("Error: no form of authorization supported", "auth.not_supported"),
    ("Error: authorization.failed (bad response on command 'AUTH': 5.7.8 Username and Password not accepted.)",
     "auth.bad_credentials"),
    # fastapi-mail around aiosmtplib: the server hung up during the greeting
    ("fastapi_mail.errors.ConnectionErrors: Exception raised Error connecting to smtp.example.com on port 587: "
     "Connection lost, check your credentials or email service configuration", "net.reset"),
])
def test_a_wrapper_librarys_failure_is_read_once(printed, code):
    assert diagnoses(printed) == [code]
