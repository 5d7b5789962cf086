"""Picking today's exercises: --only and --skip by id, name or 1-based number."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import replace

from coach.common.errors import SelectionError
from coach.plan.routine import Exercise, Routine


def split_choices(values: Iterable[str]) -> list[str]:
    """Accept both `--only 1,3` and `--only 1 --only 3`."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def find_exercise(routine: Routine, wanted: str) -> Exercise:
    """One exercise by number, id or name (case and spacing forgiven)."""
    exercises = routine.exercises
    if wanted.isdigit():
        number = int(wanted)
        if 1 <= number <= len(exercises):
            return exercises[number - 1]
        raise SelectionError(
            f"there is no exercise number {number}: this routine has 1 to {len(exercises)} ({_valid(routine)})"
        )
    key = _normal(wanted)
    for exercise in exercises:
        if key in (_normal(exercise.id), _normal(exercise.name)):
            return exercise
    names = [exercise.id for exercise in exercises] + [exercise.name.lower() for exercise in exercises]
    close = difflib.get_close_matches(wanted.lower(), names, n=1, cutoff=0.5)
    hint = ""
    if close:
        match = next(e for e in exercises if close[0] in (e.id, e.name.lower()))
        hint = f" Did you mean '{match.id}'?"
    raise SelectionError(f"unknown exercise '{wanted}'.{hint} Valid: {_valid(routine)}")


def select_exercises(routine: Routine, only: Iterable[str] = (), skip: Iterable[str] = ()) -> Routine:
    """The routine with just the chosen exercises, in the order the user gave them."""
    only, skip = list(only), list(skip)
    for option, given in (("--only", only), ("--skip", skip)):
        if given and not split_choices(given):  # `--only ''` is a mistake, not "all of them"
            raise SelectionError(f"{option} needs at least one exercise. Valid: {_valid(routine)}")
    only_list = split_choices(only)
    skip_ids = {find_exercise(routine, value).id for value in split_choices(skip)}
    if only_list:
        chosen: list[Exercise] = []
        for value in only_list:
            exercise = find_exercise(routine, value)
            if exercise not in chosen:
                chosen.append(exercise)
    else:
        chosen = list(routine.exercises)
    kept = tuple(exercise for exercise in chosen if exercise.id not in skip_ids)
    if not kept:
        raise SelectionError(f"no exercises left to do after --only/--skip. Valid: {_valid(routine)}")
    return replace(routine, exercises=kept)


def _normal(text: str) -> str:
    return "".join(text.lower().replace("-", " ").replace("_", " ").split())


def _valid(routine: Routine) -> str:
    return ", ".join(f"{number} {exercise.id}" for number, exercise in enumerate(routine.exercises, start=1))
