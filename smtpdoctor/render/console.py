"""Rich, only for a terminal: colours, the spinner while a check runs, progress bars. Imported only when one is
wanted. The lines themselves are laid out before (render/columns.py), the same as in a pipe: Rich only
colours them."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text


class _PlainOut:
    """Collects plain output and writes it without the trailing spaces Rich pads lines with."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        if "\n" in self.pending:
            done, _, self.pending = self.pending.rpartition("\n")
            self.stream.write("\n".join(line.rstrip() for line in done.split("\n")) + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def console_for(stream) -> Console:
    """A terminal gets colours; anything else plain text without trailing spaces. Both at the width the
    text was laid out for (COLUMNS when set, never under 80)."""
    import os

    from smtpdoctor.render.columns import terminal_columns

    width = terminal_columns(stream)
    plain = not (hasattr(stream, "isatty") and stream.isatty()) or "NO_COLOR" in os.environ
    if plain:
        return Console(file=_PlainOut(stream), no_color=True, highlight=False, color_system=None, width=width,
                       emoji=False)
    return Console(file=stream, highlight=False, emoji=False, width=width)


def _text(spans) -> Text:
    text = Text()
    for part, style in spans:
        text.append(part, style=style or None)
    return text


def write_lines(lines, stream) -> None:
    """Lines of (text, style) spans, already escaped and laid out: printed as they are (no wrapping of Rich's)."""
    console = console_for(stream)
    for spans in lines:
        console.print(_text(spans), soft_wrap=True)


def spinner(stream, status_text: str, run, step_name):
    """A spinner naming each probe step as it finishes while `run(on_step)` works; nothing stays on the screen,
    so the report that follows is printed in the same order as in a pipe."""
    console = console_for(stream)
    with console.status(status_text) as status:
        def on_step(step) -> None:
            status.update(f"{status_text} {step_name(step)}")

        return run(on_step)


def progress_bar(stream, label: str):
    from rich.progress import Progress

    progress = Progress(console=console_for(stream), transient=True)
    task = progress.add_task(label, total=None)
    return progress, lambda n: progress.advance(task, n)
