"""What a framework really does with its TLS settings, by version: the rules of knowledge/frameworks.toml.

A reader gives the framework's own settings (`MAIL_ENCRYPTION`, `MAILER_DSN.port`...) and the
framework's version when a lock file says it; the first rule whose `versions` and `when` match decides
the TLS mode. Without a version we assume the framework's current release and say so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from functools import cache
from pathlib import Path

from smtpdoctor.settings.model import FALSE_WORDS, TRUE_WORDS
from smtpdoctor.values import value

IMPLICIT, STARTTLS, OPPORTUNISTIC, PLAIN, INVALID, NONE = (
    "implicit", "starttls", "starttls-opportunistic", "plain", "invalid", "none")
ABSENT = "<absent>"


@value
class Rule:
    versions: str
    when: Mapping[str, str]
    mode: str
    note_en: str
    note_ru: str
    source: str


@value
class Unset:
    """What a framework does when the host or the port is not set at all (frameworks.toml `unset`)."""

    versions: str
    host: str  # the host it connects to instead; "" = without a host it sends no mail at all
    port: int  # the port it uses instead
    port_implicit: int | None  # the port instead when TLS from the first byte is on (nodemailer: 465); None = same
    source: str


@value
class Framework:
    id: str
    name: str
    rules: tuple[Rule, ...]
    assumed_version: str | None = None
    recommendation_en: str = ""
    recommendation_ru: str = ""
    unset: tuple[Unset, ...] = ()
    settings: tuple[str, ...] = ()  # every name the framework reads (frameworks.toml `settings`)
    label: str = ""  # the short name findings use ("Spring Boot")


@value
class Version:
    """The framework version a verdict rests on: read from a lock file, or assumed."""

    text: str | None
    file: str | None = None  # where it was read; None = assumed

    @property
    def assumed(self) -> bool:
        return self.file is None


@value
class Decision:
    mode: str
    rule: Rule
    matched: tuple[str, ...] = field(default=())  # "MAIL_PORT=465": the settings that decided, as written


@cache
def load_frameworks() -> dict[str, Framework]:
    from smtpdoctor.knowledge.tomlcache import load_shipped

    data = load_shipped("frameworks.toml")
    out: dict[str, Framework] = {}
    for fw in data.get("framework", []):
        rules = tuple(Rule(str(r.get("versions", "*")), {str(k): str(v) for k, v in r.get("when", {}).items()},
                           r["mode"], r["note"]["en"], r["note"]["ru"], r.get("source", ""))
                      for r in fw.get("rule", []))
        rec = fw.get("recommendation", {})
        unset = tuple(Unset(str(u.get("versions", "*")), str(u.get("host", "")), int(u["port"]),
                            u.get("port_implicit"), u.get("source", "")) for u in fw.get("unset", []))
        out[fw["id"]] = Framework(fw["id"], fw["name"], rules, fw.get("assumed_version"),
                                  rec.get("en", ""), rec.get("ru", ""), unset, tuple(fw.get("settings", ())),
                                  fw.get("label", fw["name"]))
    return out


def unset_defaults(framework_id: str, version: Version | None) -> Unset | None:
    """What the framework, at this version, does with a host or port that is not set."""
    fw = load_frameworks().get(framework_id)
    if fw is None:
        return None
    text = version.text if version is not None else fw.assumed_version
    return next((u for u in fw.unset if version_matches(u.versions, text)), None)


# -- versions ---------------------------------------------------------------------------------------

def parse_version(text: str) -> tuple[int, ...] | None:
    m = re.match(r"\s*[vV]?(\d+(?:\.\d+)*)", text or "")
    return tuple(int(p) for p in m.group(1).split(".")) if m else None


def _cmp(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    width = max(len(a), len(b))
    a, b = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return (a > b) - (a < b)


def version_matches(spec: str, version: str | None) -> bool:
    """PEP 440-style specifier ("<9", ">=9.1,<11.35", "==11.35.0", "*"); no version matches only "*"."""
    spec = spec.strip()
    if spec in ("", "*"):
        return True
    parsed = parse_version(version or "")
    if parsed is None:
        return False
    for clause in spec.split(","):
        m = re.match(r"\s*(<=|>=|==|!=|<|>)\s*([\d.]+)\s*$", clause)
        if not m:
            return False
        c = _cmp(parsed, parse_version(m.group(2)) or (0,))
        ok = {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0, "==": c == 0, "!=": c != 0}[m.group(1)]
        if not ok:
            return False
    return True


# Where each framework's version is written down, and how to read it.
_COMPOSER = {"laravel": "laravel/framework", "symfony": "symfony/mailer"}
_PYPI = {"django": "django"}


def find_version(framework_id: str, near: Path | None) -> Version:
    """The framework's version from the project's lock files next to (or above) the settings file."""
    fw = load_frameworks().get(framework_id)
    assumed = Version(fw.assumed_version if fw else None)
    start = near.parent if near is not None else Path.cwd()
    try:
        directories = [start.resolve(), *list(start.resolve().parents)[:3]]
    except OSError:
        return assumed
    for directory in directories:
        found = _version_in(framework_id, directory)
        if found is not None:
            return found
    return assumed


def _read(path: Path) -> str | None:
    try:
        if path.is_file() and path.stat().st_size < 8_000_000:
            return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return None


def _version_in(framework_id: str, directory: Path) -> Version | None:
    if framework_id in _COMPOSER:
        package = _COMPOSER[framework_id]
        lock = _read(directory / "composer.lock")
        if lock:
            import json  # only where there is a lock file to read

            try:
                data = json.loads(lock)
                for entry in data.get("packages", []) + data.get("packages-dev", []):
                    if entry.get("name") == package and parse_version(str(entry.get("version", ""))):
                        return Version(str(entry["version"]).lstrip("vV"), str(directory / "composer.lock"))
            except (ValueError, AttributeError):
                pass
        manifest = _read(directory / "composer.json")
        if manifest:
            m = re.search(rf'"{re.escape(package)}"\s*:\s*"[\^~>=v ]*(\d+(?:\.\d+)*)', manifest)
            if m:
                return Version(m.group(1), str(directory / "composer.json"))
    if framework_id in _PYPI:
        for path in sorted(directory.glob("requirements*.txt")) + [directory / "pyproject.toml"]:
            text = _read(path)
            m = re.search(r"(?im)^\s*[\"']?django\s*(?:\[[^\]]*\])?\s*(?:==|~=|>=)\s*(\d+(?:\.\d+)*)", text or "")
            if m:
                return Version(m.group(1), str(path))
    if framework_id == "rails":
        # Bundler's lock lists each gem under `specs:` with four spaces: "    mail (2.8.1)". The TLS rules
        # are the mail gem's (ActionMailer hands smtp_settings to Mail::SMTP), so its version is the one read.
        m = re.search(r"(?m)^ {4}mail \((\d+(?:\.\d+)*)", _read(directory / "Gemfile.lock") or "")
        if m:
            return Version(m.group(1), str(directory / "Gemfile.lock"))
    if framework_id == "nodemailer":
        for name, pattern in (("package-lock.json", r'"node_modules/nodemailer"\s*:\s*\{\s*"version"\s*:\s*"(\d+(?:\.\d+)*)'),
                              ("package.json", r'"nodemailer"\s*:\s*"[\^~>=v ]*(\d+(?:\.\d+)*)')):
            m = re.search(pattern, _read(directory / name) or "")
            if m:
                return Version(m.group(1), str(directory / name))
    if framework_id == "spring":
        text = _read(directory / "pom.xml")
        m = re.search(r"spring-boot-starter-parent</artifactId>\s*<version>([\d.]+)", text or "")
        if m:
            return Version(m.group(1), str(directory / "pom.xml"))
        for name in ("build.gradle", "build.gradle.kts"):
            m = re.search(r"org\.springframework\.boot['\"]?\)?\s*version\s*['\"]([\d.]+)", _read(directory / name) or "")
            if m:
                return Version(m.group(1), str(directory / name))
    return None


# -- rules ------------------------------------------------------------------------------------------

def _normal(value: str | None) -> str | None:
    """None for unset, empty or the literal null; booleans normalised; otherwise the lower-cased word."""
    if value is None:
        return None
    word = value.strip().strip("\"'").strip().lower()
    if word in ("", "null", "none", "~"):
        return None
    if word in TRUE_WORDS:
        return "true"
    if word in FALSE_WORDS:
        return "false"
    return word


def _condition_holds(expected: str, present: bool, value: str | None) -> bool:
    if expected == "*":
        return True
    if expected == ABSENT:
        return not present
    wanted = _normal(expected)
    return _normal(value) == wanted


def decide(framework_id: str, values: Mapping[str, str | None], version: Version) -> Decision | None:
    """The first rule that applies. `values` holds every setting the file names (None = named, no value)."""
    fw = load_frameworks().get(framework_id)
    if fw is None:
        return None
    for rule in fw.rules:
        if not version_matches(rule.versions, version.text):
            continue
        if all(_condition_holds(exp, key in values, values.get(key)) for key, exp in rule.when.items()):
            matched = tuple(f"{key}={values[key]}" for key, exp in rule.when.items()
                            if exp != "*" and key in values and values[key] is not None)
            return Decision(rule.mode, rule, matched)
    return None
