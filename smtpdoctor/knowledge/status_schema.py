"""Schema of the status knowledge files (pydantic): checked when a file is parsed anew, never on the hot path."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Command = Literal["GREETING", "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "DATA_END", "QUIT"]


def _compiles(value: str | None) -> str | None:
    if value is not None:
        re.compile(value, re.I)
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClassEntry(_Strict):
    class_: str = Field(alias="class")
    title: str
    meaning: str
    source: str


class SubjectEntry(_Strict):
    subject: str = Field(pattern=r"^[0-7]$")
    title: str
    meaning: str
    finding: str | None = None
    by_command: dict[Command, str] = Field(default_factory=dict)
    source: str


class CodeEntry(_Strict):
    code: str = Field(pattern=r"^(X|[245])\.\d{1,3}\.\d{1,3}$")
    title: str
    meaning: str
    finding: str | None = None
    by_command: dict[Command, str] = Field(default_factory=dict)
    commands: list[Command] = Field(default_factory=list)
    source: str
    example: str
    registered: bool = True
    provider: str | None = None
    regex: str | None = None
    deprecated: bool = False

    _regex = field_validator("regex")(classmethod(lambda cls, v: _compiles(v)))

    @model_validator(mode="after")
    def _example_fits(self) -> CodeEntry:
        if self.regex and not re.search(self.regex, self.example, re.I):
            raise ValueError(f"{self.code}: regex does not match its example")
        return self


class EnhancedFile(_Strict):
    class_: list[ClassEntry] = Field(alias="class")
    subject: list[SubjectEntry]
    code: list[CodeEntry]


class ReplyEntry(_Strict):
    code: int | Literal["4xx", "5xx"]
    command: Command | Literal["*"]
    finding: str | None = None
    variant: str | None = None
    meaning: str
    source: str
    example: str


class ReplyFile(_Strict):
    reply: list[ReplyEntry]


class TermEntry(_Strict):
    match: str | None = None
    regex: str | None = None
    # reply: what a server's reply says, read on any 4xx/5xx (wordings.toml); http_api: an HTTP sending API's
    # documented error answer (http_apis.toml, with its provider and HTTP status)
    kind: Literal["errno", "timeout", "tls", "client", "dns", "reply", "http_api"]
    finding: str
    source: str
    example: str
    strength: Literal["weak", "strong"] | None = None
    provider: str | None = None
    status: int | None = None
    name: str | None = None
    variant: str | None = None
    note: str | None = None

    _regex = field_validator("regex")(classmethod(lambda cls, v: _compiles(v)))

    @model_validator(mode="after")
    def _one_matcher(self) -> TermEntry:
        if (self.match is None) == (self.regex is None):
            raise ValueError("give exactly one of match or regex")
        if self.match is not None and self.match.lower() not in self.example.lower():
            raise ValueError(f"{self.match!r} does not occur in its example")
        if self.regex is not None and not re.search(self.regex, self.example, re.I):
            raise ValueError(f"{self.regex!r} does not match its example")
        return self


class VocabularyFile(_Strict):
    term: list[TermEntry]


class CueEntry(_Strict):
    regex: str
    command: Command | None = None
    group: int = 0
    source: str
    example: str

    _regex = field_validator("regex")(classmethod(lambda cls, v: _compiles(v)))

    @model_validator(mode="after")
    def _fits(self) -> CueEntry:
        if (self.command is None) == (self.group == 0):
            raise ValueError("give a command or a group")
        if not re.search(self.regex, self.example, re.I):
            raise ValueError(f"{self.regex!r} does not match its example")
        return self


class CommandsFile(_Strict):
    cue: list[CueEntry]


SCHEMAS = {"enhanced": EnhancedFile, "reply": ReplyFile, "vocabulary": VocabularyFile, "commands": CommandsFile}


def validate(kind: str, raw: dict) -> None:
    SCHEMAS[kind].model_validate(raw)
