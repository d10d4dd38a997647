"""Shipped data cites what a user can open: a public URL or an RFC, never a path on somebody's machine;
and providers.toml, the file users read and extend, sits at the repository's top level."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "smtpdoctor" / "knowledge"
DATA_FILES = sorted([ROOT / "providers.toml", *KNOWLEDGE.rglob("*.toml")])
# Places that name where a fact comes from. Vocabularies and command cues may cite a client library's
# source file by repository and path (a public repository, named as its maintainers name it).
CITATION_KEY = re.compile(r"(?:^|_)(?:source|sources|evidence)$")
LOCAL_PATH = re.compile(r"(?:^|[\s\"'(])(?:/(?:work|tmp|home|root|Users|var|mnt)/|[A-Z]:\\|~/|\.\./)")
PUBLIC = re.compile(r"^(?:https?://\S+|RFC \d+\b)")
# Files whose citations must be a URL or an RFC throughout (facts about providers, platforms, frameworks).
URL_ONLY = {"providers.toml", "platforms.toml", "provider_extras.toml"}


def citations(node, path=()):
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


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_no_citation_points_at_a_local_path(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    local = [(where, text) for where, text in citations(data) if LOCAL_PATH.search(text)]
    assert not local, local[:5]
    assert not LOCAL_PATH.search(path.read_text(encoding="utf-8").replace("/dev/", "")), "a comment names a local path"


@pytest.mark.parametrize("name", sorted(URL_ONLY))
def test_provider_and_platform_facts_cite_a_url_or_an_rfc(name):
    path = ROOT / name if name == "providers.toml" else KNOWLEDGE / name
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    found = list(citations(data))
    assert found or name == "providers.toml", f"no citations found in {name}"
    wrong = [(where, text) for where, text in found if not PUBLIC.match(text)]
    assert not wrong, wrong[:5]


def test_providers_toml_is_at_the_top_level_and_only_there():
    assert (ROOT / "providers.toml").is_file()
    assert not (KNOWLEDGE / "providers.toml").exists(), "a second copy inside the package tree"


def test_the_default_presets_are_the_top_level_file():
    from smtpdoctor.knowledge.providers import default_providers_path

    assert default_providers_path().resolve() == (ROOT / "providers.toml").resolve()
