"""The language-neutral core: one Report, JSON that does not change with --lang, the server's words verbatim."""

from __future__ import annotations

import json

import pytest

from smtpdoctor.render.json import TEXT_FIELDS
from smtpdoctor.testing.server import DEMO_PASSWORD, DEMO_USER, ServerSpec

GMAIL_535 = ("535-5.7.8 Username and Password not accepted. For more information, go to\n"
             "535 5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp")
SPAM_REPLY = "550 5.7.1 Message rejected: report accepted as spam filter"


def _env(port: int, **changes) -> dict[str, str]:
    return {"SMTP_HOST": "localhost", "SMTP_PORT": str(port), "SMTP_USER": DEMO_USER, "SMTP_PASS": DEMO_PASSWORD,
            "SMTP_FROM": DEMO_USER, **changes}


def _neutral(node):
    """The document without the human text fields and timings: what must not depend on the language."""
    if isinstance(node, dict):
        return {k: _neutral(v) for k, v in node.items() if k not in TEXT_FIELDS and not k.startswith("elapsed")}
    if isinstance(node, list):
        return [_neutral(v) for v in node]
    return node


@pytest.mark.parametrize("spec", [ServerSpec(auth_failure=GMAIL_535), ServerSpec(rcpt_reply=SPAM_REPLY), ServerSpec()],
                         ids=["bad password", "sender refused", "healthy"])
def test_json_differs_between_languages_only_in_text_fields(run_cli, smtp_server, ca_file, spec):
    server = smtp_server(spec)
    docs = {}
    for lang in ("en", "ru"):
        result = run_cli(["check", "--ca-file", str(ca_file), "--format", "json", "--no-dns", "--lang", lang],
                         env=_env(server.port))
        docs[lang] = json.loads(result.out)
    assert docs["en"]["findings"], "the check must say something"
    assert _neutral(docs["en"]) == _neutral(docs["ru"])
    assert docs["en"]["settings"]["password"]["value"] is None
    assert docs["en"]["settings"]["password"]["length"] == len(DEMO_PASSWORD)


def test_offline_json_is_language_neutral_too(run_cli):
    env = {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "587", "SMTP_SECURE": "true", "SMTP_USER": "me@gmail.com",
           "SMTP_PASS": "abcd efgh ijkl mnop", "SMTP_FROM": "me@gmail.com"}
    en = json.loads(run_cli(["check", "--offline", "--format", "json", "--lang", "en"], env=env).out)
    ru = json.loads(run_cli(["check", "--offline", "--format", "json", "--lang", "ru"], env=env).out)
    assert {f["code"] for f in en["findings"]} >= {"config.secure_port_mismatch", "config.whitespace"}
    assert _neutral(en) == _neutral(ru)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_server_reply_reaches_the_user_verbatim(run_cli, smtp_server, ca_file, lang):
    server = smtp_server(ServerSpec(auth_failure="535 5.7.8 Username and Password not accepted"))
    result = run_cli(["check", "--ca-file", str(ca_file), "--no-dns", "--lang", lang], env=_env(server.port))
    assert "535 5.7.8 Username and Password not accepted" in result.out
    assert "принят" not in result.out.split("535 5.7.8", 1)[1].split("\n", 1)[0]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_rejection_reply_is_verbatim_in_every_language(run_cli, smtp_server, ca_file, lang):
    server = smtp_server(ServerSpec(rcpt_reply=SPAM_REPLY))
    result = run_cli(["check", "--ca-file", str(ca_file), "--no-dns", "--lang", lang], env=_env(server.port))
    assert "report accepted as spam filter" in result.out


@pytest.mark.parametrize("lang, word", [("en", "error"), ("ru", "ошибка")])
def test_errors_are_in_the_chosen_language_only(run_cli, tmp_path, lang, word):
    result = run_cli(["check", "--env-file", str(tmp_path / "missing.env"), "--lang", lang])
    assert result.code == 2
    assert word in result.err
    other = "ошибка" if lang == "en" else "error:"
    assert other not in result.err


def test_verdict_and_exit_code_come_from_one_place(run_cli):
    env = {"SMTP_HOST": "smtp.gmail.com", "SMTP_PORT": "2525", "SMTP_USER": "me@gmail.com",
           "SMTP_PASS": "abcdefghijklmnop", "SMTP_FROM": "me@gmail.com"}
    plain = run_cli(["check", "--offline", "--format", "json"], env=env)
    strict = run_cli(["check", "--offline", "--format", "json", "--strict"], env=env)
    doc = json.loads(plain.out)
    severities = {f["severity"] for f in doc["findings"]}
    assert "warning" in severities and "error" not in severities
    assert (plain.code, doc["exit_code"]) == (0, 0)
    assert (strict.code, json.loads(strict.out)["exit_code"]) == (1, 1)
