"""What every file format's editor shares: line ends kept as the file has them, and the refusal of an edit.

An editor never guesses: when the text around a value is not what it can rewrite safely, it raises
Refused with a reason id (`fix.refused.<reason>`), and the file stays as it was.
"""

from __future__ import annotations

import re


class Refused(Exception):
    """An edit that cannot be applied safely; `reason` is a message id under `fix.refused.`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def split_line_end(text: str) -> tuple[str, str]:
    for end in ("\r\n", "\n", "\r"):
        if text.endswith(end):
            return text[: -len(end)], end
    return text, ""


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def append(text: str, block: str) -> str:
    """`block` (lines without the final newline) at the end; a file without a final newline stays without."""
    nl = newline_of(text)
    block = block.replace("\n", nl)
    if not text:
        return block + nl
    if text.endswith(("\n", "\r")):
        return text + block + nl
    return text + nl + block


def line_start(text: str, index: int) -> int:
    return max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1


def line_after(text: str, index: int) -> int:
    """The offset just after the line break that ends the line holding `index` (or the text's end)."""
    if index > 0 and text[index - 1] in "\n":
        return index
    m = re.compile(r"\r\n|\n|\r").search(text, index)
    return m.end() if m else len(text)
