"""Shared fixtures: an in-process CLI runner with a clean, injected environment.

Real servers for tests live in smtpdoctor/testing/ (aiosmtpd with trustme TLS in server.py, raw asyncio
hostile servers in hostile.py) and tests/dns_server.py (dnslib); the session fixtures below start them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from smtpdoctor.cli import main

SECRET = "Qx9-leak-probe-Staple-77"  # distinctive: if it shows up anywhere, that is a leak

_ENV_PREFIXES = ("SMTP_", "SMTPDOCTOR_", "LANG", "LC_", "RENDER", "NO_COLOR", "GITHUB_", "COLUMNS")


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def all(self) -> str:
        return self.out + self.err


@pytest.fixture
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(key, raising=False)
    return monkeypatch


@pytest.fixture
def run_cli(clean_env, capsys):
    """run_cli(args, env={...}, stdin=None) -> CliResult; the environment holds only what the test gives."""

    def run(args: list[str], env: dict[str, str] | None = None, stdin: str | None = None) -> CliResult:
        for key, value in (env or {}).items():
            clean_env.setenv(key, value)
        if stdin is not None:
            import io

            clean_env.setattr("sys.stdin", io.StringIO(stdin))
        try:
            code = main(args)
        finally:
            for key in env or {}:
                clean_env.delenv(key, raising=False)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


# -- explain, in-process ---------------------------------------------------------------------------


def explained(text: str):
    """What `smtpdoctor explain -` reads in `text` (the Report), in-process, with the providers the CLI gives it."""
    import io

    from smtpdoctor.knowledge.catalog import load_catalog
    from smtpdoctor.knowledge.providers import default_providers_path, load_providers
    from smtpdoctor.logs.explain import run_explain

    return run_explain(["-"], load_catalog(), stdin=io.BytesIO(text.encode("utf-8")),
                       providers=load_providers(default_providers_path()))


def failure_codes(text: str) -> list[str]:
    """The errors and warnings `explain` gives for `text`, in order: one per failure it reads."""
    return [f.code for f in explained(text).findings if f.severity.value in ("error", "warning")]


# -- real servers on loopback -----------------------------------------------------------------------

from smtpdoctor.testing.server import Pki, ServerSpec, SmtpServer  # noqa: E402


@pytest.fixture(scope="session")
def pki():
    return Pki()


@pytest.fixture(scope="session")
def ca_file(pki, tmp_path_factory):
    return pki.ca_file(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def smtp_server(pki):
    """smtp_server(ServerSpec(...), user=..., password=...) -> a started real aiosmtpd server."""
    started: list[SmtpServer] = []

    def start(spec: ServerSpec | None = None, **kwargs) -> SmtpServer:
        server = SmtpServer(spec or ServerSpec(), pki, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
