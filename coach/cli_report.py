"""`coach report`: the history as a page to look at, or to send to a physiotherapist.

Thin, as the rest of the CLI: coach.report sums the history up, coach.report_page draws
it (matplotlib, imported only here, so no other command pays for it), coach.browser
turns the page into a picture or a printed page.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coach.errors import OptionError, RoutineError

if TYPE_CHECKING:
    from coach.report import RoutineSummary

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
    from coach.export import check_writable
    from coach.history import History
    from coach.paths import write_atomically
    from coach.report import DEFAULT_WEEKS, Period, plural, summarise

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
    from coach.report_page import render_html  # matplotlib: only now, the request being sound

    summary = summarise(History().sessions(), period, describe_routine)
    page = render_html(summary, today)
    if suffix in (".html", ".htm"):
        write_atomically(out, page.encode("utf-8"))
    else:
        write_atomically(out, _drawn(page, suffix))
    sessions = plural(summary.sessions, "session")
    typer.echo(f"{out}: {sessions}, {period.first.isoformat()} to {period.last.isoformat()}")


def _drawn(page: str, suffix: str) -> bytes:
    from coach.browser import Browser, find_browser

    executable = find_browser()  # before anything else: no browser is one line
    with tempfile.TemporaryDirectory(prefix="coach-report-") as folder:
        source = Path(folder) / "report.html"
        source.write_text(page, encoding="utf-8")
        with Browser(executable) as browser:
            session = browser.open(source, PICTURE_WIDTH)
            return browser.screenshot(session) if suffix == ".png" else browser.pdf(session)


def describe_routine(name: str) -> RoutineSummary | None:
    """A routine as the history names it (a built-in's name, or a file's path), if it can still be read."""
    from coach.report import RoutineSummary
    from coach.routine import builtin_routine_path, load_builtin, load_routine

    try:
        if builtin_routine_path(name).is_file():
            routine = load_builtin(name)
        elif Path(name).is_file():
            routine = load_routine(Path(name))
        else:
            return None
    except (RoutineError, OSError, ValueError):
        return None  # changed or broken since: the report still shows its sessions, by id
    return RoutineSummary(routine.title, tuple((exercise.id, exercise.name) for exercise in routine.exercises))
