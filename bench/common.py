"""Helpers for the benchmarks (not tests): timing subprocesses, medians."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _compile_package() -> None:
    """Time the program as an installed wheel runs it: with its bytecode written. An editable checkout under
    PYTHONDONTWRITEBYTECODE=1 (set on some machines) would otherwise recompile every edited module at
    every run: ~16 ms for cli.py alone."""
    import compileall

    compileall.compile_dir(str(ROOT / "smtpdoctor"), quiet=1)


_compile_package()


def smtpdoctor_cmd() -> list[str]:
    exe = shutil.which("smtpdoctor", path=str(Path(sys.executable).parent)) or shutil.which("smtpdoctor")
    return [exe] if exe else [sys.executable, "-m", "smtpdoctor"]


def time_run(cmd: list[str], env: dict | None = None, stdin: bytes | None = None) -> tuple[float, int]:
    """Wall time of one run. The wait blocks in waitpid(): `subprocess.run(timeout=...)` polls with sleeps
    growing to 50 ms, which rounds every reading up to a step of that ladder (63.5, 113.5, 163.5 ms...)."""
    started = time.perf_counter()  # fork and exec count: they are part of running a command
    with subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdin=subprocess.PIPE if stdin is not None else
                          subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        if stdin is not None:
            proc.stdin.write(stdin)
            proc.stdin.close()
        code = proc.wait()
        return time.perf_counter() - started, code


def median_ms(cmd: list[str], runs: int = 20, env: dict | None = None, warmup: int = 2) -> float:
    for _ in range(warmup):
        time_run(cmd, env)
    return statistics.median(time_run(cmd, env)[0] for _ in range(runs)) * 1000
