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


def capture_two_styles(client: str, plain: str, verbose: str, attempt, wanted=lambda sc: True, only=None) -> None:
    """Every wanted scenario, run twice: the client's plain output (style `plain`), then its verbose or debug
    output (style `verbose`), each kept only when the client failed. `attempt(scenario, port, verbose)` runs the
    client once and gives (exit code or "killed", the text to keep); a run killed for hanging records nothing."""
    p = ports()
    for name, sc in SCENARIOS.items():
        if (only and name not in only) or not wanted(sc):
            continue
        rc, text = attempt(sc, p[name], False)
        if rc == "killed":
            print(f"{name}: {client} still waiting, killed; nothing recorded", flush=True)
            continue
        if rc != 0 and text.strip():
            save(client, plain, name, text.rstrip("\n"))
        rc2, text = attempt(sc, p[name], True)
        if rc2 not in (0, "killed") and text.strip():
            save(client, verbose, name, text.rstrip("\n"))
        print(name, rc, rc2, flush=True)
