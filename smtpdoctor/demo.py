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
from smtpdoctor.render.i18n import Lang
from smtpdoctor.report import CheckResult
from smtpdoctor.knowledge.providers import PortSpec, ProviderCatalog, ProviderPreset, TlsMode, default_providers_path, load_providers
from smtpdoctor.settings.model import load_settings_input
from smtpdoctor.testing.server import (
    DEMO_PASSWORD,
    DEMO_USER,
    BannerSMTP,
    BlackholePort,
    DropOnAuthSMTP,
    NoAuthSMTP,
    OAuthOnlySMTP,
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
POSTFIX_553 = "553 5.7.1 <demo@smtpdoctor.test>: Sender address rejected: not owned by user other@smtpdoctor.test"


@dataclass(frozen=True)
class Scenario:
    name: str
    en: str
    ru: str
    spec: ServerSpec | None = None  # None: no server (closed or blackholed port)
    secure: bool | None = None  # what the "app" is configured with
    password: str = DEMO_PASSWORD
    port: str = "server"  # server | closed | blackhole
    timeout: float = 10.0
    env: dict[str, str] = field(default_factory=dict)


SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("healthy", "STARTTLS, a trusted certificate and a correct login", "STARTTLS, доверенный сертификат и верный логин",
             ServerSpec()),
    Scenario("implicit-tls", "port with TLS from the first byte, configured correctly", "порт с TLS с первого байта, настроен верно",
             ServerSpec(implicit_tls=True), secure=True),
    Scenario("wrong-mode-secure", "SMTP_SECURE=true on a STARTTLS port (\"wrong version number\")", "SMTP_SECURE=true на порту со STARTTLS («wrong version number»)",
             ServerSpec(), secure=True),
    Scenario("wrong-mode-plain", "SMTP_SECURE=false on an implicit-TLS port (\"Greeting never received\")", "SMTP_SECURE=false на порту с неявным TLS («Greeting never received»)",
             ServerSpec(implicit_tls=True), secure=False, timeout=6.0),
    Scenario("bad-password", "wrong password (Gmail's 535-5.7.8 reply)", "неверный пароль (ответ Gmail 535-5.7.8)",
             ServerSpec(auth_failure=GMAIL_535), password="wrong-password"),
    Scenario("app-password-required", "account password where an app password is needed (534-5.7.9)", "пароль аккаунта вместо пароля приложения (534-5.7.9)",
             ServerSpec(auth_failure=GMAIL_534)),
    Scenario("basic-auth-disabled", "Outlook.com refuses password logins (5.7.139)", "Outlook.com не принимает вход по паролю (5.7.139)",
             ServerSpec(auth_failure=OUTLOOK_139)),
    Scenario("oauth-only", "server offers only XOAUTH2", "сервер предлагает только XOAUTH2",
             ServerSpec(smtp_class=OAuthOnlySMTP)),
    Scenario("sender-unverified", "From address not verified at the relay (SendGrid's 550)", "адрес отправителя не подтверждён в сервисе (550 SendGrid)",
             ServerSpec(mail_reply=SENDGRID_550)),
    Scenario("sender-not-owned", "sender rejected at RCPT, Postfix-style (553 not owned)", "отправитель отклонён на RCPT, как в Postfix (553 not owned)",
             ServerSpec(rcpt_reply=POSTFIX_553)),
    Scenario("no-starttls", "server without STARTTLS: the password would travel in clear", "сервер без STARTTLS: пароль ушёл бы открытым текстом",
             ServerSpec(starttls=False, auth_require_tls=False)),
    Scenario("self-signed", "certificate from an unknown CA", "сертификат от неизвестного УЦ", ServerSpec(cert="untrusted")),
    Scenario("expired-cert", "expired certificate", "просроченный сертификат", ServerSpec(cert="expired")),
    Scenario("wrong-hostname", "certificate for another host name", "сертификат на другое имя хоста", ServerSpec(cert="wrong_name")),
    Scenario("no-auth", "server that offers no AUTH at all", "сервер вообще без AUTH", ServerSpec(smtp_class=NoAuthSMTP)),
    Scenario("dropped", "connection dropped in the middle of the login", "соединение оборвано посреди входа", ServerSpec(smtp_class=DropOnAuthSMTP)),
    Scenario("silent", "connects, then never greets", "соединяется и молчит", ServerSpec(smtp_class=SilentSMTP), timeout=3.0),
    Scenario("service-unavailable", "greets with 421 and hangs up", "приветствует кодом 421 и отключается", ServerSpec(smtp_class=BannerSMTP)),
    Scenario("closed-port", "nothing listens on the port", "на порту никто не слушает", port="closed"),
    Scenario("egress-blocked", "port 587 dropped by a firewall, the provider's 2525 open", "порт 587 режет файрвол, а 2525 провайдера открыт",
             ServerSpec(), port="blackhole", timeout=3.0),
]}


def demo_preset(configured_port: int, alternate_port: int) -> ProviderPreset:
    """A provider for the demo host, so alternate-port probing has ports to try."""
    return ProviderPreset(
        id="demo", name="Demo SMTP (embedded)", kind="relay", hosts=["localhost"],
        ports=[PortSpec(port=configured_port, mode=TlsMode.STARTTLS), PortSpec(port=alternate_port, mode=TlsMode.STARTTLS)],
        default_port=configured_port, username={"rule": "dashboard"}, password={"kind": "smtp_password"},
        sender_rule="verified_sender_or_domain",
    )


def run_scenario(name: str, lang: Lang = Lang.EN, on_step=None, transcript_dir: Path | None = None) -> CheckResult:
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
        return run_check(inp, env, providers, options, lang, on_step=on_step)
