"""OAuth2 logins (XOAUTH2, OAUTHBEARER) against the embedded aiosmtpd server with an OAuth2 handler:
a valid token, an expired one, one without the mail scope, one for another account. The token is a
secret: it, its base64 and the XOAUTH2/OAUTHBEARER initial responses never appear in any output."""

from __future__ import annotations

import base64
import json
import re

import pytest

from smtpdoctor.app import CheckOptions, run_check
from smtpdoctor.knowledge.providers import default_providers_path, load_providers
from smtpdoctor.probe.oauth2 import classify, decode_challenge, initial_response
from smtpdoctor.redact import secret_forms
from smtpdoctor.render.findings import finding_text
from smtpdoctor.render.i18n import Lang
from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.secret import Secret
from smtpdoctor.settings.model import load_settings_input
from smtpdoctor.testing.server import (DEMO_USER, OAUTH2_EXPIRED, OAUTH2_NO_SCOPE, OAUTH2_VALID, OAuth2Handler,
                                       ServerSpec)

PROVIDERS = load_providers(default_providers_path())


def _check(port: int, ca_file, token: str, user: str = DEMO_USER, **spec_extra):
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(port), "SMTP_USER": user, "SMTP_FROM": DEMO_USER}
    options = CheckOptions(timeout=3.0, ca_file=ca_file, check_dns=False, oauth2_token=Secret(token), platform="none")
    return run_check(load_settings_input({}, env), env, PROVIDERS, options)


@pytest.fixture
def oauth_server(smtp_server):
    return lambda **extra: smtp_server(ServerSpec(handler_class=OAuth2Handler, extra=extra))


def test_valid_token_logs_in_with_xoauth2(oauth_server, ca_file):
    report = _check(oauth_server().port, ca_file, OAUTH2_VALID)
    auth = next(s for s in report.steps if s.name.value == "auth")
    assert auth.status.value == "ok" and auth.detail.params["mechanism"] == "XOAUTH2"
    assert report.exit_code() == 0
    assert not any(f.code in ("config.missing", "auth.oauth2_token_invalid") for f in report.findings)


def test_oauthbearer_when_xoauth2_is_not_offered(oauth_server, ca_file):
    report = _check(oauth_server(auth_exclude_mechanism=["XOAUTH2"]).port, ca_file, OAUTH2_VALID)
    auth = next(s for s in report.steps if s.name.value == "auth")
    assert auth.status.value == "ok" and auth.detail.params["mechanism"] == "OAUTHBEARER"


@pytest.mark.parametrize("token, user, code", [
    (OAUTH2_EXPIRED, DEMO_USER, "auth.oauth2_token_invalid"),
    (OAUTH2_NO_SCOPE, DEMO_USER, "auth.oauth2_scope"),
    (OAUTH2_VALID, "someone.else@smtpdoctor.test", "auth.oauth2_token_invalid"),
])
def test_refused_tokens_become_findings(oauth_server, ca_file, token, user, code):
    report = _check(oauth_server().port, ca_file, token, user=user)
    found = next(f for f in report.findings if f.code == code)
    assert found.params["mechanism"] == "XOAUTH2" and found.params["user"] == user
    if user == DEMO_USER:  # the decoded JSON challenge is the server's words
        assert json.loads(found.params["detail"].text)["scope"] == "https://mail.google.com/"
    for lang in Lang:
        text = finding_text(found, load_catalog(), lang)
        leftover = re.compile(r"\{[a-z_][a-z0-9_]*(?:\|[a-z_]+)?\}")
        assert not leftover.search(text.explanation) and not any(leftover.search(step) for step in text.fix)


def test_json_challenge_decoding():
    challenge = base64.b64encode(b'{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}').decode()
    decoded, data = decode_challenge(challenge)
    assert data["status"] == "401" and classify(data) == "auth.oauth2_token_invalid"
    assert classify({"status": "400", "scope": "x"}) == "auth.oauth2_scope"
    assert classify(None) == "auth.oauth2_token_invalid"
    assert decode_challenge("not base64!")[1] is None


def test_token_never_printed(oauth_server, ca_file, run_cli):
    server = oauth_server()
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER}
    forbidden = {OAUTH2_EXPIRED, *secret_forms(OAUTH2_EXPIRED, DEMO_USER),
                 initial_response("XOAUTH2", DEMO_USER, OAUTH2_EXPIRED, "localhost", server.port)}
    for args, extra_env, stdin in (
        (["--oauth2-token-stdin"], {}, OAUTH2_EXPIRED + "\n"),
        ([], {"SMTP_OAUTH2_TOKEN": OAUTH2_EXPIRED}, None),
    ):
        for fmt in ("text", "json"):
            result = run_cli(["check", "--ca-file", str(ca_file), "--no-dns", "--timeout", "3", "--transcript",
                              "--format", fmt, "--platform", "none", *args], env={**env, **extra_env}, stdin=stdin)
            assert result.code == 1, result.all
            assert "auth.oauth2_token_invalid" in result.all
            assert "AUTH XOAUTH2 ********" in result.all
            leaked = [form for form in forbidden if form in result.all]
            assert not leaked


def test_password_and_token_on_stdin_is_a_usage_error(run_cli):
    result = run_cli(["check", "--offline", "--password-stdin", "--oauth2-token-stdin"], stdin="x\n")
    assert result.code == 2 and "Traceback" not in result.all
