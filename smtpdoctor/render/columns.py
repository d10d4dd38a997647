"""Laying text out in a given number of columns: wrapped paragraphs and tables, for a terminal or a pipe alike.

Text is broken only between words, never inside one: a host name, a URL, an option (`--install-completion`),
an environment variable or a `code span` (a command to paste, spaces and all) is moved to the next line whole,
and runs past the edge only when it alone is wider than the line. A table keeps each cell's atoms whole ("587
(STARTTLS)", "smtp.gmail.com"); when even its narrowest layout is wider than the screen, the caller shows one
block per entry instead. No Rich here: both the plain writer and the terminal one print these lines.
"""

from __future__ import annotations

import os
import re
from dataclasses import field

from smtpdoctor.values import value

FLOOR = 80  # the narrowest terminal every layout is designed for; a smaller COLUMNS is taken as 80
PROSE = 100  # sentences are wrapped no wider than this, however wide the terminal: long lines read badly

Spans = list[tuple[str, str]]  # (text, style) pieces of one line


def terminal_columns(stream=None, env=None) -> int:
    """The width to lay out for: COLUMNS when it is set (piped output too, as `ls` and `git` read it), else
    the terminal's own width, else 80; never less than 80."""
    env = os.environ if env is None else env
    value = env.get("COLUMNS", "").strip()
    if value.isdigit() and int(value) > 0:
        return max(FLOOR, int(value))
    if stream is not None and hasattr(stream, "isatty"):
        try:
            if stream.isatty():
                return max(FLOOR, os.get_terminal_size(stream.fileno()).columns)
        except (OSError, ValueError, AttributeError):
            pass
    return FLOOR


def prose_columns(stream=None, env=None) -> int:
    return min(terminal_columns(stream, env), PROSE)


# A word: a run of characters up to a space, with a `code span` (spaces inside it too) kept in one piece.
_WORD = re.compile(r"(?:`[^`\n]*`|[^ `\n]|`)+")


def break_points(text: str, first: int, rest: int) -> list[tuple[int, int]]:
    """(start, end) of each line of `text` (one paragraph, no newline) wrapped to `first` columns for the
    first line and `rest` for the others; breaks fall between words only."""
    lines: list[tuple[int, int]] = []
    start = end = None
    for word in _WORD.finditer(text):
        if start is None:  # the first line keeps the paragraph's leading spaces (a right-aligned status)
            start, end = 0, word.end()
            continue
        room = first if not lines else rest
        if word.end() - start <= room:
            end = word.end()
            continue
        lines.append((start, end))
        start, end = word.start(), word.end()
    if start is not None:
        lines.append((start, end))
    return lines or [(0, 0)]


def wrap_spans(spans: Spans, width: int, indent: int = 0, hang: int = 0) -> list[Spans]:
    """Styled text wrapped to `width`: the first line starts with `indent` spaces, every later one (wrapped, or
    after a newline in the text: one paragraph either way) with `hang` more."""
    text = "".join(t for t, _ in spans)
    styles: list[tuple[int, int, str]] = []
    at = 0
    for piece, style in spans:
        styles.append((at, at + len(piece), style))
        at += len(piece)
    out: list[Spans] = []
    offset = 0
    for part in text.split("\n"):
        for a, b in break_points(part, width - indent - (hang if out else 0), width - indent - hang):
            pad = " " * (indent + (hang if out else 0))
            line: Spans = [(pad, "")] if pad else []
            line += _slice(styles, text, offset + a, offset + b)
            out.append(line)
        offset += len(part) + 1
    return out


def _slice(styles: list[tuple[int, int, str]], text: str, a: int, b: int) -> Spans:
    return [(text[max(a, s):min(b, e)], style) for s, e, style in styles if max(a, s) < min(b, e)]


@value(frozen=False)
class Cell:
    """One table cell: atoms that are never split (words of a name, "587 (STARTTLS),", a host), set side by side
    with a space between them, or one per line when `stacked`."""

    atoms: list[str] = field(default_factory=list)
    style: str = ""
    stacked: bool = False

    @classmethod
    def words(cls, text: str, style: str = "") -> Cell:
        return cls([w.group() for w in _WORD.finditer(text)], style)

    @classmethod
    def one(cls, text: str, style: str = "") -> Cell:
        return cls([text] if text else [], style)

    def narrowest(self) -> int:
        return max((len(a) for a in self.atoms), default=0)

    def natural(self) -> int:
        if self.stacked:
            return self.narrowest()
        return len(" ".join(self.atoms))

    def lines(self, width: int) -> list[str]:
        if self.stacked:
            return list(self.atoms) or [""]
        out: list[str] = []
        for atom in self.atoms:
            if out and len(out[-1]) + 1 + len(atom) <= width:
                out[-1] += " " + atom
            else:
                out.append(atom)
        return out or [""]


def table_lines(rows: list[list[Cell]], width: int, indent: int = 0, gap: int = 2,
                header: list[Cell] | None = None, wrap: bool = True, spaced: bool = False) -> list[Spans] | None:
    """The rows (and a header) as lines no wider than `width`, the columns as wide as their longest cell
    and narrowed, widest first, down to their longest atom (not at all without `wrap`: one line a row);
    None when even that is too wide."""
    every = ([header] if header else []) + rows
    count = max(len(r) for r in every)
    every = [r + [Cell()] * (count - len(r)) for r in every]
    widths = [max(r[i].natural() for r in every) for i in range(count)]
    floors = [max(r[i].narrowest() for r in every) for i in range(count)] if wrap else list(widths)
    if indent + sum(floors) + gap * (count - 1) > width:
        return None
    while indent + sum(widths) + gap * (count - 1) > width:
        i = max(range(count), key=lambda k: (widths[k] - floors[k] > 0, widths[k]))
        widths[i] -= 1
    laid = [[cell.lines(widths[i]) for i, cell in enumerate(row)] for row in every]
    # With `spaced`, rows that take several lines are told apart by a blank line between them (no rules are
    # drawn): for a table whose first column may wrap too.
    spaced = spaced and any(len(lines) > 1 for cells in laid[1 if header else 0:] for lines in cells)
    out: list[Spans] = []
    for number, (row, cells) in enumerate(zip(every, laid)):
        if spaced and number > (1 if header else 0):
            out.append([])
        for n in range(max(len(c) for c in cells)):
            line: Spans = [(" " * indent, "")] if indent else []
            for i, cell in enumerate(cells):
                text = cell[n] if n < len(cell) else ""
                last = i == count - 1 or all(not (c[n] if n < len(c) else "") for c in cells[i + 1:])
                if text:
                    line.append((text, "bold" if header and row is every[0] else row[i].style))
                if not last:
                    line.append((" " * (widths[i] - len(text) + gap), ""))
            out.append(_trimmed(line))
    return out


def _trimmed(line: Spans) -> Spans:
    while line and not line[-1][0].strip():
        line = line[:-1]
    return line
