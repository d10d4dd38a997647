"""Issue 23, start-up: the prefilter needles of every regex (logs/needles.py) are derived once and read back from
the parsed-data cache by later runs (`explain`, and the first reply a failing `check` reads), not derived again
from 600 regexes each run; a healthy check never derives them at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BUILD = """
import json, sys
import smtpdoctor.logs.needles as needles
if sys.argv[1] == "forbid":
    def derive(regex):
        raise AssertionError("derived again: " + regex)
    needles.needles_for = derive
from smtpdoctor.knowledge.catalog import load_catalog
from smtpdoctor.knowledge.evidence import engine_for
engine = engine_for(load_catalog())
print(json.dumps({"needles": sorted(engine.needles()), "terms": [sorted(n) for _, n in engine._term_needles],
                  "cues": [sorted(n) if n is not None else None for _, n in engine._cue_needles]}))
"""


def clean_env(**extra: str) -> dict[str, str]:
    kept = {k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ}  # a tree under test, when one is named
    return {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **kept, **extra}


def build(cache: Path, mode: str) -> dict:
    result = subprocess.run([sys.executable, "-c", BUILD, mode], capture_output=True, text=True, timeout=120,
                            env=clean_env(XDG_CACHE_HOME=str(cache)))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_second_run_reads_the_needles_back_and_they_are_the_same(tmp_path):
    first = build(tmp_path, "derive")
    assert list((tmp_path / "smtpdoctor").glob("needles-*"))
    again = build(tmp_path, "forbid")  # needles_for raises: every needle must come from the cache
    assert again == first
    assert len(first["needles"]) > 300


def test_a_damaged_cache_entry_is_derived_anew(tmp_path):
    first = build(tmp_path, "derive")
    for entry in (tmp_path / "smtpdoctor").glob("needles-*"):
        entry.write_bytes(b"\x00garbage")
    assert build(tmp_path, "derive") == first


def test_a_healthy_check_derives_no_needles():
    code = ("import sys, os\nimport smtpdoctor.logs.needles as n\n"
            "def derive(regex):\n    raise AssertionError('derived: ' + regex)\n"
            "n.needles_for = derive\nfrom smtpdoctor.cli import main\n"
            "os.environ.update(SMTP_HOST='smtp.gmail.com', SMTP_PORT='587', SMTP_USER='me@gmail.com', "
            "SMTP_PASS='abcdefghijklmnop', SMTP_FROM='me@gmail.com')\n"
            "code = main(['check', '--offline', '--format', 'json'])\n"
            "print(code, 'smtpdoctor.knowledge.evidence' in sys.modules, file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env=clean_env(SMTPDOCTOR_NO_CACHE="1"))
    assert result.stderr.strip().splitlines()[-1].endswith("False"), result.stderr
