"""Issue 18, "done when": no shown fix is a no-op or contradicts another finding.

Every demo scenario (a real server on loopback, smtpdoctor/demo.py) and every case of the static matrix
(tests/test_static_matrix.py), plus a file of each framework: the edits smtpdoctor shows are applied to the
settings (environment variables set, files edited with prescribe.apply) and the same check runs again. Each edit
must change something, no two edits may set one key to different values, every finding an edit was shown for
must be gone, and nothing serious may appear that was not there before.
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from smtpdoctor.app import CheckOptions, run_check
from smtpdoctor.demo import SCENARIOS, demo_preset
from smtpdoctor.knowledge.providers import ProviderCatalog, default_providers_path, load_providers
from smtpdoctor.report import Report, Severity
from smtpdoctor.settings.frameworks import read_source
from smtpdoctor.settings.model import load_settings_input
from smtpdoctor.testing.server import DEMO_USER, BlackholePort, Pki, SmtpServer, closed_port

from test_static_matrix import CASES as STATIC_CASES

PROVIDERS = load_providers(default_providers_path())
SERIOUS = (Severity.ERROR, Severity.WARNING)


def shown_edits(report: Report) -> list:
    return [e for f in report.findings if f.prescription is not None for e in f.prescription.edits]


def serious(report: Report) -> set[tuple]:
    return {(f.code, f.source.name if f.source else None) for f in report.findings if f.severity in SERIOUS}


def cured(report: Report) -> set[tuple]:
    return {(f.code, f.source.name if f.source else None) for f in report.findings
            if f.prescription is not None and f.prescription.edits}


def assert_consistent(report: Report, current: dict[str, str]) -> dict[str, str | None]:
    """Each edit changes something; no two disagree. Returns key -> the value in clear."""
    chosen: dict[str, str | None] = {}
    for edit in shown_edits(report):
        value = edit.clear_value
        assert current.get(edit.key) != value, f"no-op edit {edit}"
        assert chosen.get(edit.key, value) == value, f"contradicting edits of {edit.key}"
        chosen[edit.key] = value
    return chosen


# What re-spelling a URL could break itself; anything else was in the URL all along, unreadable until now.
STRUCTURAL = {"config.invalid_value", "config.invalid_port", "config.missing", "config.unknown_host", "config.whitespace"}


def assert_cured(before: Report, after: Report, host_changed: bool = False) -> None:
    assert not (cured(before) & serious(after)), (cured(before), serious(after))
    new = serious(after) - serious(before)
    if host_changed:  # a corrected host names another provider, whose own rules may have more to say
        new = {n for n in new if n[1] is not None and "HOST" in n[1]}
    if any(e.key in ("SMTP_URL", "MAILER_DSN") for e in shown_edits(before)):
        new = {n for n in new if n[0] in STRUCTURAL}
    assert not new, new


# -- the static matrix ---------------------------------------------------------------------------------------

def offline(env: dict[str, str]) -> Report:
    return run_check(load_settings_input({}, env), env, PROVIDERS, CheckOptions(offline=True))


@pytest.mark.parametrize("env", [c[1] for c in STATIC_CASES], ids=[c[0] for c in STATIC_CASES])
def test_static_matrix_edits_cure_and_contradict_nothing(env):
    before = offline(env)
    chosen = assert_consistent(before, env)
    if not chosen:
        return
    edited = {k: v for k, v in {**env, **chosen}.items() if v is not None}
    assert_cured(before, offline(edited), host_changed="SMTP_HOST" in chosen)


def test_the_matrix_prescribes_for_its_curable_cases():
    """The matrix is not vacuous: the cases a settings change can cure get an edit."""
    with_edits = [name for name, env, _, _ in STATIC_CASES if shown_edits(offline(env))]
    for name in ("587 with SMTP_SECURE=true", "465 with SMTP_SECURE=false", "host with https://", "typo smtp.gmial.com",
                 "m365 port 465 not offered", "sender differs from gmail login", "resend user must be resend",
                 "port 25", "IMAPS port"):
        assert name in with_edits, name


# -- the demo scenarios, against their real servers ------------------------------------------------------------

@contextmanager
def scenario(name: str):
    """demo.run_scenario's servers, kept up: `run(edits)` checks the scenario's settings with `edits` applied."""
    case = SCENARIOS[name]
    pki = Pki()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="smtpdoctor-matrix-")))
        ca = pki.ca_file(workdir)
        server = stack.enter_context(SmtpServer(case.spec, pki)) if case.spec is not None else None
        providers: ProviderCatalog = PROVIDERS
        if case.port == "closed":
            port = closed_port()
        elif case.port == "blackhole":
            hole = stack.enter_context(BlackholePort())
            port = hole.port
            providers = ProviderCatalog(source="demo", presets={**PROVIDERS.presets, "demo": demo_preset(port, server.port)})
        else:
            port = server.port
        env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(port), "SMTP_USER": DEMO_USER,
               "SMTP_PASS": case.password, "SMTP_FROM": DEMO_USER, **case.env}
        if case.secure is not None:
            env["SMTP_SECURE"] = "true" if case.secure else "false"

        def run(edits: dict[str, str | None] | None = None) -> tuple[Report, dict[str, str]]:
            edited = {k: v for k, v in {**env, **(edits or {})}.items() if v is not None}
            return run_check(load_settings_input({}, edited), edited, providers,
                             CheckOptions(timeout=case.timeout, ca_file=ca)), edited

        yield run


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_demo_scenarios_edits_cure_it_against_its_server(name):
    with scenario(name) as run:
        before, env = run()
        chosen = assert_consistent(before, env)
        if chosen:
            assert_cured(before, run(chosen)[0])


def test_the_demo_prescribes_where_a_setting_is_the_cause():
    for name in ("wrong-mode-secure", "wrong-mode-plain", "egress-blocked", "sender-not-owned"):
        with scenario(name) as run:
            assert shown_edits(run()[0]), name


# -- a file of each framework ----------------------------------------------------------------------------------

FILES = {
    "django": (".env", "EMAIL_HOST=smtp.gmail.com\nEMAIL_PORT=587\nEMAIL_USE_TLS=True\nEMAIL_USE_SSL=True\n"
                       "EMAIL_HOST_USER=me@gmail.com\nEMAIL_HOST_PASSWORD=abcdefghijklmnop\nDEFAULT_FROM_EMAIL=me@gmail.com\n"),
    "django-plain": (".env", "EMAIL_HOST=smtp.gmail.com\nEMAIL_PORT=587\nEMAIL_HOST_USER=me@gmail.com\n"
                             "EMAIL_HOST_PASSWORD=abcdefghijklmnop\nDEFAULT_FROM_EMAIL=me@gmail.com\n"),
    "laravel": (".env", "MAIL_MAILER=smtp\nMAIL_HOST=smtp.gmail.com\nMAIL_PORT=587\nMAIL_SCHEME=smtps\n"
                        "MAIL_USERNAME=me@gmail.com\nMAIL_PASSWORD=abcdefghijklmnop\nMAIL_FROM_ADDRESS=me@gmail.com\n"),
    "symfony": (".env", "MAILER_DSN=smtps://me%40gmail.com:abcdefghijklmnop@smtp.gmail.com:587\nMAILER_FROM=me@gmail.com\n"),
    "symfony-broken": (".env", "MAILER_DSN=smtp://me@gmail.com:ab/cd#ef@gh?ij@smtp.gmail.com:587\n"),
    "spring": ("application.properties",
               "spring.mail.host=smtp.gmail.com\nspring.mail.port=587\nspring.mail.username=me@gmail.com\n"
               "spring.mail.password=abcdefghijklmnop\nspring.mail.properties.mail.smtp.ssl.enable=true\n"
               "spring.mail.properties.mail.smtp.starttls.enable=true\n"),
    "spring-yaml": ("application.yml",
                    "spring:\n  mail:\n    host: smtp.yandex.ru\n    port: 465\n    username: me@yandex.ru\n"
                    "    password: abcdefghijklmnop\n    properties:\n      mail:\n        smtp:\n          from: other@example.com\n"
                    "          starttls:\n            enable: true\n"),
    "supabase": ("config.toml", '[auth.email.smtp]\nenabled = true\nhost = "mail.smtp2go.com"\nport = 25\nuser = "karto"\n'
                                'pass = "s3cretSMTPuser"\nadmin_email = "me@example.com"\n'),
    "nodemailer-url": (".env", "SMTP_URL=smtps://me@gmail.com:ab@cd@smtp.gmail.com:587\n"),
}


def framework_check(path: Path) -> Report:
    config = path.suffix in (".toml", ".properties", ".yml")
    read = read_source(None, {}, {}, None if config else path, [path] if config else [])
    return run_check(read.inp, {}, PROVIDERS, CheckOptions(offline=True), source=read)


@pytest.mark.parametrize("case", sorted(FILES))
def test_framework_files_edited_as_shown_are_cured(case, tmp_path):
    from smtpdoctor.prescribe.apply import plan_edits

    name, text = FILES[case]
    path = tmp_path / name
    path.write_text(text)
    before = framework_check(path)
    edits = shown_edits(before)
    assert edits, [(f.code, f.variant) for f in before.findings]
    assert all(e.file == str(path) for e in edits), edits
    keys = {}
    for edit in edits:
        assert keys.get(edit.key, edit.clear_value) == edit.clear_value, edit
        keys[edit.key] = edit.clear_value
    plan = plan_edits(edits)
    assert not plan.refused, plan.refused
    for file in plan.files:
        assert file.changed
        Path(file.path).write_bytes(file.after)
    assert_cured(before, framework_check(path))
