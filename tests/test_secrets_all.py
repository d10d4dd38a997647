"""One harness, every command and format: the password — plain, base64 (AUTH LOGIN), AUTH PLAIN's
base64 and percent-encoded — never appears in standard output or standard error."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from smtpdoctor.testing.server import DEMO_USER, ServerSpec

SECRET = "Qx9/leak+probe=Staple@77"  # '/', '+', '=', '@' make its percent form differ from it
FORMS = {
    "plain": SECRET,
    "base64": base64.b64encode(SECRET.encode()).decode(),
    "auth-plain": base64.b64encode(f"\0{DEMO_USER}\0{SECRET}".encode()).decode(),
    "percent": quote(SECRET, safe=""),
}


def assert_no_secret(result, label: str) -> None:
    for name, form in FORMS.items():
        assert form not in result.all, f"{label}: {name} form leaked"
    assert "Traceback" not in result.all, label


@pytest.fixture
def live(smtp_server, ca_file):
    server = smtp_server(ServerSpec(), password=SECRET)
    login_only = smtp_server(ServerSpec(extra={"auth_exclude_mechanism": ["PLAIN"]}), password=SECRET)
    env = {"SMTP_HOST": "localhost", "SMTP_USER": DEMO_USER, "SMTP_PASS": SECRET, "SMTP_FROM": DEMO_USER}
    return server, login_only, env, ca_file


def test_every_command_and_format(run_cli, live, tmp_path):
    server, login_only, env, ca = live
    invocations: list[tuple[str, list[str], dict, str | None]] = []
    for port in (server.port, login_only.port):
        for fmt in ("text", "json", "github", "junit"):
            invocations.append((f"check {fmt} :{port}", ["check", "--transcript", "--format", fmt, "--ca-file", str(ca),
                                "--timeout", "2", "--send-to", "x@example.org"], {**env, "SMTP_PORT": str(port)}, None))
    invocations.append(("check github in Actions",
                        ["check", "--offline", "--format", "junit"], {**env, "GITHUB_ACTIONS": "true"}, None))
    invocations.append(("check --password-stdin", ["check", "--password-stdin", "--ca-file", str(ca), "--timeout", "2"],
                        {k: v for k, v in env.items() if k != "SMTP_PASS"} | {"SMTP_PORT": str(server.port)}, SECRET + "\n"))
    url = f"smtps://{quote(DEMO_USER, safe='')}:{quote(SECRET, safe='')}@localhost:1"
    invocations.append(("check SMTP_URL", ["check", "--offline", "--format", "json"], {"SMTP_URL": url}, None))
    invocations.append(("check MAILER_DSN", ["check", "--offline"], {"MAILER_DSN": url + "?verify_peer=0"}, None))
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"SMTP_HOST=smtp.gmail.com\nSMTP_USER=a@gmail.com\nSMTP_PASS='{SECRET} '\n")
    invocations.append(("check --env-file", ["check", "--offline", "--env-file", str(dotenv)], {}, None))
    invocations.append(("lint", ["lint", str(dotenv)], {}, None))
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"id": "a", "host": "localhost", "port": server.port, "user": DEMO_USER, "password": SECRET})
                    + "\n" + json.dumps({"id": "b", "host": "localhost", "port": server.port, "user": DEMO_USER,
                                         "password": "env:SMTP_TENANT"}) + "\n")
    for fmt in ("text", "json"):
        invocations.append((f"batch {fmt}", ["batch", str(rows), "--ca-file", str(ca), "--timeout", "2", "--format", fmt],
                            {"SMTP_TENANT": SECRET}, None))
    log = tmp_path / "app.log"
    log.write_text("\n".join([
        # first in its group, so it is the example shown: a secret nested in a JSON log line
        f'{{"level":"error","msg":"Error sending confirmation email","error":"535-5.7.8 Username and Password not accepted. BadCredentials - gsmtp","config":{{"password":"{SECRET}"}}}}',
        f"DEBUG [smtp] C: AUTH PLAIN {FORMS['auth-plain']}",
        "DEBUG [smtp] S: 334 UGFzc3dvcmQ6",
        f"DEBUG [smtp] C: {FORMS['base64']}",
        f"ERROR Error: Invalid login: 535 Authentication failed: Bad username / password SMTP_PASS={SECRET}",
        f"ERROR connecting to smtp://{quote(DEMO_USER, safe='')}:{FORMS['percent']}@smtp.gmail.com:587: Connection timeout",
    ]) + "\n")
    for fmt in ("text", "json"):
        invocations.append((f"explain {fmt}", ["explain", "--format", fmt, str(log)], {}, None))
    invocations.append(("providers", ["providers", "gmail"], env, None))
    for label, args, extra, stdin in invocations:
        assert_no_secret(run_cli(args, env=extra, stdin=stdin), label)
