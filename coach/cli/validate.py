"""`coach validate`: a routine file checked, or its first mistake with file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coach.plan.routine import load_routine


def validate(path: Annotated[Path, typer.Argument(help="The routine file to check.")]) -> None:
    """Check a routine file; prints what it holds, or the first mistake with its line."""
    routine = load_routine(path)
    exercises = ", ".join(exercise.id for exercise in routine.exercises)
    rounds = f", {routine.rounds} rounds" if routine.rounds > 1 else ""
    typer.echo(f"{path}: OK: '{routine.title}', {len(routine.exercises)} exercises ({exercises}){rounds}")
