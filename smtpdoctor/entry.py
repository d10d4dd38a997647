"""The `smtpdoctor` console command: start what can run beside the imports, then hand over to the CLI.

Importing the program takes longer than anything a healthy check does on the network; a command that will
open a TLS connection gets the CA store loaded meanwhile, on the second core (see probe/trust.py)."""

from __future__ import annotations

import gc
import sys

_PROBING_COMMANDS = frozenset({"check", "batch", "demo"})
_NOT_PROBING = frozenset({"--offline", "--insecure", "--list", "-h", "--help"})  # nothing to verify
# Commands whose work is bounded whatever their input (one check, one domain's DNS, a table): the garbage collector
# can stay off to the end. The others (batch rows, a log of any size, a server) get it back once started.
_BOUNDED_COMMANDS = frozenset({"check", "fix", "dns", "providers", "platforms", "demo"})


def main() -> int:
    # Start-up builds ~40,000 objects that live as long as the process (modules, classes, functions, the data
    # tables) and next to no garbage, yet the collector, set off by allocation counts, walks them ~50 times
    # meanwhile and once more at exit: ~50 M instructions, a tenth of a healthy check (docs/performance.md).
    gc.disable()
    try:
        return _started()
    finally:
        gc.freeze()  # the collection at exit passes over them: they all go with the process anyway


def _started() -> int:
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

    if command not in _BOUNDED_COMMANDS:
        gc.freeze()  # what start-up built is never walked again
        gc.enable()
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
