"""A finding -> the changes of the effective settings that may cure it (prescriptions.toml [[cure]]), with their
values filled in: from the finding's own parameters ("{port_fix}") or computed here ("@port_mode"), from the
settings as given, the provider's data (providers.toml) and what the probe saw."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from smtpdoctor.prescribe.model import Field
from smtpdoctor.prescribe.rules import Candidate, Cure
from smtpdoctor.report import Finding

# Postfix reject_sender_login_mismatch ("Sender address rejected: not owned by user NAME") and the wordings
# that follow it: the user the server says owns the address.
_OWNER = re.compile(r"not owned by (?:auth(?:enticated)? )?user\s+<?([^\s<>;,]+@[^\s<>;,]+?)>?[.;,]?(?:\s|$)", re.I)


def owner_in(reply: str) -> str | None:
    """The address a sender refusal names as the owner of the From ("not owned by user NAME")."""
    m = _OWNER.search(reply)
    return m.group(1) if m else None


@dataclass(frozen=True)
class Tried:
    """One candidate with its values: setting -> value as the settings model holds it."""

    changes: dict[Field, str]
    proven: bool  # the probe has shown it (prescriptions.toml `proven = "probe"`, and the probe ran)
    keep: bool = False
    proof: str | None = None  # message id: how the probe showed it


def _bool(value) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    return None


def _mode_secure(port: int, preset) -> bool | None:
    from smtpdoctor.knowledge.ports import standard_modes

    mode = (preset.mode_of(port) if preset is not None else None) or standard_modes().get(port)
    return mode.secure if mode is not None else None


class Values:
    """The "@name" values of prescriptions.toml, for one finding in one run."""

    def __init__(self, finding: Finding, ctx, settings) -> None:
        self.f, self.ctx, self.s = finding, ctx, settings

    def port_mode(self, _changes) -> str | None:
        return _bool(_mode_secure(self.s.port, self.ctx.preset))

    def probed_mode(self, _changes) -> str | None:
        """The TLS mode the probe got through TLS with on this port (a port no table knows, a lab server)."""
        proved = self.ctx.probed
        return _bool(proved[1]) if proved is not None and proved[0] == self.s.port else None

    def port_for_mode(self, _changes) -> str | None:
        """A port of the provider for the TLS mode as configured: its recommended one first."""
        preset, secure = self.ctx.preset, self.s.secure
        if preset is not None:
            ports = sorted((p.port for p in preset.ports if p.mode.secure == secure),
                           key=lambda p: (p != preset.default_port, p))
            return str(ports[0]) if ports else None
        return "465" if secure else "587"

    def mode_of_port(self, changes) -> str | None:
        port = changes.get(Field.PORT)
        return _bool(_mode_secure(int(port), self.ctx.preset)) if port and port.isdigit() else None

    def provider_port(self, _changes) -> str | None:
        """The provider's recommended port; without provider data, 587, the submission port (RFC 6409)."""
        return str(self.ctx.preset.default_port) if self.ctx.preset is not None else "587"

    def literal_user(self, _changes) -> str | None:
        rule = self.ctx.preset.username if self.ctx.preset is not None else None
        return rule.value if rule is not None and rule.rule == "literal" else None

    def login_address(self, _changes) -> str | None:
        from smtpdoctor.checks.static import is_address

        user = self.s.user
        return user if is_address(user) and (self.s.sender or "").lower() != (user or "").lower() else None

    def owner_named(self, _changes) -> str | None:
        owner = owner_in(self.f.evidence.text) if self.f.evidence is not None else None
        return owner if owner and owner.lower() != (self.s.sender or "").lower() else None

    def url_encoded(self, _changes) -> str | None:
        from smtpdoctor.prescribe.urls import build, parse_loose

        text = self.ctx.written.value(self.f.source.name) if self.f.source is not None else None
        parts = parse_loose(text) if text else None
        if parts is None or parts.scheme.lower() not in ("smtp", "smtps") and "+" not in parts.scheme:
            return None
        return build(parts)


def _param(finding: Finding, name: str) -> str | None:
    value = finding.params.get(name)
    if isinstance(value, bool):
        return _bool(value)
    if isinstance(value, (int, str)) and not isinstance(value, bool) and str(value).strip():
        return str(value)
    return None


def field_of(finding: Finding, inp) -> str | None:
    """The setting a finding is about: the input field whose value it names."""
    if finding.source is None:
        return None
    if inp.url_source is not None and finding.source == inp.url_source:
        return "url"
    for name in ("host", "port", "secure", "user", "password", "sender", "sender_name"):
        raw = getattr(inp, name)
        if raw is not None and raw.source == finding.source:
            return name
    if finding.variant == "url":
        return "url"
    return None


def tries(cure: Cure, finding: Finding, ctx, settings, probed: bool) -> list[Tried]:
    """The cure's candidates for this finding, values filled in; a candidate with a value that cannot be known
    (no provider data, nothing named in the reply) is left out."""
    if cure.field is not None and field_of(finding, ctx.inp) != cure.field:
        return []
    values = Values(finding, ctx, settings)
    out = []
    for candidate in cure.candidates:
        filled = _fill(candidate, finding, values, ctx)
        if filled:
            proven = candidate.proven == "probe" and probed
            out.append(Tried(filled, proven, candidate.keep, candidate.proof if proven else None))
    return out


def _fill(candidate: Candidate, finding: Finding, values: Values, ctx) -> dict[Field, str] | None:
    changes: dict[Field, str] = {}
    for name, spec in candidate.changes.items():
        if name == "@field":
            name = field_of(finding, ctx.inp) or ""
        if name not in Field._value2member_map_:
            return None
        value: str | None
        if spec.startswith("{") and spec.endswith("}"):
            value = _param(finding, spec[1:-1])
        elif spec.startswith("@"):
            compute: Callable | None = getattr(values, spec[1:], None)
            value = compute(changes) if compute is not None else None
        else:
            value = spec
        if value is None:
            return None
        changes[Field(name)] = value
    return changes
