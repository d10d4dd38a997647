"""The wheel carries providers.toml and the catalogs, and works outside the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    return next(out.glob("smtpdoctor-*.whl"))


def test_wheel_contains_data_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("smtpdoctor/knowledge/providers.toml", "smtpdoctor/knowledge/diagnoses.toml", "smtpdoctor/knowledge/messages.toml"):
        assert required in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "smtpdoctor = smtpdoctor.entry:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_finds_its_providers(wheel, tmp_path):
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    env = {**os.environ, "PYTHONPATH": str(target), "LANG": "C"}
    env.pop("SMTPDOCTOR_PROVIDERS", None)
    # Run from an unrelated folder, so nothing can come from the source checkout.
    code = ("import smtpdoctor, sys; from smtpdoctor.cli import main; "
            "assert smtpdoctor.__file__.startswith(sys.argv[1]), smtpdoctor.__file__; "
            "raise SystemExit(main(['providers', 'rambler']))")
    result = subprocess.run([sys.executable, "-c", code, str(target)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "smtp.rambler.ru" in result.stdout


def test_python_dash_m_and_version():
    result = subprocess.run([sys.executable, "-m", "smtpdoctor", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("smtpdoctor ")
