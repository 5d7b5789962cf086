"""`coach history`: recent sessions, the streak, this week, totals and the pain trend."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from coach.cli.options import FormatOption, OutputFormat
from coach.plan import preview

if TYPE_CHECKING:
    from coach.record.adherence import Adherence
    from coach.record.history import Session


def history(
    output_format: FormatOption = OutputFormat.TEXT,
    recent: Annotated[int, typer.Option("--recent", help="How many recent sessions to list.", min=1)] = 10,
) -> None:
    """Your sessions: recent ones, the streak, this week, totals, pain trend."""
    from coach.record.history import History, calendar_strip, streak, this_week, totals

    record = History()
    sessions = record.sessions()
    today = date.today()
    days = {s.started_at.date() for s in sessions}
    summary = {"streak_days": streak(days, today), "sessions_this_week": this_week(sessions, today)}
    kept = schedule_kept(sessions, today)
    if output_format is OutputFormat.JSON:
        data = {
            **summary,
            "schedule": None
            if not kept
            else {
                "routine": kept[0].title,
                "prescribed": kept[0].schedule.text(),
                **{
                    f"last_{item.days}_days": {
                        "finished": item.finished,
                        "asked": [item.asked_low, item.asked_high],
                        "percent": item.percent,
                        "days_in_full": item.days_in_full,
                        "stopped": item.stopped,
                    }
                    for item in kept
                },
            },
            "totals": totals(sessions),
            "sessions": [
                {
                    "started_at": s.started_at.isoformat(),
                    "ended_at": s.ended_at.isoformat() if s.ended_at else None,
                    "routine": s.routine,
                    "exercises": list(s.exercises),
                    "reps_done": s.reps_done,
                    "sets_done": s.sets_done,
                    "seconds": s.seconds,
                    "status": s.status,
                    "pain_before": s.pain_before,
                    "pain_after": s.pain_after,
                }
                for s in sessions
            ],
        }
        typer.echo(json.dumps(data, indent=2))
        return
    if not sessions:
        typer.echo("No sessions yet. Run `coach` to start your first one.")
        return
    plural = "s" if summary["streak_days"] != 1 else ""
    typer.echo(f"Streak: {summary['streak_days']} day{plural} in a row · this week: {summary['sessions_this_week']}")
    typer.echo("")
    for line in calendar_strip(sessions, today):
        typer.echo(line)
    typer.echo("       ● finished  ○ stopped early  · none")
    if kept:
        typer.echo("")
        typer.echo(f"{kept[0].title}, prescribed {kept[0].schedule.text()}:")
        for item in kept:
            typer.echo(f"  last {item.days} days: {item.text()}")
    typer.echo("")
    typer.echo("Recent sessions")
    for s in sessions[-recent:][::-1]:
        reps = done_text(s.reps_done, s.sets_done) or "no reps"
        pain = ""
        if s.pain_before is not None or s.pain_after is not None:
            pain = f"  pain {s.pain_before if s.pain_before is not None else '?'}"
            pain += f" -> {s.pain_after if s.pain_after is not None else '?'}"
        typer.echo(f"  {s.started_at:%Y-%m-%d %H:%M}  {s.status:<8} {preview.clock(s.seconds):>8}  {reps}{pain}")
    typer.echo("")
    done = ", ".join(f"{exercise} {count}" for exercise, count in totals(sessions).items())
    typer.echo(f"Total reps: {done or 'none completed yet'}")
    rated = [s for s in sessions if s.pain_before is not None and s.pain_after is not None]
    if rated:
        trend = "  ".join(f"{s.pain_before}->{s.pain_after}" for s in rated[-8:])
        typer.echo(f"Pain before -> after, oldest first: {trend}")


ADHERENCE_DAYS = (7, 28)  # a week, and four: what a physiotherapist asks at a follow-up


def schedule_kept(sessions: list[Session], today: date) -> list[Adherence]:
    """How the last sessions' routine was kept to its schedule, where it has one and can still be read."""
    from coach.cli.report import describe_routine
    from coach.record.adherence import adherence

    if not sessions:
        return []
    name = sessions[-1].routine
    summary = describe_routine(name)
    if summary is None or summary.schedule is None:
        return []
    return [
        adherence(sessions, name, summary.title, summary.schedule, today - timedelta(days=days - 1), today)
        for days in ADHERENCE_DAYS
    ]


def done_text(reps: dict[str, int], sets: dict[str, int]) -> str:
    """Reps where counted, sets where there were several: "squats 20 (2 sets), plank (3 sets)"."""
    parts = []
    for exercise in dict.fromkeys([*reps, *sets]):
        count = f" {reps[exercise]}" if exercise in reps else ""
        several = sets.get(exercise, 0)
        in_sets = f" ({several} set{'s' if several != 1 else ''})" if several and (several > 1 or not count) else ""
        parts.append(f"{exercise}{count}{in_sets}")
    return ", ".join(parts)
