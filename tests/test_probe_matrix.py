"""Server faults -> the diagnosis `smtpdoctor check` must give. Every server here is a real aiosmtpd
on 127.0.0.1 (real TLS from a trustme CA, real AUTH); faults are small server subclasses or replies."""

from __future__ import annotations

import json
import time

import pytest

from smtpdoctor.testing.server import (
    DEMO_PASSWORD,
    DEMO_USER,
    BannerSMTP,
    BlackholePort,
    DropOnAuthSMTP,
    DropOnStartTlsSMTP,
    GarbageSMTP,
    HangUpSMTP,
    NoAuthSMTP,
    OAuthOnlySMTP,
    ServerSpec,
    SilentSMTP,
    closed_port,
)

GMAIL_534 = "534 5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp"
M365_139 = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information."
OUTLOOK_139 = "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [PR3P189CA0011.EURP189.PROD.OUTLOOK.COM]"

# (id, server spec, app settings to change, expected code)
MATRIX = [
    ("healthy STARTTLS + AUTH", ServerSpec(), {}, "ok.connected"),
    ("healthy implicit TLS", ServerSpec(implicit_tls=True), {"SMTP_SECURE": "true"}, "ok.connected"),
    ("SMTP_SECURE=true on a STARTTLS port", ServerSpec(), {"SMTP_SECURE": "true"}, "tls.wrong_mode"),
    ("SMTP_SECURE=false on an implicit-TLS port", ServerSpec(implicit_tls=True), {"SMTP_SECURE": "false"}, "tls.wrong_mode"),
    ("silent after connect", ServerSpec(smtp_class=SilentSMTP), {}, "net.greeting_timeout"),
    ("421 banner", ServerSpec(smtp_class=BannerSMTP), {}, "net.server_unavailable"),
    ("closed before the greeting", ServerSpec(smtp_class=HangUpSMTP), {}, "net.reset"),
    ("not an SMTP server", ServerSpec(smtp_class=GarbageSMTP), {}, "net.protocol_error"),
    ("no STARTTLS offered", ServerSpec(starttls=False, auth_require_tls=False), {}, "tls.starttls_unsupported"),
    ("certificate from an unknown CA", ServerSpec(cert="untrusted"), {}, "tls.cert_untrusted"),
    ("certificate for another name", ServerSpec(cert="wrong_name"), {}, "tls.cert_hostname_mismatch"),
    ("expired certificate", ServerSpec(cert="expired"), {}, "tls.cert_expired"),
    ("STARTTLS accepted then dropped", ServerSpec(smtp_class=DropOnStartTlsSMTP), {}, "tls.handshake_failed"),
    ("untrusted cert on implicit TLS", ServerSpec(implicit_tls=True, cert="untrusted"), {"SMTP_SECURE": "true"}, "tls.cert_untrusted"),
    ("wrong password (real AUTH check)", ServerSpec(), {"SMTP_PASS": "not-the-password"}, "auth.bad_credentials"),
    ("wrong password via AUTH LOGIN", ServerSpec(extra={"auth_exclude_mechanism": ["PLAIN"]}), {"SMTP_PASS": "nope"}, "auth.bad_credentials"),
    ("Gmail 534-5.7.9", ServerSpec(auth_failure=GMAIL_534), {}, "auth.app_password_required"),
    ("Microsoft 365 SMTP AUTH disabled", ServerSpec(auth_failure=M365_139), {}, "auth.basic_auth_disabled"),
    ("Outlook.com basic auth disabled", ServerSpec(auth_failure=OUTLOOK_139), {}, "auth.basic_auth_disabled"),
    ("AUTH not offered", ServerSpec(smtp_class=NoAuthSMTP), {}, "auth.not_supported"),
    ("only XOAUTH2 offered", ServerSpec(smtp_class=OAuthOnlySMTP), {}, "auth.not_supported"),
    ("530 must STARTTLS first", ServerSpec(auth_failure="530 5.7.0 Must issue a STARTTLS command first."), {}, "auth.requires_tls"),
    ("454 too many login attempts", ServerSpec(auth_failure="454 4.7.0 Too many login attempts, please try again later. - gsmtp"), {}, "auth.too_many_attempts"),
    ("account disabled", ServerSpec(auth_failure="535 5.7.8 Error: authentication failed: account is disabled"), {}, "auth.account_disabled"),
    ("dropped during AUTH", ServerSpec(smtp_class=DropOnAuthSMTP), {}, "net.reset"),
    ("SendGrid unverified sender", ServerSpec(mail_reply="550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved."), {}, "sender.unverified"),
    ("Yandex not owned at MAIL FROM", ServerSpec(mail_reply="553 5.7.1 Sender address rejected: not owned by auth user."), {}, "sender.not_owned"),
    ("Postfix delays the sender rejection to RCPT", ServerSpec(rcpt_reply="553 5.7.1 <demo@smtpdoctor.test>: Sender address rejected: not owned by user x@y.z"), {}, "sender.not_owned"),
    ("SMTP2GO sender domain not verified", ServerSpec(mail_reply="550 From header sender domain not verified (ro.ru)"), {}, "sender.domain_not_verified"),
    ("Mailgun sandbox at RCPT", ServerSpec(rcpt_reply="554 Free accounts are for test purposes only. Please upgrade or add the address to authorized recipients in Account Settings."), {}, "delivery.sandbox_restricted"),
    ("unknown MAIL FROM refusal falls back to sender", ServerSpec(mail_reply="550 5.7.1 Nope"), {}, "sender.unverified"),
]


def check(run_cli, ca_file, env, *extra):
    result = run_cli(["check", "--format", "json", "--ca-file", str(ca_file), "--timeout", "2", *extra], env=env)
    assert "Traceback" not in result.all
    return result, json.loads(result.out)


def app_env(port: int, **changes) -> dict[str, str]:
    return {"SMTP_HOST": "localhost", "SMTP_PORT": str(port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD,
            "SMTP_FROM": DEMO_USER, **changes}


@pytest.mark.parametrize("spec,changes,expected", [m[1:] for m in MATRIX], ids=[m[0] for m in MATRIX])
def test_server_fault_gives_its_diagnosis(run_cli, smtp_server, ca_file, spec, changes, expected):
    server = smtp_server(spec)
    result, doc = check(run_cli, ca_file, app_env(server.port, **changes))
    codes = [f["code"] for f in doc["findings"]]
    assert expected in codes, (codes, doc["steps"])
    assert result.code == (0 if expected.startswith("ok.") else 1)
    failed = [s for s in doc["steps"] if s["status"] == "fail"]
    if not expected.startswith("ok."):
        assert failed and failed[-1]["code"] in codes  # the failing step is named


def test_closed_port_is_refused(run_cli, ca_file):
    _, doc = check(run_cli, ca_file, app_env(closed_port()))
    assert [f["code"] for f in doc["findings"]] == ["net.refused"]


def test_invalid_host_name_does_not_resolve(run_cli, ca_file):
    """An IDNA-invalid name fails in the resolve step without any DNS traffic."""
    _, doc = check(run_cli, ca_file, {**app_env(587), "SMTP_HOST": "smtp..example"})
    assert "net.dns_not_found" in [f["code"] for f in doc["findings"]]


def _loopback_provider(tmp_path, ports: list[int]) -> str:
    rows = ", ".join(f'{{ port = {p}, mode = "starttls" }}' for p in ports)
    path = tmp_path / "providers.toml"
    path.write_text(f'[loopback]\nname = "Loopback relay"\nkind = "relay"\nhosts = ["127.0.0.1"]\nports = [{rows}]\n'
                    f'default_port = {ports[0]}\nusername = {{ rule = "dashboard" }}\npassword = {{ kind = "smtp_password" }}\n'
                    'sender_rule = "verified_sender_or_domain"\n')
    return str(path)


def test_blocked_port_with_open_alternative_is_egress_blocked(run_cli, smtp_server, ca_file, tmp_path):
    server = smtp_server(ServerSpec())
    with BlackholePort() as hole:
        providers = _loopback_provider(tmp_path, [hole.port, server.port])
        started = time.monotonic()
        _, doc = check(run_cli, ca_file, {**app_env(hole.port), "SMTP_HOST": "127.0.0.1"}, "--providers", providers)
        elapsed = time.monotonic() - started
    egress = [f for f in doc["findings"] if f["code"] == "net.egress_blocked"]
    assert egress, doc["findings"]
    assert f"SMTP_PORT={server.port}" in egress[0]["fix"][0]
    assert elapsed < 2 * 2 + 1  # one timeout, not one per port (generous bound: this is not a benchmark)


def test_blocked_port_without_alternative_is_timeout(run_cli, ca_file, tmp_path):
    with BlackholePort() as hole:
        providers = _loopback_provider(tmp_path, [hole.port, closed_port()])
        _, doc = check(run_cli, ca_file, {**app_env(hole.port), "SMTP_HOST": "127.0.0.1"}, "--providers", providers)
    assert "net.timeout" in [f["code"] for f in doc["findings"]]


def test_plaintext_auth_needs_explicit_permission(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec(starttls=False, auth_require_tls=False))
    _, doc = check(run_cli, ca_file, app_env(server.port), "--transcript")
    auth = next(s for s in doc["steps"] if s["name"] == "auth")
    assert auth["status"] == "skip" and "not encrypted" in auth["detail"]
    assert not any(line.startswith("C: AUTH") for line in doc["transcript"])
    _, doc = check(run_cli, ca_file, app_env(server.port), "--allow-plaintext-auth")
    assert next(s for s in doc["steps"] if s["name"] == "auth")["status"] == "ok"


def test_send_to_sends_one_message(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec())
    result, doc = check(run_cli, ca_file, app_env(server.port), "--send-to", "someone@example.com")
    assert result.code == 0
    assert "ok.sent" in [f["code"] for f in doc["findings"]]
    assert len(server.handler.messages) == 1
    assert server.handler.messages[0].rcpt_tos == ["someone@example.com"]


def test_no_message_without_send_to(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec())
    check(run_cli, ca_file, app_env(server.port))
    assert server.handler.messages == []


def test_certificate_details_are_shown(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec(cert="wrong_name"))
    _, doc = check(run_cli, ca_file, app_env(server.port))
    finding = next(f for f in doc["findings"] if f["code"] == "tls.cert_hostname_mismatch")
    assert "mail.other-domain.test" in finding["evidence"] and "issuer" in finding["evidence"]
    assert "mail.other-domain.test" in finding["fix"][0]


def test_insecure_is_marked(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec(cert="untrusted"))
    result = run_cli(["check", "--insecure", "--timeout", "2"], env=app_env(server.port))
    assert result.code == 0 and "verification is OFF" in result.out
    doc = json.loads(run_cli(["check", "--insecure", "--format", "json", "--timeout", "2"], env=app_env(server.port)).out)
    assert doc["insecure"] is True


def test_ssl_cert_file_is_honoured(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec())
    result = run_cli(["check", "--timeout", "2"], env={**app_env(server.port), "SSL_CERT_FILE": str(ca_file)})
    assert result.code == 0, result.out


def test_text_output_in_russian(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec(auth_failure=GMAIL_534))
    result = run_cli(["check", "--ca-file", str(ca_file), "--lang", "ru", "--timeout", "2"], env=app_env(server.port))
    assert "Провайдер требует пароль приложения" in result.out
    assert result.code == 1
