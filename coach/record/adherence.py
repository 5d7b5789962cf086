"""How closely the sessions kept to a routine's schedule ("3 times a day"), over whole days.

A physiotherapist prescribes how often as well as how much; the sheet's schedule says how
many sessions a stretch of days asks for (times a day x days a week, a day count alone
meaning every day), and the history says how many were finished. Pure: the sessions, the
schedule and the days are given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from coach.plan.routine import Schedule
from coach.record.history import Session


@dataclass(frozen=True)
class Adherence:
    title: str  # the routine's
    schedule: Schedule
    first: date
    last: date  # inclusive
    finished: int  # sessions of this routine run to their end
    stopped: int  # begun and ended early: shown, not counted as done
    asked_low: float  # sessions the schedule asks for over these days (a range's low and high end)
    asked_high: float
    days_in_full: int | None  # days with every session of the day done; None without times_a_day

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def percent(self) -> int:
        """Finished against the least the schedule asks, up to 100."""
        if self.asked_low <= 0:
            return 100
        return round(100 * min(1.0, self.finished / self.asked_low))

    def text(self) -> str:
        """ "12 of 21 sessions (57%), 3 of 7 days in full, 1 stopped early" for eyes."""
        asked = _number(self.asked_low) + ("" if self.asked_high == self.asked_low else f"-{_number(self.asked_high)}")
        parts = [f"{self.finished} of {asked} sessions ({self.percent}%)"]
        if self.days_in_full is not None:
            parts.append(f"{self.days_in_full} of {self.days} days in full")
        if self.stopped:
            parts.append(f"{self.stopped} stopped early")
        return ", ".join(parts)


def adherence(
    sessions: Sequence[Session], routine: str, title: str, schedule: Schedule, first: date, last: date
) -> Adherence:
    """The sessions of `routine` (as the history names it) from `first` to `last`, against `schedule`."""
    within = [s for s in sessions if s.routine == routine and first <= s.started_at.date() <= last]
    finished = [s for s in within if s.status == "finished"]
    weeks = ((last - first).days + 1) / 7
    low, high = schedule.sessions_a_week()
    days_in_full = None
    if schedule.times_a_day is not None:
        per_day = Counter(s.started_at.date() for s in finished)
        days_in_full = sum(count >= schedule.times_a_day.low for count in per_day.values())
    return Adherence(
        title=title,
        schedule=schedule,
        first=first,
        last=last,
        finished=len(finished),
        stopped=len(within) - len(finished),
        asked_low=round(low * weeks, 1),
        asked_high=round(high * weeks, 1),
        days_in_full=days_in_full,
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
