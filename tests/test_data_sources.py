"""Shipped data cites what a user can open: every source starts with a public URL or an RFC, never a path on
somebody's machine, a bare repository path or a document title to search for; and providers.toml, the file users
read and extend, sits at the repository's top level."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "smtpdoctor" / "knowledge"
DATA_FILES = sorted([ROOT / "providers.toml", *KNOWLEDGE.rglob("*.toml")])
# Keys that name where a fact comes from: source, sources, evidence, mx_source, detect_source...
# (`why` in prescriptions.toml is our own reasoning, not a citation.)
CITATION_KEY = re.compile(r"(?:^|_)(?:source|sources|evidence)$")
LOCAL_PATH = re.compile(r"(?:^|[\s\"'(])(?:/(?:work|tmp|home|root|Users|var|mnt)/|[A-Z]:\\|~/|\.\./)")
# The value starts with what a user can open; what follows explains it ("URL (the function, the message)").
# A value naming several sources gives each its URL: "URL1 (what); URL2 (what)".
PUBLIC = re.compile(r"^(https?://\S+|RFC \d+)")
# Files that must carry citations: a renamed key would otherwise make the checks below pass on nothing.
CITED = ["providers.toml", "platforms.toml", "provider_extras.toml", "vocabularies.toml", "commands.toml",
         "enhanced_codes.toml", "frameworks.toml", "ports.toml", "reply_codes.toml"]


def citations(node, path=()):
    """(where, text) for every citation in a parsed TOML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if CITATION_KEY.search(str(key)):
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, str):
                        yield (*path, key), item
            else:
                yield from citations(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from citations(value, (*path, i))


def citations_of(path: Path) -> list[tuple[tuple, str]]:
    return list(citations(tomllib.loads(path.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_citation_starts_with_a_url_or_an_rfc(path):
    wrong = [(where, text) for where, text in citations_of(path) if not PUBLIC.match(text)]
    assert not wrong, f"{len(wrong)} citations in {path.name} start with neither a URL nor 'RFC <n>': {wrong[:5]}"


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_citation_points_at_a_local_path(path):
    local = [(where, text) for where, text in citations_of(path) if LOCAL_PATH.search(text)]
    assert not local, local[:5]
    assert not LOCAL_PATH.search(path.read_text(encoding="utf-8").replace("/dev/", "")), "a comment names a local path"


@pytest.mark.parametrize("name", CITED)
def test_the_cited_files_still_have_their_citations(name):
    path = ROOT / name if name == "providers.toml" else KNOWLEDGE / name
    assert citations_of(path), f"no citations found in {name}: was a key renamed?"


def test_every_provider_preset_names_its_sources():
    presets = tomllib.loads((ROOT / "providers.toml").read_text(encoding="utf-8"))
    unsourced = [pid for pid, preset in presets.items() if not preset.get("sources")]
    assert not unsourced, f"presets without sources: {unsourced}"


def test_the_url_rule_rejects_what_it_should():
    """The rule itself: a repository path, a title, a path on disk and a bare word are not citations."""
    for bad in ["nodemailer/nodemailer lib/smtp-connection/index.js (err.command)", "IANA SMTP Enhanced Status Codes registry",
                "Microsoft Learn: Exchange Online limits", "/work/shared/reference/platform-facts.md", "RFC", "rfc 5321"]:
        assert not PUBLIC.match(bad), bad
    for good in ["https://github.com/nodemailer/nodemailer/blob/master/lib/smtp-connection/index.js (err.command)",
                 "RFC 3463 section 3.2; https://www.iana.org/assignments/smtp-enhanced-status-codes"]:
        assert PUBLIC.match(good), good


def test_providers_toml_is_at_the_top_level_and_only_there():
    assert (ROOT / "providers.toml").is_file()
    assert not (KNOWLEDGE / "providers.toml").exists(), "a second copy inside the package tree"


def test_the_default_presets_are_the_top_level_file():
    from smtpdoctor.knowledge.providers import default_providers_path

    assert default_providers_path().resolve() == (ROOT / "providers.toml").resolve()
