"""The `smtpdoctor` console command: start what can run beside the imports, then hand over to the CLI.

Importing the program takes longer than anything a healthy check does on the network; a command that will
open a TLS connection gets the CA store loaded meanwhile, on the second core (see probe/trust.py)."""

from __future__ import annotations

import sys

_PROBING_COMMANDS = frozenset({"check", "batch", "demo"})
_NOT_PROBING = frozenset({"--offline", "--insecure", "--list", "-h", "--help"})  # nothing to verify


def main() -> int:
    from smtpdoctor.streams import hold_closed_descriptors

    hold_closed_descriptors()  # before the CA store is read on another thread: no file may take fd 1 for stdout
    args = sys.argv[1:]
    if _asks_version(args) and _print_version():
        return 0
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if command in _PROBING_COMMANDS and not _NOT_PROBING & set(args):
        from smtpdoctor.probe.trust import warm

        warm()
    from smtpdoctor.cli import main as cli_main

    return cli_main(args)


def _asks_version(args: list[str]) -> bool:
    """`smtpdoctor --version` (with --debug or not), before any command: what Typer would answer, without
    importing Typer and the program (most of the start-up). Anything else on the line goes to the CLI, which
    also says what is wrong with it."""
    return "--version" in args and set(args) <= {"--version", "--debug"}


def _print_version() -> bool:
    """True once the version is written; False when the write failed: the CLI then runs and reports that."""
    from smtpdoctor import __version__

    try:
        sys.stdout.write(f"smtpdoctor {__version__}\n")
        sys.stdout.flush()
    except (OSError, ValueError, AttributeError):
        return False
    return True
