"""Errors that end a run. Problems with the user's SMTP setup are Findings, not exceptions;
these are for input smtpdoctor cannot read at all (exit 2). Like findings they carry a message id
and language-neutral parameters; `render/` words them in the reader's language."""

from __future__ import annotations

import errno
from typing import ClassVar

from smtpdoctor.exitcodes import ExitCode
from smtpdoctor.report import Evidence, EvidenceKind, Phrase, phrase


class SmtpdoctorError(Exception):
    exit_code: ClassVar[ExitCode] = ExitCode.USAGE

    def __init__(self, message_id: str, **params: object) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params


class UsageError(SmtpdoctorError):
    """Options that contradict each other or name something that does not exist."""


class InputError(SmtpdoctorError):
    """A file or stream that cannot be read or parsed (providers file, .env, log)."""


class OutputError(SmtpdoctorError):
    """The report cannot be written (a full disk, /dev/full, a closed standard output): the run stops, exit 2.
    A reader that went away (EPIPE) is not one: that ends quietly with ExitCode.BROKEN_PIPE."""


class Interrupted(SmtpdoctorError):
    """Ctrl-C. Raised in place of KeyboardInterrupt, which Typer would turn into a bare exit 130 with no word."""

    exit_code: ClassVar[ExitCode] = ExitCode.INTERRUPTED


# errno values whose meaning we word ourselves; any other keeps the system's own text as evidence.
_KNOWN_ERRNO = {errno.ENOENT: "reason.not_found", errno.EACCES: "reason.permission", errno.EPERM: "reason.permission",
                errno.EISDIR: "reason.is_directory", errno.ENOTDIR: "reason.not_directory",
                errno.ENOSPC: "reason.no_space", errno.EROFS: "reason.read_only", errno.EIO: "reason.io",
                errno.EBADF: "cli.reason.closed"}


def os_reason(exc: BaseException) -> Phrase | Evidence:
    """Why a file could not be used, in our words when the errno is a common one."""
    code = getattr(exc, "errno", None)
    if code in _KNOWN_ERRNO:
        return phrase(_KNOWN_ERRNO[code])
    text = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
    return Evidence(EvidenceKind.SYSTEM, text)


NOT_A_FILE = phrase("reason.not_a_file")
