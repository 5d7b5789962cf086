"""The timeline for eyes: the `--dry-run` text and its JSON twin. Deterministic."""

from __future__ import annotations

import json
from typing import Any

from coach.plan.routine import Schedule
from coach.plan.script import Cue, CueKind, ExerciseSpan, Timeline


def clock(seconds: float) -> str:
    """m:ss.s, or h:mm:ss.s past an hour; tenths are what a listener can tell apart."""
    tenths = round(seconds * 10)
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    whole, tenth = divmod(rest, 10)
    if hours:
        return f"{hours}:{minutes:02d}:{whole:02d}.{tenth}"
    return f"{minutes}:{whole:02d}.{tenth}"


def timing_note(timeline: Timeline, voice_label: str | None) -> str:
    if timeline.speech_timing == "measured":
        return f"speech timed from the voice's own clips ({voice_label})" if voice_label else "speech timed"
    return "times are ESTIMATES from the speaking rate (with a voice engine installed they are measured)"


def render_text(timeline: Timeline, voice_label: str | None = None, schedule: Schedule | None = None) -> str:
    spans = {span.key: span for span in timeline.exercises}
    count = len({span.id for span in timeline.exercises})
    lines = [
        timeline.title,
        f"{count} exercise{'s' if count != 1 else ''} · {clock(timeline.total)} · {len(timeline.cues)} cues · "
        + timing_note(timeline, voice_label),
    ]
    if schedule is not None:
        lines.append(f"Schedule: {schedule.text()}")
    lines.append("")
    group: tuple[int | None, str | None] | None = None
    for cue in timeline.cues:
        if cue.exercise_key != group:
            group = cue.exercise_key
            lines.append("")
            if cue.exercise is not None:
                span = spans[cue.exercise_key]
                in_round = f"Round {span.round}: " if span.round is not None else ""
                lines.append(
                    f"{in_round}{span.number}. {span.name} ({span.id}) · {amount_text(span)} · "
                    f"{clock(span.start)}-{clock(span.end)}"
                )
        lines.append(cue_line(cue))
    lines += ["", f"Total {clock(timeline.total)} · {len(timeline.cues)} cues"]
    return "\n".join(_squeeze_blank(lines)) + "\n"


def cue_line(cue: Cue) -> str:
    marker = "♪ " if cue.kind is CueKind.CHIME else ""
    return f"  {clock(cue.start):>8}  {cue.kind.value:<6}  {marker}{cue.text}"


def amount_text(span: ExerciseSpan) -> str:
    """What an exercise asks for, for eyes: reps or seconds, sides, sets, pace."""
    if span.seconds is not None:
        seconds = f"{span.seconds:g} s"
        text = seconds if span.sides.value == "none" else f"{seconds} on each side"
    else:
        text = reps_text(span.reps, span.sides.value)
        if span.pace.value == "self":
            text += ", at your own pace"
    return f"{span.sets} sets of {text}" if span.sets > 1 else text


def reps_text(reps: int, sides: str) -> str:
    if sides == "alternate":
        return f"{reps} reps on each side, alternating"
    if sides == "each":
        return f"{reps} reps on each side in turn"
    return f"{reps} rep{'s' if reps != 1 else ''}"


def _squeeze_blank(lines: list[str]) -> list[str]:
    kept: list[str] = []
    for line in lines:
        if line == "" and kept and kept[-1] == "":
            continue
        kept.append(line)
    return kept


def to_json_data(
    timeline: Timeline, voice_label: str | None = None, schedule: Schedule | None = None
) -> dict[str, Any]:
    return {
        "title": timeline.title,
        "schedule": None
        if schedule is None
        else {
            "times_a_day": None
            if schedule.times_a_day is None
            else [schedule.times_a_day.low, schedule.times_a_day.high],
            "days_a_week": None
            if schedule.days_a_week is None
            else [schedule.days_a_week.low, schedule.days_a_week.high],
        },
        "total_seconds": timeline.total,
        "speech_timing": timeline.speech_timing,
        "voice": voice_label,
        "exercises": [
            {
                "number": span.number,
                "id": span.id,
                "name": span.name,
                "reps": span.reps,
                "seconds": span.seconds,
                "sets": span.sets,
                "pace": span.pace.value,
                "round": span.round,
                "sides": span.sides.value,
                "start": span.start,
                "end": span.end,
            }
            for span in timeline.exercises
        ],
        "cues": [{"start": cue.start, "duration": cue.duration, **cue_fields(cue)} for cue in timeline.cues],
    }


def cue_fields(cue: Cue) -> dict[str, Any]:
    """What a cue is and where it belongs, for JSON (the dry-run, the timing log)."""
    return {
        "kind": cue.kind.value,
        "text": cue.text,
        "exercise": cue.exercise,
        "rep": cue.rep,
        "side": cue.side,
        "phase": cue.phase,
        "set": cue.set,
        "round": cue.round,
    }


def render_json(timeline: Timeline, voice_label: str | None = None, schedule: Schedule | None = None) -> str:
    return json.dumps(to_json_data(timeline, voice_label, schedule), indent=2, ensure_ascii=False) + "\n"
