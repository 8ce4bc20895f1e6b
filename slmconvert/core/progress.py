"""Progress reporting that stages call and the CLI renders (stages never print)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """What a stage tells about long work: a task with an optional total, then advances."""

    def start(self, description: str, total: float | None = None) -> None: ...

    def advance(self, amount: float = 1) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    """Progress that shows nothing (the default for library use and tests)."""

    def start(self, description: str, total: float | None = None) -> None:
        pass

    def advance(self, amount: float = 1) -> None:
        pass

    def finish(self) -> None:
        pass


class RichProgress:
    """A rich progress bar on stderr; shows nothing when stderr is not a terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._task = None

    def start(self, description: str, total: float | None = None) -> None:
        self.finish()
        self._bar.start()
        self._task = self._bar.add_task(description, total=total)

    def advance(self, amount: float = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, amount)

    def finish(self) -> None:
        if self._task is not None:
            self._bar.stop()
            self._task = None


class StepCounter:
    """Turns ``(label, done, total)`` reports into start/advance calls on a Progress."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.progress = progress or NoProgress()
        self.label: str | None = None
        self.done = 0

    def __call__(self, label: str, done: int, total: int | None) -> None:
        if label != self.label:
            self.progress.start(label, total)
            self.label, self.done = label, 0
        if done > self.done:
            self.progress.advance(done - self.done)
            self.done = done

    def finish(self) -> None:
        """Close the current bar."""
        self.progress.finish()
        self.label = None
