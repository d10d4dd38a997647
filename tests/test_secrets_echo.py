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


SHORT_SECRETS = ["abc12", "fal", "x9"]


@pytest.mark.parametrize("short", SHORT_SECRETS)
@pytest.mark.parametrize("where", ["535", "login", "2xx", "mail"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_short_echoed_password_masked_as_a_whole_token(run_cli, where, fmt, short):
    """A password under six characters is still masked where a server echoes it (as a whole token, so
    ordinary words and JSON literals such as `false` stay intact), with and without --transcript."""
    import json
    import re

    env = {"SMTP_USER": USER, "SMTP_PASS": short, "SMTP_FROM": USER, "SMTP_HOST": "127.0.0.1"}
    with HostileServer(echoing_server(where)) as server:
        args = ["check", "--allow-plaintext-auth", "--no-dns", "--timeout", "2", "--format", fmt, "--transcript"]
        result = run_cli(args, env={**env, "SMTP_PORT": str(server.port)})
    assert "Traceback" not in result.all and "internal error" not in result.all
    forms = {short, base64.b64encode(short.encode()).decode(), base64.b64encode(f"\0{USER}\0{short}".encode()).decode()}
    for form in forms:
        assert not re.search(rf"(?<![A-Za-z0-9+/=]){re.escape(form)}(?![A-Za-z0-9+/=])", result.out), (where, fmt, form)
    assert f"\\0{short}" not in result.out and f"\\\\0{short}" not in result.out  # glued to the user by a NUL
    assert "abc12" not in result.out  # a distinctive one: not even inside something else
    assert "********" in result.out
    if fmt == "json":
        json.loads(result.out)  # the document stays valid JSON: literals like `false` are never touched


def test_short_secret_masked_only_as_a_whole_token():
    redactor = Redactor.for_secrets(["fal"], USER)
    evidence_like = "535 wrong password fal for user; false alarm, falx, fal."
    assert redactor.server_text(evidence_like) == "535 wrong password ******** for user; false alarm, falx, ********."
    assert redactor.text('{"ok": false}') == '{"ok": false}'


@pytest.mark.parametrize("how", ["env", "stdin"])
def test_add_mask_covers_an_oauth2_token_inside_actions(run_cli, how):
    token = "ya29.a0AfH6SMBx-token-value"
    env = {"SMTP_HOST": "h.example", "SMTP_USER": USER, "GITHUB_ACTIONS": "true"}
    args = ["check", "--offline", "--format", "github"]
    if how == "env":
        out = run_cli(args, env={**env, "SMTP_OAUTH2_TOKEN": token}).out
    else:
        out = run_cli(args + ["--oauth2-token-stdin"], env=env, stdin=token + "\n").out
    masks = {line.removeprefix("::add-mask::") for line in out.splitlines() if line.startswith("::add-mask::")}
    xoauth2 = base64.b64encode(f"user={USER}\x01auth=Bearer {token}\x01\x01".encode()).decode()
    assert {token, base64.b64encode(token.encode()).decode(), xoauth2} <= masks


def test_add_mask_covers_a_short_password_inside_actions(run_cli):
    env = {"SMTP_HOST": "h.example", "SMTP_USER": USER, "SMTP_PASS": "abc12", "GITHUB_ACTIONS": "true"}
    out = run_cli(["check", "--offline", "--format", "github"], env=env).out
    assert "::add-mask::abc12" in out.splitlines()


def test_a_very_long_password_costs_a_bounded_redactor():
    """A 40 kB password (a pasted key file) gets plain, base64 and AUTH forms, not the base64-of-containing-text
    ones, and no form that long goes into the one regular expression (its compile time grows with it)."""
    import random

    rng = random.Random(7)
    password = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for _ in range(40_000))
    forms = secret_forms(password, USER)
    assert len(forms) <= 14  # no base64 cores (three more copies)
    assert password in forms and base64.b64encode(password.encode()).decode() in forms
    assert base64.b64encode(f"\0{USER}\0{password}".encode()).decode() in forms
    redactor = Redactor.for_secrets([password, password + " "], USER)
    assert sum(len(form) for form in redactor.forms) <= 40 * len(password)
    assert redactor._rx is None or len(redactor._rx.pattern) < 10_000  # work bound: compiled alternation stays small
    assert password not in redactor.text(f"535 no {password} here") and "********" in redactor.text(password)
