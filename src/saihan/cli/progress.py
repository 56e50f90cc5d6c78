"""Progress of the steps that can take more than a second, on standard error (rich).

Shown only when standard error is a terminal: never in a pipe, a file or a test's
captured output, and never with ``--quiet``.  ``saihan import`` and ``saihan store
import`` also take ``--progress auto|bar|none`` (``bar``: always, even to a file).
Rich respects ``NO_COLOR``.  The display is cleared when the command ends, so what a
command prints stays as it would be without it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the store is imported by the commands that use one, not by `saihan match`
    from saihan.storage import ImportProgress

__all__ = ["Steps", "add_quiet", "showing"]


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """``--quiet``: no progress on standard error (a command with long steps)."""
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="show no progress on standard error (it is shown only when that is a terminal)",
    )


def showing(args: argparse.Namespace, stream: TextIO | None = None) -> bool:
    """Whether to show progress: not ``--quiet``, and ``--progress bar``, or the stream
    (standard error) is a terminal."""
    if getattr(args, "quiet", False):
        return False
    chosen = getattr(args, "progress", "auto")
    if chosen != "auto":
        return bool(chosen == "bar")
    stream = sys.stderr if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: no terminal
        return False


class Steps:
    """A command's steps shown as they run: a spinner and the time taken for a step
    whose length is not known, a bar for one that counts (records written).

    Disabled (``Steps(False)``), every method does nothing and rich is not imported.
    """

    def __init__(self, enabled: bool, *, stream: TextIO | None = None, force: bool = False):
        self._progress: Any = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(
            file=sys.stderr if stream is None else stream, force_terminal=force or None
        )
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            refresh_per_second=4,  # enough to see it move; less of the GIL taken from the work
            transient=True,  # cleared at the end: the command's output stays as it is
            redirect_stdout=False,
            redirect_stderr=False,
        )

    @classmethod
    def of(cls, args: argparse.Namespace) -> Steps:
        """The steps of a command run with ``args`` (``--quiet``, ``--progress``)."""
        return cls(showing(args), force=getattr(args, "progress", "auto") == "bar")

    def __enter__(self) -> Steps:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    @contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        """A step while its block runs; the block may call the function it gets with
        how much is done (of ``total``)."""
        if self._progress is None:
            yield lambda done: None
            return
        task = self._progress.add_task(description, total=total)

        def advance(done: int) -> None:
            self._progress.update(task, completed=done)

        try:
            yield advance
        finally:
            self._progress.update(task, total=total or 1, completed=total or 1)

    def records(self, description: str) -> Callable[[ImportProgress], None] | None:
        """A ``progress`` callback for :meth:`saihan.storage.Store.import_directory`: a bar
        of the records written (None when progress is not shown)."""
        if self._progress is None:
            return None
        task = self._progress.add_task(description, total=None)

        def report(progress: ImportProgress) -> None:
            self._progress.update(
                task,
                total=progress.total,
                completed=progress.done,
                description=f"{description} {progress.done}/{progress.total} records",
            )

        return report
