"""Wheel build hook: the shipped data files parsed and validated at build time (smtpdoctor/knowledge/prebuilt.py),
so an installed smtpdoctor's first run does not parse TOML or import pydantic for them."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class ParsedDataHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version == "editable":  # an editable install reads the checkout
            return
        self._out = Path(tempfile.mkdtemp(prefix="smtpdoctor-parsed-"))
        code = "import sys; from smtpdoctor.knowledge.prebuilt import build; build(sys.argv[1])"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [self.root, os.environ.get("PYTHONPATH")]))}
        done = subprocess.run([sys.executable, "-c", code, str(self._out)], cwd=self.root, env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:  # the wheel still works: its first run parses the files, as a checkout does
            self.app.display_warning(f"parsed data not built (first runs will parse TOML): {done.stderr.strip()[-500:]}")
            return
        build_data["force_include"][str(self._out)] = "smtpdoctor/knowledge/parsed"

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
