"""The standard streams as a command needs them, whatever state the caller left them in.

A failed write must end a run with a message and exit 2 (ExitCode.USAGE), never a traceback and never the
interpreter's exit 120 from a flush at shutdown. `guard()` sets this up before a command runs and gives back
what `restore()` puts back (tests run the CLI in-process, many times over)."""

from __future__ import annotations

import errno
import io
import os
import sys


class _Closed(io.TextIOBase):
    """Stands in for a stream the caller closed (`>&-`): every write fails as the descriptor would."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    def writable(self) -> bool:
        return True


class GuardedOutput:
    """sys.stdout while a command runs. A write the system refuses (a full disk, /dev/full, a closed
    descriptor) raises OutputError wherever it happens, and every later write raises it again, so a caller
    that catches broadly cannot carry on as if the report had been written. EPIPE stays BrokenPipeError: the
    reader went away (`| head -1`), which ends quietly with ExitCode.BROKEN_PIPE."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.failure: Exception | None = None

    def write(self, text: str) -> int:
        return self._guarded(self._stream.write, text)

    def writelines(self, lines) -> None:
        for text in lines:
            self.write(text)

    def flush(self) -> None:
        self._guarded(self._stream.flush)

    def _guarded(self, call, *args):
        if self.failure is not None:
            raise self.failure
        try:
            return call(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            from smtpdoctor.errors import OutputError, os_reason

            self.failure = OutputError("cli.error.stdout_write", reason=os_reason(exc))
            silence(self._stream)  # what is still buffered must not fail again at the interpreter's exit
            raise self.failure from exc

    def __getattr__(self, name: str):  # isatty, encoding, fileno, buffer...: the stream's own
        return getattr(self._stream, name)


class QuietOutput(GuardedOutput):
    """sys.stderr while a command runs: when it cannot be written there is nobody left to tell, so a failed
    write is dropped; the exit code still says how the run ended."""

    def _guarded(self, call, *args):
        if self.failure is not None:
            return 0
        try:
            return call(*args)
        except (OSError, ValueError) as exc:
            self.failure = exc
            silence(self._stream)
            return 0


def guard() -> tuple:
    """Make the three streams safe to use and return the ones to restore."""
    saved = (sys.stdin, sys.stdout, sys.stderr)
    hold_closed_descriptors()
    if sys.stdin is None:  # `<&-`: a closed standard input reads as an empty one
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    stdout = sys.stdout if sys.stdout is not None else _Closed()
    _escape_unencodable(stdout)
    sys.stdout = GuardedOutput(stdout)
    sys.stderr = QuietOutput(sys.stderr if sys.stderr is not None else _Closed())
    return saved


def restore(saved: tuple) -> None:
    sys.stdin, sys.stdout, sys.stderr = saved


def hold_closed_descriptors() -> None:
    """Descriptors 0-2 that the caller closed (`>&-`) are held with /dev/null: otherwise the next file or
    socket we open would take the number, and whatever is written to that descriptor would land in it.
    sys.stdout stays None (Python saw the descriptor closed at start), so the report is still refused."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                held = os.open(os.devnull, os.O_RDWR)
                if held != fd:
                    os.dup2(held, fd)
                    os.close(held)
            except OSError:
                pass


def _escape_unencodable(stream) -> None:
    """Text the stream's encoding cannot hold (Cyrillic under PYTHONIOENCODING=ascii, a lone surrogate from a
    hostile file) comes out as \\uXXXX instead of failing the whole report; in JSON that is the same string."""
    if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
        try:
            stream.reconfigure(errors="backslashreplace")
        except (ValueError, io.UnsupportedOperation):
            pass


def silence(stream) -> None:
    """Point the stream's descriptor at /dev/null, so what it still holds in its buffer flushes without error."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass
