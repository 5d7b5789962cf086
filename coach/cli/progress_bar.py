"""The one progress bar of the CLI: on stderr, for work that takes more than a moment."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(label: str, transfer: bool = False) -> Iterator[Callable[[int, int], None] | None]:
    """Yields a callback (done, total), or None when stderr is not a terminal (piped, CI).

    `transfer` shows bytes and speed, for a download."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    columns = (
        (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
        if transfer
        else Progress.get_default_columns()
    )
    with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
