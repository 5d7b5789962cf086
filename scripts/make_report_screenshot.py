"""Make docs/report.png, the README's picture of `coach report`, with coach's own command.

Eight weeks of an invented but plausible history (four or five sessions a week, a few
stopped early, a check-in on most, the pain easing) recorded through the real store in
a temporary folder, then `coach report docs/report.png --force` on it.

    python scripts/make_report_screenshot.py
"""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from benchlib import REPO, coach_command

from coach.record.history import History

EXERCISES = ["bottoms-to-heels", "knee-rolls", "back-extensions", "pelvic-tilts"]


def main() -> None:
    chance = random.Random(3)
    with tempfile.TemporaryDirectory(prefix="coach-screenshot-") as folder:
        history = History(Path(folder) / "history.sqlite3")
        today = date.today()
        first = today - timedelta(days=today.weekday(), weeks=7)
        for day in range((today - first).days + 1):
            if chance.random() < 0.35:
                continue
            at = datetime.combine(first + timedelta(days=day), datetime.min.time()).replace(
                hour=8 + chance.randint(0, 11)
            )
            easing = day / 8  # about a point every eight days, with ups and downs
            before = max(1, min(8, round(7 - easing * 0.6 + chance.uniform(-1, 1))))
            checked = chance.random() < 0.85
            session = history.start("lower-back", EXERCISES, before if checked else None, at=at)
            finished = chance.random() < 0.88
            reps = {"bottoms-to-heels": 8 + day // 14, "knee-rolls": 16 + day // 10, "back-extensions": 8 + day // 14,
                    "pelvic-tilts": 8 + day // 8}  # fmt: skip
            done = reps if finished else {"bottoms-to-heels": 5, "knee-rolls": 6}
            after = max(0, before - chance.randint(1, 2)) if checked and finished else None
            history.update(session, done, 1420 if finished else 420, "finished" if finished else "stopped", after,
                           at=at + timedelta(minutes=24))  # fmt: skip
        out = REPO / "docs" / "report.png"
        env = dict(os.environ, COACH_DATA_DIR=folder)
        subprocess.run([*coach_command(), "report", str(out), "--force"], env=env, check=True)


if __name__ == "__main__":
    main()
