"""SASL XOAUTH2 and OAUTHBEARER (RFC 7628): the initial client response and the server's error challenge.

The token is a secret: it only ever exists inside the base64 initial response sent on the wire, and the
transcript shows that line masked. On failure the server sends `334 <base64 JSON>` — e.g.
{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"} — which we decode and keep as the
server's own words; the client then answers with an empty line (XOAUTH2) or %x01 (OAUTHBEARER).
"""

from __future__ import annotations

import base64
import json

PREFERENCE = ("XOAUTH2", "OAUTHBEARER")


def choose(offered: list[str]) -> str | None:
    return next((m for m in PREFERENCE if m in offered), None)


def initial_response(mechanism: str, user: str, token: str, host: str, port: int) -> str:
    if mechanism == "XOAUTH2":
        raw = f"user={user}\x01auth=Bearer {token}\x01\x01"
    else:  # RFC 7628 §3.1: gs2 header, then key=value pairs separated by %x01
        raw = f"n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"
    return base64.b64encode(raw.encode("utf-8")).decode("ascii")


def abort_line(mechanism: str) -> str:
    """What the client sends after an error challenge, so the server ends the exchange with its final reply."""
    return "" if mechanism == "XOAUTH2" else base64.b64encode(b"\x01").decode("ascii")


def decode_challenge(text: str) -> tuple[str, dict | None]:
    """The base64 challenge as text, and as JSON when it is JSON."""
    try:
        decoded = base64.b64decode(text.strip(), validate=True).decode("utf-8", "replace")
    except (ValueError, UnicodeError):
        return text.strip(), None
    try:
        data = json.loads(decoded)
    except ValueError:
        return decoded, None
    return decoded, data if isinstance(data, dict) else None


def classify(data: dict | None) -> str:
    """The finding code for a refused OAuth2 login: a missing scope, or a token that is not (or no longer) good."""
    if data is None:
        return "auth.oauth2_token_invalid"
    status = str(data.get("status", "")).strip()
    error = str(data.get("error", "")).lower()
    if status in ("400", "403") and ("scope" in data or "scope" in error) or "insufficient_scope" in error:
        return "auth.oauth2_scope"
    return "auth.oauth2_token_invalid"


def login(probe, started: float) -> bool:
    """The AUTH step with an OAuth2 access token (runner.Probe.auth's OAuth2 branch): True when logged in."""
    from smtpdoctor.knowledge.extras import load_extras
    from smtpdoctor.probe.transport import ProbeError
    from smtpdoctor.report import Evidence, EvidenceKind, StepName, StepStatus, phrase

    def server(text: str) -> Evidence:
        return Evidence(EvidenceKind.SERVER, text)

    offered = probe.extensions.get("AUTH", "").upper().split()
    mechanism = choose(offered)
    if mechanism is None:
        mechanisms = " ".join(offered)
        probe.fail(StepName.AUTH, started, "auth.not_supported",
                   phrase("probe.step.auth_offered", mechanisms=mechanisms) if offered else phrase("probe.step.no_auth"),
                   variant="probe", offer=phrase("probe.auth.offer_only", mechanisms=mechanisms) if offered
                   else phrase("probe.auth.offer_none"), mechanisms=mechanisms, detail=phrase("platform.oauth2.not_offered"))
    user = probe.s.user
    token = probe.policy.oauth2_token.get_secret_value()
    deadline = probe.deadline()
    challenge = None
    try:
        reply = probe.channel.command(f"AUTH {mechanism} {initial_response(mechanism, user, token, probe.host, probe.s.port)}",
                                      deadline, masked=f"AUTH {mechanism} ********")
        if reply.code == 334:  # an error challenge: read it, then let the server finish the exchange
            challenge = decode_challenge(reply.lines[0] if reply.lines else "")
            reply = probe.channel.command(abort_line(mechanism), deadline)
    except ProbeError as exc:
        probe.fail_error(StepName.AUTH, started, probe._error_code(exc), exc)
    probe.auth_mechanism = mechanism
    if reply.code == 235:
        probe.step(StepName.AUTH, StepStatus.OK, started, phrase("probe.step.auth_ok", mechanism=mechanism, user=user))
        return True
    decoded, data = challenge if challenge else (None, None)
    code = classify(data)
    extra = load_extras().get(probe.preset.id if probe.preset else None)
    scope = (data or {}).get("scope") or (extra.oauth2_scope if extra else None) or phrase("platform.oauth2.scope_unknown")
    detail = server(decoded) if decoded else server(reply.first[:200])
    probe.step(StepName.AUTH, StepStatus.FAIL, started, None, code, server(reply.first[:200]))
    probe.find(code, StepName.AUTH, evidence=server(reply.text), mechanism=mechanism, user=user, detail=detail,
               scope=str(scope) if isinstance(scope, str) else scope, reply=server(reply.first[:160]))
    return False
