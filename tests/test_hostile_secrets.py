"""Secrets and redaction under hostile input (issue 21, "Secrets" and the `SMTP_PASS=password` crashes).

Redaction applies to values from outside only: a password that is one of our own words (`password`,
`config`, `format`...) never turns a message id into one that does not exist, nor a JSON key or a
label into `********`; a whitespace-only password never eats the output's spacing. A secret echoed by
a server is caught in any case, in hex (any case, any separator), reversed; GitHub mask lines never go
into an --output file; a password inside a host URL is a secret; `explain` masks the layouts of PHP,
Ruby, XML, JSON-in-JSON, swaks and bare `user:pass@host`. Real servers on loopback only."""

from __future__ import annotations

import asyncio
import base64
import json
import xml.dom.minidom

import pytest

from smtpdoctor.redact import Redactor
from smtpdoctor.report import Evidence, EvidenceKind, Finding, Phrase, Report, SettingView, ValueSource
from smtpdoctor.testing.hostile import HostileServer
from smtpdoctor.testing.server import DEMO_USER

USER = "karto@example.com"
FORMATS = ["text", "json", "github", "junit"]
OUR_WORDS = ["password", "config", "format", "provider", "starttls", "connected", "extensions"]


def _sane(result) -> None:
    assert result.code in (0, 1), (result.code, result.all[-800:])
    assert "Traceback" not in result.all and "internal error" not in result.all, result.all[-800:]


def _well_formed(fmt: str, out: str) -> None:
    if fmt == "json":
        json.loads(out)
    elif fmt == "junit":
        xml.dom.minidom.parseString(out.encode())


# -- 1. a password that is one of our own words ----------------------------------------------------

@pytest.mark.parametrize("password", OUR_WORDS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_password_that_is_our_own_word_breaks_no_check(run_cli, password, fmt):
    """`SMTP_PASS=password` made `config.password_format` into `config.********_format` (KeyError, exit 2)."""
    env = {"SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "me@gmail.com", "SMTP_PASS": password}
    result = run_cli(["check", "--offline", "--format", fmt], env=env)
    _sane(result)
    _well_formed(fmt, result.out)
    assert "config.password_format" in result.out  # the code, intact
    assert "********" not in result.out  # nothing from outside holds the password: nothing is masked


def test_the_first_reproduction_without_a_host(run_cli):
    result = run_cli(["check", "--offline"], env={"SMTP_USER": "me@gmail.com", "SMTP_PASS": "password"})
    _sane(result)


@pytest.mark.parametrize("password", OUR_WORDS)
def test_a_password_that_is_our_own_word_keeps_json_keys_and_labels(run_cli, password):
    env = {"SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "me@gmail.com", "SMTP_PASS": password}
    doc = json.loads(run_cli(["check", "--offline", "--format", "json"], env=env).out)
    assert "password" in doc["settings"] and doc["settings"]["secure"]["value"] == "starttls"
    text = run_cli(["check", "--offline", "--lang", "en"], env=env)
    _sane(text)
    assert "********" not in text.out


@pytest.mark.parametrize("password", OUR_WORDS)
def test_lint_on_an_env_example_with_a_placeholder_password(run_cli, tmp_path, password):
    """The pre-commit hook: `.env.example` holding `SMTP_PASS=password` must be read, not crash."""
    example = tmp_path / ".env.example"
    example.write_text(f"SMTP_HOST=smtp.gmail.com\nSMTP_PORT=587\nSMTP_USER=me@gmail.com\nSMTP_PASS={password}\n")
    result = run_cli(["lint", str(example)])
    _sane(result)
    assert "config.password_format" in result.out


@pytest.mark.parametrize("password", OUR_WORDS)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_batch_rows_with_a_password_that_is_our_own_word(run_cli, tmp_path, password, fmt):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"id": "a", "host": "smtp.gmail.com", "port": 587, "user": "me@gmail.com",
                                "password": password, "sender": "me@gmail.com"}) + "\n")
    result = run_cli(["batch", "--offline", "--format", fmt, str(rows)])
    _sane(result)
    assert "config.password_format" in result.out


@pytest.mark.parametrize("password", OUR_WORDS)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_live_check_with_a_password_that_is_our_own_word(run_cli, smtp_server, ca_file, password, fmt):
    """The probe's own words (steps, `connected`, `extensions`) survive a password spelled like them."""
    server = smtp_server(password=password)
    env = {"SMTP_HOST": "localhost", "SMTP_PORT": str(server.port), "SMTP_USER": DEMO_USER, "SMTP_PASS": password,
           "SMTP_FROM": DEMO_USER}
    result = run_cli(["check", "--no-dns", "--ca-file", str(ca_file), "--timeout", "3", "--format", fmt, "--transcript"],
                     env=env)
    _sane(result)
    _well_formed(fmt, result.out)
    assert result.code == 0, result.out


def test_a_password_of_spaces_does_not_eat_the_indentation(run_cli):
    """Eight spaces as the password turned every second level of JSON indentation into `********`."""
    for fmt in FORMATS:
        result = run_cli(["check", "--offline", "--format", fmt, "--password-stdin"],
                         env={"SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "me@gmail.com"}, stdin=" " * 8 + "\n")
        _sane(result)
        _well_formed(fmt, result.out)
        assert "********" not in result.out, fmt
    out = run_cli(["check", "--offline", "--format", "github", "--password-stdin"],
                  env={"SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "me@gmail.com", "GITHUB_ACTIONS": "true"},
                  stdin=" " * 8 + "\n").out
    assert "::add-mask::        \n" not in out  # nothing to hide, and the runner would blank out its log's spacing


def test_redaction_skips_our_own_fields_and_names():
    redactor = Redactor.for_secrets(["password"], USER)
    finding = Finding("config.password_format", variant="password", params={
        "var": "SMTP_PASSWORD", "host": "password.example", "detail": Phrase("static.password.hint", {"value": "Password1"})},
        evidence=Evidence(EvidenceKind.SERVER, "535 wrong PASSWORD"), source=ValueSource("env", "SMTP_PASSWORD"))
    report = redactor.apply(Report("check", (finding,), provider="password", naming={"password": "frameworks.naming.password"},
                                   settings={"secure": SettingView(value="starttls"), "host": SettingView("password.example")}))
    f = report.findings[0]
    assert (f.code, f.variant, f.params["var"], f.source.name) == ("config.password_format", "password", "SMTP_PASSWORD",
                                                                   "SMTP_PASSWORD")
    assert f.params["detail"].id == "static.password.hint" and f.params["detail"].params["value"] == "********1"
    assert f.params["host"] == "********.example" and f.evidence.text == "535 wrong ********"
    assert report.provider == "password" and report.naming == {"password": "frameworks.naming.password"}
    assert report.settings["host"].value == "********.example"


# -- 2. echoes in any case, in hex, reversed -----------------------------------------------------------

SECRET = "hunter2Secret%PW"
RAW = SECRET.encode()
TRANSFORMS = {
    "upper": SECRET.upper(),
    "lower": SECRET.lower(),
    "swapped": SECRET.swapcase(),
    "reversed": SECRET[::-1],
    "hex": RAW.hex(),
    "HEX": RAW.hex().upper(),
    "hex-colons": ":".join(f"{b:02x}" for b in RAW),
    "HEX-spaces": " ".join(f"{b:02X}" for b in RAW),
    "backslash-x": "".join(f"\\x{b:02x}" for b in RAW),
    "0x": " ".join(f"0x{b:02X}" for b in RAW),
    "percent-every-byte": "".join(f"%{b:02X}" for b in RAW),
    "base64-upper": base64.b64encode(RAW).decode().upper(),
}


def echoing_transformed(form: str, also_in_ehlo: bool = True):
    """A server that says the password back in `form`: in its EHLO keywords (the probe may upper-case them),
    then in its 535 reply to AUTH."""

    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 echo.example ESMTP\r\n")
        await writer.drain()
        while line := await reader.readline():
            verb = line.split(b" ")[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                keyword = b"250-X-" + form.encode() + b"\r\n" if also_in_ehlo else b""
                writer.write(b"250-echo.example\r\n" + keyword + b"250 AUTH PLAIN LOGIN\r\n")
            elif verb == b"AUTH":
                writer.write(b"535 5.7.8 bad credentials: you sent " + form.encode() + b"\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()

    return behaviour


@pytest.mark.parametrize("name", list(TRANSFORMS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_echo_in_any_case_hex_or_reversed_is_masked(run_cli, tmp_path, name, fmt):
    form = TRANSFORMS[name]
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_USER": USER, "SMTP_PASS": SECRET, "SMTP_FROM": USER,
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    with HostileServer(echoing_transformed(form)) as server:
        result = run_cli(["check", "--allow-plaintext-auth", "--no-dns", "--timeout", "2", "--format", fmt,
                          "--transcript"], env={**env, "SMTP_PORT": str(server.port)})
    _sane(result)
    _well_formed(fmt, result.out)
    everything = result.all + ((tmp_path / "summary.md").read_text() if (tmp_path / "summary.md").exists() else "")
    if fmt == "json":  # what the document says once parsed, escapes undone
        everything += json.dumps(json.loads(result.out), ensure_ascii=False)
    assert form not in everything, (name, fmt)
    assert SECRET.lower() not in everything.lower()
    assert RAW.hex() not in everything.lower().replace(":", "").replace(" ", "").replace("\\x", "").replace("0x", "")
    assert "auth.bad_credentials" in result.out or fmt == "text"


def test_redactor_offers_what_the_probe_needs():
    """Case-insensitive, hex and reversed matching on any text, so an upper-cased echo is caught anyway."""
    redactor = Redactor.for_secrets([SECRET], USER)
    for form in TRANSFORMS.values():  # a hex spelling's first prefix (`\x`, `0x`, `%`) may stay: it says nothing
        assert redactor.server_text(f"250 you said {form}.") in {f"250 you said {p}********." for p in ("", "\\x", "0x", "%")}
    assert redactor.text("X-HUNTER2SECRET%PW") == "X-********"
    short = Redactor.for_secrets(["aB3x"], USER)
    assert short.server_text("535 bad AB3X, ab3x and 61423378") == "535 bad ********, ******** and ********"
    assert short.server_text("535 bad xab3xy") == "535 bad xab3xy"  # a short secret is masked as a whole token only


# -- 3. GitHub mask lines never go into --output -----------------------------------------------------

def test_mask_lines_go_to_the_runner_not_into_the_output_file(run_cli, tmp_path):
    report = tmp_path / "annotations.txt"
    env = {"SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "me@gmail.com", "SMTP_PASS": SECRET, "GITHUB_ACTIONS": "true"}
    result = run_cli(["check", "--offline", "--format", "github", "--output", str(report)], env=env)
    _sane(result)
    written = report.read_text()
    assert "::add-mask::" not in written and SECRET not in written and RAW.hex() not in written
    assert "config.password_format" in written
    masks = [line.removeprefix("::add-mask::") for line in result.out.splitlines() if line.startswith("::add-mask::")]
    assert masks and masks[0] == SECRET.replace("%", "%25")  # the runner still learns every form, on its stdout
    assert {RAW.hex(), SECRET.upper().replace("%", "%25")} <= set(masks)  # and the spellings it cannot match by pattern


# -- 4. credentials in a host value ------------------------------------------------------------------

@pytest.mark.parametrize("host", ["smtp://me:Hostpass-777@smtp.example.com:587", "me:Hostpass-777@smtp.example.com",
                                  "smtps://me%40example.com:Host%2Fpass-777@smtp.example.com"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_password_inside_the_host_value_is_a_secret(run_cli, host, fmt):
    env = {"SMTP_HOST": host, "SMTP_USER": "me@example.com", "SMTP_PASS": "other-secret-1"}
    result = run_cli(["check", "--offline", "--format", fmt], env=env)
    _sane(result)
    assert "Hostpass-777" not in result.all and "Host%2Fpass" not in result.all and "Host/pass" not in result.all


# -- 5. explain masks the common layouts -------------------------------------------------------------

LAYOUTS = {
    "php array": "'password' => 'Php-777x',",
    "php array, double quotes, a space": '"password" => "Php two 777x",',
    "print_r": "[password] => PrintR 777x",
    "var_dump": '["smtp_password"]=> string(12) "VarDump-777x"',
    "ruby hash rocket": ':password => "Ruby-777x"',
    "ruby symbol key": 'password: "Ruby two 777x"',
    "xml": "<password>Xml-777x</password>",
    ".net config": '<add key="SmtpPassword" value="DotNet-777x" />',
    "json-escaped url": '{"msg":"smtp:\\/\\/me:JsonUrl-777x@smtp.example.com failed"}',
    "json in json": '{"ctx":"{\\"password\\":\\"Json in json 777x\\"}"}',
    "user:pass@host": "connecting to me:Bare-777x@smtp.example.com:587",
    "address:pass@host": "connecting to me@example.com:Bare2-777x@smtp.example.com:587",
    "swaks --auth-password": "swaks --server smtp.example.com --auth-user me --auth-password Swaks-777x --to a@example.com",
    "swaks -ap": "swaks -a LOGIN -au me -ap Swaks2-777x -s smtp.example.com",
    "swaks quoted with a space": "swaks --auth-password 'Swaks three 777x'",
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_explain_masks_every_common_layout(run_cli, tmp_path, layout, fmt):
    log = tmp_path / "app.log"
    log.write_text(f"ERROR Invalid login: 535 Authentication failed {LAYOUTS[layout]}\n")
    result = run_cli(["explain", "--format", fmt, str(log)])
    _sane(result)
    assert "auth.bad_credentials" in result.out, result.out
    assert "777x" not in result.all, (layout, fmt)
    assert "********" in result.all


def test_explain_masking_leaves_ordinary_addresses_alone():
    from smtpdoctor.logs.scan import mask_secrets

    for line in ("535 5.7.1 sending to:joe@example.com refused", "git@github.com:org/repo.git",
                 "at 12:30:45 joe@example.com: 535 failed", "mail from:<a@example.com> rejected",
                 "Error: Invalid login: 535-5.7.8 Username and Password not accepted"):
        assert mask_secrets(line) == line


# -- limits: the new patterns stay linear ------------------------------------------------------------

N = 64 * 1024  # a quadratic pattern takes minutes on this; a linear one, milliseconds
ADVERSARIAL = [text[:N] for text in (
    "password" + " " * N, "[password" * N, '["password"]=>' * N, "<password " * N, "a:" * N, "me@" * N, "a" * N + "@",
    "me@x.com:" * N, "smtp:\\/\\/" * N, "--auth-password" * N, "AUTH PLAIN " + " " * N + "!", "key='password' " * N,
    '\\"password\\":\\"' + "a" * N, "password: '" + "a" * N)]


def test_masking_is_linear_on_adversarial_lines():
    """A budget far above what these take (tens of ms in all) and far below a quadratic pattern (minutes)."""
    import time

    from smtpdoctor.logs.scan import mask_secrets

    started = time.perf_counter()
    for text in ADVERSARIAL:
        mask_secrets(text)
    assert time.perf_counter() - started < 30.0  # ~1 s on a loaded machine


def test_hex_and_case_matching_is_linear_on_adversarial_text():
    import time

    redactor = Redactor.for_secrets([SECRET], USER)
    started = time.perf_counter()
    for text in ("68:" * 100_000, "68 75 6e " * 40_000, "\\x68" * 60_000, SECRET.upper()[:-1] * 15_000, "İ" + "6875" * 50_000):
        redactor.server_text(text)
        redactor.stream_text(text)
    assert time.perf_counter() - started < 30.0  # ~1 s on a loaded machine


def test_url_password_search_is_linear_in_the_value_length():
    """A 70k-character host took over 30 s when the URL scheme was tried from every letter of a long run."""
    import time

    from smtpdoctor.redact import url_passwords

    started = time.perf_counter()
    assert url_passwords("a" * 200_000, bare=True) == []
    assert url_passwords("smtp://me:p@ss@host") == ["p@ss", "p@ss"]
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("host", ["smtp://me%40x.com:Sup3rSecretPw@smtp.example.com:465",
                                  "me:Sup3rSecretPw@smtp.example.com"])
def test_credentials_in_the_host_are_neither_shown_nor_suggested(run_cli, host):
    """The host is what follows the credentials: the settings table and the fix name smtp.example.com alone."""
    result = run_cli(["check", "--offline", "--format", "json"],
                     env={"SMTP_HOST": host, "SMTP_USER": "me@x.com", "SMTP_PASS": "Sup3rSecretPw"})
    assert "Sup3rSecretPw" not in result.out + result.err
    doc = json.loads(result.out)
    assert doc["settings"]["host"]["value"] == "smtp.example.com"
    host_finding = next(f for f in doc["findings"] if f["code"] == "config.unknown_host")
    assert any("SMTP_HOST=smtp.example.com" in step for step in host_finding["fix"]) or any(
        e["key"] == "SMTP_HOST" and e["value"] == "smtp.example.com" for e in host_finding.get("edits", []))


def test_a_long_log_line_is_masked_before_it_is_shortened(run_cli, tmp_path):
    """The example is cut at 2,000 characters: a URL password across the cut lost its '@' and, cut first, was
    no longer recognisable as one; masked first, none of it is shown."""
    secret = "Zq7LongSecretPassw0rdValue"
    pad = "x" * (2000 - len("535 5.7.8 auth failed smtp://me:") - 10)
    log = tmp_path / "app.log"
    log.write_text(f"535 5.7.8 auth failed {pad} smtp://me:{secret}@smtp.example.com:465 end\n", encoding="utf-8")
    for fmt in ("text", "json"):
        result = run_cli(["explain", "--format", fmt, str(log)])
        shown = result.out + result.err
        assert "535" in shown
        assert not any(secret[:k] in shown for k in range(6, len(secret) + 1)), fmt
