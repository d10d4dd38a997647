"""Issue 24, item 3: outputs that keep their promise — JSON where --format json is asked for, a line on standard
output when the report goes to a file, a region's host never shown as a regular expression, an invalid batch value
never probed, a broken CSV record a row error, --insecure saying what it skipped, Laravel's ${VAR} expanded."""

from __future__ import annotations

import json

import pytest

from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec

GMAIL_MISCONFIGURED = {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "587", "SMTP_SECURE": "true",
                       "SMTP_USER": "me@gmail.com", "SMTP_PASS": "abcd efgh ijkl mnop", "SMTP_FROM": "me@gmail.com"}


@pytest.mark.slow
def test_demo_all_keeps_its_promise_as_json_and_as_text(run_cli):
    result = run_cli(["demo", "--all", "--format", "json"])
    doc = json.loads(result.out)  # JSON, not the text table
    assert result.code == 0 and doc["total"] == len(doc["scenarios"]) == 20 and doc["as_expected"] == 20
    healthy = doc["scenarios"][0]
    assert healthy["name"] == "healthy" and healthy["codes"] == ["ok.connected"] and healthy["as_expected"]
    assert healthy["report"]["schema"] == 1 and healthy["report"]["exit_code"] == 0
    text = run_cli(["demo", "--all", "--lang", "ru"])
    lines = text.out.splitlines()
    assert text.code == 0 and lines[0].startswith("`smtpdoctor demo --all`: 20 сценариев")
    assert any(line.startswith("Как ожидалось: 20 из 20") for line in lines), text.out
    assert all(f"✓ {s['name']}" in text.out for s in doc["scenarios"])


def test_the_tour_names_a_scenario_that_went_wrong(run_cli):
    from smtpdoctor.demo import TourStop
    from smtpdoctor.render.i18n import Lang
    from smtpdoctor.render.text import laid_out
    from smtpdoctor.render.tour import tour_blocks
    from smtpdoctor.report import Finding, Report, Severity, Verdict

    wrong = Report(command="check", findings=(Finding(code="net.reset", severity=Severity.ERROR),),
                   verdict=Verdict(errors=1, warnings=0))
    text = "\n".join("".join(t for t, _ in spans) for spans in laid_out(tour_blocks(
        [TourStop("dropped", "auth.bad_credentials", wrong)], Lang.EN, 1.0), 80))
    assert "✗ dropped" in text and "net.reset (expected auth.bad_credentials)" in text and "0 of 1 as expected" in text


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("fmt", ["junit", "json", "github", "html"])
def test_a_report_written_to_a_file_leaves_one_line_on_stdout(run_cli, tmp_path, lang, fmt):
    target = tmp_path / "smtp.xml"
    result = run_cli(["check", "--offline", "--format", fmt, "--output", str(target), "--lang", lang],
                     env=GMAIL_MISCONFIGURED)
    assert result.code == 1 and target.read_text().strip()
    assert result.out.count("\n") == 1, result.out
    said = {"en": f"Report written to {target}", "ru": f"Отчёт записан в {target}"}[lang]
    assert result.out.startswith(said) and "abcd efgh" not in result.out
    assert ("TLS mode and port disagree" if lang == "en" else "Режим TLS") in result.out


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("provider", ["ses", "zoho"])
def test_a_regional_host_is_an_example_never_a_regular_expression(run_cli, lang, provider):
    out = run_cli(["providers", provider, "--lang", lang]).out
    for regex in ("\\.", "[a-z]", "(-gov)?", "\\d", "(pro)?", "|"):
        assert regex not in out, (regex, out)
    paste = out.split("Ready-to-paste environment:\n" if lang == "en" else "Готовые переменные окружения:\n", 1)[1]
    first = paste.splitlines()[0].strip()
    assert first.startswith("# SMTP_HOST") and ("use the host for your region" in first or "своего региона" in first)
    table = run_cli(["providers", "--lang", lang]).out
    assert "\\." not in table and "[a-z]" not in table


def test_a_provider_with_fixed_hosts_has_no_region_note(run_cli):
    out = run_cli(["providers", "gmail"]).out
    assert "# SMTP_HOST" not in out and "region" not in out


def _batch(run_cli, tmp_path, name, content, *args):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = run_cli(["batch", str(path), "--no-dns", "--timeout", "3", *args])
    return result, [json.loads(line) for line in result.out.splitlines() if line.strip()]


def test_a_batch_row_with_an_unreadable_port_is_reported_as_given_never_probed(run_cli, tmp_path, smtp_server):
    server = smtp_server(ServerSpec())
    rows = "\n".join(json.dumps(row) for row in [
        {"id": "abc", "host": "127.0.0.1", "port": "abc", "user": DEMO_USER, "password": DEMO_PASSWORD, "sender": DEMO_USER},
        {"id": "maybe", "host": "127.0.0.1", "port": str(server.port), "secure": "maybe", "user": DEMO_USER,
         "password": DEMO_PASSWORD, "sender": DEMO_USER},
    ]) + "\n"
    result, lines = _batch(run_cli, tmp_path, "rows.jsonl", rows)
    by_id = {line["id"]: line for line in lines}
    assert by_id["abc"]["port"] == "abc" and by_id["abc"]["invalid"] == {"port": "abc"}
    assert by_id["abc"]["steps"] == [] and by_id["abc"]["codes"] == ["config.invalid_port"]
    assert by_id["maybe"]["steps"] == [] and "config.invalid_value" in by_id["maybe"]["codes"]
    assert server.handler.messages == [] and result.code == 1


def test_an_unterminated_csv_quote_is_that_rows_error_and_the_next_row_is_read(run_cli, tmp_path):
    csv = 'id,host,port,user,password\n"a,smtp.gmail.com,587,u,p\nb,smtp.gmail.com,25,me@gmail.com,p\n'
    result, lines = _batch(run_cli, tmp_path, "rows.csv", csv, "--offline")
    assert len(lines) == 2 and result.code == 2
    broken, good = sorted(lines, key=lambda line: line["row"])
    assert broken["id"] == "row-1" and "\n" not in broken["id"]
    assert broken["error"] == "the CSV record cannot be read (a quoted value is not closed on its line)"
    assert good["id"] == "b" and good["row"] == 2 and "config.port_25" in good["codes"]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_insecure_says_what_verification_would_have_found(run_cli, smtp_server, lang):
    server = smtp_server(ServerSpec(cert="untrusted"))
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD,
           "SMTP_FROM": DEMO_USER}
    doc = json.loads(run_cli(["check", "--insecure", "--no-dns", "--format", "json", "--lang", lang], env=env).out)
    found = next(f for f in doc["findings"] if f["code"] == "tls.cert_untrusted")
    assert found["variant"] == "insecure" and found["severity"] == "warning" and doc["insecure"] is True
    text = run_cli(["check", "--insecure", "--no-dns", "--lang", lang], env=env)
    said = {"en": "verification would fail", "ru": "проверку он бы не прошёл"}[lang]
    assert text.code == 0 and said in " ".join(text.out.split())
    assert "No problems found" not in text.out and "Проблем не найдено" not in text.out
    assert DEMO_PASSWORD not in text.all


def test_insecure_against_a_trusted_certificate_adds_nothing(run_cli, smtp_server, ca_file):
    server = smtp_server(ServerSpec())
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD,
           "SMTP_FROM": DEMO_USER}
    doc = json.loads(run_cli(["check", "--insecure", "--ca-file", str(ca_file), "--no-dns", "--format", "json"],
                             env=env).out)
    assert [f["code"] for f in doc["findings"]] == ["ok.connected"]


LARAVEL = """APP_NAME="Acme Shop"
MAIL_MAILER=smtp
MAIL_HOST=smtp.gmail.com
MAIL_PORT=587
MAIL_USERNAME=me@gmail.com
MAIL_PASSWORD=abcdefghijklmnop
MAIL_FROM_ADDRESS="${MAIL_USERNAME}"
MAIL_FROM_NAME="${APP_NAME}"
"""


def _laravel(run_cli, tmp_path, text: str, env: dict | None = None) -> dict:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    result = run_cli(["check", "--offline", "--source", "laravel", "--env-file", str(path), "--format", "json"], env=env)
    return json.loads(result.out)["settings"]


def test_laravel_expands_variables_as_phpdotenv_does(run_cli, tmp_path):
    settings = _laravel(run_cli, tmp_path, LARAVEL)
    assert settings["sender_name"]["value"] == "Acme Shop" and settings["sender"]["value"] == "me@gmail.com"
    single = _laravel(run_cli, tmp_path, LARAVEL.replace('MAIL_FROM_NAME="${APP_NAME}"', "MAIL_FROM_NAME='${APP_NAME}'"))
    assert single["sender_name"]["value"] == "${APP_NAME}"  # single quotes: literal
    later = _laravel(run_cli, tmp_path, LARAVEL.replace('APP_NAME="Acme Shop"\n', "") + 'APP_NAME="Late"\n')
    assert later["sender_name"]["value"] == "${APP_NAME}"  # defined below: not known yet where it is read
    environment = _laravel(run_cli, tmp_path, LARAVEL, env={"APP_NAME": "From the environment"})
    assert environment["sender_name"]["value"] == "From the environment"  # an environment variable wins
    unknown = _laravel(run_cli, tmp_path, LARAVEL.replace("${APP_NAME}", "${NOT_THERE}"))
    assert unknown["sender_name"]["value"] == "${NOT_THERE}"
