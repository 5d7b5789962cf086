"""How long `coach report` takes, as a whole process, on three years of daily sessions.

Builds a history through the real store (History.start/update, one session a day for
three years, most with a check-in, some stopped early), then times N runs of the
installed `coach report` for the whole period (--since three years ago) and for the
default eight weeks, each writing HTML, and reports each run's peak memory (the child's
maximum resident set, from wait4). The first, untimed run lets matplotlib build its
font cache, which it does once per user.

    python scripts/bench_report.py [--runs 9] [--png]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from benchlib import coach_command, command_line, machine

from coach.record.history import History

EXERCISES = ["bottoms-to-heels", "knee-rolls", "back-extensions", "pelvic-tilts"]


def build_history(path: Path, days: int) -> int:
    history = History(path)
    chance = random.Random(7)
    start = datetime.combine(date.today() - timedelta(days=days - 1), datetime.min.time()).replace(hour=8)
    for day in range(days):
        at = start + timedelta(days=day, minutes=chance.randint(0, 600))
        pain = chance.randint(2, 7) if chance.random() < 0.8 else None
        session = history.start("lower-back", EXERCISES, pain, at=at)
        finished = chance.random() < 0.9
        reps = {"bottoms-to-heels": 9, "knee-rolls": 18, "back-extensions": 9, "pelvic-tilts": 12}
        done = reps if finished else {"bottoms-to-heels": chance.randint(1, 8)}
        after = max(0, pain - chance.randint(0, 2)) if pain is not None and finished else None
        status = "finished" if finished else "stopped"
        history.update(session, done, 1400 if finished else 300, status, after, at=at + timedelta(minutes=24))
    return days


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of one whole process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    assert os.waitstatus_to_exitcode(status) == 0, command
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--png", action="store_true", help="also time the PNG (drawn by Chromium)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coach-bench-report-") as folder:
        data = Path(folder) / "data"
        sessions = build_history(data / "history.sqlite3", 3 * 365 + 1)
        env = dict(os.environ, COACH_DATA_DIR=str(data))
        since = (date.today() - timedelta(days=3 * 365)).isoformat()
        out = Path(folder) / "report.html"
        commands = {
            "three years (--since)": [*coach_command(), "report", str(out), "--force", "--since", since],
            "eight weeks (default)": [*coach_command(), "report", str(out), "--force"],
        }
        if options.png:
            png = str(Path(folder) / "report.png")
            commands["three years, PNG"] = [*coach_command(), "report", png, "--force", "--since", since]
        subprocess.run(commands["eight weeks (default)"], env=env, stdout=subprocess.DEVNULL, check=True)
        print(f"$ {command_line()}")
        print(f"{machine()}; a history of {sessions} daily sessions; {options.runs} runs each, whole process")
        for name, command in commands.items():
            results = [timed(command, env) for _ in range(options.runs)]
            seconds = [s for s, _ in results]
            peak = max(m for _, m in results)
            size = Path(command[command.index("report") + 1]).stat().st_size / 1024
            print(
                f"{name:<24} median {statistics.median(seconds):.2f} s  max {max(seconds):.2f} s  "
                f"peak memory {peak:.0f} MB  file {size:.0f} kB"
            )


if __name__ == "__main__":
    main()
