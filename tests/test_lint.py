"""`smtpdoctor lint`, the pre-commit hook: silent on files that configure no SMTP, references to secrets are set
at deploy time, and what it does say is in the file's own terms."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

CLEAN = Path(__file__).parent / "lint_clean"
CLEAN_FILES = sorted(str(p) for p in CLEAN.rglob("*") if p.is_file() and p.name != "README.md")
HOOK_PATTERN = re.compile(r"(^|/)(\.env(\.[\w.-]+)?|config\.toml|application(-[\w-]+)?\.(properties|ya?ml))$")


def test_there_are_twenty_real_world_files_the_hook_selects():
    assert len(CLEAN_FILES) == 20
    hooks = (Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text()
    assert HOOK_PATTERN.pattern in hooks.replace("'", "")
    assert all(HOOK_PATTERN.search(Path(f).relative_to(CLEAN).as_posix()) for f in CLEAN_FILES)


@pytest.mark.parametrize("extra", [[], ["--strict"], ["--lang", "ru"], ["--strict", "--lang", "ru"]])
def test_lint_is_silent_on_files_without_smtp_problems(run_cli, extra):
    result = run_cli(["lint", *extra, *CLEAN_FILES])
    assert result.code == 0 and result.out == "" and result.err == "", result.all


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_supabase_without_user_is_told_in_its_own_terms(tmp_path, run_cli):
    path = write(tmp_path, "supabase/config.toml", '[auth.email.smtp]\nenabled = true\nhost = "mail.smtp2go.com"\n'
                 'port = 2525\npass = "env(SMTP2GO_PASSWORD)"\nadmin_email = "no-reply@karto.help"\n')
    result = run_cli(["lint", str(path)])
    assert result.code == 1
    assert "Add [auth.email.smtp] user to config.toml" in result.out
    assert "Render" not in result.out and "SMTP_PASSWORD" not in result.out and "SMTP_USER" not in result.out
    assert "[auth.email.smtp] pass" not in result.out.split("Findings:")[1]  # env(...) is set at deploy time


def test_spring_placeholder_secret_is_set_at_deploy_time(tmp_path, run_cli):
    path = write(tmp_path, "application.properties", "spring.mail.host=smtp.gmail.com\nspring.mail.port=587\n"
                 "spring.mail.username=me@gmail.com\nspring.mail.password=${GMAIL_APP_PASSWORD}\n"
                 "spring.mail.properties.mail.smtp.starttls.enable=true\n")
    result = run_cli(["lint", str(path)])
    assert result.code == 0 and result.out == "", result.all


def test_real_problem_in_a_committed_file_still_fails(tmp_path, run_cli):
    path = write(tmp_path, ".env", "SMTP_HOST=smtp.gmail.com\nSMTP_PORT=587\nSMTP_SECURE=true\nSMTP_USER=me@gmail.com\n"
                 "SMTP_PASS=${SMTP_PASS}\n")
    result = run_cli(["lint", str(path)])
    assert result.code == 1 and "config.secure_port_mismatch" in result.out and "config.missing" not in result.out


def test_check_still_reports_an_unresolved_reference(tmp_path, run_cli):
    # `check` runs where the app runs: there an env(NAME) that is not set IS missing.
    path = write(tmp_path, "supabase/config.toml", '[auth.email.smtp]\nenabled = true\nhost = "mail.smtp2go.com"\n'
                 'port = 2525\nuser = "karto"\npass = "env(SMTP2GO_PASSWORD)"\nadmin_email = "no-reply@karto.help"\n')
    result = run_cli(["check", "--offline", "--format", "json", "--config", str(path)])
    missing = next(f for f in json.loads(result.out)["findings"] if f["code"] == "config.missing")
    assert result.code == 1 and missing["variant"] == "unresolved"
    # The referenced variable keeps its own name; it is not renamed into the file's key.
    assert "refers to the environment variable `SMTP2GO_PASSWORD`" in missing["explanation"]
