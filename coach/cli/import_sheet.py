"""`coach import`: an exercise sheet (text, PDF, saved web page) drafted as a routine file."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from coach.common.errors import CoachError
from coach.common.paths import write_atomically

LEFT_OUT_SHOWN = 3


def import_sheet(
    sheet: Annotated[
        str, typer.Argument(help="The sheet: a .txt, a .pdf with text in it, a saved web page (.html), or - for stdin.")
    ],
    out: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="The routine file to write (default: the sheet's name, .toml)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the output file if it exists.")] = False,
) -> None:
    """Draft a routine from your physiotherapist's exercise sheet, every field traced to its line."""
    from coach.plan.routine import parse_routine
    from coach.sheets.drafting import draft_toml
    from coach.sheets.importer import import_lines
    from coach.sheets.reading import read_sheet, read_sheet_file

    from_stdin = sheet == "-"
    if out is None and not from_stdin:
        out = Path(Path(sheet).name.split(".")[0] + ".toml")
    if out is not None and out.exists() and not force:
        raise CoachError(f"{out} already exists; add --force to replace it, or choose another file with -o")
    if from_stdin:
        lines = read_sheet(sys.stdin.buffer.read(), "stdin")
        source = "standard input"
    else:
        lines = read_sheet_file(Path(sheet))
        source = sheet
    draft = import_lines(lines, source)
    text = draft_toml(draft)
    routine = parse_routine(text, source=str(out or "the draft"))  # what is written always loads
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_atomically(out, text.encode())
    report: Callable[[str], None] = typer.echo if out is not None else partial(typer.echo, err=True)
    where = f" into {out}" if out is not None else ""
    count = len(draft.exercises)
    report(f"{source}: {count} exercise{'s' if count != 1 else ''}{where} ({draft.title}, {routine.language}):")
    width = max(len(exercise.name) for exercise in draft.exercises)
    for number, exercise in enumerate(draft.exercises, start=1):
        report(f"  {number:>2}. {exercise.name:<{width}}  {exercise.dose_summary()}   ({exercise.where})")
    if routine.schedule is not None:
        report(f"  Schedule: {routine.schedule.text()}")
    unplaced = draft.left_out
    if unplaced:
        shown = "; ".join(f'{said.where}: "{_short(said.text)}"' for said in unplaced[:LEFT_OUT_SHOWN])
        more = f" and {len(unplaced) - LEFT_OUT_SHOWN} more" if len(unplaced) > LEFT_OUT_SHOWN else ""
        report(f"  Not placed (not an exercise or advice): {shown}{more}")
    report("  Not on the sheet: the seconds each movement takes, and what the file marks as the coach's default.")
    if out is not None:
        report(f"Read it through, then: coach --routine {out} --dry-run")


def _short(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[: length - 3].rstrip() + "..."
