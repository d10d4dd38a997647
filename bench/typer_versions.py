"""Which Typer version costs least per run? Each version in its own venv, a 20-option command parsed once.

    python bench/typer_versions.py 0.26.8 0.28.0 0.29.2

Measured 2026-11-26 (2 cores): 0.26.8 import 48 ms + run 3 ms; 0.28.0 45 + 3; 0.29.2 49 + 120 (0.29 builds a
pydantic TypeAdapter for every option when a command runs). Hence `typer>=0.28,<0.29` in pyproject.toml.
Needs the package index; writes venvs under a temporary folder.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

APP = '''
import sys, time
t0 = time.perf_counter()
from typing import Annotated, Optional
from pathlib import Path
import typer
t1 = time.perf_counter()
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
@app.callback()
def root(debug: Annotated[bool, typer.Option("--debug")] = False): pass
@app.command()
def check(host: Annotated[Optional[str], typer.Option()] = None, port: Annotated[Optional[str], typer.Option()] = None,
          user: Annotated[Optional[str], typer.Option()] = None, sender: Annotated[Optional[str], typer.Option()] = None,
          env_file: Annotated[Optional[Path], typer.Option("--env-file")] = None,
          offline: Annotated[bool, typer.Option()] = False, timeout: Annotated[float, typer.Option()] = 10.0,
          ca_file: Annotated[Optional[Path], typer.Option("--ca-file")] = None, strict: Annotated[bool, typer.Option()] = False,
          config: Annotated[Optional[list[Path]], typer.Option("--config")] = None,
          output_format: Annotated[str, typer.Option("--format")] = "text",
          lang: Annotated[Optional[str], typer.Option()] = None):
    pass
@app.command()
def other(x: Annotated[Optional[str], typer.Option()] = None): pass
try:
    app(["check", "--ca-file", "/tmp/x", "--format", "json"])
except SystemExit:
    pass
t2 = time.perf_counter()
print(f"import {1000*(t1-t0):.0f} ms, run {1000*(t2-t1):.0f} ms, pydantic imported: {'pydantic' in sys.modules}")
'''

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "app.py"
        script.write_text(APP)
        for version in sys.argv[1:] or ["0.28.0", "0.29.2"]:
            venv = Path(tmp) / version
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([venv / "bin" / "pip", "install", "-q", f"typer=={version}"], check=True)
            subprocess.run([venv / "bin" / "python", script], capture_output=True)  # warm the bytecode cache
            out = subprocess.run([venv / "bin" / "python", script], capture_output=True, text=True).stdout.strip()
            print(f"typer {version}: {out}")
