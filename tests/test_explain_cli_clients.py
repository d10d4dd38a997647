"""Issue 20, command-line mail clients: what Mutt, sendEmail and GNU Mailutils `mail` print when sending fails,
each line as the client's source writes it (smtp.c and mutt_socket.c of Mutt; the sendEmail Perl script;
libmailutils' error texts), read as the failure it reports, once per failure."""

from __future__ import annotations

import pytest
from conftest import failure_codes as diagnoses


@pytest.mark.parametrize(("printed", "code"), [
    # Mutt: mutt_smtp_send's own errors after smtp_get_resp failed, and mutt_socket.c's hang-up notice
    ("Connection to smtp.example.com closed\nSMTP session failed: read error\nCould not send the message.", "net.reset"),
    ("SMTP session failed: write error\nCould not send the message.", "net.reset"),
    ("Invalid server response\nCould not send the message.", "net.protocol_error"),
    ("No authenticators available\nCould not send the message.", "auth.not_supported"),
    ("SASL authentication failed\nCould not send the message.", "auth.bad_credentials"),
    # the certificate check says why the STARTTLS negotiation then failed
    ("Untrusted server certificate\nCould not negotiate TLS connection\nCould not send the message.", "tls.cert_untrusted"),
    ("Could not negotiate TLS connection\nCould not send the message.", "tls.handshake_failed"),
    # the reply itself, when Mutt shows it
    # $connect_timeout is an alarm that interrupts connect(): strerror(EINTR)
    ("Could not connect to smtp.example.com (Interrupted system call).\nCould not send the message.", "net.timeout"),
    ('Could not find the host "smtp.exmaple.com"\nCould not send the message.', "net.dns_not_found"),
    # a server reply after the client's "login failed" decides
    ("[2026-12-06 13:00:58] 4< 530 5.7.0 Must issue a STARTTLS command first\n"
     "[2026-12-06 13:00:58] smtp_auth_gsasl: PLAIN failed\nSASL authentication failed", "auth.requires_tls"),
    ("SMTP session failed: 535 5.7.8 Error: authentication failed: authentication failure\n"
     "Could not send the message.", "auth.bad_credentials"),
    # Mutt shows the last line of a multi-line reply (smtp_get_resp reads on while the code has "-"): Gmail's
    # daily limit is then told by the limits page it links to, not by X.4.5's registry meaning (congestion)
    ("SMTP session failed: 550 5.4.5  https://support.google.com/a/answer/166852 4fb4d7f45d1cf-5e08a1b7c2dsm2 - gsmtp\n"
     "Could not send the message.", "delivery.quota_exceeded"),
    # Postfix's own words for STARTTLS with TLS off (an unknown command is "5.5.2 ... not recognized")
    ("SMTP session failed: 502 5.5.1 Error: command not implemented\nCould not send the message.",
     "tls.starttls_unsupported"),
    ("SMTP session failed: 502 5.5.2 Error: command not recognized\nCould not send the message.", "smtp.reply_error"),
    # sendEmail 1.56: syslog-style lines of one run
    ("Dec 06 12:59:06 host sendEmail[8937]: ERROR => smtp.example.com:25 returned a zero byte response to our query.",
     "net.reset"),
    ("Dec 06 12:59:07 host sendEmail[8955]: ERROR => Received a message with no success or error code. "
     "The message received was: +OK Dovecot (Debian) ready.", "net.protocol_error"),
    ("Dec 06 12:59:24 host sendEmail[9126]: ERROR => TLS not possible! Remote SMTP server, smtp.example.com,  "
     "does not support it.", "tls.starttls_unsupported"),
    ("Dec 06 12:59:20 host sendEmail[9100]: ERROR => Timeout while reading from smtp.example.com:25 There was no "
     "response after 60 seconds.", "net.timeout"),
    ("Dec 06 12:59:25 host sendEmail[9136]: ERROR => ERROR => SMTP-AUTH: Authentication to smtp.example.com:587 "
     "failed.", "auth.bad_credentials"),
    # GNU Mailutils `mail`: MU_ERR_* texts after "Cannot open mailer:" (greeting to AUTH) or "cannot send message:"
    ("mail: received invalid reply from SMTP server\nmail: Cannot open mailer: Invalid reply from the remote host\n"
     "mail: cannot send message: Invalid reply from the remote host", "net.protocol_error"),
    ("mail: no suitable authentication mechanism found\nmail: Cannot open mailer: Requested item not found\n"
     "mail: cannot send message: Requested item not found", "auth.not_supported"),
    ("mail: Cannot open mailer: Operation rejected by remote party\n"
     "mail: cannot send message: Operation rejected by remote party", "smtp.connection_failed"),
    ("mail: cannot send message: Operation rejected by remote party", "smtp.reply_error"),
    ("mail: Cannot open mailer: Connection closed by remote host", "net.reset"),
    # the server hung up after EHLO (--debug-level=mailer.prot shows the dialogue)
    ("mail: S: 220 mail.example.com ESMTP\nmail: C: EHLO host\nmail: Cannot open mailer: Input/output error\n"
     "mail: cannot send message: Input/output error", "net.reset"),
    # Mutt's debug file (mutt -d 2): the socket layer's lines, with no mutt_error message in them
    ("[2026-12-06 13:17:49] Mutt/2.2.12 (2023-09-09) debugging at level 2\n"
     "[2026-12-06 13:17:49] Connection failed. errno: 111...\n[2026-12-06 13:17:51] Connected to smtp.example.com:587 on "
     "fd=-1\n[2026-12-06 13:17:51] mutt_socket_close: Attempt to close closed connection.", "net.refused"),
    ("[2026-12-06 13:17:49] Connection failed. errno: 4...\n[2026-12-06 13:17:53] Connected to smtp.example.com:587 on "
     "fd=-1", "net.timeout"),
    ("[2026-12-06 13:17:51] Connected to smtp.example.com:587 on fd=4\n"
     "[2026-12-06 13:17:53] mutt_socket_close: Attempt to close closed connection.", "net.reset"),
    ("[2026-12-06 13:00:05] tls_check_one_certificate: unable to prompt for certificate in batch mode\n"
     "[2026-12-06 13:00:05] Connected to smtp.example.com:465 on fd=4", "tls.cert_untrusted"),
    ("mail: cannot send message: Read error", "net.reset"),
    ("mail: Cannot open mailer: DNS name resolution failed", "net.dns_not_found"),
    ("mail: Cannot open mailer: User password is not supplied", "config.missing"),
    ("mail: cannot send message: Not a valid recipient address", "config.recipient_invalid"),
])
def test_a_cli_clients_failure_is_read_once(printed, code):
    assert diagnoses(printed) == [code]


def test_sendemail_warning_and_error_of_one_run_are_one_failure():
    """The warning says why (no mechanism in common), the error after it only that the login failed: one run
    (sendEmail[PID]) sends one message, so the two lines are one failure, told by the warning."""
    run = ("Dec 06 12:59:25 host sendEmail[9134]: WARNING => SMTP-AUTH: No mutually supported authentication methods "
           "available\nDec 06 12:59:25 host sendEmail[9134]: ERROR => ERROR => SMTP-AUTH: Authentication to "
           "smtp.example.com:587 failed.\n")
    assert diagnoses(run) == ["auth.not_supported"]
    other_run = run.replace("[9134]", "[9135]", 1)  # two runs: two failures
    assert diagnoses(other_run) == ["auth.not_supported", "auth.bad_credentials"]


def test_a_connect_timeout_and_its_hang_up_across_a_minutes_turn_are_one_failure():
    """Mutt's $connect_timeout ends at :58, the connection is closed at :00 of the next minute: one failure."""
    debug = ("[2026-12-06 13:21:54] Mutt/2.2.12 (2023-09-09) debugging at level 2\n"
             "[2026-12-06 13:21:58] Connection failed. errno: 4...\n"
             "[2026-12-06 13:22:00] Connected to smtp.example.com:587 on fd=-1\n"
             "[2026-12-06 13:22:00] mutt_socket_close: Attempt to close closed connection.\n")
    assert diagnoses(debug) == ["net.timeout"]
    # an hour later is another failure
    later = debug.replace("13:22:00] mutt_socket_close", "14:22:00] mutt_socket_close")
    assert diagnoses(later) == ["net.timeout", "net.reset"]


@pytest.mark.parametrize("ordinary", [
    "2026-12-06 13:00:01 INFO Connection to redis://cache:6379 closed",
    "2026-12-06 13:00:01 WARN upstream: Invalid server response from https://api.example.com/v1 (retrying)",
    # a mailbox session in Mutt's debug file: an IMAP or POP3 server greets so, and nothing failed
    "[2026-12-06 12:59:23] 4< * OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE] Dovecot ready.",
    "mail: S: +OK Logged in.",
])
def test_the_same_words_inside_another_programs_log_line_are_no_smtp_failure(ordinary):
    """Mutt prints these as whole lines; a connection pool or an HTTP client saying the same inside its own
    log line has said nothing about mail."""
    assert diagnoses(ordinary) == []
