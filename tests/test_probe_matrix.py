"""Server faults -> the diagnosis `smtpdoctor check` must give. Every server here is a real aiosmtpd
on 127.0.0.1 (real TLS from a trustme CA, real AUTH); faults are small server subclasses or replies.

The probe is called directly (run_probe) and its typed results are checked: finding codes and
parameters, step details as Phrase ids, server replies as verbatim Evidence; every step detail and
finding is also rendered in English and Russian (see `rendered`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.providers import load_providers
from smtpdoctor.probe.runner import ProbePolicy, ProbeRun, run_probe
from smtpdoctor.render.findings import finding_text
from smtpdoctor.render.i18n import Lang, render_param, tr
from smtpdoctor.report import Evidence, EvidenceKind, Phrase, Severity, StepName, StepStatus
from smtpdoctor.settings.model import clean, load_settings_input

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




CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LEFTOVER = re.compile(r"\{[a-z_][a-z0-9_]*(?:\|[a-z_]+)?\}")


def probe(port: int, ca_file: Path | None = None, preset=None, host: str = "localhost", timeout: float = 2.0,
          **changes) -> ProbeRun:
    """The probe alone, called directly with settings read as `check` reads them."""
    policy_fields = {k: changes.pop(k) for k in ("insecure", "send_to", "allow_plaintext_auth") if k in changes}
    env = {"SMTP_HOST": host, "SMTP_PORT": str(port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD,
           "SMTP_FROM": DEMO_USER, **changes}
    settings = clean(load_settings_input({}, env), preset)
    return run_probe(settings, preset, ProbePolicy(timeout=timeout, ca_file=ca_file, **policy_fields))


def rendered(run: ProbeRun) -> dict[Lang, str]:
    """Every step detail and reply and every finding (title, explanation, fix), in both languages.

    Each text is complete (no template left over); English has no Cyrillic; step details never come
    out as the same text in both languages unless they are only names and numbers."""
    catalog = load_catalog()
    out: dict[Lang, list[str]] = {lang: [] for lang in Lang}
    for lang in Lang:
        for step in run.steps:
            out[lang].append(tr(f"step.{step.name.value}", lang))
            if step.detail is not None:
                assert isinstance(step.detail, Phrase), step
                out[lang].append(render_param(step.detail, lang))
            if step.reply is not None:
                assert step.reply.kind is EvidenceKind.SERVER, step
                out[lang].append(step.reply.text)
        for finding in run.findings:
            text = finding_text(finding, catalog, lang)
            out[lang] += [text.title, text.explanation, *text.fix]
    texts = {lang: "\n".join(parts) for lang, parts in out.items()}
    ours = texts[Lang.EN]
    for theirs in sorted(_evidence_texts(run), key=len, reverse=True):  # a server may write anything
        ours = ours.replace(theirs, "")
    for lang, text in texts.items():
        assert not LEFTOVER.search(text), (lang, text)
    assert not CYRILLIC.search(ours), ours
    return texts


def _evidence_texts(run: ProbeRun) -> set[str]:
    found: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, Evidence):
            found.add(value.text)
        elif isinstance(value, Phrase):
            for v in value.params.values():
                walk(v)
        elif isinstance(value, tuple):
            for v in value:
                walk(v)

    for step_ in run.steps:
        walk(step_.detail)
        walk(step_.reply)
    for finding_ in run.findings:
        walk(finding_.evidence)
        for v in finding_.params.values():
            walk(v)
    return found


def codes_of(run: ProbeRun) -> list[str]:
    return [f.code for f in run.findings]


def finding(run: ProbeRun, code: str):
    return next(f for f in run.findings if f.code == code)


def step(run: ProbeRun, name: StepName):
    return [s for s in run.steps if s.name is name][-1]


def server_said(text: str) -> Evidence:
    return Evidence(EvidenceKind.SERVER, text)


@pytest.mark.parametrize("spec,changes,expected", [m[1:] for m in MATRIX], ids=[m[0] for m in MATRIX])
def test_server_fault_gives_its_diagnosis(smtp_server, ca_file, spec, changes, expected):
    server = smtp_server(spec)
    run = probe(server.port, ca_file, **changes)
    codes = codes_of(run)
    assert expected in codes, (codes, run.steps)
    catalog = load_catalog()
    errors = [f for f in run.findings if catalog.severity_of(f) is Severity.ERROR]
    assert bool(errors) == (not expected.startswith("ok.")), codes  # the exit code follows from this
    failed = [s for s in run.steps if s.status is StepStatus.FAIL]
    if not expected.startswith("ok."):
        assert failed and failed[-1].code in codes  # the failing step is named
    texts = rendered(run)
    assert CYRILLIC.search(texts[Lang.RU])


def test_healthy_probe_reports_typed_details(smtp_server, ca_file):
    server = smtp_server(ServerSpec())
    run = probe(server.port, ca_file)
    assert codes_of(run) == ["ok.connected"]
    connect = step(run, StepName.CONNECT)
    assert connect.detail.id == "probe.step.connected"
    assert connect.detail.params == {"address": "127.0.0.1", "port": server.port}
    assert render_param(connect.detail, Lang.RU) == f"127.0.0.1, порт {server.port}"
    assert render_param(connect.detail, Lang.EN) == f"127.0.0.1, port {server.port}"
    greeting = step(run, StepName.GREETING)
    assert greeting.detail is None and greeting.reply.kind is EvidenceKind.SERVER and greeting.reply.text.startswith("220 ")
    tls = step(run, StepName.TLS)
    assert tls.detail.id == "probe.step.tls_version" and tls.detail.params["version"].startswith("TLSv1.")
    auth = step(run, StepName.AUTH)
    assert auth.detail == Phrase("probe.step.auth_ok", {"mechanism": "PLAIN", "user": DEMO_USER})
    assert render_param(auth.detail, Lang.EN) == f"AUTH PLAIN as {DEMO_USER}"
    assert render_param(auth.detail, Lang.RU) == f"AUTH PLAIN, пользователь {DEMO_USER}"
    ok = finding(run, "ok.connected")
    assert ok.params["port"] == server.port and ok.params["login"].id == "probe.ok.login"
    assert ok.params["mode"].id == "probe.mode.starttls_version"
    texts = {lang: finding_text(ok, load_catalog(), lang).explanation for lang in Lang}
    assert f"localhost:{server.port} — STARTTLS (TLSv1." in texts[Lang.EN] and f"AUTH PLAIN as {DEMO_USER}" in texts[Lang.EN]
    assert f"AUTH PLAIN, пользователь {DEMO_USER}" in texts[Lang.RU] and "Соединение, TLS и вход" in texts[Lang.RU]


def test_wrong_tls_mode_names_both_fixes(smtp_server, ca_file):
    starttls_port = smtp_server(ServerSpec())
    run = probe(starttls_port.port, ca_file, SMTP_SECURE="true")
    wrong = finding(run, "tls.wrong_mode")
    assert wrong.variant == "probe" and wrong.params["secure_fix"] is False and wrong.params["port_fix"] == 465
    assert wrong.params["actual"].id == "probe.mode.actual_starttls"
    assert wrong.evidence.kind is EvidenceKind.SERVER and wrong.evidence.text.startswith("220 ")
    assert step(run, StepName.TLS).detail == Phrase("probe.step.speaks_plain", {"port": starttls_port.port})
    en, ru = (finding_text(wrong, load_catalog(), lang) for lang in (Lang.EN, Lang.RU))
    assert "speaks plain SMTP with STARTTLS" in en.explanation and "SMTP_SECURE=false" in en.fix[0]
    assert "в режиме обычного SMTP со STARTTLS" in ru.explanation and "SMTP_SECURE=false" in ru.fix[0]

    implicit = smtp_server(ServerSpec(implicit_tls=True))
    run = probe(implicit.port, ca_file, SMTP_SECURE="false")
    wrong = finding(run, "tls.wrong_mode")
    assert wrong.params["secure_fix"] is True and wrong.params["port_fix"] == 587
    assert step(run, StepName.GREETING).detail == Phrase("probe.step.expects_tls", {"port": implicit.port})
    assert "SMTP_SECURE=true" in finding_text(wrong, load_catalog(), Lang.RU).fix[0]


def test_server_replies_are_verbatim_evidence(smtp_server, ca_file):
    run = probe(smtp_server(ServerSpec(auth_failure=GMAIL_534)).port, ca_file)
    auth = step(run, StepName.AUTH)
    assert auth.status is StepStatus.FAIL and auth.detail is None and auth.reply == server_said(GMAIL_534)
    app = finding(run, "auth.app_password_required")
    assert app.evidence == server_said(GMAIL_534) and app.params["reply"] == server_said(GMAIL_534)
    for lang in Lang:  # quoted as it is, in every language
        assert GMAIL_534 in finding_text(app, load_catalog(), lang).explanation

    run = probe(smtp_server(ServerSpec(smtp_class=BannerSMTP)).port, ca_file)
    greeting = step(run, StepName.GREETING)
    assert greeting.reply == server_said(BannerSMTP.banner)
    assert finding(run, "net.server_unavailable").evidence == server_said(BannerSMTP.banner)

    run = probe(smtp_server(ServerSpec(mail_reply="553 5.7.1 Sender address rejected: not owned by auth user.")).port, ca_file)
    sender = step(run, StepName.SENDER)
    assert sender.detail == Phrase("probe.step.rejected_at", {"command": "MAIL FROM"})
    assert sender.reply == server_said("553 5.7.1 Sender address rejected: not owned by auth user.")
    assert render_param(sender.detail, Lang.RU) == "команда MAIL FROM отклонена"


@pytest.mark.parametrize("server_class,step_id,offer", [
    (NoAuthSMTP, "probe.step.no_auth", Phrase("probe.auth.offer_none", {})),
    (OAuthOnlySMTP, "probe.step.auth_offered", Phrase("probe.auth.offer_only", {"mechanisms": "XOAUTH2 OAUTHBEARER"})),
])
def test_auth_not_offered_says_what_is(smtp_server, ca_file, server_class, step_id, offer):
    run = probe(smtp_server(ServerSpec(smtp_class=server_class)).port, ca_file)
    assert step(run, StepName.AUTH).detail.id == step_id
    found = finding(run, "auth.not_supported")
    assert found.variant == "probe" and found.params["offer"] == offer
    en, ru = (finding_text(found, load_catalog(), lang).explanation for lang in (Lang.EN, Lang.RU))
    if server_class is NoAuthSMTP:
        assert "does not advertise the AUTH extension" in en and "не объявляет расширение AUTH" in ru
    else:
        assert "advertises only AUTH XOAUTH2 OAUTHBEARER" in en and "OAuth2" in ru


@pytest.mark.parametrize("cert,code,problems", [
    ("untrusted", "tls.cert_untrusted", {"probe.tls.cert_self_signed", "probe.tls.cert_unknown_issuer", "probe.tls.cert_untrusted"}),
    ("wrong_name", "tls.cert_hostname_mismatch", {"probe.tls.cert_name_mismatch"}),
    ("expired", "tls.cert_expired", {"probe.tls.cert_expired"}),
])
def test_certificate_failures_are_ours_then_openssl(smtp_server, ca_file, cert, code, problems):
    """Our words for the failure; OpenSSL's reason follows as SYSTEM evidence; the certificate is the evidence."""
    run = probe(smtp_server(ServerSpec(cert=cert)).port, ca_file)
    tls = step(run, StepName.TLS)
    assert tls.detail.id == "probe.step.with_reason" and tls.detail.params["what"].id in problems
    said = tls.detail.params["reason"]
    assert said.id == "probe.tls.library_said" and said.params["reason"].kind is EvidenceKind.SYSTEM
    found = finding(run, code)
    assert found.params["detail"].id in problems and found.params["reason"].kind is EvidenceKind.SYSTEM
    assert found.evidence.kind is EvidenceKind.CERTIFICATE and "issuer: " in found.evidence.text
    en, ru = (render_param(tls.detail, lang) for lang in (Lang.EN, Lang.RU))
    reason = said.params["reason"].text
    assert reason in en and reason in ru and en != ru  # OpenSSL's words in both, ours translated


def test_closed_port_is_refused():
    run = probe(closed_port(), host="127.0.0.1")
    assert codes_of(run) == ["net.refused"]
    assert step(run, StepName.CONNECT).detail == Phrase("probe.error.refused", {})
    assert run.findings[0].evidence.kind is EvidenceKind.SYSTEM
    rendered(run)


def test_invalid_host_name_does_not_resolve():
    """An IDNA-invalid name fails in the resolve step without any DNS traffic."""
    run = probe(587, host="smtp..example")
    found = finding(run, "net.dns_not_found")
    assert found.params["detail"] == Phrase("probe.dns.invalid_name", {}) and found.evidence.kind is EvidenceKind.SYSTEM
    resolve = step(run, StepName.RESOLVE)
    assert resolve.detail.params["what"].id == "probe.dns.invalid_name"
    texts = rendered(run)
    assert "not a valid host name" in texts[Lang.EN] and "некорректное имя хоста" in texts[Lang.RU]


def _loopback_provider(tmp_path, ports: list[int]):
    rows = ", ".join(f'{{ port = {p}, mode = "starttls" }}' for p in ports)
    path = tmp_path / "providers.toml"
    path.write_text(f'[loopback]\nname = "Loopback relay"\nkind = "relay"\nhosts = ["127.0.0.1"]\nports = [{rows}]\n'
                    f'default_port = {ports[0]}\nusername = {{ rule = "dashboard" }}\npassword = {{ kind = "smtp_password" }}\n'
                    'sender_rule = "verified_sender_or_domain"\n')
    return path


def test_blocked_port_with_open_alternative_is_egress_blocked(smtp_server, ca_file, tmp_path):
    server = smtp_server(ServerSpec())
    with BlackholePort() as hole:
        preset = load_providers(_loopback_provider(tmp_path, [hole.port, server.port])).get("loopback")
        run = probe(hole.port, ca_file, preset=preset, host="127.0.0.1")
    egress = finding(run, "net.egress_blocked")
    assert egress.params["working_port"] == server.port and egress.params["working_secure"] is False
    assert step(run, StepName.CONNECT).detail == Phrase("probe.step.port_blocked",
                                                        {"port": hole.port, "working_port": server.port})
    for lang in Lang:
        assert f"SMTP_PORT={server.port}" in finding_text(egress, load_catalog(), lang).fix[0]
        assert "SMTP_SECURE=false" in finding_text(egress, load_catalog(), lang).fix[0]
    rendered(run)  # one timeout, not one per port: measured in bench/timeout_budget.py, not asserted here


def test_blocked_port_without_alternative_is_timeout(tmp_path):
    with BlackholePort() as hole:
        preset = load_providers(_loopback_provider(tmp_path, [hole.port, closed_port()])).get("loopback")
        run = probe(hole.port, preset=preset, host="127.0.0.1")
    found = finding(run, "net.timeout")
    assert step(run, StepName.CONNECT).detail == Phrase("probe.error.connect_no_answer", {})
    en, ru = (finding_text(found, load_catalog(), lang).explanation for lang in (Lang.EN, Lang.RU))
    assert "(2 s)" in en and "(2 с)" in ru


def test_plaintext_auth_needs_explicit_permission(smtp_server, ca_file):
    server = smtp_server(ServerSpec(starttls=False, auth_require_tls=False))
    run = probe(server.port, ca_file)
    auth = step(run, StepName.AUTH)
    assert auth.status is StepStatus.SKIP and auth.detail == Phrase("probe.step.auth_not_sent", {})
    assert "not encrypted" in render_param(auth.detail, Lang.EN) and "не зашифровано" in render_param(auth.detail, Lang.RU)
    assert not any(line.startswith("C: AUTH") for line in run.transcript)
    run = probe(server.port, ca_file, allow_plaintext_auth=True)
    assert step(run, StepName.AUTH).status is StepStatus.OK
    assert "tls.starttls_unsupported" in codes_of(run)


def test_send_to_sends_one_message(smtp_server, ca_file):
    server = smtp_server(ServerSpec())
    run = probe(server.port, ca_file, send_to="someone@example.com")
    sent = finding(run, "ok.sent")
    assert sent.evidence == server_said("250 2.0.0 OK queued as SDTEST123")
    assert step(run, StepName.SEND).detail == Phrase("probe.step.sent", {"recipient": "someone@example.com"})
    en, ru = (finding_text(sent, load_catalog(), lang).explanation for lang in (Lang.EN, Lang.RU))
    assert "for someone@example.com: 250 2.0.0 OK queued as SDTEST123" in en
    assert "для someone@example.com: 250 2.0.0 OK queued as SDTEST123" in ru
    assert len(server.handler.messages) == 1
    message = server.handler.messages[0]
    assert message.rcpt_tos == ["someone@example.com"]
    from email import message_from_bytes, policy

    received = message_from_bytes(message.content, policy=policy.default)  # as a receiver reads it
    assert received["Date"] and received["Message-ID"]
    body = received.get_content()
    assert "This is a test message from smtpdoctor" in body and "Это тестовое письмо от smtpdoctor" in body  # bilingual


def test_no_message_without_send_to(smtp_server, ca_file):
    server = smtp_server(ServerSpec())
    probe(server.port, ca_file)
    assert server.handler.messages == []


def test_certificate_details_are_shown(smtp_server, ca_file):
    server = smtp_server(ServerSpec(cert="wrong_name"))
    found = finding(probe(server.port, ca_file), "tls.cert_hostname_mismatch")
    assert "mail.other-domain.test" in found.evidence.text and "issuer" in found.evidence.text
    for lang in Lang:
        assert "mail.other-domain.test" in finding_text(found, load_catalog(), lang).fix[0]


def test_insecure_is_marked_in_the_tls_step(smtp_server):
    server = smtp_server(ServerSpec(cert="untrusted"))
    run = probe(server.port, insecure=True)
    # The check goes on, and says what verification would have found (a warning, tests/test_first_hour*.py).
    assert codes_of(run) == ["tls.cert_untrusted", "ok.connected"]
    tls = step(run, StepName.TLS)
    assert tls.detail.id == "probe.step.tls_unverified"
    assert "verification OFF" in render_param(tls.detail, Lang.EN)
    assert "проверка сертификата ВЫКЛЮЧЕНА" in render_param(tls.detail, Lang.RU)


def test_insecure_is_marked(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec(cert="untrusted"))
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD,
           "SMTP_FROM": DEMO_USER}
    result = run_cli(["check", "--insecure", "--timeout", "2"], env=env)
    assert result.code == 0 and "verification is OFF" in result.out
    doc = json.loads(run_cli(["check", "--insecure", "--format", "json", "--timeout", "2"], env=env).out)
    assert doc["insecure"] is True


def test_ssl_cert_file_is_honoured(smtp_server, ca_file, monkeypatch):
    server = smtp_server(ServerSpec())
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    assert codes_of(probe(server.port)) == ["ok.connected"]


def test_russian_finding_text(smtp_server, ca_file):
    run = probe(smtp_server(ServerSpec(auth_failure=GMAIL_534)).port, ca_file)
    found = finding(run, "auth.app_password_required")
    assert finding_text(found, load_catalog(), Lang.RU).title == "Провайдер требует пароль приложения"
    assert "Провайдер требует пароль приложения" in rendered(run)[Lang.RU]
