"""Round three's fault scenarios (tests/corpus/round3.jsonl): what the reply SAYS, whatever its number.

The same fields as scenarios.py. Every reply text is a server's documented or source-defined wording (the note
says where it comes from); addresses, ids and hosts are the loopback test's own. Labels follow the meaning the
standards give (RFC 5321 reply classes, RFC 3463 status subjects) and the wording's own documentation:
  - a DNS blocklist listing the sending IP is a spam/reputation refusal (delivery.spam_rejected), whatever its
    code: 554 at connect or RCPT, 550, 5.7.1 or none;
  - a spam verdict is one on 554 5.7.0 (amavis), 554 without an enhanced code, or after DATA alike;
  - a refusal that names an unknown mailbox is a recipient refusal, also when it comes after DATA;
  - a 4xx reply is temporary: "try again later" wordings of rate and volume are rate limits.
Run as scenarios.py is run, with CAPTURE_SCENARIOS=scenarios3 (README: "Round three").
"""

S = []


def sc(name, mode, server, expected, provider=None, note=""):
    S.append(dict(name=name, mode=mode, server=server, expected=expected, provider=provider, note=note))


SPAM = ["delivery.spam_rejected"]

# --- DNS blocklists: the sending IP is listed ------------------------------------------------------
sc("rbl-postfix-zen-rcpt", "starttls",
   {"replies": {"RCPT": "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org; "
                        "https://www.spamhaus.org/query/ip/127.0.0.1"}}, SPAM,
   note="Postfix reject_rbl_client: default_rbl_reply 'Service unavailable; $rbl_class [$rbl_what] blocked using "
        "$rbl_domain${rbl_reason?; $rbl_reason}' (postconf(5)), with Spamhaus's lookup URL as the TXT reason")
sc("rbl-postfix-barracuda-mail", "starttls",
   {"replies": {"MAIL": "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using b.barracudacentral.org; "
                        "http://www.barracudanetworks.com/reputation/?pr=1&ip=127.0.0.1"}}, SPAM,
   note="Postfix default_rbl_reply with the Barracuda Reputation Block List and its lookup URL")
sc("rbl-spamcop-rcpt", "starttls",
   {"replies": {"RCPT": "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using bl.spamcop.net; "
                        "Blocked - see https://www.spamcop.net/bl.shtml?127.0.0.1"}}, SPAM,
   note="Postfix default_rbl_reply with SpamCop's TXT answer ('Blocked - see https://www.spamcop.net/bl.shtml?IP')")
sc("rbl-exim-blacklist", "starttls",
   {"replies": {"RCPT": "550-rejected because 127.0.0.1 is in a black list at zen.spamhaus.org\n"
                        "550 https://www.spamhaus.org/query/ip/127.0.0.1"}}, SPAM,
   note="Exim spec, 'ACL conditions: dnslists': the documented deny message 'rejected because $sender_host_address "
        "is in a black list at $dnslist_domain\\n$dnslist_text'")
sc("rbl-greeting-554-spamcop", "starttls",
   {"greeting": "554 5.7.1 mail.example.test Client host [127.0.0.1] blocked using bl.spamcop.net; "
                "Blocked - see https://www.spamcop.net/bl.shtml?127.0.0.1", "close_after_greeting": True},
   ["delivery.spam_rejected", "net.server_unavailable"],
   note="a 554 greeting (RFC 5321 §3.1: no service) whose text names the blocklist: the refusal is the listing")
sc("rbl-ms-banned-ip", "starttls",
   {"replies": {"RCPT": "550 5.7.606 Access denied, banned sending IP [127.0.0.1]. To request removal from this "
                        "list please visit https://sender.office.com/ and follow the directions. For more information "
                        "please go to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430)"}}, SPAM, "outlook",
   note="Microsoft 365 5.7.606-649: the sending IP is on Microsoft's blocked list; delist at sender.office.com "
        "(learn.microsoft.com, fix-error-code-5-7-606-649-in-exchange-online)")
sc("rbl-ms-708", "starttls",
   {"replies": {"RCPT": "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP."}}, SPAM,
   "outlook", note="Microsoft 365 5.7.708: traffic from the IP not accepted (a low-reputation IP)")

# --- spam verdicts on any code ----------------------------------------------------------------------
sc("amavis-554-reject", "starttls", {"replies": {"DATAEND": "554 5.7.0 Reject, id=04213-08 - spam"}}, SPAM,
   note="amavisd-new with $final_spam_destiny = D_REJECT: '554 5.7.0 Reject, id=AM_ID - spam' after the final dot")
sc("rspamd-554", "starttls", {"replies": {"DATAEND": "554 5.7.1 Spam message rejected"}}, SPAM,
   note="Rspamd's milter/proxy reject action: the documented default reply 'Spam message rejected'")
sc("yandex-spam", "starttls",
   {"replies": {"DATAEND": "554 5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc "
                           "1710250723-aBcDeF12gH"}}, SPAM, "yandex",
   note="Yandex Mail's reply, documented in Yandex Help 'Message rejected under suspicion of SPAM'")
sc("mailru-spam", "starttls",
   {"replies": {"DATAEND": "550 spam message rejected. Please visit https://help.mail.ru/notspam-support/id?c=AbC123 "
                           "or report details to abuse@corp.mail.ru. Error code: 1A2B3C4D. ID: 5E6F7A8B."}}, SPAM,
   "mailru", note="Mail.ru's 'spam message rejected' with its notspam-support link (help.mail.ru postmaster)")
sc("yahoo-policy", "starttls",
   {"replies": {"DATAEND": "554 5.7.9 Message not accepted for policy reasons.  See "
                           "https://postmaster.yahooinc.com/error-codes"}}, SPAM, "yahoo",
   note="Yahoo postmaster error codes: 554 5.7.9 message not accepted for policy reasons")
sc("spam-554-bare", "starttls", {"replies": {"DATAEND": "554 Message refused: it looks like spam"}}, SPAM,
   note="a 554 transaction failure (RFC 5321 §4.2.2) whose words give the reason: spam")

# --- quota and rate ---------------------------------------------------------------------------------
sc("ms-submission-quota", "starttls",
   {"replies": {"DATAEND": "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to "
                           "process message due to a permanent exception with message Cannot submit message. "
                           "[Hostname=AM9PR02MB7201.eurprd02.prod.outlook.com]"}},
   ["delivery.quota_exceeded"], "outlook",
   note="Exchange Online: the mailbox's sending limit (recipient rate / daily) is exceeded")
sc("postfix-message-rate", "starttls", {"replies": {"MAIL": "450 4.7.1 Error: too much mail from 127.0.0.1"}},
   ["delivery.rate_limited"], note="Postfix smtpd_client_message_rate_limit (anvil): 'too much mail from ADDR'")
sc("exim-ratelimit", "starttls",
   {"replies": {"MAIL": "451 Sender rate exceeds 100 messages per 1h"}}, ["delivery.rate_limited"],
   note="Exim spec 'The ratelimit ACL condition' example message, as a defer (451)")
sc("yahoo-tss04", "starttls",
   {"replies": {"MAIL": "421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to unexpected volume "
                        "or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"}},
   ["delivery.rate_limited", "delivery.spam_rejected"], "yahoo",
   note="Yahoo's TSS04 deferral: volume or complaints, temporary (4xx)")
sc("gmail-4.7.28", "starttls",
   {"replies": {"DATAEND": "421-4.7.28 [127.0.0.1      15] Our system has detected an unusual rate of\n"
                           "421-4.7.28 unsolicited mail originating from your IP address. To protect our\n"
                           "421-4.7.28 users from spam, mail sent from your IP address has been temporarily\n"
                           "421 4.7.28 rate limited. 98e67ed59e1d1-2f7c4b1e0a3si61523a91.3 - gsmtp"}},
   ["delivery.rate_limited", "delivery.spam_rejected"], "gmail",
   note="Gmail's 421-4.7.28 rate limit for unsolicited mail from the IP (Gmail SMTP errors reference)")
sc("temp-storage-452", "starttls", {"replies": {"MAIL": "452 4.3.1 Insufficient system storage"}},
   ["net.server_unavailable", "smtp.reply_error"],
   note="RFC 5321 452 / RFC 3463 4.3.1 'mail system full': the server's own temporary problem")
sc("exim-temp-local", "starttls", {"replies": {"DATAEND": "451 Temporary local problem - please try later"}},
   ["net.server_unavailable", "smtp.reply_error"], note="Exim's reply for a temporary local failure after DATA")

# --- login needed, relay, sending as ----------------------------------------------------------------
sc("postfix-relay-denied", "starttls-noauth",
   {"replies": {"RCPT": "554 5.7.1 <user@example.test>: Relay access denied"}},
   ["config.missing", "delivery.recipient_rejected"],
   note="Postfix reject_unauth_destination: the client did not log in, so the server relays nothing")
sc("postfix-not-logged-in", "starttls-noauth",
   {"replies": {"MAIL": "553 5.7.1 <app@example.test>: Sender address rejected: not logged in"}},
   ["config.missing"], note="Postfix reject_sender_login_mismatch for a client that did not log in")
sc("exim-relay-not-permitted", "starttls-noauth", {"replies": {"RCPT": "550 relay not permitted"}},
   ["config.missing", "delivery.recipient_rejected"], note="Exim's default configuration: 'relay not permitted'")
sc("zoho-relaying-disallowed", "starttls",
   {"replies": {"MAIL": "553 Relaying disallowed as app@example.test"}}, ["sender.not_owned"],
   note="Zoho Mail SMTP error: the From address is not one of the account's (Zoho Mail help, SMTP errors)")

# --- recipients -------------------------------------------------------------------------------------
sc("exim-unrouteable", "starttls", {"replies": {"RCPT": "550 Unrouteable address"}}, ["delivery.recipient_rejected"],
   note="Exim: no router accepted the recipient address")
sc("cpanel-no-such-user", "starttls", {"replies": {"RCPT": "550 No Such User Here"}}, ["delivery.recipient_rejected"],
   note="cPanel's Exim: the local mailbox does not exist")
sc("ms-recipient-not-found", "starttls",
   {"replies": {"RCPT": "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient user@example.test not found by SMTP "
                        "address lookup"}}, ["delivery.recipient_rejected"], "outlook",
   note="Exchange Online 5.1.10: the recipient does not exist (learn.microsoft.com NDR 5.1.10)")
sc("rfc-mailbox-unavailable-data", "starttls",
   {"replies": {"DATAEND": "550 5.1.1 Requested action not taken: mailbox unavailable"}},
   ["delivery.recipient_rejected"], note="RFC 5321 550 wording with RFC 3463 5.1.1 (bad destination mailbox), after DATA")
sc("no-valid-recipients", "starttls",
   {"replies": {"RCPT": "550 5.1.1 <user@example.test>: Recipient address rejected: User unknown in local recipient table",
                "DATA": "554 5.5.1 Error: no valid recipients"}}, ["delivery.recipient_rejected"],
   note="Postfix: the only recipient is unknown; DATA then answers 'no valid recipients'")

# --- TLS first, and Exim's own wordings ---------------------------------------------------------------
sc("auth-after-tls-only", "plain", {"starttls": True, "auth_after_tls": True}, ["auth.requires_tls"],
   note="EHLO on the plain session lists STARTTLS and no AUTH (AUTH comes after TLS): the client must start TLS first")
sc("exim-auth-not-advertised", "plain",
   {"starttls": True, "auth_after_tls": True, "replies": {"AUTH": "503 AUTH command used when not advertised"}},
   ["auth.requires_tls", "auth.not_supported"],
   note="Exim advertises AUTH only over TLS (its default auth_advertise_hosts); a client that tries AUTH anyway gets 503")
sc("exim-sender-verify", "starttls",
   {"replies": {"RCPT": "550-Verification failed for <app@example.test>\n550-Unrouteable address\n"
                        "550 Sender verify failed"}}, ["config.sender_invalid", "sender.unverified"],
   note="Exim's verify = sender: the sender address does not route, so the sender is refused")
sc("nonascii-password", "starttls", {}, ["config.password_format", "auth.bad_credentials"],
   note="the password holds a non-ASCII letter; run with CAPTURE_PASSWORD set to one (smtplib encodes AUTH as ASCII)")

SCENARIOS = {s["name"]: s for s in S}
