"""CI outputs: GitHub workflow commands (+ job summary), JUnit XML, --output — and no secret in any of them."""

from __future__ import annotations

import base64
import re
from xml.etree import ElementTree as ET

from conftest import SECRET
from smtpdoctor.testing.server import DEMO_USER, ServerSpec

ENV = {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "587", "SMTP_SECURE": "true", "SMTP_USER": "karto.help@gmail.com",
       "SMTP_PASS": SECRET, "SMTP_FROM": "other@example.org"}
COMMAND = re.compile(r"^::(error|warning|notice|add-mask)( [^:]*)?::(.*)$")


def test_github_annotations(run_cli):
    result = run_cli(["check", "--offline", "--format", "github"], env=ENV)
    lines = result.out.splitlines()
    assert lines and all(COMMAND.match(line) for line in lines), lines
    assert any(line.startswith("::error ") and "config.secure_port_mismatch" in line for line in lines)
    assert any(line.startswith("::warning ") and "sender.not_owned" in line for line in lines)
    for line in lines:  # properties escaped: no raw ':' or ',' inside title=...
        props = COMMAND.match(line).group(2) or ""
        title = props.split("title=", 1)[1] if "title=" in props else ""
        assert ":" not in title and "," not in title
        assert "\n" not in line
    assert result.code == 1
    assert SECRET not in result.all and "::add-mask::" not in result.out


def test_github_file_and_line_for_dotenv(run_cli, tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SMTP_HOST=smtp.gmail.com\nSMTP_PORT=993\nSMTP_USER=a@gmail.com\nSMTP_PASS=abcdefghijklmnop\n")
    result = run_cli(["check", "--offline", "--format", "github", "--env-file", str(dotenv)])
    port = next(line for line in result.out.splitlines() if "config.invalid_port" in line)
    assert f"file={dotenv}".replace(":", "%3A") in port and ",line=2," in port


def test_github_summary_and_mask_inside_actions(run_cli, tmp_path):
    summary = tmp_path / "summary.md"
    env = {**ENV, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    result = run_cli(["check", "--offline", "--format", "github"], env=env)
    lines = result.out.splitlines()
    # Inside Actions the runner consumes ::add-mask:: (it never reaches the log) and masks later echoes.
    assert lines[0] == f"::add-mask::{SECRET}"
    assert all(SECRET not in line for line in lines[1:])
    text = summary.read_text()
    assert text.startswith("## smtpdoctor — Gmail") and "`config.secure_port_mismatch`" in text and SECRET not in text


def test_junit_parses_and_counts(run_cli, smtp_server, ca_file, tmp_path):
    server = smtp_server(ServerSpec(auth_failure="535 5.7.8 Authentication credentials invalid"), password=SECRET)
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER, "SMTP_PASS": SECRET,
           "SMTP_FROM": DEMO_USER}
    out = tmp_path / "report.xml"
    result = run_cli(["check", "--format", "junit", "--output", str(out), "--ca-file", str(ca_file), "--timeout", "2"], env=env)
    # Standard output has one line: where the report went and the verdict (a CI job's log is not empty).
    assert result.code == 1 and result.out.count("\n") == 1 and str(out) in result.out and SECRET not in result.out
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases)
    names = {(c.get("classname"), c.get("name")) for c in cases}
    assert ("smtpdoctor.settings", "host") in names and ("smtpdoctor.probe", "auth") in names
    failures = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("failures")) == len(failures) >= 1
    auth = next(c for c in cases if c.get("name") == "auth")
    assert auth.find("failure").get("type") == "auth.bad_credentials"
    raw = out.read_text()
    assert SECRET not in raw and base64.b64encode(f"\0{DEMO_USER}\0{SECRET}".encode()).decode() not in raw


def test_junit_skipped_steps_and_strict(run_cli, tmp_path):
    env = {**ENV, "SMTP_SECURE": "false", "SMTP_FROM": "karto.help@gmail.com", "SMTP_PASS": "abcd efgh ijkl mnop"}
    relaxed = ET.fromstring(run_cli(["check", "--offline", "--format", "junit"], env=env).out)
    strict = ET.fromstring(run_cli(["check", "--offline", "--format", "junit", "--strict"], env=env).out)
    assert relaxed.get("failures") == "0" and int(strict.get("failures")) >= 1


def test_output_file_for_every_format(run_cli, tmp_path):
    for fmt in ("text", "json", "github", "junit"):
        target = tmp_path / f"out.{fmt}"
        result = run_cli(["check", "--offline", "--format", fmt, "--output", str(target)], env=ENV)
        assert result.out.startswith(f"Report written to {target}") and result.out.count("\n") == 1
        assert target.read_text().strip()
        assert SECRET not in target.read_text()
    assert run_cli(["check", "--offline", "--output", str(tmp_path / "missing" / "dir" / "x")], env=ENV).code == 2
