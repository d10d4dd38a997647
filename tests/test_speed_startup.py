"""Issue 23, a healthy verdict sooner: what start-up now skips must not change what a run does.

`@value` classes behave as the frozen dataclasses they replace; host names skip idna only where idna would return
them lower-cased; the catalog builds an entry when asked; the parsed-data cache survives a damaged file; and an
installed wheel's first run reads the data parsed at build time (neither tomllib nor pydantic imported)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import idna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpdoctor.knowledge import tomlcache
from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.probe.transport import ascii_bytes
from smtpdoctor.report import OURS, Evidence, EvidenceKind, Finding, Phrase, Report, phrase
from smtpdoctor.settings.model import idna_encoded
from smtpdoctor.values import value

ROOT = Path(__file__).resolve().parents[1]


def test_value_class_behaves_as_a_frozen_dataclass():
    f = Finding("auth.bad_credentials", variant="x", params={"n": 1})
    assert f == Finding("auth.bad_credentials", "x", params={"n": 1}) and f != Finding("auth.bad_credentials")
    assert hash(phrase("a", n=1).id) and hash(Evidence(EvidenceKind.SERVER, "535")) == hash(Evidence(EvidenceKind.SERVER, "535"))
    assert repr(Evidence(EvidenceKind.SERVER, "x")) == "Evidence(kind=<EvidenceKind.SERVER: 'server'>, text='x')"
    assert dataclasses.is_dataclass(f) and dataclasses.replace(f, variant=None).variant is None
    assert dataclasses.fields(Phrase)[0].metadata == OURS
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.code = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del f.code
    with pytest.raises(TypeError):
        Finding()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Finding("a", code="b")  # type: ignore[misc]
    with pytest.raises(TypeError):
        Finding("a", colour="red")  # type: ignore[call-arg]
    assert Report("check").findings == () and Report("check").settings == {} is not Report("check").settings


def test_value_class_mutable_and_misuse():
    @value(frozen=False)
    class Box:
        items: list = dataclasses.field(default_factory=list)

    box = Box()
    box.items = [1]
    assert box == Box([1]) and Box().items is not Box().items
    with pytest.raises(TypeError):
        hash(box)
    with pytest.raises(TypeError):  # a method of its own would be silently replaced
        @value
        class Odd:
            x: int

            def __eq__(self, other):
                return True


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="abcXYZ019-._", max_size=24)
       | st.lists(st.text(alphabet="ab-", max_size=70), min_size=1, max_size=5).map(".".join))
def test_idna_encoded_is_idna(host):
    def outcome(encode):
        try:
            return encode(host)
        except (UnicodeError, ValueError):
            return "refused"

    assert outcome(idna_encoded) == outcome(lambda h: idna.encode(h, uts46=True).decode())


def test_idna_encoded_examples():
    assert idna_encoded("SMTP.Gmail.com") == "smtp.gmail.com"
    assert idna_encoded("пример.рф") == "xn--e1afmkfd.xn--p1ai"
    assert idna_encoded("xn--e1afmkfd.xn--p1ai") == "xn--e1afmkfd.xn--p1ai"
    for bad in ("a_b.example", "-a.example", "ab--c.example", "a" * 64 + ".example", "a..b"):
        with pytest.raises(UnicodeError):
            idna_encoded(bad)
    assert ascii_bytes("smtp.example.com") == b"smtp.example.com" and ascii_bytes(None) is None
    assert ascii_bytes("пример.рф") == "пример.рф"


def test_catalog_entries_are_built_when_asked():
    catalog = load_catalog()
    codes = list(catalog.entries)
    assert len(codes) == len(catalog.entries) == len(set(codes)) > 50
    assert "auth.bad_credentials" in catalog.entries and "no.such_code" not in catalog.entries
    entry = catalog.entries["auth.bad_credentials"]
    assert entry is catalog.entries["auth.bad_credentials"] and entry.code == "auth.bad_credentials"
    assert catalog.entries.get("no.such_code") is None
    with pytest.raises(KeyError):
        catalog.entry("no.such_code")


def test_a_damaged_cache_file_is_parsed_anew(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("SMTPDOCTOR_NO_CACHE", raising=False)
    text = 'title = "é"\r\nlist = [1, 2]\r\nmulti = """a\r\nb"""\r\n'
    first = tomlcache.loads_cached(text.encode(), "speed-test")
    assert first == {"title": "é", "list": [1, 2], "multi": "a\nb"}  # as read_text() + tomllib give it
    (entry,) = (tmp_path / "smtpdoctor").glob("speed-test-*")
    entry.write_bytes(entry.read_bytes()[:7])  # cut short, as a full disk leaves it
    assert tomlcache.loads_cached(text.encode(), "speed-test") == first
    assert tomlcache.loads_cached(text.encode(), "speed-test") == first  # and rewritten whole


@pytest.mark.slow
def test_installed_wheel_first_run_reads_data_parsed_at_build(tmp_path):
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(out.glob("smtpdoctor-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("smtpdoctor/knowledge/parsed/diagnoses-checked-") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "empty-cache"), "LANG": "C"}
    env.pop("SMTPDOCTOR_NO_CACHE", None)
    code = ("import sys; from smtpdoctor.cli import main; "
            "code = main(['check', '--offline', '--host', 'smtp.gmail.com', '--user', 'me@gmail.com']); "
            "print(sorted(m for m in ('tomllib', 'pydantic') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr
    assert any((tmp_path / "empty-cache" / "smtpdoctor").iterdir())  # kept in the user's cache for the next run


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_json_forms_of_a_secret_are_json_dumps(secret):
    import json

    from smtpdoctor.redact import _json_string

    assert _json_string(secret, ascii_only=False) == json.dumps(secret, ensure_ascii=False)
    assert _json_string(secret, ascii_only=True) == json.dumps(secret)


_GC_SEEN = """
import gc, sys
import smtpdoctor.cli
smtpdoctor.cli.main = lambda args: print("collector", gc.isenabled()) or 0  # what the command would see
from smtpdoctor.entry import main
main()
print("frozen at exit", gc.get_freeze_count() > 0)
"""


@pytest.mark.parametrize(("command", "collects"), [
    (["check", "--offline"], False), (["dns", "example.com"], False), (["demo"], False),
    (["explain", "-"], True), (["batch", "rows.csv"], True), (["serve"], True), (["lint", ".env"], True),
    (["--debug", "check"], False), (["no-such-command"], True),  # what is not known to be bounded collects
])
def test_the_collector_is_off_only_for_bounded_commands(command, collects):
    """Start-up runs without the garbage collector (it would walk the ~40,000 objects start-up builds ~50 times):
    a command whose work is bounded keeps it off; one that reads input of any size or serves gets it back."""
    done = subprocess.run([sys.executable, "-c", _GC_SEEN, *command], capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines() == [f"collector {collects}", "frozen at exit True"], done.stdout + done.stderr
