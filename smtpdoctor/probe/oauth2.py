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
    """The base64 challenge as text, and as a JSON object when it is one. Whatever else a server sends — no
    base64, base64 of something that is not JSON, JSON of another shape, nested past any reason, numbers
    past int()'s limit — is kept as text and read as no object: a refusal all the same, never an error."""
    raw = text.strip()
    try:
        decoded = base64.b64decode(raw, validate=True).decode("utf-8", "replace")
    except (ValueError, UnicodeError):
        return raw, None
    try:
        data = json.loads(decoded)
    except (ValueError, RecursionError):
        return decoded, None
    if not isinstance(data, dict):
        return decoded, None
    # Only flat values are read (status, error, scope; any other value is None, its key still there); a lone
    # surrogate escape ("\ud800") cannot be printed.
    return decoded, {key: _printable(value) if isinstance(value, (str, int, float, bool)) else None
                     for key, value in data.items() if isinstance(key, str)}


def _printable(value: object) -> object:
    if not isinstance(value, str):
        return value
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)


def challenge_in(evidence) -> str | None:
    """The server's words of a "334" line that could not be read whole (over-long): the start of the challenge,
    already masked and cut with its marker (transport.kept)."""
    if evidence is None or evidence.kind.value != "server" or not evidence.text.startswith("334"):
        return None
    return evidence.text[4:]


def classify(data: dict | None) -> str:
    """The finding code for a refused OAuth2 login: a missing scope, or a token that is not (or no longer) good."""
    if data is None:
        return "auth.oauth2_token_invalid"
    status = str(data.get("status") or "").strip()
    error = str(data.get("error") or "").lower()
    if status in ("400", "403") and ("scope" in data or "scope" in error) or "insufficient_scope" in error:
        return "auth.oauth2_scope"
    return "auth.oauth2_token_invalid"


def login(probe, started: float) -> bool:
    """The AUTH step with an OAuth2 access token (runner.Probe.auth's OAuth2 branch): True when logged in.
    Any "334" answer is the server's error challenge, however malformed: a refusal, with the challenge (masked,
    bounded) as the server's words."""
    from smtpdoctor.knowledge.extras import load_extras
    from smtpdoctor.probe.transport import ProbeError
    from smtpdoctor.report import Evidence, EvidenceKind, StepName, StepStatus, phrase

    written = probe.extensions.get("AUTH", "").split()  # as the server wrote them: what is shown
    offered = [m.upper() for m in written]  # SASL names are case-insensitive (RFC 4422 3.1): what is compared
    mechanism = choose(offered)
    if mechanism is None:
        mechanisms = probe.transcript.keep(" ".join(written))
        probe.fail(StepName.AUTH, started, "auth.not_supported",
                   phrase("probe.step.auth_offered", mechanisms=mechanisms) if offered else phrase("probe.step.no_auth"),
                   variant="probe", offer=phrase("probe.auth.offer_only", mechanisms=mechanisms) if offered
                   else phrase("probe.auth.offer_none"), mechanisms=mechanisms, detail=phrase("platform.oauth2.not_offered"))
    user = probe.s.user
    token = probe.policy.oauth2_token.get_secret_value()
    deadline = probe.deadline()
    challenge: tuple[str, dict | None] | None = None  # (the server's words as kept, the JSON object if any)
    reply = None
    try:
        reply = probe.channel.command(f"AUTH {mechanism} {initial_response(mechanism, user, token, probe.host, probe.s.port)}",
                                      deadline, masked=f"AUTH {mechanism} ********")
        if reply.code == 334:  # an error challenge: read it, then let the server finish the exchange
            decoded, data = decode_challenge(reply.lines[0] if reply.lines else "")
            challenge = (probe.transcript.keep(decoded), data)
            reply = probe.channel.command(abort_line(mechanism), deadline)
    except ProbeError as exc:
        cut = challenge_in(exc.evidence) if reply is None else None
        if challenge is None and cut is None:
            probe.fail_error(StepName.AUTH, started, probe._error_code(exc), exc)
        # The challenge already said "refused": a lost final reply, or a challenge too long to read, changes nothing.
        challenge, reply = challenge or (cut, None), None
    probe.auth_mechanism = mechanism
    if reply is not None and reply.code == 235:
        probe.step(StepName.AUTH, StepStatus.OK, started, phrase("probe.step.auth_ok", mechanism=mechanism, user=user))
        return True
    said, data = challenge if challenge else ("", None)
    code = classify(data)
    extra = load_extras().get(probe.preset.id if probe.preset else None)
    scope = data.get("scope") if data else None
    scope = (probe.transcript.keep(scope) if isinstance(scope, str) and scope.strip() else None) \
        or (extra.oauth2_scope if extra else None) or phrase("platform.oauth2.scope_unknown")
    first = probe.said_first(reply) if reply is not None else None
    detail = Evidence(EvidenceKind.SERVER, said) if said else first
    probe.step(StepName.AUTH, StepStatus.FAIL, started, None, code, first or detail)
    params = {"reply": first} if first is not None else {}
    if detail is not None:
        params["detail"] = detail
    probe.find(code, StepName.AUTH, evidence=probe.said(reply.text) if reply is not None else detail,
               mechanism=mechanism, user=user, scope=scope, **params)
    return False
