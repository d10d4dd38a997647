"""Broken input, generated: whatever the settings, files or logs, smtpdoctor answers with exit 0, 1 or 2,
parseable JSON when asked for it, and never a traceback."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# What os.environ can hold: any text without NUL or lone surrogates.
ENV_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=400)
LONG_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=2000, max_size=20000)
KEYS = ["SMTP_HOST", "SMTP_PORT", "SMTP_SECURE", "SMTP_USER", "SMTP_PASS", "SMTP_FROM", "SMTP_URL", "MAILER_DSN",
        "EMAIL_HOST", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "MAIL_ENCRYPTION", "MAIL_MAILER"]
PROPERTY = settings(max_examples=150, deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])


def assert_calm(result, want_json: bool = True) -> None:
    assert result.code in (0, 1, 2), result
    assert "Traceback" not in result.all
    if want_json and result.code != 2:
        json.loads(result.out)
    if result.code == 2:
        assert "smtpdoctor:" in result.err


@PROPERTY
@given(env=st.dictionaries(st.sampled_from(KEYS), ENV_TEXT | LONG_TEXT, max_size=8))
def test_any_environment(run_cli, env):
    assert_calm(run_cli(["check", "--offline", "--format", "json"], env=env))


@PROPERTY
@given(content=st.binary(max_size=3000) | ENV_TEXT.map(str.encode))
def test_any_env_file(run_cli, tmp_path_factory, content):
    path = tmp_path_factory.mktemp("env") / ".env"
    path.write_bytes(content)
    assert_calm(run_cli(["check", "--offline", "--format", "json", "--env-file", str(path)]))


@PROPERTY
@given(url=ENV_TEXT.map(lambda s: "smtp://" + s) | ENV_TEXT.map(lambda s: "smtps://u:" + s + "@h:465") | ENV_TEXT)
def test_any_smtp_url_or_dsn(run_cli, url):
    assert_calm(run_cli(["check", "--offline", "--format", "json"], env={"SMTP_URL": url}))
    assert_calm(run_cli(["check", "--offline", "--format", "json", "--source", "symfony"], env={"MAILER_DSN": url}))


@PROPERTY
@given(content=ENV_TEXT | st.binary(max_size=2000).map(lambda b: b.decode("latin-1")))
def test_any_providers_file(run_cli, tmp_path_factory, content):
    path = tmp_path_factory.mktemp("prov") / "providers.toml"
    path.write_text(content, encoding="utf-8", errors="surrogateescape")
    result = run_cli(["providers", "--providers", str(path), "--format", "json"])
    assert result.code in (0, 2) and "Traceback" not in result.all


@PROPERTY
@given(content=st.binary(max_size=6000))
def test_any_log_bytes(run_cli, tmp_path_factory, content):
    path = tmp_path_factory.mktemp("log") / "app.log"
    path.write_bytes(content)
    result = run_cli(["explain", "--format", "json", str(path)])
    if content.startswith(b"\x1f\x8b"):  # looks like gzip: a broken one is unreadable input (exit 2), said plainly
        assert_calm(result)
        return
    assert result.code in (0, 1) and "Traceback" not in result.all
    json.loads(result.out)


@PROPERTY
@given(lines=st.lists(st.sampled_from([
    "Error: Greeting never received", "    at SMTPConnection._formatError (index.js:1:1)", "  code: 'ETIMEDOUT',", "}",
    "535-5.7.8 Username and Password not accepted. For more information, go to", "535 5.7.8  https://x - gsmtp",
    "SMTP не настроен: SMTP_USER или SMTP_PASS отсутствуют", "Traceback (most recent call last):", "",
    "{\"msg\":\"x\",\"error\":\"dial tcp 1.2.3.4:587: i/o timeout\"}", "random noise 550 5.7.1 x", "\x00\x00",
]), max_size=60))
def test_log_shapes_keep_line_numbers_in_range(run_cli, tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("log") / "shapes.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli(["explain", "--format", "json", str(path)])
    doc = json.loads(result.out)
    for match in doc["matches"]:
        assert 1 <= match["line"] <= max(1, len(lines))


@settings(max_examples=2000, deadline=None)
@given(value=st.one_of(st.from_regex(r"[A-Za-z0-9._%+-]{1,20}@[A-Za-z0-9-]{1,10}(?:\.[A-Za-z]{2,6}){1,2}", fullmatch=True),
                       ENV_TEXT.filter(str.strip)))
def test_a_bare_sender_address_is_taken_as_the_header_parser_would(value):
    """The From address: a plain address skips the stdlib parser (its import costs a healthy check ~4 ms);
    whatever the input, the result is the parser's."""
    from email.utils import parseaddr

    from smtpdoctor.settings.model import _address_only, clean_text

    text = clean_text(value)
    if text:
        assert _address_only(value) == (parseaddr(text)[1] or text)
