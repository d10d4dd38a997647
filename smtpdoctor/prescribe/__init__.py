"""The prescription step: findings -> edits to the user's own settings, each proven before it is shown.

settings -> checks/probe -> findings -> diagnose() -> **prescribe()** -> Report -> render/.

For each finding a settings change can cure (knowledge/prescriptions.toml), the candidate changes are filled
in (candidates.py), spelt in the source the values came from (spell.py: a .env line, Django's EMAIL_USE_SSL,
Laravel's switch for the project's version, the Symfony DSN as a whole, a Spring property, Supabase's TOML),
read back the way the application reads them and checked again (verify.py). The first that cures the finding
and brings up nothing new is the prescription; one the probe has already shown to work ("verified": "probe")
leads. Language-free, like the findings: render/ words it.

Imported by app.run_check on every check; everything heavier than this module is imported only when there is
a finding to cure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from smtpdoctor.report import Finding, Report, Severity


class Context:
    """What a prescription is computed from besides the Report: the settings as given and where they live.

    A plain class, not a dataclass: it is built on every check, and the decorator's cost is paid at import."""

    def __init__(self, inp, providers, preset=None, env: Mapping[str, str] | None = None, options=None, source=None,
                 deferred: frozenset[str] = frozenset(), in_file: str | None = None, *, lint: bool = False,
                 forced_provider: bool = False, recheck: Callable[[object], Report] | None = None, app=None) -> None:
        self.inp = inp  # settings.model.SettingsInput, as the application has it (unredacted)
        self.providers = providers  # knowledge.providers.ProviderCatalog
        self.preset = preset  # the provider the run recognised
        self.env = env or {}
        self.options = options  # app.CheckOptions
        self.source = source  # settings.frameworks.SourceRead (None: SMTP_* variables)
        self.deferred = deferred
        self.in_file = in_file
        self.lint = lint
        self.forced_provider = forced_provider
        self.recheck = recheck  # --verify-fix: the whole check again on edited settings
        self.app = app  # checks.static.AppDefaults: what the framework does with an unset host or port
        # Where the findings say values came from: a DSN that could not be read leaves no setting to point at its file.
        self.sources: tuple = ()
        self.probed: tuple[int, bool] | None = None  # the port and TLS mode the probe got through TLS with
        self._written = None
        self._baseline: list[Finding] | None = None

    @property
    def written(self):
        if self._written is None:
            from smtpdoctor.prescribe.written import read_written

            found = tuple(f.source for f in getattr(self.source, "findings", ()) or ())
            self._written = read_written(self.inp, self.source, self.env, found + self.sources)
        return self._written

    @property
    def baseline(self) -> list[Finding]:
        """What the settings checks say about the settings as they are: what an edit must not add to."""
        if self._baseline is None:
            from smtpdoctor.prescribe.verify import findings_of

            self._baseline = findings_of(self, self.inp, tuple(getattr(self.source, "findings", ()) or ()))[0]
        return self._baseline


def prescribe(report: Report, ctx: Context | None) -> Report:
    """The Report with each curable finding's proven edits (`Finding.prescription`), findings the run's
    stronger evidence makes moot left out, and the verdict counted again."""
    if not any(f.severity in (Severity.ERROR, Severity.WARNING) for f in report.findings):
        return report  # a healthy run: nothing to cure, no data file to read
    from smtpdoctor.prescribe.rules import load_rules

    rules = load_rules()
    findings = _without_moot(list(report.findings), rules)
    found = frozenset(f.code for f in findings)
    if ctx is not None and any(rules.cure_for(f.code, f.variant, found) is not None for f in findings):
        from smtpdoctor.prescribe.choose import prescriptions

        ctx.sources = tuple(f.source for f in findings if f.source is not None)
        findings = prescriptions(findings, report, ctx, rules)
    if list(findings) == list(report.findings):
        return report
    from smtpdoctor.diagnose import verdict_of

    return replace(report, findings=tuple(findings), verdict=verdict_of(findings))


def _without_moot(findings: list[Finding], rules) -> list[Finding]:
    codes = {f.code for f in findings}
    pairs = {(f.code, f.variant) for f in findings}
    dropped = set()
    for moot in rules.moot:
        if any(code in codes for code in moot.when) or (moot.when_variant is not None and moot.when_variant in pairs):
            dropped.add(moot.drop)
    if not dropped:
        return findings
    kept = [f for f in findings if f.code not in dropped]
    # A dropped finding that was a cause: its consequences stand on their own.
    return [replace(f, because_of=None) if f.because_of in dropped else f for f in kept]
