"""Rich, only for a terminal: colours, the live spinner, progress bars. Imported only when one is wanted."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.padding import Padding
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
    """A terminal gets colours; anything else plain text, 100 columns, no trailing spaces."""
    import os

    plain = not (hasattr(stream, "isatty") and stream.isatty()) or "NO_COLOR" in os.environ
    if plain:
        return Console(file=_PlainOut(stream), no_color=True, highlight=False, color_system=None, width=100,
                       emoji=False)
    return Console(file=stream, highlight=False, emoji=False)


def _text(block) -> Text:
    from smtpdoctor.render.escape import visible

    text = Text()
    for part, style in block.spans:
        text.append(visible(part), style=style or None)
    return text


def _renderable(block):
    text = _text(block)
    if not block.wrap:
        text.no_wrap = True
        text.overflow = "ellipsis"
    return Padding(text, (0, 0, 0, block.indent), expand=False) if block.indent else text


def write_rich(blocks: Iterable, stream) -> None:
    console = console_for(stream)
    for block in blocks:
        console.print(_renderable(block))


def live_steps(stream, heading, status_text: str, run, step_block):
    """Print each probe step as it finishes, under a spinner; `run(on_step)` does the work."""
    console = console_for(stream)
    console.print(_renderable(heading))
    with console.status(status_text):
        return run(lambda step: console.print(_renderable(step_block(step))))


def progress_bar(stream, label: str):
    from rich.progress import Progress

    progress = Progress(console=console_for(stream), transient=True)
    task = progress.add_task(label, total=None)
    return progress, lambda n: progress.advance(task, n)
