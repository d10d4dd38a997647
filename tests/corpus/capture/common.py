"""Shared settings for the client drivers (Python ones import this; others read the same values from env)."""
import json
import os
import sys
from pathlib import Path

RUN = Path(os.environ.get("CAPTURE_RUN", "/tmp/capture/run"))
OUT = Path(os.environ.get("CAPTURE_OUT", "/tmp/capture/out"))
HOST = "localhost"
USER = "demo@example.test"
PASSWORD = os.environ.get("CAPTURE_PASSWORD", "wrong-or-right-password")  # a round-three run gives a non-ASCII one
FROM = "app@example.test"
TO = "user@example.test"
TIMEOUT = 4

sys.path.insert(0, str(Path(__file__).parent))
import importlib  # noqa: E402

SCENARIOS = importlib.import_module(os.environ.get("CAPTURE_SCENARIOS", "scenarios")).SCENARIOS  # scenarios3: round three


def ports():
    return json.loads((RUN / "ports.json").read_text())


def save(client: str, style: str, scenario: str, text: str) -> None:
    d = OUT / client / style
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{scenario}.txt").write_text(text)
