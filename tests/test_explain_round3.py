"""Explain, round three (issue 20): a reply is read by its words whatever its number, the log's structure decides the
step, HTTP sending APIs' documented answers are read as theirs, and new library wordings. Each line is as the
library or server really prints it (captured against the loopback servers of tests/corpus/capture, or the
documented text of the software named)."""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path

import pytest

from smtpdoctor.checks.dns import spf_typo
from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.logs.explain import run_explain

CATALOG = load_catalog()
KNOWLEDGE = Path(__file__).parents[1] / "smtpdoctor" / "knowledge"


def explain(text: str):
    return run_explain(["-"], CATALOG, stdin=io.BytesIO(text.encode("utf-8")))


def first(text: str):
    findings = explain(text).findings
    assert findings, text
    return findings[0]


# -- 1. meaning from the reply's words -------------------------------------------------------------

@pytest.mark.parametrize("line, list_name", [
    # Postfix reject_rbl_client (default_rbl_reply) through smtplib and nodemailer
    ("smtplib.SMTPRecipientsRefused: {'user@example.test': (554, b'5.7.1 Service unavailable; Client host "
     "[127.0.0.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1')}", "zen.spamhaus.org"),
    ("Error: Mail command failed: 554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using "
     "b.barracudacentral.org; http://www.barracudanetworks.com/reputation/?pr=1&ip=127.0.0.1", "b.barracudacentral.org"),
    # Exim's documented dnslists message, multi-line, as smtplib keeps it
    ("smtplib.SMTPRecipientsRefused: {'user@example.test': (550, b'rejected because 127.0.0.1 is in a black list at "
     "zen.spamhaus.org\\nhttps://www.spamhaus.org/query/ip/127.0.0.1')}", "zen.spamhaus.org"),
    # a 554 greeting naming SpamCop: the listing, not a temporary outage
    ("aiosmtplib.errors.SMTPConnectResponseError: (554, '5.7.1 mail.example.test Client host [127.0.0.1] blocked "
     "using bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?127.0.0.1')", "bl.spamcop.net"),
])
def test_a_blocklist_refusal_names_the_list_whatever_its_code(line, list_name):
    finding = first(line)
    assert (finding.code, finding.variant) == ("delivery.spam_rejected", "listed_ip")
    assert finding.params["list"] == list_name


def test_microsofts_banned_ip_is_a_listing_too():
    finding = first("smtplib.SMTPRecipientsRefused: {'user@example.test': (550, b'5.7.606 Access denied, banned "
                    "sending IP [127.0.0.1]. To request removal from this list please visit https://sender.office.com/ "
                    "and follow the directions.')}")
    assert finding.code == "delivery.spam_rejected" and finding.variant in ("listed_ip", "listed_unnamed")


@pytest.mark.parametrize("line", [
    'Expected response code "354" but got code "554", with message "554 5.7.0 Reject, id=04213-08 - spam"',  # amavis
    "smtplib.SMTPDataError: (554, b'5.7.1 Spam message rejected')",  # Rspamd
    "Message could not be sent. Mailer Error: SMTP Error: data not accepted.SMTP server error: DATA END command failed "
    "Detail: [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc 1710250723-aBcDeF12gH\r\n"
    " SMTP code: 554 Additional SMTP info: 5.7.1",  # Yandex through PHPMailer, with its follow-on code line
])
def test_spam_wording_is_read_on_any_code(line):
    report = explain(line)
    assert [f.code for f in report.findings] == ["delivery.spam_rejected"]


def test_user_not_found_after_data_is_the_recipient_not_spam():
    line = ("Dec  6 08:19:54 mx postfix/smtp[4121]: 4F2A1B2C3D: to=<user@example.test>, relay=mx.example.test"
            "[192.0.2.25]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.example.test"
            "[192.0.2.25] said: 550 Message was not accepted -- invalid mailbox.  Local mailbox user@example.test is "
            "unavailable: user not found (in reply to end of DATA command))")
    assert first(line).code == "delivery.recipient_rejected"


@pytest.mark.parametrize("line, code", [
    ("smtplib.SMTPDataError: (550, b'5.7.1 \\xd0\\xa1\\xd0\\xbe...')\n550 5.7.1 Сообщение отклонено как спам",
     "delivery.spam_rejected"),
    ("Error: Mail command failed: 553 5.7.1 Адрес отправителя не принадлежит пользователю", "sender.not_owned"),
    ("Error: Invalid greeting. response=421 4.7.0 Слишком много подключений, попробуйте позже", "delivery.rate_limited"),
])
def test_russian_replies_are_read(line, code):
    assert first(line).code == code


@pytest.mark.parametrize("line, code", [
    ("smtplib.SMTPSenderRefused: (450, b'4.7.1 Error: too much mail from 127.0.0.1', 'app@example.test')",
     "delivery.rate_limited"),  # Postfix anvil
    ("smtplib.SMTPDataError: (554, b'5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to "
     "process message due to a permanent exception with message Cannot submit message.')", "delivery.quota_exceeded"),
    ("Error: Can't send mail - all recipients were rejected: 554 5.7.1 <user@example.test>: Relay access denied",
     "config.missing"),
    ("smtplib.SMTPRecipientsRefused: {'user@example.test': (550, b'Verification failed for <app@example.test>\\n"
     "Unrouteable address\\nSender verify failed')}", "config.sender_invalid"),  # the longer wording wins
])
def test_the_words_decide_over_the_number(line, code):
    assert first(line).code == code


def test_reply_words_in_an_ordinary_line_are_no_diagnosis():
    assert explain("2026-12-06 10:00:00 INFO moderation: 3 posts flagged, spam message rejected by a moderator, unrouteable address list updated\n").findings == ()


# -- 2. structure ----------------------------------------------------------------------------------

def test_starttls_offered_without_auth_means_tls_first():
    text = ("reply: b'250 SMTPUTF8\\r\\n'\n"
            "reply: retcode (250); Msg: b'mail.example.test Hello [127.0.0.1]\\nPIPELINING\\nSIZE 35882577\\n8BITMIME"
            "\\nSTARTTLS\\nENHANCEDSTATUSCODES\\nSMTPUTF8'\n"
            "smtplib.SMTPNotSupportedError: SMTP AUTH extension not supported by server.")
    assert first(text.replace("\nsmtplib", " smtplib")).code == "auth.requires_tls"


def test_a_wrapper_after_quit_does_not_make_a_second_verdict():
    text = ("2026-12-06 08:19:54\tSERVER -> CLIENT: 535 5.7.8 Error: authentication failed: authentication failure\n"
            "2026-12-06 08:19:54\tSMTP ERROR: Password command failed: 535 5.7.8 Error: authentication failed\n"
            "2026-12-06 08:19:54\tSMTP Error: Could not authenticate.\n"
            "2026-12-06 08:19:54\tCLIENT -> SERVER: QUIT\n"
            "2026-12-06 08:19:54\tSERVER -> CLIENT: 221 2.0.0 Bye\n"
            "2026-12-06 08:19:54\tSMTP Error: Could not authenticate.\n")
    report = explain(text)
    assert [f.code for f in report.findings] == ["auth.bad_credentials"]
    assert report.logs.last_failure.code == "auth.bad_credentials"


def test_smtplib_frames_of_the_greeting_read_make_a_greeting_timeout():
    text = ('  File "/usr/lib/python3.11/smtplib.py", line 341, in connect\n'
            "    (code, msg) = self.getreply()\n"
            '  File "/usr/lib/python3.11/smtplib.py", line 398, in getreply\n'
            "    line = self.file.readline(_MAXLINE + 1)\n"
            "TimeoutError: timed out")
    assert first(text).code == "net.greeting_timeout"


# -- 3. HTTP sending APIs --------------------------------------------------------------------------

@pytest.mark.parametrize("text, code, provider", [
    ("resend.exceptions.InvalidApiKeyError: API key is invalid", "auth.bad_credentials", "resend"),
    ("{\n  data: null,\n  error: {\n    statusCode: 403,\n    message: 'You can only send testing emails to your own "
     "email address (owner@example.test). To send emails to other recipients, please verify a domain at "
     "resend.com/domains, and change the `from` address to an email using this domain.',\n    name: 'validation_error'"
     "\n  }\n}", "delivery.sandbox_restricted", "resend"),
    ("ERROR:app.mail:send failed: HTTP Error 403: Forbidden {\"errors\": [{\"message\": \"The from address does not "
     "match a verified Sender Identity. Mail cannot be sent until this error is resolved.\", \"field\": \"from\", "
     "\"help\": null}]}", "sender.unverified", "sendgrid"),
    ("[Error: Unauthorized] {\n  status: 401,\n  details: 'Forbidden',\n  type: 'MailgunAPIError'\n}",
     "auth.bad_credentials", "mailgun"),
    ("botocore.exceptions.ClientError: An error occurred (InvalidClientTokenId) when calling the SendEmail operation: "
     "The security token included in the request is invalid.", "auth.bad_credentials", "ses"),
    ("botocore.errorfactory.MessageRejected: An error occurred (MessageRejected) when calling the SendEmail operation: "
     "Email address is not verified. The following identities failed the check in region US-EAST-1: app@example.test",
     "sender.unverified", "ses"),
    ("ApiInputError: While your account is pending approval, all recipient addresses must share the same domain as "
     "the 'From' address.", "delivery.sandbox_restricted", "postmark"),
    ("BrevoError: Status code: 401\nBody: {\n  \"code\": \"unauthorized\",\n  \"message\": \"Key not found\"\n}",
     "auth.bad_credentials", "brevo"),
    ("smtp2go API error 400: {\"request_id\": \"22e5acba-43bf-11e6-ae42-408d5cce2644\", \"data\": {\"error\": \"You do "
     "not have permission to access this API endpoint\", \"error_code\": "
     "\"E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED\"}}", "auth.bad_credentials", "smtp2go"),
    ("postal send failed: 200 {\"status\": \"error\", \"data\": {\"code\": \"UnauthenticatedFromAddress\", \"message\": "
     "\"The From address is not authorised to send mail from this server\"}}", "sender.domain_not_verified", "postal"),
])
def test_http_api_answers_are_read_as_the_providers_own(text, code, provider):
    finding = first(text)
    assert (finding.code, finding.provider) == (code, provider)


@pytest.mark.parametrize("line", [
    "ERROR:app.mail:send failed: HTTP Error 401: Unauthorized",
    "BrevoError: Status code: 403",
    "python_http_client.exceptions.TooManyRequestsError: HTTP Error 429: Too Many Requests",
])
def test_an_http_status_is_never_an_smtp_reply(line):
    assert all(f.decided_by is None or f.decided_by.kind not in ("reply_code", "generic") for f in explain(line).findings)


def test_api_fixes_name_the_providers_own_key():
    finding = first("resend.exceptions.InvalidApiKeyError: API key is invalid")
    entry = CATALOG.entries["auth.bad_credentials"]
    fix = " ".join(entry.variants[finding.variant].fix.en)
    assert "re_" in fix and "https://resend.com/api-keys" in fix


def test_every_http_api_entry_cites_its_documentation_page():
    data = tomllib.loads((KNOWLEDGE / "http_apis.toml").read_text(encoding="utf-8"))
    providers = {t["provider"] for t in data["term"]}
    assert providers >= {"resend", "sendgrid", "mailgun", "ses", "postmark", "brevo", "smtp2go", "postal"}
    for term in data["term"]:
        assert term["source"].startswith("https://"), term
        assert term["kind"] == "http_api" and isinstance(term["status"], int), term


def test_every_new_wording_cites_a_public_url():
    data = tomllib.loads((KNOWLEDGE / "wordings.toml").read_text(encoding="utf-8"))
    assert all(re.match(r"https://", t["source"]) for t in data["term"])


# -- 4. library exceptions -------------------------------------------------------------------------

@pytest.mark.parametrize("line, code", [
    ('send mail: dial tcp 203.0.113.7:587: i/o timeout: context deadline exceeded', "net.timeout"),  # Go context
    ("UnicodeEncodeError: 'ascii' codec can't encode character '\\xe4' in position 20: ordinal not in range(128)",
     "config.password_format"),  # smtplib's login with a non-ASCII password (captured)
    ('OpenSSL::SSL::SSLError: hostname "localhost" does not match the server certificate', "tls.cert_hostname_mismatch"),
    ("OpenSSL::SSL::SSLError: SSL_connect returned=1 errno=0 peeraddr=127.0.0.1:31017 state=error: certificate verify "
     "failed (hostname mismatch)", "tls.cert_hostname_mismatch"),
    ("jakarta.mail.internet.AddressException: Missing final '@domain' in string ``not-an-address''",
     "config.recipient_invalid"),
    ('Symfony\\Component\\Mime\\Exception\\RfcComplianceException: Email "not-an-address" does not comply with '
     "addr-spec of RFC 2822.", "config.recipient_invalid"),
    ("Dec  6 08:19:54 relay postfix/smtp[4121]: warning: SASL authentication failure: No worthy mechs found",
     "auth.not_supported"),
])
def test_library_and_mta_wordings(line, code):
    assert first(line).code == code


def test_postfix_client_sasl_is_the_clients_own_problem():
    finding = first("postfix/smtp[4121]: warning: SASL authentication failure: No worthy mechs found")
    assert finding.variant == "client_mechs"


# -- SPF term typos (issue 18 item 6) --------------------------------------------------------------

@pytest.mark.parametrize("term, meant", [("ipv4:192.0.2.1", "ip4:192.0.2.1"), ("ipv6:2001:db8::1", "ip6:2001:db8::1"),
                                         ("incude:_spf.google.com", "include:_spf.google.com"),
                                         ("~inlcude:spf.example.net", "~include:spf.example.net")])
def test_spf_typos_are_named(term, meant):
    assert spf_typo(term) == meant


@pytest.mark.parametrize("term", ["ip4:192.0.2.1", "include:_spf.google.com", "foo=bar", "mx"])
def test_spf_terms_that_are_right_are_no_typos(term):
    assert spf_typo(term) in (None,)


# -- one failure, one diagnosis (round three, finished) --------------------------------------------

def failures(text: str) -> list[str]:
    return [f.code for f in explain(text).findings if f.severity.value in ("error", "warning")]


@pytest.mark.parametrize("text, code", [
    # msmtp prints its wrapper BEFORE the server's reply it wraps (src/msmtp.c: msmtp_sendmail then the reply)
    ("msmtp: authentication failed (method PLAIN)\n"
     "msmtp: server message: 535 5.7.3 Authentication unsuccessful [LO4P123CA0456.GBRP123.PROD.OUTLOOK.COM]\n"
     "msmtp: could not send mail\n", "auth.bad_credentials"),
    # curl's fixed "(67) Login denied" after the reply that decided, past curl's closing trace lines
    ("> AUTH PLAIN\n{ [5 bytes data]\n< 504 5.5.4 Unrecognized authentication type\n* Closing connection 0\n"
     "} [5 bytes data]\n* TLSv1.3 (OUT), TLS alert, close notify (256):\n} [2 bytes data]\ncurl: (67) Login denied\n",
     "auth.not_supported"),
    # Exim: the authenticator's line carries the reply; the message's defer line only names the layer
    ("2026-11-26 15:17:18 1xWbDq-0001tg-1w plain authenticator failed H=localhost [127.0.0.1] 535 5.7.3 "
     "Authentication unsuccessful [LO4P123CA0456.GBRP123.PROD.OUTLOOK.COM]\n"
     "2026-11-26 15:17:18 1xWbDq-0001tg-1w == user@d36.example.test R=smarthost T=remote_smtp_smarthost defer (-42): "
     "authentication required but authentication attempt(s) failed\n", "auth.bad_credentials"),
    # one Postfix smtp process, one delivery: its TLS warning and the status line that ends the attempt
    ("Nov 26 15:10:26 app-host postfix/smtp[31383]: SSL_connect error to localhost[127.0.0.1]:30012: -1\n"
     "Nov 26 15:10:26 app-host postfix/smtp[31383]: warning: TLS library problem: error:0A00010B:SSL routines::"
     "wrong version number:../ssl/record/ssl3_record.c:350:\n"
     "Nov 26 15:10:26 app-host postfix/smtp[31383]: 3AD1B240495: to=<user@d12.example.test>, relay=localhost"
     "[127.0.0.1]:30012, delay=0.07, delays=0/0.06/0.01/0, dsn=4.7.5, status=deferred (Cannot start TLS: handshake "
     "failure)\n", "tls.wrong_mode"),
    # curl numbers TLS messages in its trace: "(557)" is no SMTP reply
    ("* TLSv1.3 (OUT), TLS alert, certificate expired (557):\n} [2 bytes data]\n"
     "* SSL certificate problem: certificate has expired\n* Closing connection 0\n"
     "curl: (60) SSL certificate problem: certificate has expired\n", "tls.cert_expired"),
])
def test_one_failure_told_on_several_lines_is_one_diagnosis(text, code):
    assert failures(text) == [code]


def test_an_unterminated_last_line_continues_its_record():
    # PHPMailer's ErrorInfo as a log's last line, with no newline after it: " SMTP code: 451" is the record's
    text = ("Message could not be sent. Mailer Error: The following From address failed: app@example.test : MAIL FROM "
            "command failed,Sender rate exceeds 100 messages per 1h\r\n,451,SMTP server error: MAIL FROM command failed "
            "Detail: Sender rate exceeds 100 messages per 1h\r\n SMTP code: 451SMTP server error: MAIL FROM command "
            "failed Detail: Sender rate exceeds 100 messages per 1h\r\n SMTP code: 451")
    assert failures(text) == ["delivery.rate_limited"]
    assert failures(text + "\n") == ["delivery.rate_limited"]


NODEMAILER_FAILED = ("[2026-11-26 13:12:28] ERROR [sQ7Bnh2iVI4] Invalid login: 535 5.7.8 Error: authentication failed: "
                     "authentication failure\n")


def test_nodemailers_connection_id_keeps_two_sessions_apart():
    # a pool: another connection's drop right after is that connection's own failure, not this one's hang-up
    text = NODEMAILER_FAILED + "[2026-11-26 13:12:28] WARN  [Zphn2BqM5GI] Connection closed unexpectedly\n"
    assert sorted(failures(text)) == ["auth.bad_credentials", "net.reset"]


def test_a_later_line_of_the_same_session_is_the_same_failure():
    text = (NODEMAILER_FAILED
            + "[2026-11-26 13:12:28] INFO  [Zphn2BqM5GI] Connection established to 127.0.0.1:30030\n"
              "[2026-11-26 13:12:28] DEBUG [Zphn2BqM5GI] SMTP handshake finished\n"
              "[2026-11-26 13:12:28] INFO  [Zphn2BqM5GI] Sending message <a@example.test> to <b@example.test>\n"
              "[2026-11-26 13:12:28] WARN  [sQ7Bnh2iVI4] Connection closed unexpectedly\n")
    report = explain(text)
    assert failures(text) == ["auth.bad_credentials"]
    assert report.findings[0].seen.count == 2


# -- client wordings that only name the layer: the quoted reply decides ----------------------------

@pytest.mark.parametrize("line, code", [
    # .NET's SmtpStatusCode descriptions stand before "The server response was:"
    ("System.Net.Mail.SmtpException: Mailbox unavailable. The server response was: 5.7.1 Message rejected as spam "
     "by Content Filtering.", "delivery.spam_rejected"),
    ("System.Net.Mail.SmtpException: Mailbox unavailable. The server response was: Sender address rejected: not "
     "owned by user app@example.test", "sender.not_owned"),
    # nodemailer's fixed text for a 421 at EHLO quotes the reply after "response="
    ("Error: Server terminates connection. response=421 Too many concurrent SMTP connections from this IP address; "
     "please try again later.", "delivery.rate_limited"),
    # Exim's own "authentication required but …" is not a server's "Authentication required"
    ("2026-11-26 15:17:18 1xWbDq-0001sK-0e == user@d27.example.test R=smarthost T=remote_smtp_smarthost defer (-42): "
     "authentication required but server did not advertise AUTH support", "auth.not_supported"),
    # Exim's default RCPT ACL, as Net::SMTP reports it
    ("550 relay not permitted", "config.missing"),
])
def test_the_quoted_reply_decides_over_the_clients_words(line, code):
    assert first(line).code == code


def test_mailgun_error_type_alone_names_no_key_problem():
    text = "[Error: Not Found] {\n  status: 404,\n  details: 'Domain not found: mg.example.test',\n  type: 'MailgunAPIError'\n}\n"
    finding = first(text)
    assert (finding.code, finding.variant) == ("sender.domain_not_verified", "mailgun_domain")


def test_two_replies_with_the_same_basic_code_stay_two():
    text = ("550 5.7.1 This message was not accepted due to domain (mail.ru) owner DMARC policy (RFC 7489)\n"
            "550 5.7.26 Unusual status without text\n"
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.\n"
            "535 5.7.3 Authentication unsuccessful\n")
    codes = [(m.line, m.code) for m in explain(text).logs.matches]
    assert codes == [(1, "sender.dmarc_rejected"), (2, "sender.dmarc_rejected"), (3, "auth.basic_auth_disabled"),
                     (4, "auth.bad_credentials")]


def test_a_reply_that_means_something_else_after_a_timeout_is_its_own_failure():
    text = ("2026-12-06 10:00:01 ERROR connect to smtp.example.com:587 failed: Connection timeout\n"
            "2026-12-06 10:00:02 ERROR Invalid login: 535 Authentication failed\n")
    assert sorted(failures(text)) == ["auth.bad_credentials", "net.timeout"]


# -- round three, last items: layer markers, the 554 greeting, the last word -----------------------

@pytest.mark.parametrize("line, code, variant", [
    # .NET: SmtpException.GetMessageForStatus gives its own name for the reply code, then "The server response was:"
    # and the server's text (dotnet/runtime System.Net.Mail Strings.resx): the server's words decide
    ("System.Net.Mail.SmtpException: Transaction failed. The server response was: 5.7.1 Service unavailable; Client "
     "host [192.0.2.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.7",
     "delivery.spam_rejected", "listed_ip"),
    ("System.Net.Mail.SmtpException: Error in processing. The server response was: 5.7.3 STARTTLS is required to send "
     "mail [AM0PR02CA0123.eurprd02.prod.outlook.com]", "auth.requires_tls", None),
    ("System.Net.Mail.SmtpException: Service not available, closing transmission channel. The server response was: "
     "4.7.0 mx.example.test Error: too many connections from 192.0.2.7", "delivery.rate_limited", None),
    # nodemailer: _formatError appends ": " and the reply to its fixed text (lib/smtp-connection/index.js)
    ("Error: Server terminates connection. response=421 4.7.0 mx.example.test Error: too many connections from "
     "192.0.2.7: 421 4.7.0 mx.example.test Error: too many connections from 192.0.2.7", "delivery.rate_limited", None),
    ("Error: Server closed the connection: 421 4.7.0 mx.example.test Error: too many connections from 192.0.2.7",
     "delivery.rate_limited", None),
    ("Error: Server closed the connection: 421 4.3.2 Service shutting down", "net.server_unavailable", None),
    ("Error: Server closed the connection", "net.reset", None),  # no reply quoted: the drop itself
])
def test_client_fixed_texts_are_layer_markers_and_the_reply_decides(line, code, variant):
    finding = first(line)
    assert (finding.code, finding.variant) == (code, variant)


@pytest.mark.parametrize("line", [
    # RFC 5321 section 3.1: a 554 instead of the 220 greeting refuses the session; no list is named, so no blocklist
    "Error: Invalid greeting. response=554 5.7.1 mx.example.test ESMTP not accepting messages: 554 5.7.1 "
    "mx.example.test ESMTP not accepting messages",  # nodemailer _actionGreeting
    "smtplib.SMTPConnectError: (554, b'mx.example.test ESMTP not accepting messages')",
    "aiosmtplib.errors.SMTPConnectResponseError: (554, 'mx.example.test ESMTP not accepting messages')",
    "Dec  6 08:19:54 relay postfix/smtp[4121]: 4F2A1B2C3D: to=<user@example.test>, relay=none, delay=0.2, "
    "delays=0.01/0/0.2/0, dsn=5.0.0, status=bounced (host mx.example.test[192.0.2.25] refused to talk to me: 554 "
    "mx.example.test ESMTP not accepting messages)",  # Postfix smtp_helo
])
def test_a_554_greeting_is_a_refused_session_not_an_outage_nor_a_blocklist(line):
    finding = first(line)
    assert (finding.code, finding.variant) == ("net.server_unavailable", "session_refused")
    entry = CATALOG.entries["net.server_unavailable"].variants["session_refused"]
    assert "Retry later" not in " ".join(entry.fix.en)


def test_a_554_greeting_naming_a_list_is_the_listing():
    # Exim's transport at the greeting (the example commands.toml once read as a plain refusal)
    finding = first("2026-11-26 15:17:18 1xWbDq-0001sK-0e SMTP error from remote mail server after initial connection: "
                    "554 5.7.1 Service unavailable; Client host [198.51.100.2] blocked using zen.spamhaus.org")
    assert (finding.code, finding.variant, finding.params["list"]) == ("delivery.spam_rejected", "listed_ip",
                                                                       "zen.spamhaus.org")


PHPMAILER_DEBUG4 = (  # SMTPDebug = 4: the QUIT exchange and low-level reads stand between the failure and the wrapper
    "2026-12-06 08:19:54\tCLIENT -> SERVER: AUTH CRAM-MD5\n"
    "2026-12-06 08:19:54\tSERVER -> CLIENT: 504 5.5.4 Unrecognized authentication type\n"
    "2026-12-06 08:19:54\tSMTP ERROR: AUTH command failed: 504 5.5.4 Unrecognized authentication type\n"
    "2026-12-06 08:19:54\tCLIENT -> SERVER: QUIT\n"
    "2026-12-06 08:19:54\tSMTP -> get_lines(): $data is \"\"\n"
    "2026-12-06 08:19:54\tSMTP -> get_lines(): $str is  \"221 2.0.0 Bye\"\n"
    "2026-12-06 08:19:54\tSMTP INBOUND: \"221 2.0.0 Bye\"\n"
    "2026-12-06 08:19:54\tSERVER -> CLIENT: 221 2.0.0 Bye\n"
    "2026-12-06 08:19:54\tConnection: closed\n"
    "2026-12-06 08:19:54\tSMTP Error: Could not authenticate.\n")


def test_the_last_word_is_the_stated_failure_not_the_wrapper_after_it():
    report = explain(PHPMAILER_DEBUG4)
    assert [f.code for f in report.findings] == ["auth.not_supported"]
    assert report.logs.last_failure.code == "auth.not_supported"


def test_a_wrapper_after_a_success_is_a_new_last_failure():
    text = ("2026-12-06 08:19:54\tSMTP ERROR: AUTH command failed: 504 5.5.4 Unrecognized authentication type\n"
            "2026-12-06 08:19:55\tSERVER -> CLIENT: 250 2.0.0 Ok: queued as 4F2A1B2C3D\n"
            "Message could not be sent. Mailer Error: SMTP Error: Could not authenticate.\n")
    assert explain(text).logs.last_failure.code == "auth.bad_credentials"


@pytest.mark.parametrize("line, code, variant", [
    # libnet Net/Cmd.pm with Debug on: the closed channel and the timeout, in its own words
    ("Net::SMTP: Net::Cmd::getline(): unexpected EOF on command channel:  at app.pl line 44.", "net.reset", None),
    ("Net::SMTP: Net::Cmd::getline(): timeout at app.pl line 44.", "net.timeout", None),
    # Node's own text for an ECONNRESET during the TLS handshake names the handshake
    ("Error: Client network socket disconnected before secure TLS connection was established\n"
     "    at TLSSocket.onConnectEnd (node:_tls_wrap:1752:19) {\n  code: 'ESOCKET',\n  originalCode: 'ECONNRESET',\n"
     "  command: 'CONN'\n}", "tls.handshake_failed", None),
    # ENETUNREACH to an IPv6 address: no IPv6 route here (Node, Java); to an IPv4 one it stays a refused connection
    ("Error: connect ENETUNREACH 2a00:1450:400c:c0a::6c:465 - Local (:::0)", "net.ipv6_unreachable", "log"),
    ("java.net.ConnectException: failed to connect to smtp.gmail.com/2404:6800:4003:c02::6c (port 465) after 90000ms: "
     "isConnected failed: ENETUNREACH (Network is unreachable)", "net.ipv6_unreachable", "log"),
    ("2026-12-06 10:18:24 ERROR connect ENETUNREACH 192.0.2.1:587", "net.refused", None),
    # Postal's SMTP server: the From header's domain is not one of the server's (docs: From/Sender validation)
    ("smtplib.SMTPDataError: (530, b'From/Sender name is not valid')", "sender.domain_not_verified", "postal_domain"),
    # Amazon SES v1 Query API in XML (boto's BotoServerError body)
    ("BotoServerError: 400 Bad Request\n<ErrorResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">\n  <Error>\n"
     "    <Type>Sender</Type>\n    <Code>MessageRejected</Code>\n    <Message>Email address is not verified.</Message>\n"
     "  </Error>", "sender.unverified", None),
])
def test_library_wordings_round_three_last(line, code, variant):
    finding = first(line)
    assert (finding.code, finding.variant) == (code, variant)


def test_an_ipv6_failure_in_a_log_is_an_error_and_the_last_failure():
    report = explain("Error: connect ENETUNREACH 2a00:1450:400c:c0a::6c:465 - Local (:::0)\n")
    assert report.findings[0].severity.value == "error"
    assert report.logs.last_failure.code == "net.ipv6_unreachable"


def test_russian_spam_wording_in_any_grammatical_form():
    # «отклонено», «отклонена», «отклонён»: one stem, every gender and number
    for form in ("отклонено", "отклонена", "отклонён", "отклонены"):
        line = f"System.Net.Mail.SmtpException: Transaction failed. The server response was: 5.7.1 Письмо {form} как спам"
        assert first(line).code == "delivery.spam_rejected", form


def test_a_transcripts_bare_reply_and_the_clients_line_naming_its_command_are_one_failure():
    # PHPMailer SMTPDebug 2: the server's line carries no command; the client's next line names it (MAIL FROM)
    text = ("2026-12-06 08:19:54\tCLIENT -> SERVER: MAIL FROM:<app@example.test>\n"
            "2026-12-06 08:19:54\tSERVER -> CLIENT: 550 5.7.1 Access denied\n"
            "2026-12-06 08:19:54\tSMTP ERROR: MAIL FROM command failed: 550 5.7.1 Access denied\n")
    report = explain(text)
    assert [(f.code, f.seen.count) for f in report.findings] == [("sender.not_owned", 2)]


def test_a_bare_reply_then_another_reply_stay_two():
    text = ("2026-12-06 08:19:54\tSERVER -> CLIENT: 550 5.7.1 Access denied\n"
            "2026-12-06 08:19:55\tSMTP ERROR: Password command failed: 535 5.7.8 Error: authentication failed\n")
    assert sorted(failures(text)) == ["auth.bad_credentials", "smtp.reply_error"]


@pytest.mark.parametrize("line, code", [
    # .NET throws SmtpFailedRecipientException for RCPT refusals; a plain SmtpException with the same description
    # answers MAIL FROM or the end of data (SmtpCommands.cs), so its wrapper names no recipient
    ("System.Net.Mail.SmtpFailedRecipientException: Mailbox unavailable. The server response was: 5.7.1 Requested "
     "action not taken: message refused", "delivery.recipient_rejected"),
    ("System.Net.Mail.SmtpException: Mailbox unavailable. The server response was: 5.7.1 Requested action not taken: "
     "message refused", "smtp.reply_error"),
])
def test_dotnet_mailbox_unavailable_names_a_recipient_only_for_a_recipient(line, code):
    assert first(line).code == code


PHPMAILER_NO_AUTH_OFFERED = (  # SMTPDebug = 2 against a server that offers AUTH only after STARTTLS (captured form)
    "2026-12-06 08:19:54\tSERVER -> CLIENT: 250-mail.example.test Hello vm\n"
    "                   \t                  250-PIPELINING\n"
    "                   \t                  250-STARTTLS\n"
    "                   \t                  250 SMTPUTF8\n"
    "2026-12-06 08:19:54\tSMTP Error: Could not authenticate.\n"
    "2026-12-06 08:19:54\tCLIENT -> SERVER: QUIT\n"
    "2026-12-06 08:19:54\tSERVER -> CLIENT: 221 2.0.0 Bye\n"
    "2026-12-06 08:19:54\tSMTP Error: Could not authenticate.\n"
    "Message could not be sent. Mailer Error: SMTP Error: Could not authenticate.\n")


def test_phpmailers_debug_wrapper_with_no_refused_auth_before_it_means_no_auth_offered():
    # PHPMailer prints every refused AUTH step ("SMTP ERROR: ... command failed: 535 ..."); without one, authenticate()
    # never sent AUTH: nothing it supports was offered. The three wrappers are one failure. The EHLO reply before
    # them offered STARTTLS and no AUTH: login comes after TLS (auth.requires_tls, as the corpus's r3-0214 expects).
    report = explain(PHPMAILER_NO_AUTH_OFFERED)
    assert [(f.code, f.seen.count) for f in report.findings] == [("auth.requires_tls", 3)]
    assert report.logs.last_failure.code == "auth.requires_tls"


def test_phpmailers_debug_wrapper_after_a_refused_login_is_that_login():
    text = ("2026-12-06 08:19:54\tSMTP ERROR: Password command failed: 535 5.7.8 Error: authentication failed\n"
            + PHPMAILER_NO_AUTH_OFFERED.split("\n", 4)[4])
    report = explain(text)
    assert [f.code for f in report.findings] == ["auth.bad_credentials"]


@pytest.mark.parametrize("line, code, variant", [
    # rustls through lettre: a plain greeting where a TLS record was expected (implicit TLS to a STARTTLS port)
    ("Error: Connection error: received corrupt message of type InvalidContentType", "tls.wrong_mode", None),
    # JSSE of JDK 8: TLS spoken to a plain port
    ("javax.net.ssl.SSLException: Unrecognized SSL message, plaintext connection?", "tls.wrong_mode", None),
    # Gmail's documented "Temporary System Problem" is the server's, not a rate limit
    ("jakarta.mail.MessagingException: 421 4.7.0 Temporary System Problem.  Try again later (10). d2-20020a05 - gsmtp",
     "net.server_unavailable", None),
    # .NET's own description "Insufficient system storage." (452) is the wrapper, not the server's words
    ("System.Net.Mail.SmtpException: Insufficient system storage. The server response was: 4.5.3 Too many recipients",
     "smtp.reply_error", None),
    # Postfix smtp_sasl_proto.c: smtp_sasl_mechanism_filter left none of the server's mechanisms
    ("Dec  6 08:19:54 relay postfix/smtp[4121]: warning: smtp.example.test[192.0.2.25]:587 offered no supported AUTH "
     "mechanisms: 'CRAM-MD5 DIGEST-MD5'", "auth.not_supported", "client_mechs"),
])
def test_more_library_and_server_wordings(line, code, variant):
    finding = first(line)
    assert (finding.code, finding.variant) == (code, variant)


# -- "STARTTLS offered, no AUTH" on lines before the failure: TLS first ------------------------------------------

# Net::SMTP with Debug => 1 prints each line through Net::Cmd's debug_print: the object as Perl shows it, "<<< " for
# what the server sent, ">>> " for what it sent (with the CRLF it wrote). Its auth() sends nothing when the EHLO
# reply lists no AUTH: it sets the status 500 "Command unknown: 'AUTH'" (Net/SMTP.pm, supports()), which the
# script prints. Postfix with smtpd_tls_auth_only = yes lists AUTH only after STARTTLS.
_GLOB = "Net::SMTP=GLOB(0x5633c1d0e2a8)"
_EHLO_PLAIN = ["250-mail.example.test", "250-PIPELINING", "250-SIZE 10240000", "250-VRFY", "250-ETRN", "250-STARTTLS",
               "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250-DSN", "250 CHUNKING"]


def _net_smtp(ehlo: list[str], before: list[str] | None = None) -> str:
    lines = [f"{_GLOB}<<< 220 mail.example.test ESMTP Postfix (Debian/GNU)", f"{_GLOB}>>> EHLO localhost.localdomain\r",
             *(before or []), *(f"{_GLOB}<<< {line}" for line in ehlo)]
    return "\n".join([*lines, "auth failed: 500 Command unknown: 'AUTH' at send.pl line 14.", ""])


def test_net_smtp_ehlo_listing_starttls_and_no_auth_before_the_failure_means_tls_first():
    report = explain(_net_smtp(_EHLO_PLAIN))
    assert [f.code for f in report.findings] == ["auth.requires_tls"]


def test_an_ehlo_listing_auth_or_after_tls_keeps_no_auth_offered():
    with_auth = _EHLO_PLAIN[:-1] + ["250-AUTH PLAIN LOGIN", "250 CHUNKING"]
    assert first(_net_smtp(with_auth)).code == "auth.not_supported"
    # STARTTLS done, EHLO again: the reply after TLS lists no STARTTLS and no AUTH (the server offers no login)
    after_tls = [f"{_GLOB}<<< {line}" for line in _EHLO_PLAIN] + [f"{_GLOB}>>> STARTTLS\r",
                                                                   f"{_GLOB}<<< 220 2.0.0 Ready to start TLS",
                                                                   f"{_GLOB}>>> EHLO localhost.localdomain\r"]
    no_tls_line = [line for line in _EHLO_PLAIN if "STARTTLS" not in line]
    assert first(_net_smtp(no_tls_line, before=after_tls)).code == "auth.not_supported"
    # a bare "no AUTH" with no transcript before it says nothing of TLS
    assert first("auth failed: 500 Command unknown: 'AUTH' at send.pl line 14.\n").code == "auth.not_supported"


# -- helper round 3b: SES sandbox recipients, rate wording on any code, PHPMailer's no-AUTH, 4xx at MAIL ----------

@pytest.mark.parametrize("line", [
    # Amazon SES (troubleshoot-error-messages.html): in the sandbox a recipient must be a verified identity too; the
    # identity named is the recipient the library says was refused
    "smtplib.SMTPRecipientsRefused: {'bob@example.test': (554, b'Message rejected: Email address is not verified. "
    "The following identities failed the check in region US-EAST-1: bob@example.test')}",
    "2026-01-01 10:00:00\tSMTP ERROR: RCPT TO command failed: 554 Message rejected: Email address is not verified. "
    "The following identities failed the check in region EU-WEST-1: bob@example.test",
])
def test_ses_unverified_identity_that_is_a_recipient_is_the_sandbox(line):
    assert first(line).code == "delivery.sandbox_restricted"


def test_ses_unverified_identity_that_is_the_sender_stays_the_sender():
    line = ("smtplib.SMTPDataError: (554, b'Message rejected: Email address is not verified. The following identities "
            "failed the check in region US-EAST-1: app@example.test')")
    assert first(line).code == "sender.unverified"


@pytest.mark.parametrize("line", [
    "<~* 421 4.3.2 Too many messages, slow down",
    "s-nail: SMTP server: 451 4.3.0 Ratelimit exceeded",
    "<** 421 4.7.1 Connection refused: temporarily throttled",
])
def test_rate_wording_wins_over_the_codes_subject(line):
    assert first(line).code == "delivery.rate_limited"


def test_ses_daily_quota_throttling_stays_a_quota():
    assert first("smtplib.SMTPSenderRefused: (454, b'Throttling failure: Daily message quota exceeded.', "
                 "'app@example.test')").code == "delivery.quota_exceeded"


def test_phpmailer_no_auth_at_this_stage_is_no_auth_offered():
    # PHPMailer SMTP::authenticate: EHLO answered without AUTH; its "Could not authenticate." after it is the wrapper
    assert first("2026-01-01 10:00:00\tSMTP ERROR: Authentication is not allowed at this stage\n").code == \
        "auth.not_supported"
    assert first("SMTP Error: Authentication is not allowed at this stage").code == "auth.not_supported"


@pytest.mark.parametrize("line", ["curl: (55) MAIL failed: 450", "curl: (55) MAIL failed: 454"])
def test_a_bare_policy_deferral_at_mail_from_is_a_rate_limit(line):
    # RFC 5321 4.2.2 (450: blocked for policy reasons); Postfix's message rate limit and SES's throttle answer MAIL
    assert first(line).code == "delivery.rate_limited"


@pytest.mark.parametrize("line", [
    # Symfony's LoginAuthenticator sends AUTH LOGIN expecting RFC 4954's 334 challenge: a 502 there is "no AUTH"
    'Expected response code "334" but got code "502", with message "502 5.5.2 Error: command not recognized".',
    # nodemailer's "Invalid login: " prefixes the reply to AUTH whatever it is
    'Error: Invalid login: 500 5.5.1 Command unrecognized: "AUTH PLAIN AGRlbW8"',
])
def test_the_wrappers_expected_code_or_prefix_names_auth_as_the_command(line):
    assert first(line).code == "auth.not_supported"


@pytest.mark.parametrize("line", [
    # Gmail answers a MAIL FROM it cannot parse (a display name in the envelope) with 555 5.5.2
    "smtplib.SMTPSenderRefused: (555, b'5.5.2 Syntax error. d2-20020a05 - gsmtp', '\"John\" <john@example.com>')",
    # sendmail, Exim and Postfix's own wordings for a sender address without a (real) domain, on any code
    "smtplib.SMTPSenderRefused: (553, b'5.5.4 <app>... Domain name required for sender address app', 'app')",
    "smtplib.SMTPSenderRefused: (553, b'sender address must contain a domain', 'app')",
    "status=bounced (host mx.example.test[192.0.2.7] said: 504 5.5.2 <root@pod>: Sender address rejected: need "
    "fully-qualified address (in reply to RCPT TO command))",
])
def test_a_malformed_sender_address_is_named_whatever_the_code(line):
    assert first(line).code == "config.sender_invalid"
