"""`coach show-builtin`: the built-in routine's file, to copy and adapt."""

from __future__ import annotations

import typer

from coach.plan.routine import builtin_routine_path


def show_builtin() -> None:
    """Print the built-in routine file, to copy and adapt."""
    typer.echo(builtin_routine_path().read_text(encoding="utf-8"), nl=False)
