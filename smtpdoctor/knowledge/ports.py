"""Well-known submission ports and their TLS modes (ports.toml): one table for checks and probe."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from smtpdoctor.knowledge.providers import TlsMode


@cache
def _ports() -> tuple[dict, ...]:
    from smtpdoctor.knowledge.tomlcache import loads_cached

    raw = loads_cached((files("smtpdoctor.knowledge") / "ports.toml").read_text(encoding="utf-8"), "ports")
    return tuple(raw["port"])


def standard_modes() -> dict[int, TlsMode]:
    """Port -> the TLS mode it speaks when no preset says otherwise."""
    return {p["port"]: TlsMode(p["mode"]) for p in _ports()}


def alternate_ports() -> dict[int, TlsMode]:
    """The ports worth racing when the configured one is silent, in the file's order of preference."""
    return {p["port"]: TlsMode(p["mode"]) for p in _ports() if p["alternate"]}
