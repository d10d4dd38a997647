"""knowledge/prescriptions.toml as plain data: which findings a settings change cures, how frameworks spell a
TLS mode, when a provider's "good to know" applies, which findings the run's stronger evidence makes moot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache


@dataclass(frozen=True)
class Candidate:
    """One way to cure: setting -> value as written in the data ("587", "{port_fix}", "@port_mode")."""

    changes: Mapping[str, str]
    proven: str | None = None  # "probe": the run's probe has shown it works
    keep: bool = False  # a port change that keeps the TLS mode as configured
    proof: str | None = None  # message id: how the probe showed it


@dataclass(frozen=True)
class Cure:
    code: str
    variants: tuple[str, ...] | None  # None: every variant; "" is the finding without one
    field: str | None
    candidates: tuple[Candidate, ...]
    rank: str | None = None
    then: tuple[str, ...] = ()
    fallback: tuple[str, ...] = ()
    ruled_out: str | None = None
    with_codes: tuple[str, ...] = ()  # the run must also have found one of these

    def applies(self, code: str, variant: str | None, found: frozenset[str] = frozenset()) -> bool:
        return (code == self.code and (self.variants is None or (variant or "") in self.variants)
                and (not self.with_codes or any(c in found for c in self.with_codes)))


@dataclass(frozen=True)
class Spelling:
    set: Mapping[str, str]
    versions: str = "*"


@dataclass(frozen=True)
class Moot:
    drop: str
    when: tuple[str, ...] = ()
    when_variant: tuple[str, str] | None = None


@dataclass(frozen=True)
class Rules:
    cures: tuple[Cure, ...]
    tls: Mapping[str, Mapping[str, tuple[Spelling, ...]]] = field(default_factory=dict)
    tips: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    moot: tuple[Moot, ...] = ()

    def cure_for(self, code: str, variant: str | None, found: frozenset[str] = frozenset()) -> Cure | None:
        """The cure for a finding; `found`: every code of the run (a cure may apply only beside another finding)."""
        return next((c for c in self.cures if c.applies(code, variant, found)), None)


_OPTIONS = ("proven", "keep", "proof")


@cache
def load_rules() -> Rules:
    from smtpdoctor.knowledge.tomlcache import load_shipped

    data = load_shipped("prescriptions.toml")
    cures = []
    for c in data.get("cure", []):
        candidates = tuple(Candidate({k: str(v) for k, v in cand.items() if k not in _OPTIONS}, cand.get("proven"),
                                     bool(cand.get("keep", False)), cand.get("proof"))
                           for cand in c.get("candidates", []))
        variants = tuple(c["variants"]) if "variants" in c else None
        cures.append(Cure(c["code"], variants, c.get("field"), candidates, c.get("rank"), tuple(c.get("then", ())),
                          tuple(c.get("fallback", ())), c.get("ruled_out"), tuple(c.get("with", ()))))
    tls = {fw: {mode: tuple(Spelling({k: str(v) for k, v in s["set"].items()}, s.get("versions", "*")) for s in sets)
                for mode, sets in modes.items()} for fw, modes in data.get("tls", {}).items()}
    moot = tuple(Moot(m["drop"], tuple(m.get("when", ())),
                      (m["when_variant"]["code"], m["when_variant"]["variant"]) if "when_variant" in m else None)
                 for m in data.get("moot", []))
    return Rules(tuple(cures), tls, {k: tuple(v) for k, v in data.get("tips", {}).items()}, moot)
