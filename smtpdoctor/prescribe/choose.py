"""One choice, the right one: each candidate spelt, read back and checked; among those that cure, the one the
probe has proven leads, then the one on the provider's recommended port; the others are listed only where the
provider's data vouches for them. Prescriptions that would contradict each other are not both shown."""

from __future__ import annotations

from dataclasses import dataclass, replace

from smtpdoctor.prescribe.candidates import Tried, tries
from smtpdoctor.prescribe.model import Edit, Field, Prescription, Recheck, Verified
from smtpdoctor.prescribe.spell import Spelt, spell
from smtpdoctor.prescribe.verify import findings_of, proves, reread
from smtpdoctor.report import Finding, Phrase, Report, Severity, StepName, StepStatus, phrase


@dataclass
class _Cured:
    tried: Tried
    spelt: Spelt
    inp: object  # the settings after the edits
    port: int
    secure: bool
    order: int


def prescriptions(findings: list[Finding], report: Report, ctx, rules) -> list[Finding]:
    from smtpdoctor.settings.model import clean

    settings = clean(ctx.inp, ctx.preset, unset=ctx.app.unset) if ctx.app is not None else clean(ctx.inp, ctx.preset)
    probed = bool(report.steps)
    proven_mode = _probe_proved(report)
    ctx.probed = proven_mode
    found = frozenset(f.code for f in findings)
    out: list[Finding] = []
    taken: dict[tuple[str | None, str], str | None] = {}  # (file, key) -> value, of the prescriptions shown
    for f in findings:
        f = _reading(f)
        cure = rules.cure_for(f.code, f.variant, found)
        if cure is None or f.severity not in (Severity.ERROR, Severity.WARNING):
            out.append(f)
            continue
        found = _prescription(f, cure, ctx, settings, probed, proven_mode, report)
        if found is not None and found.edits:
            keys = {(e.file, e.key): e.value for e in found.edits}
            if any(k in taken and taken[k] != v for k, v in keys.items()):
                found = None  # it would undo what an earlier (graver) finding's fix sets: that one first
            else:
                taken.update(keys)
        out.append(replace(f, prescription=found) if found is not None else f)
    return out


def _reading(f: Finding) -> Finding:
    """A refusal whose reply names the owner of the address is told as such (not "the From is not the login's
    mailbox" when the two are the same address)."""
    from smtpdoctor.prescribe.candidates import owner_in

    if f.code == "sender.not_owned" and f.variant is None and f.evidence is not None and owner_in(f.evidence.text):
        return replace(f, variant="owner_named")
    return f


def _probe_proved(report: Report) -> tuple[int, bool] | None:
    """The port and TLS mode the probe got through TLS with: a change that lands there is proven by it."""
    tls_ok = any(s.name is StepName.TLS and s.status is StepStatus.OK for s in report.steps)
    port, secure = report.settings.get("port"), report.settings.get("secure")
    if not tls_ok or port is None or secure is None or not (port.value or "").isdigit():
        return None
    return int(port.value), secure.value == "implicit"


def _probe_mode(report: Report) -> str | None:
    secure = report.settings.get("secure")
    return secure.value if secure is not None and report.steps else None


def _params(f: Finding, ctx, settings) -> dict:
    base = {k: v for k, v in f.params.items() if not isinstance(v, (dict, list))}
    base.setdefault("user", settings.user or "")
    base.setdefault("sender", settings.sender or "")
    base.setdefault("port", settings.port)
    return base


def _steps(ids, f: Finding, ctx, settings) -> tuple[Phrase, ...]:
    params = _params(f, ctx, settings)
    return tuple(phrase(message_id, **params) for message_id in ids)


def _prescription(f: Finding, cure, ctx, settings, probed: bool, proven_mode, report: Report) -> Prescription | None:
    ruled_out = cure.ruled_out == "probe_other_mode" and _probe_mode(report) == "starttls"
    if cure.ruled_out == "probe_other_mode" and not ruled_out:
        return None  # the probe did not try the other mode (or did not run): the catalog's steps stand
    cured: list[_Cured] = []
    for order, tried in enumerate(tries(cure, f, ctx, settings, probed)):
        found = _cure(f, tried, ctx, settings, order)
        if found is not None:
            cured.append(found)
    if not cured:
        return Prescription(f.code, steps=_steps(cure.fallback, f, ctx, settings)) if cure.fallback else None
    preset = ctx.preset
    if cure.rank == "provider":
        cured.sort(key=lambda c: (not c.tried.proven and (c.port, c.secure) != proven_mode,
                                  preset is not None and c.port != preset.default_port, c.order))
    best = cured[0]
    verified, proof = Verified.SETTINGS, None
    if best.tried.proven:
        verified = Verified.PROBE
        proof = phrase(best.tried.proof, **_params(f, ctx, settings), **_named(best)) if best.tried.proof else None
    elif (best.port, best.secure) == proven_mode:
        verified, proof = Verified.PROBE, phrase("prescribe.proof.probe_mode", port=best.port)
    alternatives = tuple(c.spelt.edits for c in cured[1:]) if preset is not None and cure.rank == "provider" else ()
    recheck = _recheck(ctx, best) if ctx.recheck is not None and probed else None
    if recheck is not None and recheck.passed:
        verified = Verified.PROBE
    return Prescription(f.code, best.spelt.edits, verified, alternatives, _steps(cure.then, f, ctx, settings), recheck,
                        proof)


def _named(cured: _Cured) -> dict:
    """The values the change sets, for the words of its proof ({new_port}, {new_sender})."""
    return {f"new_{field.value}": value for field, value in cured.tried.changes.items() if field is not Field.URL}


def _cure(f: Finding, tried: Tried, ctx, settings, order: int) -> _Cured | None:
    from smtpdoctor.settings.model import clean_text

    changes = dict(tried.changes)
    # A change to what already holds is no change (the From is already the login's address).
    for name in ("host", "user", "sender"):
        field = Field(name)
        if field in changes and (getattr(settings, name) or "").lower() == changes[field].lower() \
                and f.code not in ("config.whitespace", "config.unknown_host"):
            changes.pop(field)
    if Field.PORT in changes and changes[Field.PORT] == str(settings.port) and ctx.inp.port is not None \
            and clean_text(ctx.inp.port.value) == changes[Field.PORT]:
        changes.pop(Field.PORT)
    if not changes:
        return None
    keep_secure = settings.secure if tried.keep else None
    spelt = spell(changes, ctx.written, ctx.inp, keep_secure if Field.SECURE not in changes else None, settings.secure)
    if spelt is None:
        return None
    again = reread(ctx, spelt, changes)
    if again is None:
        return None
    after, effective = findings_of(ctx, again.inp, again.findings)
    provider = ctx.preset.id if ctx.preset is not None else None
    revealed = "url" if Field.URL in changes else ("host" if Field.HOST in changes and effective.provider != provider
                                                   else None)
    if not proves(ctx, f, ctx.baseline, after, revealed):
        return None
    if Field.PORT in changes and str(effective.port) != changes[Field.PORT]:
        return None
    target = changes.get(Field.SECURE)
    if target is not None and effective.secure != (target == "true"):
        return None
    if tried.keep and effective.secure != settings.secure:
        return None
    return _Cured(tried, spelt, again.inp, effective.port, effective.secure, order)


def _recheck(ctx, cured: _Cured) -> Recheck | None:
    """`--verify-fix`: the whole check again, the probe included, on the settings with this fix applied."""
    again = ctx.recheck(cured.inp)
    if again is None:
        return None
    codes = tuple(dict.fromkeys(f.code for f in again.findings if f.severity in (Severity.ERROR, Severity.WARNING)))
    return Recheck(codes)


def all_edits(findings) -> list[Edit]:
    """Every edit of the findings' prescriptions, in order (the first cure of each finding)."""
    return [e for f in findings if getattr(f, "prescription", None) is not None for e in f.prescription.edits]
