"""A server that echoes the credentials it was sent (in the 535 reply, the AUTH LOGIN continuation, a 2xx
reply, the MAIL reply): no form of the password reaches any output, with or without --transcript."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from smtpdoctor.redact import Redactor, secret_forms
from smtpdoctor.testing.hostile import HostileServer, echoing_server

SECRET = "Qx9/leak+probe=Staple@77"
USER = "karto@example.com"
FORMS = {
    "plain": SECRET,
    "base64": base64.b64encode(SECRET.encode()).decode(),
    "auth-plain": base64.b64encode(f"\0{USER}\0{SECRET}".encode()).decode(),
    "user-nul-password": base64.b64encode(f"{USER}\0{SECRET}".encode()).decode(),
    "percent": quote(SECRET, safe=""),
}


@pytest.mark.parametrize("where", ["535", "login", "2xx", "mail"])
@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit"])
@pytest.mark.parametrize("transcript", [True, False])
def test_echoed_credentials_never_printed(run_cli, tmp_path, where, fmt, transcript):
    env = {"SMTP_USER": USER, "SMTP_PASS": SECRET, "SMTP_FROM": USER, "SMTP_HOST": "127.0.0.1",
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    report = tmp_path / "report"
    with HostileServer(echoing_server(where)) as server:
        args = ["check", "--allow-plaintext-auth", "--no-dns", "--timeout", "2", "--format", fmt]
        result = run_cli(args + (["--transcript"] if transcript else []), env={**env, "SMTP_PORT": str(server.port)})
        written = run_cli(args + ["-o", str(report)], env={**env, "SMTP_PORT": str(server.port)})
    everything = result.all + written.all + report.read_text() + ((tmp_path / "summary.md").read_text()
                                                                  if (tmp_path / "summary.md").exists() else "")
    assert "Traceback" not in everything and "internal error" not in everything
    for name, form in FORMS.items():
        assert form not in everything, (where, fmt, name)
    assert "********" in everything or not transcript or fmt in ("github", "junit")  # those carry no transcript


def test_add_mask_covers_every_encoded_form_inside_actions(run_cli):
    env = {"SMTP_HOST": "h.example", "SMTP_USER": USER, "SMTP_PASS": SECRET, "GITHUB_ACTIONS": "true"}
    out = run_cli(["check", "--offline", "--format", "github"], env=env).out
    masks = {line.removeprefix("::add-mask::") for line in out.splitlines() if line.startswith("::add-mask::")}
    for name, form in FORMS.items():
        escaped = form.replace("%", "%25")
        assert escaped in masks, name
    assert not any(form in line for line in out.splitlines() if not line.startswith("::add-mask::")
                   for form in FORMS.values())


def test_secret_forms_for_an_oauth2_token():
    token = "ya29.a0AfH6SMBx-token-value"
    forms = secret_forms(token, USER)
    xoauth2 = base64.b64encode(f"user={USER}\x01auth=Bearer {token}\x01\x01".encode()).decode()
    assert xoauth2 in forms and token in forms
    redactor = Redactor(forms)
    # base64 of a longer text that contains the token, at any alignment, is masked too
    for prefix in ("", "a", "ab"):
        blob = base64.b64encode(f"{prefix}x-{token}-y".encode()).decode()
        assert token not in redactor.text(blob) and redactor.text(blob) != blob
