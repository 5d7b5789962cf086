"""What the history says over a period, for `coach report`: plain values, no drawing.

`summarise` turns the sessions into a Report: the days marked finished or stopped early,
sessions per week, the pain before and after with its trend, the work per exercise per
week and the recent sessions. The page (coach.record.report_page) only lays these values out,
so its charts and its tables show the same numbers. Pure: the sessions, the period and
the exercise names are given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from coach.common.errors import OptionError
from coach.plan.routine import Schedule
from coach.record.adherence import Adherence, adherence
from coach.record.history import Session, streak

DEFAULT_WEEKS = 8
RECENT_ROWS = 20  # sessions listed in the page's table: enough for a physio, short enough to print


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive: today, for a report made now

    @classmethod
    def weeks_to(cls, today: date, weeks: int) -> Period:
        """Whole weeks, Monday first, the last one this week (so far)."""
        if weeks < 1:
            raise OptionError(f"--weeks must be 1 or more (got {weeks})")
        return cls(monday(today) - timedelta(weeks=weeks - 1), today)

    @classmethod
    def since(cls, first: date, today: date) -> Period:
        if first > today:
            raise OptionError(f"--since {first.isoformat()} is after today ({today.isoformat()})")
        return cls(first, today)

    def mondays(self) -> list[date]:
        first = monday(self.first)
        return [first + timedelta(weeks=n) for n in range((self.last - first).days // 7 + 1)]

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class WeekCount:
    monday: date
    finished: int  # sessions that ran to their end
    stopped: int  # sessions ended early


@dataclass(frozen=True)
class PainPoint:
    at: datetime
    before: int | None
    after: int | None


@dataclass(frozen=True)
class Trend:
    """A straight line through the ratings: where it starts and ends over the period."""

    start: float
    end: float


@dataclass(frozen=True)
class Work:
    exercise: str  # id
    name: str
    unit: str  # "reps", or "sets" for timed work and sets that count no reps
    per_week: tuple[int, ...]  # one per Period.mondays()


@dataclass(frozen=True)
class SessionRow:
    started_at: datetime
    routine: str  # its title, where the routine can still be read
    seconds: float
    status: str
    pain_before: int | None
    pain_after: int | None


@dataclass(frozen=True)
class RoutineSummary:
    title: str
    exercises: tuple[tuple[str, str], ...]  # (id, name), in the routine's order
    schedule: Schedule | None = None  # how often it is prescribed, where it says


@dataclass(frozen=True)
class Report:
    period: Period
    days: dict[date, str]  # "finished" or "stopped", for each day with a session
    weeks: tuple[WeekCount, ...]
    streak: int
    pain: tuple[PainPoint, ...]
    trend_before: Trend | None
    trend_after: Trend | None
    work: tuple[Work, ...]
    sessions: int
    recent: tuple[SessionRow, ...]  # newest first, at most RECENT_ROWS
    routines: tuple[RoutineSummary, ...]
    sessions_ever: int
    per_week_goal: int | None = None
    adherence: tuple[Adherence, ...] = ()  # for each routine with a schedule

    @property
    def days_finished(self) -> int:
        return sum(mark == "finished" for mark in self.days.values())

    @property
    def days_stopped(self) -> int:
        return sum(mark == "stopped" for mark in self.days.values())


def summarise(
    sessions: Sequence[Session],
    period: Period,
    describe: Callable[[str], RoutineSummary | None],
    per_week_goal: int | None = None,
) -> Report:
    """The report over `period`. `describe` reads a routine as the history names it (None
    when it can no longer be read); exercise names come from the routines described."""
    within = [s for s in sessions if period.first <= s.started_at.date() <= period.last]
    named = dict.fromkeys(s.routine for s in within)
    routines: dict[str, RoutineSummary | None] = {name: describe(name) for name in named}
    exercise_names = _exercise_names(within, routines)
    days: dict[date, str] = {}
    for session in within:
        day = session.started_at.date()
        if days.get(day) != "finished":
            days[day] = "finished" if session.status == "finished" else "stopped"
    mondays = period.mondays()
    counted = Counter((monday(s.started_at.date()), s.status == "finished") for s in within)
    weeks = tuple(WeekCount(week, counted[week, True], counted[week, False]) for week in mondays)
    pain = tuple(
        PainPoint(s.started_at, s.pain_before, s.pain_after)
        for s in within
        if s.pain_before is not None or s.pain_after is not None
    )
    all_days = {s.started_at.date() for s in sessions if s.started_at.date() <= period.last}
    recent = tuple(
        SessionRow(
            s.started_at,
            summary.title if (summary := routines.get(s.routine)) else s.routine,
            s.seconds,
            s.status,
            s.pain_before,
            s.pain_after,
        )
        for s in reversed(within[-RECENT_ROWS:])
    )
    return Report(
        period=period,
        days=days,
        weeks=weeks,
        streak=streak(all_days, period.last),
        pain=pain,
        trend_before=trend([(p.at, p.before) for p in pain if p.before is not None], period),
        trend_after=trend([(p.at, p.after) for p in pain if p.after is not None], period),
        work=_work(within, mondays, exercise_names),
        sessions=len(within),
        recent=recent,
        routines=tuple(summary for summary in routines.values() if summary is not None),
        sessions_ever=len(sessions),
        per_week_goal=per_week_goal,
        adherence=tuple(
            adherence(sessions, name, summary.title, summary.schedule, period.first, period.last)
            for name, summary in routines.items()
            if summary is not None and summary.schedule is not None
        ),
    )


def trend(ratings: list[tuple[datetime, int]], period: Period) -> Trend | None:
    """Least squares over the days the ratings were given; none from fewer than two days."""
    if len({at.date() for at, _ in ratings}) < 2:
        return None
    origin = datetime.combine(period.first, datetime.min.time())
    xs = [(at.replace(tzinfo=None) - origin).total_seconds() / 86400 for at, _ in ratings]
    ys = [float(rating) for _, rating in ratings]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)
    first_x, last_x = min(xs), max(xs)
    return Trend(mean_y + slope * (first_x - mean_x), mean_y + slope * (last_x - mean_x))


def monday(day: date) -> date:
    """The Monday that starts the day's week: weeks are counted Monday first, as the calendar shows."""
    return day - timedelta(days=day.weekday())


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _exercise_names(sessions: list[Session], routines: dict[str, RoutineSummary | None]) -> dict[str, str]:
    """Each exercise id done in the period with its name (its id where no routine names it)."""
    known = {exercise: name for summary in routines.values() if summary for exercise, name in summary.exercises}
    ids = dict.fromkeys(e for s in sessions for e in [*s.exercises, *s.reps_done, *s.sets_done])
    return {exercise: known.get(exercise, exercise) for exercise in ids}


def _work(sessions: list[Session], mondays: list[date], names: dict[str, str]) -> tuple[Work, ...]:
    """Reps per exercise per week; sets where an exercise counts no reps (timed work)."""
    index = {monday: n for n, monday in enumerate(mondays)}
    found: list[Work] = []
    for exercise, name in names.items():
        counted = [s for s in sessions if exercise in s.reps_done]
        unit, source = ("reps", "reps_done") if counted else ("sets", "sets_done")
        totals = [0] * len(mondays)
        for session in sessions:
            totals[index[monday(session.started_at.date())]] += getattr(session, source).get(exercise, 0)
        if any(totals):
            found.append(Work(exercise, name, unit, tuple(totals)))
    return tuple(found)
