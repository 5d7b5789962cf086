"""The `coach` command: the typer app with every command on it, in the order `--help` lists them.

Each command is a module of this folder, thin over the library below it; `app.py` holds the
application and the one-line errors they share. Registering them here, not where they are
defined, keeps that order in one place.
"""

from __future__ import annotations

from coach.cli import export, history, import_sheet, run, show_builtin, validate
from coach.cli import list as listing
from coach.cli.app import app
from coach.cli.report import report
from coach.cli.voices import voices_app

app.callback(invoke_without_command=True)(run.run)
app.command("run", help="Run the routine (the same as plain `coach`).")(run.run)
app.command("export")(export.export)
app.command("list")(listing.list_exercises)
app.command("validate")(validate.validate)
app.command("import")(import_sheet.import_sheet)
app.add_typer(voices_app, name="voices")
app.command("history")(history.history)
app.command("report")(report)
app.command("show-builtin")(show_builtin.show_builtin)

__all__ = ["app", "entry_point"]


def entry_point() -> None:
    app()
