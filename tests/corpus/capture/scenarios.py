"""Fault scenarios for the capture run: what each loopback server does, and the label for what a client prints.

Each scenario has:
  mode      how a correctly configured client should connect: "starttls" (plain, then STARTTLS),
            "ssl" (implicit TLS from the first byte) or "plain" (no TLS at all).
  server    what the server on that port really does (see faultserver.py).
  expected  finding codes (docs/codes.md) acceptable for what a client prints in this scenario.
  provider  provider id when the reply text imitates that provider's real reply, else None.
  note      why that label.
Reply texts marked with a provider come from /work/shared/reference/providers-facts.md or from
public logs quoting them (the id strings like "d2e1a72fcca58-..." are made up but of the real shape).
"""

GMAIL_534 = ("534-5.7.9 Application-specific password required. For more information, go to\n"
             "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor d2e1a72fcca58-7b1f3c2a6e2sm4817102b3a.41 - gsmtp")
GMAIL_535 = ("535-5.7.8 Username and Password not accepted. For more information, go to\n"
             "535 5.7.8  https://support.google.com/mail/?p=BadCredentials 5b1f17b1804b1-43d0a2f1c9esm8123406f8f.17 - gsmtp")
GMAIL_530 = ("530-5.7.0 Must issue a STARTTLS command first. For more information, go to\n"
             "530-5.7.0  https://support.google.com/a/answer/3221692 and review RFC 3207\n"
             "530 5.7.0 specifications. 98e67ed59e1d1-2f7c4b1e0a3sm6152301a91.3 - gsmtp")
GMAIL_QUOTA = ("550-5.4.5 Daily user sending limit exceeded. For more information on Gmail\n"
               "550-5.4.5 sending limits go to\n"
               "550 5.4.5  https://support.google.com/a/answer/166852 4fb4d7f45d1cf-5e08a1b7c2dsm2210311a12.8 - gsmtp")
MS_TENANT = ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
             "Visit https://aka.ms/smtp_auth_disabled for more information. "
             "[AM0PR02CA0123.eurprd02.prod.outlook.com 2025-03-11T09:14:22.512Z 08DD5F2E1A9C3B47]")
MS_BASIC = ("535 5.7.139 Authentication unsuccessful, basic authentication is disabled. "
            "[PA7P264CA0301.FRAP264.PROD.OUTLOOK.COM 2025-03-11T09:15:02.101Z 08DD60A1B2C3D4E5]")
MS_SECDEFAULTS = ("535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. "
                  "Contact your administrator. [BN9PR03CA0567.namprd03.prod.outlook.com 2025-03-11T09:16:40.020Z 08DD5E77C1D2E3F4]")
MS_573 = ("535 5.7.3 Authentication unsuccessful "
          "[LO4P123CA0456.GBRP123.PROD.OUTLOOK.COM 2025-03-11T09:17:11.733Z 08DD5F0B9A8C7D6E]")
MS_5730 = "550 5.7.30 Basic authentication is not supported for Client Submission."
MS_5757 = ("530 5.7.57 Client not authenticated to send mail. Error: 535 5.7.139 Authentication unsuccessful, "
           "SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
           "[DU2PR04CA0188.eurprd04.prod.outlook.com 2025-03-11T09:18:45.870Z 08DD5F1C2D3E4F50]")
MS_SENDAS = ("554 5.2.252 SendAsDenied; demo@contoso.test not allowed to send as other@contoso.test; "
             "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; "
             "Failed to process message due to a permanent exception with message [BeginDiagnosticData]"
             "Cannot submit message. 0.35250:0A00C184, 1.36674:0A000000, 1.61250:00000000 [EndDiagnosticData] "
             "[Hostname=AM9PR02MB7201.eurprd02.prod.outlook.com]")
MS_5760 = ("550 5.7.60 SMTP; Client does not have permissions to send as this sender "
           "[AM0PR02MB5713.eurprd02.prod.outlook.com 2025-03-11T09:20:03.004Z 08DD5F2F3A4B5C6D]")

S = []


def sc(name, mode, server, expected, provider=None, note=""):
    S.append(dict(name=name, mode=mode, server=server, expected=expected, provider=provider, note=note))


# --- reaching the server ---------------------------------------------------------------------------
sc("refused", "starttls", {"kind": "refused"}, ["net.refused"],
   note="nothing listens on the port: the kernel answers RST to the SYN")
sc("connect-timeout", "starttls", {"kind": "backlog_full"}, ["net.timeout"],
   note="listener with a full accept queue: the SYN is dropped, so the TCP connect itself times out")
sc("silent", "starttls", {"kind": "silent"}, ["net.greeting_timeout", "net.timeout"],
   note="TCP connects but no 220 greeting ever comes; the client's short timeout fires")
sc("close-on-accept", "starttls", {"kind": "close"}, ["net.reset"],
   note="server accepts and closes at once (FIN) before any greeting")
sc("rst-on-accept", "starttls", {"kind": "rst"}, ["net.reset", "net.refused"],
   note="server accepts and resets (RST, SO_LINGER 0) before any greeting; some clients report that as a refused connect")
sc("greeting-421", "starttls", {"greeting": "421 4.3.2 mail.example.test Service not available, closing transmission channel", "close_after_greeting": True},
   ["net.server_unavailable"], note="421 greeting: the server refuses service")
sc("greeting-554", "starttls", {"greeting": "554 5.7.1 mail.example.test ESMTP not accepting connections from 127.0.0.1: blocked using zen.spamhaus.org"},
   # a refused session, and its words name the blocklist (issue 20: read as the listing, whatever the code)
   ["net.server_unavailable", "delivery.spam_rejected"], note="554 greeting: this client's IP is refused at connect")
sc("greeting-421-toomany", "starttls", {"greeting": "421 4.7.0 mail.example.test Error: too many connections from 127.0.0.1", "close_after_greeting": True},
   ["net.server_unavailable", "delivery.rate_limited"], note="421 4.7.0 greeting about too many connections: refusal of service that is also a rate limit")
sc("pop3-port", "starttls", {"greeting": "+OK Dovecot (Debian) ready.", "raw_greeting": True},
   ["net.protocol_error", "config.invalid_port"], note="a POP3 server answers: the client was pointed at a mailbox-reading port")
sc("hang-after-ehlo", "starttls", {"hang_at": "MAIL"}, ["net.timeout"],
   note="greeting and EHLO/STARTTLS/AUTH fine, then the server never answers MAIL FROM: a reply timeout")
sc("drop-after-ehlo", "plain", {"drop_at": "MAIL", "starttls": False}, ["net.reset"],
   note="server closes the connection (FIN) when MAIL FROM arrives, mid-session")
sc("rst-at-data", "plain", {"rst_at": "DATA", "starttls": False}, ["net.reset"],
   note="server resets the connection (RST) when DATA arrives, mid-session")

# --- TLS -------------------------------------------------------------------------------------------
sc("wrongmode-ssl-to-plain", "ssl", {"starttls": True}, ["tls.wrong_mode", "config.secure_port_mismatch"],
   note="client speaks implicit TLS to a plain/STARTTLS SMTP port; the server's '220' greeting is not a TLS record")
sc("wrongmode-plain-to-ssl", "starttls", {"tls": "implicit"}, ["tls.wrong_mode", "config.secure_port_mismatch", "net.greeting_timeout", "net.timeout"],
   note="client speaks plain SMTP to an implicit-TLS port: the server waits for a ClientHello, the client for a greeting, until the client times out")
for mode in ("ssl", "starttls"):
    cert_mode = {"tls": "implicit"} if mode == "ssl" else {"starttls": True}
    sc(f"selfsigned-{mode}", mode, dict(cert_mode, cert="selfsigned"), ["tls.cert_untrusted"],
       note="self-signed server certificate, not in the client's trust store")
    sc(f"unknownca-{mode}", mode, dict(cert_mode, cert="unknown_ca"), ["tls.cert_untrusted"],
       note="certificate issued by a CA the client does not trust")
    sc(f"expired-{mode}", mode, dict(cert_mode, cert="expired"), ["tls.cert_expired"],
       note="certificate from the trusted CA but expired 30 days ago")
    sc(f"hostname-{mode}", mode, dict(cert_mode, cert="wrong_name"), ["tls.cert_hostname_mismatch"],
       note="certificate from the trusted CA for mail.other-domain.test, client connects to localhost")
    sc(f"oldtls-{mode}", mode, dict(cert_mode, cert="good", tls_max="TLSv1"), ["tls.handshake_failed"],
       note="server speaks only TLS 1.0; the client's minimum is TLS 1.2, so the handshake fails on protocol version")
sc("starttls-not-offered", "starttls", {"starttls": False}, ["tls.starttls_unsupported"],
   note="EHLO lists no STARTTLS while the client requires it")
sc("starttls-454", "starttls", {"starttls": True, "replies": {"STARTTLS": "454 4.7.0 TLS not available due to local problem"}},
   ["tls.starttls_unsupported", "tls.handshake_failed"], note="STARTTLS advertised but answered 454: TLS cannot start")
sc("starttls-500", "starttls", {"starttls": True, "replies": {"STARTTLS": "500 5.5.1 Command unrecognized: \"STARTTLS\""}},
   ["tls.starttls_unsupported", "tls.handshake_failed"], note="STARTTLS advertised but answered 500 unrecognised")

# --- auth ------------------------------------------------------------------------------------------
sc("auth-not-offered", "starttls", {"auth": None}, ["auth.not_supported"],
   note="EHLO (after TLS) lists no AUTH while the client has credentials to send")
sc("auth-oauth-only", "starttls", {"auth": "XOAUTH2 OAUTHBEARER"}, ["auth.not_supported"],
   note="server offers only OAuth mechanisms, the client has a password")
sc("auth-504", "starttls", {"replies": {"AUTH": "504 5.5.4 Unrecognized authentication type"}}, ["auth.not_supported"],
   note="AUTH mechanism rejected 504 5.5.4")
sc("auth-535", "starttls", {"replies": {"AUTHDATA": "535 5.7.8 Error: authentication failed: authentication failure"}},
   ["auth.bad_credentials"], note="Postfix/Dovecot 535 5.7.8 wrong login")
sc("gmail-534-app-password", "starttls", {"replies": {"AUTHDATA": GMAIL_534}}, ["auth.app_password_required"], "gmail",
   note="Gmail's multi-line 534-5.7.9 InvalidSecondFactor: the account has 2-Step Verification, a normal password was used")
sc("gmail-535-bad-credentials", "starttls", {"replies": {"AUTHDATA": GMAIL_535}}, ["auth.bad_credentials"], "gmail",
   note="Gmail's multi-line 535-5.7.8 BadCredentials")
sc("ms-5.7.139-tenant", "starttls", {"replies": {"AUTHDATA": MS_TENANT}}, ["auth.basic_auth_disabled"], "outlook",
   note="Microsoft 365: SMTP AUTH (SmtpClientAuthentication) disabled for the tenant")
sc("ms-5.7.139-basic", "starttls", {"replies": {"AUTHDATA": MS_BASIC}}, ["auth.basic_auth_disabled"], "outlook",
   note="Outlook.com consumer: basic authentication disabled (app passwords no longer work)")
sc("ms-5.7.139-secdefaults", "starttls", {"replies": {"AUTHDATA": MS_SECDEFAULTS}}, ["auth.basic_auth_disabled"], "outlook",
   note="Microsoft 365: user locked by Security Defaults, which block basic SMTP AUTH")
sc("ms-5.7.3", "starttls", {"replies": {"AUTHDATA": MS_573}}, ["auth.bad_credentials"], "outlook",
   note="Microsoft 535 5.7.3: wrong user/password")
sc("ms-5.7.30", "starttls", {"replies": {"AUTHDATA": MS_5730}}, ["auth.basic_auth_disabled"], "outlook",
   note="Exchange Online's announced reply once basic auth for Client Submission is rejected")
sc("yahoo-too-many", "starttls", {"replies": {"AUTHDATA": "535 5.7.0 (#AUTH005) Too many bad auth attempts."}},
   ["auth.too_many_attempts", "auth.bad_credentials"], "yahoo",
   note="Yahoo's #AUTH005 lock-out text (also seen for a plain wrong password, so bad_credentials is acceptable)")
sc("auth-454-too-many", "starttls", {"replies": {"AUTHDATA": "454 4.7.0 Too many login attempts, please try again later."}},
   ["auth.too_many_attempts"], note="temporary lock-out after failed logins")
sc("auth-disabled-account", "starttls", {"replies": {"AUTHDATA": "535 5.7.8 Error: authentication failed: account disabled"}},
   ["auth.account_disabled", "auth.bad_credentials"], note="535 saying the account is disabled")
sc("brevo-535", "starttls", {"replies": {"AUTHDATA": "535 5.7.0 Invalid login or password"}}, ["auth.bad_credentials"], "brevo",
   note="Brevo's wrong SMTP key reply")
sc("sendgrid-535", "starttls", {"replies": {"AUTHDATA": "535 Authentication failed: Bad username / password"}}, ["auth.bad_credentials"], "sendgrid",
   note="SendGrid's wrong key / username reply")
sc("smtp2go-535", "starttls", {"replies": {"AUTHDATA": "535 Incorrect authentication data"}}, ["auth.bad_credentials"], "smtp2go",
   note="SMTP2GO's wrong SMTP-user reply")
sc("requires-starttls", "plain", {"starttls": True, "require_tls": "530 5.7.0 Must issue a STARTTLS command first"},
   ["auth.requires_tls"], note="client configured without TLS; server demands STARTTLS before AUTH/MAIL")
sc("gmail-530-starttls", "plain", {"starttls": True, "require_tls": GMAIL_530}, ["auth.requires_tls"], "gmail",
   note="Gmail's multi-line 530-5.7.0 Must issue a STARTTLS command first, client configured without TLS")
sc("auth-required-mail", "starttls-noauth", {"replies": {"MAIL": "530 5.7.0 Authentication required"}},
   ["config.missing", "auth.bad_credentials"],
   note="client sends without logging in (no user/password configured); the server wants AUTH at MAIL FROM")
sc("ms-5.7.57", "starttls-noauth", {"replies": {"MAIL": MS_5757}}, ["auth.basic_auth_disabled", "config.missing"], "outlook",
   note="Microsoft 530 5.7.57 Client not authenticated, with the embedded 5.7.139 SmtpClientAuthentication-disabled reason")
sc("smtp2go-relay-denied", "starttls-noauth", {"replies": {"RCPT": "550 Relay access denied - please authenticate"}},
   ["config.missing", "delivery.recipient_rejected", "auth.bad_credentials"], "smtp2go",
   note="SMTP2GO asks to authenticate at RCPT (client did not log in); reads as a relay refusal")

# --- sender ----------------------------------------------------------------------------------------
sc("sender-not-owned", "starttls", {"replies": {"MAIL": "553 5.7.1 <other@example.test>: Sender address rejected: not owned by user demo@example.test"}},
   ["sender.not_owned"], note="Postfix reject_sender_login_mismatch")
sc("yandex-not-owned", "starttls", {"replies": {"MAIL": "553 5.7.1 Sender address rejected: not owned by auth user."}},
   ["sender.not_owned"], "yandex", note="Yandex's reply when From differs from the login (providers-facts)")
sc("sendgrid-unverified", "starttls", {"replies": {"DATAEND": "550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender Identity requirements"}},
   ["sender.unverified"], "sendgrid", note="SendGrid: From is not a verified Sender Identity")
sc("ses-unverified", "starttls", {"replies": {"DATAEND": "554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: other@example.test"}},
   ["sender.unverified", "delivery.sandbox_restricted"], "ses", note="Amazon SES: From identity not verified (in the sandbox recipients must be verified too)")
sc("smtp2go-domain", "starttls", {"replies": {"DATAEND": "550 From header sender domain not verified"}},
   ["sender.domain_not_verified"], "smtp2go", note="SMTP2GO: sender domain not verified")
sc("sparkpost-domain", "starttls", {"replies": {"MAIL": "550 5.7.1 Unconfigured Sending Domain <example.test>"}},
   ["sender.domain_not_verified"], note="SparkPost's unconfigured sending domain (no provider id for SparkPost)")
sc("ms-sendas", "starttls", {"replies": {"DATAEND": MS_SENDAS}}, ["sender.not_owned"], "outlook",
   note="Exchange Online SendAsDenied: the mailbox has no Send As right on the From address")
sc("ms-5.7.60", "starttls", {"replies": {"DATAEND": MS_5760}}, ["sender.not_owned"], "outlook",
   note="Exchange Online 5.7.60: no permission to send as this sender (exact text unconfirmed in providers-facts)")
sc("mailru-dmarc", "starttls", {"replies": {"DATAEND": "550 5.7.1 This message was not accepted due to domain (mail.ru) owner DMARC policy (RFC 7489) https://help.mail.ru/mail-help/postmaster/dmarc"}},
   ["sender.dmarc_rejected"], "mailru", note="Mail.ru DMARC rejection of a mail.ru From sent through another route")

# --- delivery --------------------------------------------------------------------------------------
sc("rcpt-unknown", "starttls", {"replies": {"RCPT": "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in virtual mailbox table"}},
   ["delivery.recipient_rejected"], note="recipient does not exist")
sc("rcpt-mailbox-full", "starttls", {"replies": {"RCPT": "552 5.2.2 <full@example.test>: Recipient address rejected: Mailbox full"}},
   ["delivery.recipient_rejected", "smtp.reply_error"],
   note="the recipient's mailbox is over quota: a recipient-side refusal, not a sending quota")
sc("rcpt-bad-syntax", "starttls", {"replies": {"RCPT": "501 5.1.3 Bad recipient address syntax"}},
   ["config.recipient_invalid", "delivery.recipient_rejected"], note="server refuses the recipient's syntax")
sc("rate-451", "starttls", {"replies": {"MAIL": "451 4.7.0 Rate limit exceeded, please slow down and try again later"}},
   ["delivery.rate_limited"], note="temporary rate limit at MAIL FROM")
sc("rate-421", "starttls", {"replies": {"MAIL": "421 4.7.0 Too many messages from 127.0.0.1, try again later"}, "close_after": "MAIL"},
   ["delivery.rate_limited"], note="421 4.7.0 rate limit at MAIL FROM; server closes")
sc("ses-throttle", "starttls", {"replies": {"MAIL": "454 Throttling failure: Maximum sending rate exceeded."}},
   ["delivery.rate_limited"], "ses", note="Amazon SES per-second rate throttling")
sc("quota-5.4.5", "starttls", {"replies": {"MAIL": "550 5.4.5 Daily sending quota exceeded"}},
   ["delivery.quota_exceeded"], note="daily sending quota exhausted")
sc("gmail-quota", "starttls", {"replies": {"MAIL": GMAIL_QUOTA}}, ["delivery.quota_exceeded"], "gmail",
   note="Gmail daily user sending limit (550 5.4.5, multi-line)")
sc("ses-quota", "starttls", {"replies": {"MAIL": "454 Throttling failure: Daily message quota exceeded."}},
   ["delivery.quota_exceeded"], "ses", note="Amazon SES 24-hour quota exhausted")
sc("mailgun-sandbox", "starttls", {"replies": {"RCPT": "554 Free accounts are for test purposes only. Please upgrade or add the address to authorized recipients in Account Settings."}},
   ["delivery.sandbox_restricted"], "mailgun", note="Mailgun sandbox domain: recipient not authorised")
sc("spam-554", "starttls", {"replies": {"DATAEND": "554 5.7.1 Message rejected as spam by Content Filtering"}},
   ["delivery.spam_rejected"], note="message refused as spam after DATA")
sc("policy-550", "starttls", {"replies": {"DATAEND": "550 5.7.1 Message rejected due to content restrictions"}},
   ["delivery.spam_rejected"], note="message refused by content policy after DATA")

# --- success ---------------------------------------------------------------------------------------
sc("ok-sent", "starttls", {}, ["ok.sent"], note="250 2.0.0 Ok: queued; what the client prints on success")
sc("ok-sent-ssl", "ssl", {"tls": "implicit"}, ["ok.sent"], note="250 queued over implicit TLS")

SCENARIOS = {s["name"]: s for s in S}
