"""`smtpdoctor demo`: the full check against an embedded server, healthy or with a chosen fault.

The server is real (aiosmtpd on 127.0.0.1, a random free port, a certificate from a CA made for
this run only), so every diagnosis shown here is produced by the same code that checks real providers.
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from smtpdoctor.app import CheckOptions, run_check
from smtpdoctor.report import Report
from smtpdoctor.knowledge.providers import (PasswordRule, PortSpec, ProviderCatalog, ProviderPreset, TlsMode, UsernameRule,
                                           default_providers_path, load_providers)
from smtpdoctor.settings.model import load_settings_input
from smtpdoctor.testing.server import (
    DEMO_PASSWORD,
    DEMO_USER,
    BannerSMTP,
    BlackholePort,
    DropOnAuthSMTP,
    NoAuthSMTP,
    OAuthOnlySMTP,
    OwnedSenderHandler,
    Pki,
    ServerSpec,
    SilentSMTP,
    SmtpServer,
    closed_port,
)

GMAIL_535 = "535 5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials - gsmtp"
GMAIL_534 = "534 5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp"
OUTLOOK_139 = "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [PR3P189CA0011.EURP189.PROD.OUTLOOK.COM]"
SENDGRID_550 = "550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved."
# The From the app is set up with in the sender-not-owned scenario: the login does not own it, and the server's
# refusal names the user that does (the login), as Postfix's reject_sender_login_mismatch does.
NOT_OWNED_FROM = "billing@smtpdoctor.test"


@dataclass(frozen=True)
class Scenario:
    name: str
    spec: ServerSpec | None = None  # None: no server (closed or blackholed port)
    secure: bool | None = None  # what the "app" is configured with
    password: str = DEMO_PASSWORD
    port: str = "server"  # server | closed | blackhole
    timeout: float = 10.0
    env: dict[str, str] = field(default_factory=dict)
    expects: str = "ok.connected"  # the diagnosis this scenario must get: `demo --all` checks it


    @property
    def description(self) -> str:
        """The message id of what this scenario shows (knowledge/phrases/checks.toml)."""
        return f"demo.scenario.{self.name}"


SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("healthy", ServerSpec()),
    Scenario("implicit-tls", ServerSpec(implicit_tls=True), secure=True),
    Scenario("wrong-mode-secure", ServerSpec(), secure=True, expects="tls.wrong_mode"),
    Scenario("wrong-mode-plain", ServerSpec(implicit_tls=True), secure=False, timeout=6.0, expects="tls.wrong_mode"),
    Scenario("bad-password", ServerSpec(auth_failure=GMAIL_535), password="wrong-password",
             expects="auth.bad_credentials"),
    Scenario("app-password-required", ServerSpec(auth_failure=GMAIL_534), expects="auth.app_password_required"),
    Scenario("basic-auth-disabled", ServerSpec(auth_failure=OUTLOOK_139), expects="auth.basic_auth_disabled"),
    Scenario("oauth-only", ServerSpec(smtp_class=OAuthOnlySMTP), expects="auth.not_supported"),
    Scenario("sender-unverified", ServerSpec(mail_reply=SENDGRID_550), expects="sender.unverified"),
    Scenario("sender-not-owned", ServerSpec(handler_class=OwnedSenderHandler), env={"SMTP_FROM": NOT_OWNED_FROM},
             expects="sender.not_owned"),
    Scenario("no-starttls", ServerSpec(starttls=False, auth_require_tls=False), expects="tls.starttls_unsupported"),
    Scenario("self-signed", ServerSpec(cert="untrusted"), expects="tls.cert_untrusted"),
    Scenario("expired-cert", ServerSpec(cert="expired"), expects="tls.cert_expired"),
    Scenario("wrong-hostname", ServerSpec(cert="wrong_name"), expects="tls.cert_hostname_mismatch"),
    Scenario("no-auth", ServerSpec(smtp_class=NoAuthSMTP), expects="auth.not_supported"),
    Scenario("dropped", ServerSpec(smtp_class=DropOnAuthSMTP), expects="net.reset"),
    Scenario("silent", ServerSpec(smtp_class=SilentSMTP), timeout=3.0, expects="net.greeting_timeout"),
    Scenario("service-unavailable", ServerSpec(smtp_class=BannerSMTP), expects="net.server_unavailable"),
    Scenario("closed-port", port="closed", expects="net.refused"),
    Scenario("egress-blocked", ServerSpec(), port="blackhole", timeout=3.0, expects="net.egress_blocked"),
]}


@dataclass(frozen=True)
class TourStop:
    """One scenario of `demo --all`: what it got and whether that is the diagnosis it exists to show."""

    name: str
    expected: str
    report: Report

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.report.findings]

    @property
    def as_expected(self) -> bool:
        """The expected diagnosis leads (or, for a healthy server, is the only thing said)."""
        return bool(self.codes) and self.codes[0] == self.expected


def run_all(on_stop=None) -> list[TourStop]:
    """Every scenario in turn (`demo --all`); `on_stop(stop)` after each, for progress."""
    stops = []
    for name, scenario in SCENARIOS.items():
        stop = TourStop(name, scenario.expects, run_scenario(name))
        stops.append(stop)
        if on_stop is not None:
            on_stop(stop)
    return stops


def demo_preset(configured_port: int, alternate_port: int) -> ProviderPreset:
    """A provider for the demo host, so alternate-port probing has ports to try."""
    return ProviderPreset(
        id="demo", name="smtpdoctor demo", kind="relay", hosts=("localhost",),
        ports=(PortSpec(configured_port, TlsMode.STARTTLS), PortSpec(alternate_port, TlsMode.STARTTLS)),
        default_port=configured_port, username=UsernameRule("dashboard"), password=PasswordRule("smtp_password"),
        sender_rule="verified_sender_or_domain",
    )


def run_scenario(name: str, on_step=None, transcript_dir: Path | None = None) -> Report:
    """One scenario's Report (language-neutral: the caller renders it)."""
    scenario = SCENARIOS[name]
    pki = Pki()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="smtpdoctor-demo-")))
        ca = pki.ca_file(workdir)
        server = stack.enter_context(SmtpServer(scenario.spec, pki)) if scenario.spec is not None else None
        providers = load_providers(default_providers_path())
        if scenario.port == "closed":
            port = closed_port()
        elif scenario.port == "blackhole":
            hole = stack.enter_context(BlackholePort())
            port = hole.port
            providers = ProviderCatalog(source="demo", presets={**providers.presets, "demo": demo_preset(port, server.port)})
        else:
            port = server.port
        env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(port), "SMTP_USER": DEMO_USER,
               "SMTP_PASS": scenario.password, "SMTP_FROM": DEMO_USER, **scenario.env}
        if scenario.secure is not None:
            env["SMTP_SECURE"] = "true" if scenario.secure else "false"
        inp = load_settings_input({}, env)
        options = CheckOptions(timeout=scenario.timeout, ca_file=ca)
        return run_check(inp, env, providers, options, on_step=on_step)
