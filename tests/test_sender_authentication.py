"""A receiver that refuses mail whose sender domain is not authenticated (SPF or DKIM), as Gmail words it since its
2022/2024 sender requirements: told as the domain's authentication (sender.dmarc_rejected), not as an unverified
sender, on whatever code it comes; and a multi-line reply quoted by its first line says that more followed."""

from __future__ import annotations

import pytest
from conftest import explained

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.probe.runner import ProbePolicy, run_probe
from smtpdoctor.render.findings import finding_text
from smtpdoctor.render.i18n import Lang
from smtpdoctor.report import StepName
from smtpdoctor.settings.model import clean, load_settings_input
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec

# Gmail's SMTP error reference (https://support.google.com/a/answer/3726730), as its servers send it: one reply in
# three lines, the code repeated with "-" on all but the last (RFC 5321 section 4.2.1).
GMAIL_UNAUTHENTICATED = [
    "550-5.7.26 This mail has been blocked because the sender is unauthenticated.",
    "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.",
    "550 5.7.26  For more information, go to https://support.google.com/mail/answer/81126 - gsmtp",
]


def _probe(port: int, ca_file):
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD,
           "SMTP_FROM": DEMO_USER}
    return run_probe(clean(load_settings_input({}, env), None), None, ProbePolicy(timeout=3.0, ca_file=ca_file))


def test_unauthenticated_sender_at_mail_from_is_the_domains_authentication(smtp_server, ca_file):
    server = smtp_server(ServerSpec(mail_reply="\r\n".join(GMAIL_UNAUTHENTICATED)))
    run = _probe(server.port, ca_file)
    (finding,) = [f for f in run.findings if not f.code.startswith(("ok.", "net.ipv6"))]
    assert finding.code == "sender.dmarc_rejected" and finding.params["sender_domain"] == "smtpdoctor.test"
    # the whole reply is the evidence; the step quotes its first line and counts the rest
    assert finding.evidence.text == " ".join(line[:3] + " " + line[4:] for line in GMAIL_UNAUTHENTICATED)
    step = next(s for s in run.steps if s.name is StepName.SENDER)
    first = "550 5.7.26 This mail has been blocked because the sender is unauthenticated."
    assert step.reply.text.startswith(first + "…[+") and step.reply.text.endswith(" B]")


def test_a_multi_line_reply_quoted_in_an_explanation_says_more_followed(smtp_server, ca_file):
    no_such_user = ["550-5.1.1 The email account that you tried to reach does not exist. Please try",
                    "550-5.1.1 double-checking the recipient's email address for typos or",
                    "550 5.1.1 unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser - gsmtp"]
    run = _probe(smtp_server(ServerSpec(rcpt_reply="\r\n".join(no_such_user))).port, ca_file)
    (finding,) = [f for f in run.findings if not f.code.startswith(("ok.", "net.ipv6"))]
    assert finding.code == "delivery.recipient_rejected"
    rest = len(" ".join(line[:3] + " " + line[4:] for line in no_such_user[1:]).encode()) + 1  # and the space before
    quoted = f"550 5.1.1 The email account that you tried to reach does not exist. Please try…[+{rest} B]"
    for lang in Lang:
        assert quoted in finding_text(finding, load_catalog(), lang).explanation


def test_a_one_line_reply_is_quoted_whole_without_a_marker(smtp_server, ca_file):
    server = smtp_server(ServerSpec(mail_reply="553 5.7.1 Sender address rejected: not owned by auth user."))
    step = next(s for s in _probe(server.port, ca_file).steps if s.name is StepName.SENDER)
    assert step.reply.text == "553 5.7.1 Sender address rejected: not owned by auth user."


@pytest.mark.parametrize("line", [
    "\n".join(GMAIL_UNAUTHENTICATED),
    # the same requirement in Gmail's other wording, after DATA, as smtplib raises it
    "smtplib.SMTPDataError: (550, b'5.7.26 This mail is unauthenticated, which poses a security risk to the sender "
    "and Gmail users, and has been blocked. The sender must authenticate with at least one of SPF or DKIM.')",
    # on a 5.7.1 (no 5.7.26 to go by), as nodemailer reports it
    "Error: Message failed: 550-5.7.1 This mail has been blocked because the sender is unauthenticated. "
    "550-5.7.1 Gmail requires all senders to authenticate with either SPF or DKIM.",
])
def test_explain_reads_the_words_whatever_the_code(line):
    assert [f.code for f in explained(line).findings][:1] == ["sender.dmarc_rejected"]


def test_a_dmarc_policy_rejection_stays_dmarc():
    line = ("550-5.7.26 Unauthenticated email from ro.ru is not accepted due to domain's DMARC policy. Please contact "
            "the administrator of ro.ru domain if this was a legitimate mail. - gsmtp")
    assert [f.code for f in explained(line).findings][:1] == ["sender.dmarc_rejected"]


def test_a_secret_echoed_in_the_first_line_is_masked_before_the_quote_is_measured(smtp_server, ca_file):
    """The quote is the masked first line, and the marker counts the masked rest: masking first changes the
    line's length, so measuring the unmasked line would cut inside the mask or run into the second line."""
    echo = ["550-5.7.1 sender refused, your password " + DEMO_PASSWORD + " is not accepted here",
            "550 5.7.1 see https://example.com/help"]
    run = _probe(smtp_server(ServerSpec(mail_reply="\r\n".join(echo))).port, ca_file)
    quoted = next(s for s in run.steps if s.name is StepName.SENDER).reply.text
    assert DEMO_PASSWORD not in quoted
    first, marker = quoted.split("…[+")
    assert first.startswith("550 5.7.1 sender refused, your password ") and first.endswith(" is not accepted here")
    assert marker == f"{len(' 550 5.7.1 see https://example.com/help'.encode())} B]"
