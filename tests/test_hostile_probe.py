"""Issue 21, the probe: evidence untouched and every probe limit held, against hostile servers on loopback.

- What a server said reaches JSON, the CI formats and --transcript whole (bounded only by the transport's
  EVIDENCE_LIMIT, and a cut there says so: "…[+N B]"); the text view shortens with "…", never inside a URL.
- Secrets are masked on the whole text before any cut: a server that pads its reply so a cut falls inside the
  password gets no piece of it printed, in any format or language.
- Nothing is upper-cased before it is shown: EHLO keywords and AUTH mechanisms appear as the server wrote them.
- A malformed XOAUTH2 error challenge is a refusal, with the challenge (masked) as the server's words.
- --max-time bounds the port table after a black-holed connect, the QUIT wait and the resolve step.
"""

from __future__ import annotations

import base64
import json
import re
import time

import pytest

from dns_server import SilentDns
from smtpdoctor.probe.runner import ProbePolicy, run_probe
from smtpdoctor.probe.transport import EVIDENCE_LIMIT, MAX_LINE
from smtpdoctor.report import StepName, StepStatus
from smtpdoctor.settings.model import clean, load_settings_input
from smtpdoctor.testing.hostile import (
    HostileServer,
    echo_at,
    echo_split,
    megabyte_reply_line,
    replying,
    silent_on_quit,
    xoauth2_challenge,
)
from smtpdoctor.testing.server import BlackholePort, closed_port

PASSWORD = "Hq7Zk2%Vx9Lm4Pw8"  # 16 characters, mixed case: an upper-cased echo must not slip through either
TOKEN = "ya29.a0Qx9zK7vLm2Wp4Rt8Jd3"
USER = "karto@example.com"
FORMATS = ("text", "json", "github", "junit")
LANGS = ("en", "ru")
MARKER = re.compile(r"…\[\+(≥?)(\d+) B\]$")


def _env(port: int, **extra: str) -> dict[str, str]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_USER": USER, "SMTP_PASS": PASSWORD,
            "SMTP_FROM": USER, **extra}


def _check(run_cli, port: int, fmt: str = "json", lang: str = "en", env: dict[str, str] | None = None, *extra: str):
    result = run_cli(["check", "--allow-plaintext-auth", "--transcript", "--no-dns", "--timeout", "3",
                      "--format", fmt, "--lang", lang, *extra], env=env or _env(port))
    assert "Traceback" not in result.all and "internal error" not in result.all, result.all
    return result


def _pieces(secret: str, n: int = 6) -> set[str]:
    """Every run of `n` characters of the secret, lower-cased: a cut leaves a start, a redactor a middle."""
    return {secret[i:i + n].lower() for i in range(len(secret) - n + 1)}


def _no_piece_of(secret: str, text: str) -> None:
    lowered = text.lower()
    leaked = [piece for piece in _pieces(secret) if piece in lowered]
    assert not leaked, (leaked, text[-3000:])


def _step(doc: dict, name: str) -> dict:
    return [s for s in doc["steps"] if s["name"] == name][-1]


# -- 1. a cut never falls inside a secret: masked on the whole text first -------------------------------------

@pytest.mark.parametrize("where", ["auth", "2xx", "mail"])
def test_a_padded_echo_never_leaves_a_piece_of_the_password(run_cli, where):
    """The password is echoed three times, each copy straddling one of the places the probe used to cut
    (120, 160 and 200 characters): before, 15 of its 16 characters came out in every format and language."""
    with HostileServer(echo_at((120, 160, 200), where)) as server:
        for fmt in FORMATS:
            for lang in LANGS:
                result = _check(run_cli, server.port, fmt, lang)
                _no_piece_of(PASSWORD, result.all)
                assert "********" in result.all, (fmt, lang, result.out)  # the echo was seen, and masked
        doc = json.loads(_check(run_cli, server.port).out)
    step = _step(doc, "sender" if where == "mail" else "auth")
    assert step["status"] == "fail" and step["reply"].count("********") == 3, step  # the whole line, masked


def test_an_over_long_echo_is_masked_before_it_is_cut(run_cli):
    """A 1 MB reply line with the password across the transport's own limit: the line's start is evidence,
    masked as a whole, then cut and marked — never a start of the password at the cut."""
    with HostileServer(echo_at((MAX_LINE,), "auth", tail=b"y" * 1_000_000)) as server:
        for fmt in ("text", "json"):
            for lang in LANGS:
                _no_piece_of(PASSWORD, _check(run_cli, server.port, fmt, lang).all)
        doc = json.loads(_check(run_cli, server.port).out)
    reply = _step(doc, "auth")["reply"]
    assert reply.startswith("535 5.7.8 refused:") and MARKER.search(reply), reply[-80:]
    assert len(reply) <= EVIDENCE_LIMIT + 32
    assert any(line.startswith("S: 535 5.7.8 refused:") and MARKER.search(line) for line in doc["transcript"])
    assert [f["code"] for f in doc["findings"] if f["step"] == "auth"] == ["net.protocol_error"]


def test_a_line_cut_where_reading_stopped_never_ends_in_a_start_of_the_password(run_cli):
    """The line's end never arrives while the probe reads: the password's first 10 characters are the last
    ones received and its first 6 fall just before the evidence limit. No mask can match a part; the cut drops
    a trailing start of a secret, and says how much it left out."""
    at = EVIDENCE_LIMIT - 6
    with HostileServer(echo_split(at, 10)) as server:
        for fmt in ("text", "json"):
            for lang in LANGS:
                _no_piece_of(PASSWORD, _check(run_cli, server.port, fmt, lang).all)
        doc = json.loads(_check(run_cli, server.port).out)
    reply = _step(doc, "auth")["reply"]
    marker = MARKER.search(reply)
    assert reply.startswith("535 5.7.8 refused: xxx") and marker, reply[-80:]
    assert reply[:marker.start()].endswith("x") and len(reply) - len(marker.group()) <= at


# -- 2. evidence untouched: whole in JSON and --transcript, shortened in the text view, never inside a URL ------

URL_1 = "https://sendgrid.com/docs/for-developers/sending-email/sender-identity/"
URL_2 = "https://docs.sendgrid.com/ui/sending-email/sender-verification"
SENDGRID = ("550 5.7.1 The from address does not match a verified Sender Identity. Mail cannot be sent until this "
            f"error is resolved. To fix it, please visit {URL_1} to see the Sender Identity requirements. Your "
            "request id is 7f1c2a9e-44b1-4c0e-9d8a-0b6a2f1e3c55 and this message was refused before it was queued, "
            f"so nothing was delivered. See {URL_2} for more.")


def test_a_long_reply_is_whole_in_json_and_the_transcript_and_its_urls_are_never_cut(run_cli):
    # The text view shortens at about 200 (a step's line) and 400 characters (a quote): both fall in a URL here.
    assert SENDGRID.index(URL_1) < 200 < SENDGRID.index(URL_1) + len(URL_1)
    assert SENDGRID.index(URL_2) < 400 < SENDGRID.index(URL_2) + len(URL_2)
    behaviour = replying(b"220 sg.example ESMTP\r\n", ehlo=b"250-sg.example\r\n250 AUTH PLAIN\r\n",
                         auth=b"235 2.7.0 ok\r\n", mail=SENDGRID.encode() + b"\r\n")
    with HostileServer(behaviour) as server:
        doc = json.loads(_check(run_cli, server.port).out)
        texts = {lang: _check(run_cli, server.port, "text", lang).out for lang in LANGS}
    finding = [f for f in doc["findings"] if f["step"] == "sender"][0]
    assert finding["code"] == "sender.unverified"
    assert _step(doc, "sender")["reply"] == SENDGRID  # verbatim, as the README says
    assert finding["evidence"] == SENDGRID and finding["params"]["reply"] == {"evidence": "server", "text": SENDGRID}
    assert f"S: {SENDGRID}" in doc["transcript"]
    for lang, text in texts.items():
        assert f"S: {SENDGRID}" in text  # --transcript in the text view: whole too
        for shown in re.findall(r"https://\S*sendgrid\S*", text):
            assert shown.rstrip("…).,") in (URL_1, URL_2), (lang, shown)  # a URL whole, or not at all
        assert "…" in text, lang  # the step's line was shortened, and says so


def test_a_megabyte_reply_line_is_evidence_cut_with_a_marker(run_cli):
    with HostileServer(megabyte_reply_line) as server:
        doc = json.loads(_check(run_cli, server.port).out)
        text = _check(run_cli, server.port, "text", "ru").out
    reply = _step(doc, "greeting")["reply"]
    marker = MARKER.search(reply)
    assert reply.startswith("220 yyyy") and marker, reply[-80:]
    shown = len(reply) - len(marker.group())
    assert shown == EVIDENCE_LIMIT
    if not marker.group(1):  # the line's end came in time: exactly what was left out
        assert int(marker.group(2)) == 4 + 1_000_000 - shown
    assert f"S: {reply}" in doc["transcript"]
    text = re.sub(r"\n {10}(?=\S)", " ", text)  # a step's line wrapped to the terminal: its continuation lines rejoined
    greeting = [line for line in text.splitlines() if "220 yyyy" in line and not line.lstrip().startswith("S:")]
    assert greeting and all(len(line) < 600 and line.rstrip().endswith("…") for line in greeting), greeting


# -- 3. nothing upper-cased before it is shown ------------------------------------------------------------------

def test_ehlo_keywords_are_shown_as_the_server_wrote_them(run_cli):
    ehlo = (b"250-ehlo.example\r\n250-X-" + PASSWORD.encode() + b"\r\n250-x-Lab-Feature on\r\n"
            b"250-auth=login plain\r\n250 AUTH plain login\r\n")
    with HostileServer(replying(b"220 ehlo.example ESMTP\r\n", ehlo=ehlo, auth=b"535 5.7.8 no\r\n")) as server:
        outputs = {(fmt, lang): _check(run_cli, server.port, fmt, lang).all for fmt in ("text", "json") for lang in LANGS}
        doc = json.loads(_check(run_cli, server.port).out)
    for out in outputs.values():
        _no_piece_of(PASSWORD, out)
    shown = _step(doc, "ehlo")["text"]
    assert "x-Lab-Feature on" in shown and "auth=login plain" in shown and "X-********" in shown, shown
    assert "auth.bad_credentials" in [f["code"] for f in doc["findings"]]  # "plain" was still understood


def test_auth_mechanisms_are_shown_as_the_server_wrote_them(run_cli):
    ehlo = b"250-ehlo.example\r\n250 AUTH xoauth2 Oauthbearer " + PASSWORD.encode() + b"\r\n"
    with HostileServer(replying(b"220 ehlo.example ESMTP\r\n", ehlo=ehlo)) as server:
        for lang in LANGS:
            _no_piece_of(PASSWORD, _check(run_cli, server.port, "text", lang).all)
        doc = json.loads(_check(run_cli, server.port).out)
    finding = [f for f in doc["findings"] if f["code"] == "auth.not_supported"][0]
    assert finding["params"]["mechanisms"] == "xoauth2 Oauthbearer ********"
    assert "AUTH xoauth2 Oauthbearer ********" in _step(doc, "auth")["text"]


# -- 4. a malformed XOAUTH2 error challenge is a refusal, never a crash ------------------------------------------

def _b64(data: bytes | str) -> bytes:
    return base64.b64encode(data.encode() if isinstance(data, str) else data)


CHALLENGES = {
    "not base64": (b"!!not*base64!!", "!!not*base64!!"),
    "base64 of plain text": (_b64("invalid token, sorry"), "invalid token, sorry"),
    "JSON of an array": (_b64("[1, 2, 3]"), "[1, 2, 3]"),
    "JSON of a string": (_b64('"expired"'), '"expired"'),
    "JSON nested past any reason": (_b64("[" * 3000 + "]" * 3000), "[" * 3000 + "]" * 3000),
    "a scope nested past any reason": (_b64('{"status":"400","scope":' + "[" * 2000 + "]" * 2000 + "}"), None),
    "a lone surrogate escape": (_b64('{"status":"400","scope":"\\ud800"}'), '{"status":"400","scope":"\\ud800"}'),
    "not UTF-8": (_b64(b'\xff\xfe{"status"'), '\ufffd\ufffd{"status"'),
    "a number past int()'s limit": (_b64('{"status":' + "9" * 5000 + "}"), '{"status":' + "9" * 5000 + "}"),
    "longer than a line may be": (b"A" * 20000, None),
    "the token echoed": (_b64('{"status":"401","scope":"' + TOKEN + '"}'), '{"status":"401","scope":"********"}'),
}


@pytest.mark.parametrize("name", CHALLENGES)
def test_a_malformed_xoauth2_challenge_is_a_refusal(run_cli, name):
    challenge, expected = CHALLENGES[name]
    env = {**_env(0), "SMTP_OAUTH2_TOKEN": TOKEN}
    del env["SMTP_PASS"]
    with HostileServer(xoauth2_challenge(challenge)) as server:
        env["SMTP_PORT"] = str(server.port)
        for fmt in FORMATS:
            for lang in LANGS:
                result = _check(run_cli, server.port, fmt, lang, env)
                assert result.code == 1, (fmt, lang, result.all[-2000:])
                _no_piece_of(TOKEN, result.all)
        doc = json.loads(_check(run_cli, server.port, "json", "en", env).out)
    (finding,) = [f for f in doc["findings"] if f["step"] == "auth"]
    assert finding["code"] in ("auth.oauth2_token_invalid", "auth.oauth2_scope"), finding
    detail = finding["params"]["detail"]
    assert detail["evidence"] == "server", detail
    if expected is not None:
        assert detail["text"] == expected
    elif name == "longer than a line may be":  # its start, cut and marked: the rest was never read whole
        assert detail["text"].startswith("AAAA") and MARKER.search(detail["text"]), detail["text"][-60:]
    assert _step(doc, "auth")["status"] == "fail"


# -- 5. --max-time bounds every wait of the probe ----------------------------------------------------------------

def test_max_time_bounds_the_port_table_after_a_black_holed_connect(run_cli):
    """The connect gives up after --timeout (4 s), then the table of other ports used to get 4 s more: 8 s
    at --max-time 5."""
    with BlackholePort() as hole:
        started = time.monotonic()
        result = run_cli(["check", "--no-dns", "--timeout", "4", "--max-time", "5", "--format", "json"],
                         env=_env(hole.port))
        elapsed = time.monotonic() - started
    assert "Traceback" not in result.all and "internal error" not in result.all, result.all
    doc = json.loads(result.out)
    assert "net.timeout" in [f["code"] for f in doc["findings"]]
    assert elapsed < 6.5, elapsed  # was ~8 s


def _probe(port: int, policy: ProbePolicy, host: str = "127.0.0.1"):
    settings = clean(load_settings_input({}, {**_env(port), "SMTP_HOST": host}))
    started = time.monotonic()
    run = run_probe(settings, None, policy)
    return run, time.monotonic() - started


def test_max_time_bounds_the_wait_for_an_answer_to_quit():
    """Logged in at 2.4 s of a 3 s limit, then QUIT is never answered: the polite wait (up to 2 s) ends with
    the limit, and the steps that passed stay passed."""
    with HostileServer(silent_on_quit(2.4, "auth")) as server:
        run, elapsed = _probe(server.port, ProbePolicy(timeout=5, max_time=3, allow_plaintext_auth=True))
    assert [(s.name, s.status) for s in run.steps if s.name in (StepName.AUTH, StepName.SENDER)] == \
        [(StepName.AUTH, StepStatus.OK), (StepName.SENDER, StepStatus.OK)], run.steps
    assert "C: QUIT" in run.transcript
    assert elapsed < 3.7, elapsed  # was ~4.4 s


def test_max_time_bounds_the_resolve_step_through_a_silent_nameserver():
    """--nameserver that never answers, --dns-timeout 6, --max-time 2: the lookup ends with the limit."""
    with SilentDns() as dns:
        run, elapsed = _probe(closed_port(), ProbePolicy(timeout=6, dns_timeout=6, nameservers=(dns.address,),
                                                         max_time=2), host="localhost")
    assert elapsed < 3.5, elapsed  # was ~6 s
    (resolve,) = [s for s in run.steps if s.name is StepName.RESOLVE]
    assert resolve.elapsed_ms < 2600, resolve  # then the system's resolver may still find localhost in time
