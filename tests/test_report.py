"""`coach report`: histories built through the real SQLite store, the page read back, and
the page opened in a real headless Chromium (Debian's), at a phone's and a laptop's width."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from coach.cli.main import app
from coach.record.history import History

runner = CliRunner()
needs_chromium = pytest.mark.skipif(
    not any(map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))),
    reason="needs Chromium (Debian: apt install chromium; scripts/bootstrap.sh test installs it)",
)
LOWER_BACK = ["bottoms-to-heels", "knee-rolls", "back-extensions", "pelvic-tilts"]
TODAY = date.today()


def days_ago(days: int, hour: int = 9) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days), datetime.min.time()).replace(hour=hour)


def record(
    history: History,
    at: datetime,
    reps: dict[str, int],
    status: str = "finished",
    pain: tuple[int | None, int | None] = (None, None),
    sets: dict[str, int] | None = None,
    routine: str = "lower-back",
    seconds: float = 1380.0,
) -> None:
    """One session, as a live session writes it: started, then updated at its end."""
    session = history.start(routine, list(reps or sets or {}), pain[0], at=at)
    history.update(session, reps, seconds, status, pain[1], sets, at=at + timedelta(seconds=seconds))


@pytest.fixture
def history(private_history: Path) -> History:
    """Four weeks: finished and stopped sessions, with and without check-ins, reps, sets and timed work."""
    store = History(private_history)
    record(store, days_ago(400), {"knee-rolls": 10}, pain=(9, 8))  # long before the period
    record(store, days_ago(20), {"knee-rolls": 16, "pelvic-tilts": 10}, pain=(6, 4))
    record(store, days_ago(13), {"knee-rolls": 18, "pelvic-tilts": 12}, pain=(5, 4))
    record(store, days_ago(13, hour=18), {"bottoms-to-heels": 3}, status="stopped", seconds=200)
    record(store, days_ago(6), {}, sets={"plank": 3}, routine="/nowhere/strength.toml", seconds=600)
    record(store, days_ago(2), {"knee-rolls": 18, "back-extensions": 8}, pain=(4, 2), sets={"knee-rolls": 1})
    return store


class Page(HTMLParser):
    """The report read back: each table by its caption, as rows of cell texts; and what it links to."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.fetches: list[str] = []
        self.svgs = 0
        self._caption: str | None = None
        self._in_caption = False
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.fetches += [value for name, value in attrs if name in ("src", "href") and value]
        self.svgs += tag == "svg"
        if tag == "caption":
            self._in_caption, self._caption = True, ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
            assert self._caption is not None
            self.tables[self._caption] = []
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._caption is not None:
            self.tables[self._caption].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_caption and self._caption is not None:
            self._caption += data
        elif self._cell is not None:
            self._cell.append(data)


def make_report(tmp_path: Path, *args: str, name: str = "report.html") -> tuple[str, Path]:
    out = tmp_path / name
    result = runner.invoke(app, ["report", str(out), *args])
    assert result.exit_code == 0, result.output
    return result.stdout, out


def test_the_pages_numbers_are_the_historys(tmp_path: Path, history: History) -> None:
    said, out = make_report(tmp_path, "--weeks", "4")
    monday = TODAY - timedelta(days=TODAY.weekday())
    first = monday - timedelta(weeks=3)
    assert said == f"{out}: 5 sessions, {first.isoformat()} to {TODAY.isoformat()}\n"
    text = out.read_text()
    page = Page(text)
    assert page.fetches == [] and page.svgs == 5  # calendar, weeks, pain, reps, sets: all inline
    assert "Exercises for lower back pain" in text and "Pelvic tilts" in text  # the routine, by name
    sessions = [s for s in history.sessions() if s.started_at.date() >= first][::-1]
    rows = page.tables["Sessions, newest first"]
    assert rows[0] == ["Date", "Routine", "Length", "Ended", "Pain before → after"]
    assert [row[0] for row in rows[1:]] == [f"{s.started_at:%Y-%m-%d %H:%M}" for s in sessions]
    assert [row[1:] for row in rows[1:]] == [
        ["Exercises for lower back pain", "23 min", "finished", "4 → 2"],
        ["/nowhere/strength.toml", "10 min", "finished", ""],  # a routine that cannot be read: its path
        ["Exercises for lower back pain", "3 min", "stopped early", ""],
        ["Exercises for lower back pain", "23 min", "finished", "5 → 4"],
        ["Exercises for lower back pain", "23 min", "finished", "6 → 4"],
    ]
    weeks = page.tables["Sessions per week"]
    by_week: dict[str, list[int]] = {}
    for s in sessions:
        week = (s.started_at.date() - timedelta(days=s.started_at.weekday())).isoformat()
        counts = by_week.setdefault(week, [0, 0, 0])
        counts[0 if s.status == "finished" else 1] += 1
    for week, counts in by_week.items():
        counts[2] = len(
            {s.started_at.date() for s in sessions if s.started_at.date().isoformat() >= week}
            & {date.fromisoformat(week) + timedelta(days=n) for n in range(7)}
        )
    assert {row[0]: [int(cell) for cell in row[1:]] for row in weeks[1:] if row[1:] != ["0", "0", "0"]} == by_week
    assert len(weeks) == 1 + 4
    pain = page.tables["Pain before and after each session"]
    assert [row[1:] for row in pain[1:]] == [
        [str(s.pain_before), str(s.pain_after)] for s in sessions[::-1] if s.pain_before is not None
    ]
    reps = page.tables["Reps per exercise per week"]
    assert reps[0] == ["Week of", "Knee rolls", "Pelvic tilts", "Bottoms to heels stretch", "Back extensions"]
    for n, exercise in enumerate(["knee-rolls", "pelvic-tilts", "bottoms-to-heels", "back-extensions"], start=1):
        assert sum(int(row[n]) for row in reps[1:]) == sum(s.reps_done.get(exercise, 0) for s in sessions)
    assert page.tables["Sets per exercise per week"][0] == ["Week of", "plank"]  # timed work: its sets
    assert sum(int(row[1]) for row in page.tables["Sets per exercise per week"][1:]) == 3
    rated = [s for s in sessions[::-1] if s.pain_after is not None]
    days = [(s.started_at - rated[0].started_at).total_seconds() / 86400 for s in rated]
    slope, start = np.polyfit(days, [s.pain_after for s in rated], 1)  # pain after: 4, 4, 2 over three weeks
    assert f"After: trend down, from {start:.1f} to {start + slope * days[-1]:.1f}." in text


def test_since_a_day_and_a_history_without_check_ins(tmp_path: Path, private_history: Path) -> None:
    store = History(private_history)
    record(store, days_ago(3), {"knee-rolls": 8})
    record(store, days_ago(40), {"knee-rolls": 8})
    _, out = make_report(tmp_path, "--since", (TODAY - timedelta(days=5)).isoformat())
    text = out.read_text()
    assert "1 session" in text and "No pain ratings in this period" in text and "--checkin" in text
    assert len(Page(text).tables["Sessions, newest first"]) == 2


def test_an_empty_history_says_how_to_start(tmp_path: Path) -> None:
    said, out = make_report(tmp_path)
    text = out.read_text()
    assert "0 sessions" in said and "No sessions yet. Run <code>coach</code>" in text
    assert Page(text).svgs == 0


def test_years_of_history_make_a_page_with_the_recent_sessions_listed(tmp_path: Path, private_history: Path) -> None:
    store = History(private_history)
    for day in range(0, 3 * 365, 9):
        record(store, days_ago(day), {"knee-rolls": 10}, pain=(5, 4) if day % 2 else (None, None))
    _, out = make_report(tmp_path, "--weeks", "200")
    page = Page(out.read_text())
    assert len(page.tables["Sessions, newest first"]) == 1 + 20  # the most recent; the charts hold the rest
    assert "The 20 most recent of 122 sessions" in out.read_text()
    assert sum(int(row[1]) for row in page.tables["Reps per exercise per week"][1:]) == 1220


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--weeks", "2", "--since", "2026-01-01"], "--weeks and --since both say where the report starts"),
        (["--since", "last tuesday"], "--since must be a day like"),
        (["--since", "2999-01-01"], "is after today"),
        (["--weeks", "0"], "--weeks must be 1 or more (got 0)"),
        (["out.docx"], "unknown report format '.docx' (use .html, .png or .pdf)"),
    ],
)
def test_impossible_requests_are_one_line(args: list[str], expected: str, tmp_path: Path) -> None:
    os.chdir(tmp_path)
    result = runner.invoke(app, ["report", *args])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path, history: History) -> None:
    out = tmp_path / "report.html"
    out.write_text("my notes")
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 2 and "already exists; add --force to replace it" in result.stderr
    assert out.read_text() == "my notes"
    make_report(tmp_path, "--force")
    assert "Exercise report" in out.read_text()


def test_a_damaged_history_is_one_line_and_left_alone(tmp_path: Path, private_history: Path) -> None:
    private_history.parent.mkdir(parents=True, exist_ok=True)
    private_history.write_bytes(b"not a database, but someone's file" * 100)
    before = private_history.read_bytes()
    result = runner.invoke(app, ["report", str(tmp_path / "report.html")])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "is damaged" in result.stderr
    assert private_history.read_bytes() == before and not (tmp_path / "report.html").exists()


def test_no_other_command_imports_the_plotting_library() -> None:
    check = (
        "import sys; from coach.cli.main import app\n"
        "try: app(['list'])\nexcept SystemExit: pass\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_without_a_browser_a_picture_is_one_line(tmp_path: Path, history: History) -> None:
    result = runner.invoke(app, ["report", str(tmp_path / "report.png")], env={"COACH_BROWSER": "no-such-browser"})
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "apt install chromium" in result.stderr and "the .html report needs nothing" in result.stderr
    assert list(tmp_path.iterdir()) == []


# --- in a real browser ----------------------------------------------------------------------


@pytest.fixture
def browser() -> Iterator[object]:
    from coach.record.browser import Browser

    with Browser() as started:
        yield started


def not_blank(png: bytes, width: int) -> tuple[int, int]:
    from PIL import Image

    picture = Image.open(io.BytesIO(png)).convert("L")
    assert picture.width == width
    histogram = picture.histogram()
    assert sum(count for count in histogram[:128]) > 0.01 * picture.width * picture.height  # ink, not a white page
    return picture.size


@needs_chromium
@pytest.mark.slow(seconds=5)
def test_the_page_opens_offline_in_chromium_at_phone_and_desktop_widths(
    tmp_path: Path, history: History, browser: object
) -> None:
    from coach.record.browser import Browser

    assert isinstance(browser, Browser)
    _, out = make_report(tmp_path)
    for width, mobile in ((390, True), (1280, False)):
        session = browser.open(out, width, 844 if mobile else 800, mobile)
        fits = browser.call("Runtime.evaluate", {"expression": "document.documentElement.scrollWidth"}, session)
        assert fits["result"]["value"] <= width  # nothing wider than a phone: no sideways scrolling
        not_blank(browser.screenshot(session), width)
        (tmp_path / f"at-{width}.png").write_bytes(browser.screenshot(session))
    events = browser.events
    errors = [e for e in events if e.get("method") == "Runtime.exceptionThrown"]
    errors += [e for e in events if e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error"]
    errors += [e for e in events if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
    assert errors == []
    requested = [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]
    assert requested and set(requested) == {out.resolve().as_uri()}  # the file itself, and nothing else


@needs_chromium
@pytest.mark.slow(seconds=8)
def test_a_picture_and_a_printed_page_of_the_report(tmp_path: Path, history: History) -> None:
    _, png = make_report(tmp_path, name="report.png")
    _, height = not_blank(png.read_bytes(), 900)
    assert height > 1500  # the whole page, not the first screen of it
    _, pdf = make_report(tmp_path, name="report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and 1 <= len(re.findall(rb"/Type\s*/Page[^s]", data)) <= 2  # A4, one or two
