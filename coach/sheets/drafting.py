"""A sheet's draft as routine TOML: every field with the sheet's line it came from.

The draft is for a person to read once and correct: each value carries a comment naming the
sheet's line (and its words, for a dose), and each value the sheet did not give says so:
`reps = 8  # not on the sheet: coach's default`. How often (times a day, days a week) becomes
the routine's `[schedule]`; where exercises differ, the commonest is the schedule and each
other is noted at its exercise.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from datetime import date

from coach.sheets.dosing import Amount, Found
from coach.sheets.importer import (
    DEFAULT_HOLD_SECONDS,
    DEFAULT_MOVE_SECONDS,
    DEFAULT_REPS,
    DEFAULT_RETURN_SECONDS,
    ExerciseDraft,
    Said,
    SheetDraft,
)

DEFAULT = "not on the sheet: coach's default"
QUOTE_LENGTH = 70


def draft_toml(draft: SheetDraft, today: date | None = None) -> str:
    """The routine file's text."""
    today = today or date.today()
    out = [
        f"# Drafted by `coach import` from {draft.source} on {today.isoformat()}.",
        "# Each field names the sheet's line it came from; 'not on the sheet' marks the coach's own default.",
        "# Read it through once and correct what the sheet meant otherwise; then try it with",
        "#   coach --routine THIS-FILE --dry-run",
        "",
        f"title = {_string(draft.title)}",
        f"language = {_string(draft.language.code)}",
    ]
    if draft.intro:
        out.append("intro = [")
        out.extend(f"    {_string(said.text)},  # {said.where}" for said in draft.intro)
        out.append("]")
    schedule, notes = _schedule(draft.exercises)
    if schedule:
        out += ["", "[schedule]", *schedule]
    ids: set[str] = set()
    for exercise in draft.exercises:
        out += ["", *_exercise(exercise, _unique_id(exercise.name, ids), notes.get(id(exercise), []))]
    return "\n".join(out) + "\n"


def _exercise(exercise: ExerciseDraft, exercise_id: str, notes: list[str]) -> list[str]:
    dose = exercise.dose
    out = ["[[exercises]]", f"id = {_string(exercise_id)}", f"name = {_string(exercise.name)}  # {exercise.where}"]
    out.extend(f"# {note}" for note in notes)
    out += _texts("position", exercise.position)
    out += _texts("tips", exercise.tips)
    if exercise.timed:
        assert dose.seconds is not None
        out.append(f"seconds = {_value(dose.seconds)}  # {_source(dose.seconds)}")
    elif dose.reps is not None:
        out.append(f"reps = {_value(dose.reps)}  # {_source(dose.reps)}")
    else:
        out.append(f"reps = {DEFAULT_REPS}  # {DEFAULT}")
    if exercise.self_paced:
        out.append('pace = "self"  # the sheet gives no movement to pace: you say when you are done')
    if dose.sets is not None:
        sets = dose.sets.value
        assert isinstance(sets, Amount)
        out.append(f"sets = {int(sets.high)}  # {_source(dose.sets)}")
    if dose.sides is not None:
        sides = str(dose.sides.value)
        if exercise.timed and sides == "alternate":
            out.append(f'sides = "each"  # {_source(dose.sides)} (timed work: each side in turn)')
        else:
            out.append(f"sides = {_string(sides)}  # {_source(dose.sides)}")
    if not exercise.timed and not exercise.self_paced:
        for phase in exercise.phases:
            out += ["", "[[exercises.phases]]", f"kind = {_string(phase.kind)}"]
            out.append(f"say = {_string(phase.say.text)}  # {phase.say.where}")
            if phase.kind == "hold":
                if phase.seconds is not None:
                    out.append(f"seconds = {_value(phase.seconds)}  # {_source(phase.seconds)}")
                else:
                    out.append(f"seconds = {DEFAULT_HOLD_SECONDS:g}  # {DEFAULT}")
            else:
                default = DEFAULT_MOVE_SECONDS if phase.kind == "move" else DEFAULT_RETURN_SECONDS
                out.append(f"seconds = {default:g}  # {DEFAULT}")
    return out


def _schedule(exercises: list[ExerciseDraft]) -> tuple[list[str], dict[int, list[str]]]:
    """The routine's schedule lines, and notes for exercises the sheet gives another frequency."""
    lines: list[str] = []
    notes: dict[int, list[str]] = {}
    for field_name, unit in (("times_a_day", "times a day"), ("days_a_week", "days a week")):
        given = [(exercise, getattr(exercise.dose, field_name)) for exercise in exercises]
        values = Counter(found.value for _exercise, found in given if found is not None)
        if not values:
            continue
        common = values.most_common(1)[0][0]
        source = next(found for _exercise, found in given if found is not None and found.value == common)
        assert isinstance(common, Amount)
        lines.append(f"{field_name} = {_whole(common)}  # {_source(source)}")
        for exercise, found in given:
            if found is not None and found.value != common:
                assert isinstance(found.value, Amount)
                said = found.value.said()
                notes.setdefault(id(exercise), []).append(
                    f"the sheet gives this exercise {said} {unit} ({found.where}); the schedule above is the commonest"
                )
    return lines, notes


def _texts(key: str, said: list[Said]) -> list[str]:
    if not said:
        return []
    return [f"{key} = [", *(f"    {_string(item.text)},  # {item.where}" for item in said), "]"]


def _value(found: Found) -> str:
    value = found.value
    assert isinstance(value, Amount)
    return value.toml()


def _whole(value: Amount) -> str:
    return Amount(round(value.low), round(value.high)).toml()


def _source(found: Found) -> str:
    quote = " ".join(found.quote.split())
    if len(quote) > QUOTE_LENGTH:
        quote = quote[: QUOTE_LENGTH - 3].rstrip() + "..."
    scope = ", for every exercise" if found.sheet_wide else ""
    return f"{found.where}{scope}: {_string(quote)}"


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _unique_id(name: str, taken: set[str]) -> str:
    ascii_name = unicodedata.normalize("NFKD", name.replace("ß", "ss")).encode("ascii", "ignore").decode()
    base = "-".join(re.findall(r"[a-z0-9]+", ascii_name.lower())) or "exercise"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate
