"""The routine format: the built-in file, errors with file/line/field, and fuzzing."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.common.errors import RoutineError
from coach.plan.routine import (
    Level,
    PhaseKind,
    Routine,
    Sides,
    Span,
    builtin_routine_path,
    load_builtin,
    load_routine,
    parse_routine,
)

MINIMAL = """
title = "Test"

[[exercises]]
id = "one"
name = "One"
reps = 2

[[exercises.phases]]
kind = "move"
say = "Move."
seconds = 1
"""


def test_builtin_routine_has_the_four_seed_exercises_in_order() -> None:
    routine = load_builtin()
    assert [e.id for e in routine.exercises] == ["bottoms-to-heels", "knee-rolls", "back-extensions", "pelvic-tilts"]
    reps = {e.id: (e.reps.low, e.reps.high) for e in routine.exercises}
    assert reps == {
        "bottoms-to-heels": (8, 10),
        "knee-rolls": (8, 10),
        "back-extensions": (8, 10),
        "pelvic-tilts": (10, 15),
    }
    sides = {e.id: e.sides for e in routine.exercises}
    assert sides["knee-rolls"] is Sides.ALTERNATE
    assert {s for key, s in sides.items() if key != "knee-rolls"} == {Sides.NONE}
    back = routine.exercises[2]
    hold = next(p for p in back.phases if p.kind is PhaseKind.HOLD)
    assert hold.seconds == Span(5, 10)


def test_builtin_file_is_valid_when_loaded_as_a_user_file() -> None:
    """The shipped file is the format's example: it must load through the user path too."""
    routine = load_routine(builtin_routine_path())
    assert routine.exercises == load_builtin().exercises


def test_span_levels_pick_low_middle_top() -> None:
    span = Span(10, 15)
    assert [span.pick(level) for level in Level] == [10, 12, 15]
    assert Span(5, 10).describe() == "5-10"
    assert Span(2.5, 2.5).describe() == "2.5"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "line", "field", "words"),
    [
        (("reps = 2", "reps = 0"), 7, "exercises[0].reps", "must be at least 1"),
        (("reps = 2", "reps = [10, 8]"), 7, "exercises[0].reps", "range goes down"),
        (("reps = 2", "reps = 2.5"), 7, "exercises[0].reps", "whole number"),
        (("reps = 2", 'reps = "many"'), 7, "exercises[0].reps", "whole number"),
        (("reps = 2", "reps = 2\nrepz = 3"), 8, "exercises[0].repz", "unknown key"),
        (('kind = "move"', 'kind = "jump"'), 10, "exercises[0].phases[0].kind", "must be one of: move, hold"),
        (("seconds = 1", "seconds = -1"), 12, "exercises[0].phases[0].seconds", "at least 0"),
        (('say = "Move."', 'say = "Move {fast}."'), 11, "exercises[0].phases[0].say", "unknown placeholder"),
        (('say = "Move."', 'say = "Move to the {side}."'), 11, "exercises[0].phases[0].say", 'sides = "none"'),
        (('id = "one"', 'id = "One Two"'), 5, "exercises[0].id", "lowercase words"),
        (('title = "Test"', 'title = ""'), 2, "title", "must not be empty"),
        (('title = "Test"', 'title = "Test"\ncolour = "red"'), 3, "colour", "unknown key"),
        (('name = "One"', "name = 'One'\nsides = 'both'"), 7, "exercises[0].sides", "none, alternate, each"),
    ],
)
def test_bad_field_names_file_line_and_path(
    tmp_path: Path, change: tuple[str, str], line: int, field: str, words: str
) -> None:
    path = write(tmp_path, MINIMAL.replace(*change, 1))
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    error = caught.value
    assert str(error).startswith(f"{path}:{line}: {field}: ")
    assert words in str(error)
    assert "\n" not in str(error)


def test_second_exercise_is_located_by_its_own_line(tmp_path: Path) -> None:
    second = MINIMAL.split("[[exercises]]", 1)[1].replace('"one"', '"two"').replace("reps = 2", "reps = 0")
    path = write(tmp_path, MINIMAL + "\n[[exercises]]" + second)
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    assert caught.value.field == "exercises[1].reps"
    assert caught.value.line == path.read_text().splitlines().index("reps = 0") + 1


def test_toml_syntax_error_gives_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("reps = 2", "reps = = 2"))
    with pytest.raises(RoutineError, match=r":7: not valid TOML"):
        load_routine(path)


def test_missing_required_keys_and_duplicate_ids(tmp_path: Path) -> None:
    with pytest.raises(RoutineError, match=r"exercises\[0\]: missing required key 'reps'"):
        load_routine(write(tmp_path, MINIMAL.replace("reps = 2\n", "")))
    doubled = MINIMAL + "\n[[exercises]]" + MINIMAL.split("[[exercises]]", 1)[1]
    with pytest.raises(RoutineError, match=r"exercises\[1\].id: 'one' is used twice"):
        load_routine(write(tmp_path, doubled))
    with pytest.raises(RoutineError, match="at least one"):
        load_routine(write(tmp_path, 'title = "x"\nexercises = []\n'))


def test_unreadable_files_are_routine_errors(tmp_path: Path) -> None:
    with pytest.raises(RoutineError, match="no such file"):
        load_routine(tmp_path / "absent.toml")
    with pytest.raises(RoutineError, match="is a folder"):
        load_routine(tmp_path)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00title")
    with pytest.raises(RoutineError, match="UTF-8"):
        load_routine(binary)


def test_ranges_placeholders_and_multiline_text_load(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace('name = "One"', 'name = "One"\nsides = "each"\nposition = """Lie down,\n  gently."""')
        .replace("reps = 2", "reps = [3, 5]")
        .replace('say = "Move."', 'say = "Move {side} for {seconds} seconds."')
        .replace("seconds = 1", "seconds = [2, 4]")
    )
    routine = load_routine(write(tmp_path, text))
    exercise = routine.exercises[0]
    assert exercise.position == ("Lie down, gently.",)
    assert exercise.reps == Span(3, 5)
    assert exercise.phases[0].seconds == Span(2, 4)


# --- property-based: anything in, a Routine or a RoutineError out ----------------------

words = st.text(alphabet=string.ascii_letters + " .,{}-'", max_size=30)
scalars = st.one_of(
    st.integers(-5, 200),
    st.floats(allow_nan=True, allow_infinity=True),
    words,
    st.booleans(),
    st.lists(st.integers(-3, 20), max_size=3),
)
phase = st.fixed_dictionaries(
    {"kind": st.sampled_from(["move", "hold", "return", "rest", "jump"]) | scalars},
    optional={"say": words | scalars, "seconds": scalars, "extra": scalars},
)
exercise = st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b-c", "Bad Id"]) | words, "name": words | scalars},
    optional={
        "reps": scalars,
        "sides": st.sampled_from(["none", "alternate", "each", "both"]),
        "phases": st.lists(phase, max_size=3) | scalars,
        "position": st.lists(words, max_size=2) | scalars,
        "tips": st.lists(words, max_size=2) | scalars,
        "typo": scalars,
    },
)
document = st.fixed_dictionaries(
    {},
    optional={
        "title": words | scalars,
        "language": st.sampled_from(["en", "de", "x", "en-us"]) | scalars,
        "intro": st.lists(words, max_size=2) | scalars,
        "exercises": st.lists(exercise, max_size=3) | scalars,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document)
def test_structured_documents_load_or_raise_routine_error(data: dict) -> None:
    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError):
        return  # NaN and friends that TOML cannot write are covered by the text test below
    try:
        routine = parse_routine(text, source="fuzz.toml")
    except RoutineError as error:
        assert str(error).startswith("fuzz.toml")
        assert "\n" not in str(error)
    else:
        assert isinstance(routine, Routine)
        assert routine.exercises


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.builds(lambda a, b: MINIMAL[:a] + b + MINIMAL[a:], st.integers(0, 120), words))
def test_arbitrary_text_loads_or_raises_routine_error(text: str) -> None:
    try:
        parse_routine(text, source="fuzz.toml")
    except RoutineError as error:
        assert str(error).startswith("fuzz.toml")
