"""`coach report`: the history as a page to look at, or to send to a physiotherapist.

Thin, as the rest of the CLI: coach.record.report sums the history up, coach.record.report_page draws
it (matplotlib, imported only here, so no other command pays for it), coach.record.browser
turns the page into a picture or a printed page.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coach.common.errors import OptionError, RoutineError

if TYPE_CHECKING:
    from coach.record.report import RoutineSummary

FORMATS = (".html", ".htm", ".png", ".pdf")
PICTURE_WIDTH = 900  # CSS pixels: the page as on a laptop, one column, easy to read in a mail


def report(
    out: Annotated[
        Path,
        typer.Argument(help="The file to write: .html (the page), .png (a picture of it) or .pdf (to print)."),
    ] = Path("coach-report.html"),
    weeks: Annotated[
        int | None, typer.Option("--weeks", metavar="N", help="The last N weeks, this one included (default 8).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="From this day (YYYY-MM-DD) to today.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
) -> None:
    """Write a report of your sessions: how often, pain before and after, work per exercise."""
    from coach.common.paths import write_atomically
    from coach.record.history import History
    from coach.record.report import DEFAULT_WEEKS, Period, plural, summarise
    from coach.session.export import check_writable

    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise OptionError(f"{out}: unknown report format '{out.suffix or 'no extension'}' (use .html, .png or .pdf)")
    today = date.today()
    if weeks is not None and since is not None:
        raise OptionError("--weeks and --since both say where the report starts: give one")
    if since is not None:
        try:
            first = date.fromisoformat(since)
        except ValueError:
            raise OptionError(f"--since must be a day like {today.isoformat()} (got '{since}')") from None
        period = Period.since(first, today)
    else:
        period = Period.weeks_to(today, DEFAULT_WEEKS if weeks is None else weeks)
    check_writable(out, force)
    from coach.record.report_page import render_html  # matplotlib: only now, the request being sound

    summary = summarise(History().sessions(), period, describe_routine)
    page = render_html(summary, today)
    if suffix in (".html", ".htm"):
        write_atomically(out, page.encode("utf-8"))
    else:
        write_atomically(out, _drawn(page, suffix))
    sessions = plural(summary.sessions, "session")
    typer.echo(f"{out}: {sessions}, {period.first.isoformat()} to {period.last.isoformat()}")


def _drawn(page: str, suffix: str) -> bytes:
    from coach.record.browser import Browser, find_browser

    executable = find_browser()  # before anything else: no browser is one line
    with tempfile.TemporaryDirectory(prefix="coach-report-") as folder:
        source = Path(folder) / "report.html"
        source.write_text(page, encoding="utf-8")
        with Browser(executable) as browser:
            session = browser.open(source, PICTURE_WIDTH)
            return browser.screenshot(session) if suffix == ".png" else browser.pdf(session)


def describe_routine(name: str) -> RoutineSummary | None:
    """A routine as the history names it (a built-in's name, or a file's path), if it can still be read."""
    from coach.plan.routine import builtin_routine_path, load_builtin, load_routine
    from coach.record.report import RoutineSummary

    try:
        if builtin_routine_path(name).is_file():
            routine = load_builtin(name)
        elif Path(name).is_file():
            routine = load_routine(Path(name))
        else:
            return None
    except (RoutineError, OSError, ValueError):
        return None  # changed or broken since: the report still shows its sessions, by id
    exercises = tuple((exercise.id, exercise.name) for exercise in routine.exercises)
    return RoutineSummary(routine.title, exercises, routine.schedule)
