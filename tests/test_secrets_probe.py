"""The password and every encoding of it that AUTH uses never appear in any output, with --transcript on."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from conftest import SECRET
from smtpdoctor.probe.runner import ProbePolicy, run_probe
from smtpdoctor.render.i18n import Lang
from smtpdoctor.settings.model import clean, load_settings_input
from smtpdoctor.testing.server import DEMO_USER, DropOnAuthSMTP, ServerSpec
from test_probe_matrix import _evidence_texts, rendered

FORMS = {
    "plain": SECRET,
    "base64": base64.b64encode(SECRET.encode()).decode(),  # AUTH LOGIN password line
    "auth-plain": base64.b64encode(f"\0{DEMO_USER}\0{SECRET}".encode()).decode(),
    "auth-plain-authzid": base64.b64encode(f"{DEMO_USER}\0{DEMO_USER}\0{SECRET}".encode()).decode(),
    "percent": quote(SECRET, safe=""),
}

SERVERS = {
    "PLAIN accepted": ServerSpec(),
    "LOGIN only": ServerSpec(extra={"auth_exclude_mechanism": ["PLAIN"]}),
    "LOGIN rejected": ServerSpec(extra={"auth_exclude_mechanism": ["PLAIN"]}, auth_failure="535 5.7.8 Authentication credentials invalid"),
    "implicit TLS": ServerSpec(implicit_tls=True),
    "dropped during AUTH": ServerSpec(smtp_class=DropOnAuthSMTP),
    "plaintext allowed": ServerSpec(starttls=False, auth_require_tls=False),
}


@pytest.mark.parametrize("name", SERVERS)
@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_no_secret_in_any_output(run_cli, smtp_server, ca_file, name, fmt, lang):
    spec = SERVERS[name]
    server = smtp_server(spec, password=SECRET)
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER, "SMTP_PASS": SECRET,
           "SMTP_FROM": DEMO_USER, "SMTP_SECURE": "true" if spec.implicit_tls else "false"}
    args = ["check", "--transcript", "--ca-file", str(ca_file), "--format", fmt, "--lang", lang, "--timeout", "2",
            "--send-to", "rcpt@example.com"]
    if name == "plaintext allowed":
        args.append("--allow-plaintext-auth")
    result = run_cli(args, env=env)
    for label, form in FORMS.items():
        assert form not in result.all, label
    assert "C: AUTH" in result.out or name == "dropped during AUTH" or "AUTH" in result.out


def test_smtp_url_password_never_printed(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec(), password=SECRET)
    url = f"smtp://{quote(DEMO_USER, safe='')}:{quote(SECRET, safe='')}@localhost:{server.port}"
    result = run_cli(["check", "--transcript", "--ca-file", str(ca_file), "--format", "json"], env={"SMTP_URL": url})
    assert result.code == 0, result.out
    for form in FORMS.values():
        assert form not in result.all


@pytest.mark.parametrize("name", SERVERS)
def test_no_secret_in_probe_results(smtp_server, ca_file, name):
    """The probe's own results: step details, replies, evidence and every rendered text, in both languages."""
    spec = SERVERS[name]
    server = smtp_server(spec, password=SECRET)
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER, "SMTP_PASS": SECRET,
           "SMTP_FROM": DEMO_USER, "SMTP_SECURE": "true" if spec.implicit_tls else "false"}
    policy = ProbePolicy(timeout=2, ca_file=ca_file, send_to="rcpt@example.com",
                         allow_plaintext_auth=name == "plaintext allowed")
    run = run_probe(clean(load_settings_input({}, env)), None, policy)
    texts = rendered(run)
    everything = "\n".join([texts[Lang.EN], texts[Lang.RU], *run.transcript, *_evidence_texts(run), repr(run)])
    for label, form in FORMS.items():
        assert form not in everything, label
    assert any(line.startswith("C: AUTH") for line in run.transcript) or name == "dropped during AUTH"
