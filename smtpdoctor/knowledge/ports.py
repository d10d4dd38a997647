"""Well-known submission ports and their TLS modes (ports.toml): one table for checks and probe."""

from __future__ import annotations

from functools import cache

from smtpdoctor.knowledge.providers import TlsMode


@cache
def _ports() -> tuple[dict, ...]:
    from smtpdoctor.knowledge.tomlcache import load_shipped

    raw = load_shipped("ports.toml")
    return tuple(raw["port"])


def standard_modes() -> dict[int, TlsMode]:
    """Port -> the TLS mode it speaks when no preset says otherwise."""
    return {p["port"]: TlsMode(p["mode"]) for p in _ports()}


def alternate_ports() -> dict[int, TlsMode]:
    """The ports worth racing when the configured one is silent, in the file's order of preference."""
    return {p["port"]: TlsMode(p["mode"]) for p in _ports() if p["alternate"]}


def preflight_ports() -> tuple[int, ...]:
    """The ports `check --ports` tries on every host (the provider's own are added to them)."""
    return tuple(p["port"] for p in _ports() if p["preflight"])


def preference(port: int) -> tuple[int, int]:
    """Sort key: the port to recommend first among working ones (unknown ports last, by number)."""
    rank = next((p["preference"] for p in _ports() if p["port"] == port), 99)
    return (rank, port)


def preferred(ports) -> tuple[int, ...]:
    """`ports` in the order they are worth recommending."""
    return tuple(sorted(ports, key=preference))
