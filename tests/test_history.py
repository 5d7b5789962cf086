"""The session history: concurrent writers, killed processes, damaged files, and the summary."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli.main import app
from coach.record.history import History, Session, calendar_strip, streak, this_week, totals
from coach.voice.voices import Voice, VoiceSettings
from tests.conftest import ALSA_CAPTURE_CONF, read_captures

runner = CliRunner()


def session(day: date, status: str = "finished", reps: dict[str, int] | None = None) -> Session:
    started = datetime(day.year, day.month, day.day, 8, 0)
    return Session(
        0, started, started, "lower-back", ("knee-rolls",), reps or {"knee-rolls": 9}, 600, status, None, None
    )


def test_streak_counts_days_in_a_row_up_to_today_or_yesterday() -> None:
    today = date(2026, 11, 24)
    days = {today - timedelta(days=n) for n in (0, 1, 2, 4)}
    assert streak(days, today) == 3
    assert streak(days - {today}, today) == 2  # today still to come: the streak is not broken yet
    assert streak({today - timedelta(days=3)}, today) == 0


def test_week_totals_and_calendar_strip() -> None:
    today = date(2026, 11, 26)  # a Thursday
    sessions = [
        session(date(2026, 11, 23)),
        session(date(2026, 11, 25), "stopped", {"knee-rolls": 3}),
        session(date(2026, 11, 20)),
    ]
    assert this_week(sessions, today) == 2
    assert totals(sessions) == {"knee-rolls": 21}
    strip = calendar_strip(sessions, today)
    assert strip[0].split() == ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
    assert strip[-1].split()[2:] == ["●", "·", "○", "·"]  # Mon..Thu of this week; the rest is future
    assert strip[-2].split()[2:] == ["·", "·", "·", "·", "●", "·", "·"]


def _write_sessions(path: str, count: int) -> None:
    history = History(Path(path))
    for n in range(count):
        session_id = history.start("lower-back", ["knee-rolls"])
        history.update(session_id, {"knee-rolls": n}, 10.0, "finished")


def test_two_processes_writing_at_once_both_land(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    workers = [multiprocessing.Process(target=_write_sessions, args=(str(path), 25)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    sessions = History(path).sessions()
    assert len(sessions) == 50
    assert {s.status for s in sessions} == {"finished"}


# eSpeak NG speaks these sessions: a real engine that needs no model loaded per process and
# renders at once. The steering is the subject; Piper's live path has tests of its own
# (test_live, test_sound_server, test_listen).
ESPEAK = "gmw/en-us"
SPOKEN = VoiceSettings(ESPEAK)

QUICK_ROUTINE = """
title = "Quick"

[[exercises]]
id = "tilt"
name = "Tilt"
reps = 3

[[exercises.phases]]
kind = "move"
say = "Tilt."
seconds = 0.5
"""


@pytest.mark.slow(seconds=21)
def test_a_killed_session_leaves_a_stopped_record(tmp_path: Path, capture: Path, private_history: Path) -> None:
    routine = tmp_path / "quick.toml"
    routine.write_text(QUICK_ROUTINE)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(ALSA_CAPTURE_CONF), COACH_AUDIO_CAPTURE=str(capture))
    process = subprocess.Popen(
        [sys.executable, "-m", "coach", "--routine", str(routine), "--quiet", "--voice", ESPEAK],
        env=env,
        stdin=subprocess.DEVNULL,
    )
    tilt = Voice(SPOKEN).clip("Tilt.").frames
    deadline = time.monotonic() + 60
    # Wait until the second rep is under way (its words played), so the first is on record.
    while read_captures(capture).count(tilt) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    [record] = History(private_history).sessions()
    assert record.status == "stopped"
    assert record.reps_done == {"tilt": 1}
    assert record.exercises == ("tilt",)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_or_a_closed_terminal_stops_and_records(
    signum: int, code: int, tmp_path: Path, capture: Path, private_history: Path
) -> None:
    env = dict(os.environ, ALSA_CONFIG_PATH=str(ALSA_CAPTURE_CONF), COACH_AUDIO_CAPTURE=str(capture))
    routine = tmp_path / "quick.toml"
    routine.write_text(QUICK_ROUTINE)
    process = subprocess.Popen(
        [sys.executable, "-m", "coach", "--routine", str(routine), "--quiet", "--voice", ESPEAK],
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(read_captures(capture)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signum)
    _out, err = process.communicate(timeout=10)
    assert process.returncode == code
    assert "coach: stopped at" in err and "Traceback" not in err
    assert History(private_history).sessions()[0].status == "stopped"


def test_a_damaged_history_is_reported_and_left_alone(private_history: Path) -> None:
    private_history.parent.mkdir(parents=True, exist_ok=True)
    private_history.write_bytes(b"this is not a database, but it is the user's file" * 100)
    before = private_history.read_bytes()
    result = runner.invoke(app, ["history"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "is damaged" in result.stderr and "left as it is" in result.stderr
    assert private_history.read_bytes() == before


def test_a_newer_schema_is_reported_and_left_alone(private_history: Path) -> None:
    private_history.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(private_history) as db:
        db.execute("PRAGMA user_version = 99")
    before = private_history.read_bytes()
    result = runner.invoke(app, ["history"])
    assert result.exit_code == 2
    assert "written by a newer coach (schema 99" in result.stderr and result.stderr.count("\n") == 1
    assert private_history.read_bytes() == before


def test_history_command_shows_streak_sessions_and_json(private_history: Path) -> None:
    history = History(private_history)
    first = history.start("lower-back", ["knee-rolls", "pelvic-tilts"], pain_before=6)
    history.update(first, {"knee-rolls": 9, "pelvic-tilts": 12}, 1400.0, "finished", pain_after=4)
    result = runner.invoke(app, ["history"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Streak: 1 day in a row · this week: 1")
    assert "finished" in result.stdout and "knee-rolls 9, pelvic-tilts 12" in result.stdout
    assert "pain 6 -> 4" in result.stdout and "Pain before -> after, oldest first: 6->4" in result.stdout
    data = runner.invoke(app, ["history", "--format", "json"]).stdout
    import json

    parsed = json.loads(data)
    assert parsed["streak_days"] == 1 and parsed["totals"] == {"knee-rolls": 9, "pelvic-tilts": 12}
    assert parsed["sessions"][0]["pain_after"] == 4


@pytest.mark.parametrize("args", [["history", "--recent", "0"], ["history", "--format", "yaml"]])
def test_history_bad_options(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and result.stderr.startswith("coach: error:")


def test_a_history_from_before_sets_is_carried_forward(tmp_path: Path) -> None:
    """Schema 1 (no sets) opens, keeps its sessions, and records sets from then on."""
    path = tmp_path / "history.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE sessions (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT,
            routine TEXT NOT NULL, exercises TEXT NOT NULL, reps_done TEXT NOT NULL,
            seconds REAL NOT NULL DEFAULT 0, status TEXT NOT NULL, pain_before INTEGER, pain_after INTEGER);
        INSERT INTO sessions (started_at, routine, exercises, reps_done, status)
            VALUES ('2026-11-01T08:00:00+00:00', 'lower-back', '["knee-rolls"]', '{"knee-rolls": 8}', 'finished');
        PRAGMA user_version = 1;
        """
    )
    old.close()
    history = History(path)
    (before,) = history.sessions()
    assert (before.reps_done, before.sets_done) == ({"knee-rolls": 8}, {})
    new = history.start("strength", ["squats"])
    history.update(new, {"squats": 20}, 300.0, "finished", sets_done={"squats": 2})
    assert history.sessions()[-1].sets_done == {"squats": 2}
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2


def test_history_shows_sets_beside_reps(private_history: Path) -> None:
    history = History(private_history)
    session = history.start("strength", ["squats", "plank"])
    history.update(session, {"squats": 20}, 300.0, "finished", sets_done={"squats": 2, "plank": 3})
    shown = CliRunner().invoke(app, ["history"])
    assert "squats 20 (2 sets), plank (3 sets)" in shown.stdout
    data = json.loads(CliRunner().invoke(app, ["history", "--format", "json"]).stdout)
    assert data["sessions"][0]["sets_done"] == {"squats": 2, "plank": 3}


def test_a_prescribed_schedule_is_measured_in_history_and_report(tmp_path: Path, private_history: Path) -> None:
    sheet = Path(__file__).parent / "sheets" / "cuh-knee.txt"  # "Do each of these exercises 10 times, twice a day."
    routine = tmp_path / "knee.toml"
    assert runner.invoke(app, ["import", str(sheet), "-o", str(routine)]).exit_code == 0
    store = History(private_history)
    today = date.today()
    # Two sessions a day on three of the last seven days, one on two more, one stopped early.
    plan = {0: 2, 1: 2, 2: 1, 4: 2, 5: 1}
    for days_back, count in plan.items():
        for hour in range(count):
            at = datetime.combine(today - timedelta(days=days_back), datetime.min.time()).replace(hour=8 + 10 * hour)
            session_id = store.start(str(routine), ["hamstring-stretch"], at=at)
            store.update(session_id, {"hamstring-stretch": 10}, 300.0, "finished", at=at + timedelta(minutes=5))
    stopped = store.start(str(routine), ["hamstring-stretch"], at=datetime.combine(today, datetime.min.time()))
    store.update(stopped, {"hamstring-stretch": 3}, 60.0, "stopped")
    result = runner.invoke(app, ["history"])
    assert result.exit_code == 0, result.output
    assert "Knee exercises, prescribed 2 times a day:" in result.stdout
    assert "  last 7 days: 8 of 14 sessions (57%), 3 of 7 days in full, 1 stopped early" in result.stdout
    assert "  last 28 days: 8 of 56 sessions (14%), 3 of 28 days in full, 1 stopped early" in result.stdout
    parsed = json.loads(runner.invoke(app, ["history", "--format", "json"]).stdout)
    assert parsed["schedule"]["last_7_days"] == {
        "finished": 8, "asked": [14, 14], "percent": 57, "days_in_full": 3, "stopped": 1,
    }  # fmt: skip
    page = tmp_path / "report.html"
    assert runner.invoke(app, ["report", str(page), "--weeks", "1"]).exit_code == 0
    text = page.read_text()
    assert "Prescribed: 2 times a day." in text
    assert "of the sessions Knee exercises asks (2 times a day)" in text
