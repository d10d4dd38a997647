"""Errors that end a run. Problems with the user's SMTP setup are Findings, not exceptions;
these are for input smtpdoctor cannot read at all (exit 2)."""

from __future__ import annotations

from typing import ClassVar

from smtpdoctor.exitcodes import ExitCode
from smtpdoctor.render.i18n import Lang, tr


class SmtpdoctorError(Exception):
    exit_code: ClassVar[ExitCode] = ExitCode.USAGE

    def __init__(self, message_id: str, **params: object) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params

    def render(self, lang: Lang) -> str:
        return tr(self.message_id, lang, **self.params)


class UsageError(SmtpdoctorError):
    """Options that contradict each other or name something that does not exist."""


class InputError(SmtpdoctorError):
    """A file or stream that cannot be read or parsed (providers file, .env, log)."""
