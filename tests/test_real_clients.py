"""The real-client matrix (issue 18): an app's own settings file with one common misconfiguration, a healthy real
server on loopback, and the app's real mail client.

Each case, in order: the real client fails with the broken file; `smtpdoctor check --format json` finds it; its
JSON `edits` applied to the file (prescribe.apply, or `smtpdoctor fix --write`) make the same real client send
(the server received the message); and `smtpdoctor check` then finds no error.

Clients: nodemailer from npm, configured as its documentation shows (`secure: SMTP_SECURE === 'true'`, settings
from a .env read by dotenv; tests/clients, installed with `npm ci --prefix tests/clients`), and Django's SMTP
backend from PyPI (settings from a .env, booleans read as django-environ reads them). Without them installed the
cases skip, saying why. Formats whose client cannot run here (Symfony and Laravel need PHP, Spring a JVM with
Jakarta Mail, Supabase its GoTrue server) are covered the same way with smtpdoctor's own probe standing in for
the client: the edit applied to the file, then the check of that file must pass against the real server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from smtpdoctor.prescribe.apply import plan_edits
from smtpdoctor.prescribe.model import Edit
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, Handler, ServerSpec

CLIENTS = Path(__file__).resolve().parent / "clients"
NODE_MODULES = CLIENTS / "node_modules"
RECIPIENT = "rcpt@example.test"
OWNER = DEMO_USER  # the login; it owns only its own address
NOT_OWNED = "billing@smtpdoctor.test"
HANG = 4.0  # s: a broken client still waiting for a greeting that never comes has failed
CLIENT_TIMEOUT = 60.0  # s: a working client's whole send, however loaded the machine


class OwnedSenderHandler(Handler):
    """A healthy Postfix-style submission server with `reject_sender_login_mismatch`: a logged-in user may send
    only from the address it owns, and a refusal names the owner, as Postfix does."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        login = session.auth_data.login.decode() if getattr(session, "auth_data", None) is not None else None
        if login is not None and (envelope.mail_from or "").lower() != login.lower():
            return f"553 5.7.1 <{envelope.mail_from}>: Sender address rejected: not owned by user {login}"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


STARTTLS = ServerSpec(handler_class=OwnedSenderHandler)  # 587-style: plain, STARTTLS, AUTH only after TLS
IMPLICIT = ServerSpec(implicit_tls=True, handler_class=OwnedSenderHandler)  # 465-style: TLS from the first byte


def _node() -> str:
    if not NODE_MODULES.joinpath("nodemailer").is_dir() or shutil.which("node") is None:
        pytest.skip("nodemailer is not installed: npm ci --prefix tests/clients")
    return shutil.which("node")


def _django() -> None:
    pytest.importorskip("django", reason="Django is not installed: pip install '.[test]'")


@dataclass(frozen=True)
class App:
    """A real client and the settings file it reads."""

    name: str
    file: str  # the settings file's name

    def send(self, env_file: Path, ca_file: Path, timeout: float = CLIENT_TIMEOUT) -> subprocess.CompletedProcess | None:
        """Run the real client; None when it hung (still waiting after `timeout` seconds)."""
        clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(env_file.parent)}
        if self.name == "nodemailer":
            command = [_node(), str(CLIENTS / "nodemailer-send.mjs"), str(env_file), RECIPIENT]
            clean["NODE_EXTRA_CA_CERTS"] = str(ca_file)
        else:
            command = [sys.executable, str(CLIENTS / "django-send.py"), str(env_file), RECIPIENT]
            clean["SSL_CERT_FILE"] = str(ca_file)
        try:
            return subprocess.run(command, env=clean, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None


NODEMAILER = App("nodemailer", ".env")
DJANGO = App("django", ".env")


def nodemailer_env(port: int, secure: str, sender: str = OWNER) -> str:
    return (f"# mail (nodemailer)\nSMTP_HOST=127.0.0.1\nSMTP_PORT={port}\nSMTP_SECURE={secure}\n"
            f"SMTP_USER={DEMO_USER}\nSMTP_PASS={DEMO_PASSWORD}\nSMTP_FROM={sender}\n")


def django_env(port: int, tls: str | None, ssl: str | None, sender: str = OWNER) -> str:
    lines = ["# mail (Django)", "EMAIL_HOST=127.0.0.1", f"EMAIL_PORT={port}"]
    lines += [f"EMAIL_USE_TLS={tls}"] if tls is not None else []
    lines += [f"EMAIL_USE_SSL={ssl}"] if ssl is not None else []
    lines += [f"EMAIL_HOST_USER={DEMO_USER}", f"EMAIL_HOST_PASSWORD={DEMO_PASSWORD}", f"DEFAULT_FROM_EMAIL={sender}"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Case:
    id: str
    app: App
    spec: ServerSpec
    broken: object  # (port) -> the broken file's text
    healthy: object  # (port) -> a hand-written correct file


CASES = [
    Case("nodemailer-secure-true-on-starttls", NODEMAILER, STARTTLS,
         lambda p: nodemailer_env(p, "true"), lambda p: nodemailer_env(p, "false")),
    Case("nodemailer-secure-false-on-implicit-tls", NODEMAILER, IMPLICIT,
         lambda p: nodemailer_env(p, "false"), lambda p: nodemailer_env(p, "true")),
    Case("nodemailer-from-not-owned", NODEMAILER, STARTTLS,
         lambda p: nodemailer_env(p, "false", NOT_OWNED), lambda p: nodemailer_env(p, "false")),
    Case("django-both-tls-and-ssl", DJANGO, STARTTLS,
         lambda p: django_env(p, "True", "True"), lambda p: django_env(p, "True", None)),
    Case("django-no-tls-where-auth-needs-it", DJANGO, STARTTLS,
         lambda p: django_env(p, "False", "False"), lambda p: django_env(p, "True", "False")),
    Case("django-ssl-on-starttls", DJANGO, STARTTLS,
         lambda p: django_env(p, None, "True"), lambda p: django_env(p, "True", None)),
    Case("django-tls-on-implicit-tls", DJANGO, IMPLICIT,
         lambda p: django_env(p, "True", None), lambda p: django_env(p, None, "True")),
    Case("django-from-not-owned", DJANGO, STARTTLS,
         lambda p: django_env(p, "True", None, NOT_OWNED), lambda p: django_env(p, "True", None)),
]


def _ready(case: Case) -> None:
    _node() if case.app is NODEMAILER else _django()


def _check(run_cli, env_file: Path, ca_file: Path, *extra: str) -> tuple[int, dict]:
    result = run_cli(["check", "--env-file", str(env_file), "--ca-file", str(ca_file), "--format", "json",
                      "--timeout", "4", *extra])
    assert result.code in (0, 1), result.all
    return result.code, json.loads(result.out)


def _edits(document: dict) -> list[Edit]:
    return [Edit(e["file"], e["key"], e["value"], e["line"]) for f in document["findings"]
            if f["severity"] in ("error", "warning") for e in f.get("edits", [])]


def _errors(document: dict) -> list[str]:
    return [f["code"] for f in document["findings"] if f["severity"] == "error"]


def _apply(edits: list[Edit]) -> None:
    plan = plan_edits(edits)
    assert not plan.refused, plan.refused
    assert not plan.env, f"edits outside the file: {plan.env}"
    for file in plan.files:
        Path(file.path).write_bytes(file.after)


def _sent(server, before: int) -> bool:
    return len(server.handler.messages) == before + 1


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_broken_settings_really_fail_and_hand_written_ones_really_send(case, smtp_server, ca_file, tmp_path):
    """The harness itself: the misconfiguration makes the real client fail, a correct file makes it send."""
    _ready(case)
    server = smtp_server(case.spec, user=DEMO_USER, password=DEMO_PASSWORD)
    env_file = tmp_path / case.app.file
    env_file.write_text(case.broken(server.port))
    result = case.app.send(env_file, ca_file, timeout=HANG)
    assert result is None or result.returncode != 0, result.stdout
    assert server.handler.messages == []
    env_file.write_text(case.healthy(server.port))
    result = case.app.send(env_file, ca_file)
    assert result is not None and result.returncode == 0, result and result.stderr
    assert _sent(server, 0)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_smtpdoctors_edits_make_the_real_client_send(case, smtp_server, ca_file, tmp_path, run_cli):
    _ready(case)
    server = smtp_server(case.spec, user=DEMO_USER, password=DEMO_PASSWORD)
    env_file = tmp_path / case.app.file
    env_file.write_text(case.broken(server.port))
    code, document = _check(run_cli, env_file, ca_file)
    assert code == 1 and _errors(document), document
    edits = _edits(document)
    assert edits, f"no edit prescribed for {_errors(document)}"
    assert all(e.file == str(env_file) for e in edits), edits
    original = env_file.read_bytes()
    _apply(edits)
    assert env_file.read_bytes() != original
    result = case.app.send(env_file, ca_file)
    assert result is not None and result.returncode == 0, (env_file.read_text(), result and result.stderr)
    assert _sent(server, 0)
    code, document = _check(run_cli, env_file, ca_file)
    assert code == 0 and not _errors(document), document


@pytest.mark.parametrize("case", [CASES[0], CASES[3], CASES[4]], ids=[CASES[0].id, CASES[3].id, CASES[4].id])
def test_fix_write_makes_the_real_client_send(case, smtp_server, ca_file, tmp_path, run_cli):
    """The same through the command a person runs: `smtpdoctor fix` shows the diff, `--write` applies it."""
    _ready(case)
    server = smtp_server(case.spec, user=DEMO_USER, password=DEMO_PASSWORD)
    env_file = tmp_path / case.app.file
    env_file.write_text(case.broken(server.port))
    os.chmod(env_file, 0o600)
    common = ["--env-file", str(env_file), "--ca-file", str(ca_file), "--timeout", "4"]
    shown = run_cli(["fix", *common])
    assert shown.code == 1 and f"--- {env_file}" in shown.out and DEMO_PASSWORD not in shown.all, shown.all
    assert env_file.read_text() == case.broken(server.port)  # without --write nothing is touched
    written = run_cli(["fix", "--write", *common])
    assert written.code == 0, written.all
    assert (os.stat(env_file).st_mode & 0o777) == 0o600
    result = case.app.send(env_file, ca_file)
    assert result is not None and result.returncode == 0, (env_file.read_text(), result and result.stderr)
    assert _sent(server, 0)


# -- formats whose client cannot run here: smtpdoctor's own probe stands in for it --------------------------

@dataclass(frozen=True)
class FileCase:
    id: str
    spec: ServerSpec
    file: str
    broken: object  # (port) -> text
    config: bool = False  # given with --config (TOML, properties, YAML), else --env-file
    via_fix: bool = False  # the edit holds the password (a DSN): its clear form reaches only `fix --write`


def _dsn(scheme: str, port: int) -> str:
    return f"{scheme}://{DEMO_USER.replace('@', '%40')}:{DEMO_PASSWORD}@127.0.0.1:{port}"


FILE_CASES = [
    FileCase("symfony-dsn-smtps-on-starttls", STARTTLS, ".env",
             lambda p: f"APP_ENV=prod\nMAILER_DSN={_dsn('smtps', p)}\nMAILER_FROM={OWNER}\n", via_fix=True),
    FileCase("symfony-dsn-smtp-on-implicit-tls", IMPLICIT, ".env",
             lambda p: f"APP_ENV=prod\nMAILER_DSN={_dsn('smtp', p)}\nMAILER_FROM={OWNER}\n", via_fix=True),
    FileCase("laravel-scheme-smtps-on-starttls", STARTTLS, ".env",
             lambda p: f"MAIL_MAILER=smtp\nMAIL_HOST=127.0.0.1\nMAIL_PORT={p}\nMAIL_SCHEME=smtps\nMAIL_USERNAME={DEMO_USER}\n"
                       f"MAIL_PASSWORD={DEMO_PASSWORD}\nMAIL_FROM_ADDRESS={OWNER}\n"),
    FileCase("spring-properties-ssl-on-starttls", STARTTLS, "application.properties",
             lambda p: f"spring.mail.host=127.0.0.1\nspring.mail.port={p}\nspring.mail.username={DEMO_USER}\n"
                       f"spring.mail.password={DEMO_PASSWORD}\nspring.mail.properties.mail.smtp.auth=true\n"
                       f"spring.mail.properties.mail.smtp.ssl.enable=true\n"
                       f"spring.mail.properties.mail.smtp.starttls.enable=true\n", config=True),
    FileCase("spring-yaml-ssl-on-starttls", STARTTLS, "application.yml",
             lambda p: f"spring:\n  mail:\n    host: 127.0.0.1\n    port: {p}\n    username: {DEMO_USER}\n"
                       f"    password: {DEMO_PASSWORD}\n    properties:\n      mail:\n        smtp:\n          auth: true\n"
                       f"          ssl:\n            enable: true\n          starttls:\n            enable: true\n", config=True),
    FileCase("supabase-toml-admin-email-not-owned", STARTTLS, "config.toml",
             lambda p: f'[auth]\nsite_url = "http://127.0.0.1:3000"\n\n[auth.email.smtp]\nenabled = true\nhost = "127.0.0.1"\n'
                       f'port = {p}\nuser = "{DEMO_USER}"\npass = "{DEMO_PASSWORD}"\nadmin_email = "{NOT_OWNED}"\n'
                       f'sender_name = "Shop"\n', config=True),
]


@pytest.mark.parametrize("case", FILE_CASES, ids=[c.id for c in FILE_CASES])
def test_edits_to_framework_files_pass_the_probe(case, smtp_server, ca_file, tmp_path, run_cli):
    server = smtp_server(case.spec, user=DEMO_USER, password=DEMO_PASSWORD)
    path = tmp_path / case.file
    path.write_text(case.broken(server.port))
    where = ["--config" if case.config else "--env-file", str(path), "--ca-file", str(ca_file), "--timeout", "4"]
    result = run_cli(["check", *where, "--format", "json"])
    document = json.loads(result.out)
    assert result.code == 1 and _errors(document), document
    edits = _edits(document)
    assert edits and all(e.file == str(path) for e in edits), document
    if case.via_fix:
        written = run_cli(["fix", "--write", *where])
        assert written.code == 0 and DEMO_PASSWORD not in written.all, written.all
    else:
        _apply(edits)
    result = run_cli(["check", *where, "--format", "json"])
    document = json.loads(result.out)
    assert result.code == 0 and not _errors(document), (path.read_text(), document)
