"""The record that keeps you going: every session, finished or stopped, in SQLite.

A session is written when it starts, as "stopped", and updated as reps are done and
when it finishes, so a killed process still leaves a true trace. SQLite (standard
library) in WAL mode with a busy timeout lets two coach processes write at once
without corrupting anything. A damaged or newer-schema file is reported, never
replaced: it is the user's record.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from coach.common.errors import CoachError
from coach.common.paths import describe_os_error, mount_point, out_of_space, user_folder

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,        -- local time, ISO 8601 with offset
    ended_at TEXT,
    routine TEXT NOT NULL,
    exercises TEXT NOT NULL,         -- JSON list of exercise ids, in the order done
    reps_done TEXT NOT NULL,         -- JSON {exercise id: reps completed}
    sets_done TEXT NOT NULL DEFAULT '{}',  -- JSON {exercise id: sets (or timed bouts) completed}
    seconds REAL NOT NULL DEFAULT 0,
    status TEXT NOT NULL,            -- 'stopped' until it is 'finished'
    pain_before INTEGER,
    pain_after INTEGER
);
"""
# From each older schema to the next: a history is carried forward, never started afresh.
MIGRATIONS = {1: "ALTER TABLE sessions ADD COLUMN sets_done TEXT NOT NULL DEFAULT '{}'"}


class HistoryError(CoachError):
    """The history file cannot be used as it is; it is left untouched."""


@dataclass(frozen=True)
class Session:
    id: int
    started_at: datetime
    ended_at: datetime | None
    routine: str
    exercises: tuple[str, ...]
    reps_done: dict[str, int]
    seconds: float
    status: str
    pain_before: int | None
    pain_after: int | None
    sets_done: dict[str, int] = field(default_factory=dict)


def default_history_path() -> Path:
    """The user's data dir (platformdirs), or $COACH_DATA_DIR."""
    return user_folder("data", "COACH_DATA_DIR") / "history.sqlite3"


class History:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_history_path()

    def _check_folder(self) -> None:
        """A file where the data folder should be is a mistake to say, not an empty history."""
        blocking = next((p for p in self.path.parents if p.exists() and not p.is_dir()), None)
        if blocking is not None:
            raise HistoryError(
                f"cannot keep the history in {self.path.parent}: {blocking} is a file, not a folder; "
                "move it, or point $COACH_DATA_DIR at a folder"
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self._check_folder()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except OSError as error:
            cause = describe_os_error(error, self.path.parent)
            raise HistoryError(f"cannot open the history file {self.path} ({cause})") from None
        except sqlite3.Error as error:
            writable = os.access(self.path.parent, os.W_OK | os.X_OK)
            cause = str(error) if writable else "not writable"
            raise HistoryError(f"cannot open the history file {self.path} ({cause})") from None
        try:
            self._check_schema(connection)
            yield connection
        except sqlite3.OperationalError as error:  # full, read-only, locked: the file itself is fine
            cause = str(error)
            if "full" in cause or out_of_space(self.path.parent):  # WAL says "disk I/O error"
                cause = f"no space left on {mount_point(self.path.parent)}"
            elif "readonly" in cause or "unable to open" in cause:
                cause = "not writable"
            raise HistoryError(f"cannot write the history file {self.path} ({cause}); it was left as it is") from None
        except sqlite3.DatabaseError as error:
            raise HistoryError(
                f"the history file {self.path} is damaged ({error}); it was left as it is: "
                "move it away to start a new one"
            ) from None
        finally:
            connection.close()

    def _check_schema(self, connection: sqlite3.Connection) -> None:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"the history file {self.path} was written by a newer coach (schema {version}, "
                f"this one knows {SCHEMA_VERSION}); it was left as it is: upgrade coach to read it"
            )
        if version < SCHEMA_VERSION:
            connection.execute("BEGIN IMMEDIATE")  # waits (the busy timeout) for another coach doing the same
            version = connection.execute("PRAGMA user_version").fetchone()[0]  # it may have done it
            if version == 0:
                connection.execute(SCHEMA)
            else:
                for step in range(version, SCHEMA_VERSION):
                    connection.execute(MIGRATIONS[step])
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            # WAL lets readers and a writer work at once. Switching needs the file to itself
            # and does not wait for it (no busy timeout): when another coach is writing just
            # now, a later connection switches instead. Every mode is safe meanwhile.
            with contextlib.suppress(sqlite3.OperationalError):
                connection.execute("PRAGMA journal_mode=WAL")

    def start(
        self, routine: str, exercises: list[str], pain_before: int | None = None, at: datetime | None = None
    ) -> int:
        """A new session, recorded as stopped until it finishes; `at` for one done before (default now)."""
        now = (at or datetime.now()).astimezone().isoformat(timespec="seconds")
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO sessions (started_at, routine, exercises, reps_done, status, pain_before)"
                " VALUES (?, ?, ?, '{}', 'stopped', ?)",
                (now, routine, json.dumps(exercises), pain_before),
            )
            return int(cursor.lastrowid or 0)

    def update(
        self,
        session_id: int,
        reps_done: dict[str, int],
        seconds: float,
        status: str = "stopped",
        pain_after: int | None = None,
        sets_done: dict[str, int] | None = None,
        at: datetime | None = None,
    ) -> None:
        ended = (at or datetime.now()).astimezone().isoformat(timespec="seconds")
        sets = json.dumps(sets_done or {})
        with self._connect() as db:
            db.execute(
                "UPDATE sessions SET reps_done = ?, sets_done = ?, seconds = ?, status = ?, ended_at = ?,"
                " pain_after = COALESCE(?, pain_after) WHERE id = ?",
                (json.dumps(reps_done), sets, round(seconds, 1), status, ended, pain_after, session_id),
            )

    def sessions(self) -> list[Session]:
        self._check_folder()
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, started_at, ended_at, routine, exercises, reps_done, seconds, status,"
                " pain_before, pain_after, sets_done FROM sessions ORDER BY started_at, id"
            ).fetchall()
        return [
            Session(
                id=row[0],
                started_at=datetime.fromisoformat(row[1]),
                ended_at=datetime.fromisoformat(row[2]) if row[2] else None,
                routine=row[3],
                exercises=tuple(json.loads(row[4])),
                reps_done=json.loads(row[5]),
                seconds=row[6],
                status=row[7],
                pain_before=row[8],
                pain_after=row[9],
                sets_done=json.loads(row[10]),
            )
            for row in rows
        ]


# --- what the record says ---------------------------------------------------------------


def streak(days: set[date], today: date) -> int:
    """Days in a row with a session, up to today (or yesterday, if today is still to come)."""
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def this_week(sessions: list[Session], today: date) -> int:
    monday = today - timedelta(days=today.weekday())
    return sum(1 for s in sessions if monday <= s.started_at.date() <= today)


def totals(sessions: list[Session]) -> dict[str, int]:
    result: dict[str, int] = {}
    for session in sessions:
        for exercise, reps in session.reps_done.items():
            result[exercise] = result.get(exercise, 0) + reps
    return result


def calendar_strip(sessions: list[Session], today: date, weeks: int = 4) -> list[str]:
    """The last weeks, a row per week (Monday first): ● finished, ○ stopped only, · none."""
    finished = {s.started_at.date() for s in sessions if s.status == "finished"}
    any_day = {s.started_at.date() for s in sessions}
    first_monday = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    rows = ["       Mo Tu We Th Fr Sa Su"]
    for week in range(weeks):
        monday = first_monday + timedelta(weeks=week)
        cells = []
        for offset in range(7):
            day = monday + timedelta(days=offset)
            mark = "●" if day in finished else "○" if day in any_day else "·"
            cells.append(" " if day > today else mark)
        rows.append(f"{monday:%d %b} " + "  ".join(cells))
    return rows
