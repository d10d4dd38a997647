"""Issue 24, item 5: a README a newcomer finishes — the two set-up commands, a one-screen tour, a table of what is
supported generated from the data (docs/gen_supported.py), the reference in docs/ — and no link that leads
nowhere."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
# CI runs the second one as it is written here: the README must keep both, byte for byte.
SETUP = [
    "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/smtpdoctor demo",
    "python3 -m venv .venv && .venv/bin/pip install -q '.[test]' && npm ci --prefix tests/clients --silent && "
    ".venv/bin/python -m pytest -q -n auto",
]
LINK = re.compile(r"\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")


def _generator():
    spec = importlib.util.spec_from_file_location("gen_supported", ROOT / "docs" / "gen_supported.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_relative_link_leads_somewhere(page):
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    broken = []
    for m in LINK.finditer(text):
        target = m.group(1) or m.group(2)
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(target)
    assert not broken, broken


def test_the_catalog_link_points_at_the_catalog():
    text = README.read_text(encoding="utf-8")
    assert "](smtpdoctor/diagnoses.toml)" not in text
    assert "](smtpdoctor/knowledge/diagnoses.toml)" in text and "](providers.toml)" in text


def test_the_two_setup_commands_are_there_as_ci_runs_them():
    lines = README.read_text(encoding="utf-8").splitlines()
    first = lines.index(SETUP[0])
    assert lines[first + 1] == SETUP[1] and lines[first - 1] == "```sh" and lines[first + 2] == "```"


def test_the_tour_fits_one_screen_and_comes_before_the_reference():
    text = README.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)
    tour = next(s for s in sections if s.lower().startswith(("a five-minute tour", "a short tour")))
    assert len(tour.splitlines()) <= 45, len(tour.splitlines())
    assert len(text.splitlines()) < 200  # the reference lives in docs/
    for page in ("docs/check.md", "docs/explain.md", "docs/ci.md", "docs/json.md", "docs/security.md"):
        assert f"]({page})" in text and (ROOT / page).is_file(), page


def test_the_supported_table_is_the_one_the_data_gives():
    generator = _generator()
    committed = generator.committed(README.read_text(encoding="utf-8"))
    assert committed is not None, "README.md lacks the generated table's markers"
    assert committed == generator.table(), "regenerate it: python docs/gen_supported.py --write"


def test_the_supported_table_follows_the_data(tmp_path, monkeypatch):
    """Not a copy frozen in the test: a provider added to a providers file shows up in the generated table."""
    from smtpdoctor.knowledge.providers import default_providers_path

    extra = tmp_path / "providers.toml"
    extra.write_text(default_providers_path().read_text(encoding="utf-8").replace("[gmail]", "[gmail]", 1) + """
[lab]
name = "Lab Relay"
kind = "relay"
hosts = ["smtp.lab.example"]
ports = [{ port = 587, mode = "starttls" }]
default_port = 587
username = { rule = "dashboard" }
password = { kind = "smtp_password" }
app_password_required = false
basic_auth = "ok"
sender_rule = "verified_sender_or_domain"
sources = ["https://lab.example/docs"]
""", encoding="utf-8")
    generator = _generator()
    monkeypatch.setattr("smtpdoctor.knowledge.providers.default_providers_path", lambda: extra)
    assert "Lab Relay (`lab`)" in generator.table()
