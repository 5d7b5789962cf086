"""Routines as data: the TOML format users write, loaded into frozen dataclasses.

TOML (read with the standard library's tomllib) because people write these files by
hand: it has comments, multi-line strings and no significant indentation, and it
needs no third-party parser. Validation is done here, by hand, so that every error
names the file, the line and the field path in words a non-programmer can act on.
See docs/routine-format.md for the format; the built-in routine is its example.

Longer than 400 lines because each key's check sits beside the key it checks, with its
message: the format's rules are read in one place, in the order docs/routine-format.md
gives them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

from coach.common.audio import PACKAGE
from coach.common.errors import RoutineError
from coach.plan import phrases

BUILTIN_ROUTINE = "lower-back"
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PLACEHOLDERS = {"side", "seconds"}
MAX_REPS = 100
MAX_PHASE_SECONDS = 600.0
MAX_WORK_SECONDS = 3600.0  # one timed exercise: an hour's plank is already generous
MAX_REST_SECONDS = 900.0
MAX_SETS = 20
MAX_ROUNDS = 20
MAX_TIMES_A_DAY = 24  # "every hour" of a waking day is 16
MAX_SECONDS_PER_REP = 60.0


class Level(StrEnum):
    """Where in a range to land: the low, middle or top of it."""

    GENTLE = "gentle"
    STANDARD = "standard"
    FULL = "full"


class Sides(StrEnum):
    """How an exercise uses the body's two sides."""

    NONE = "none"  # both sides at once, or no side at all
    ALTERNATE = "alternate"  # left, right, left, right: each rep number on both sides
    EACH = "each"  # all reps on the left, then all on the right


class Pace(StrEnum):
    """Who sets the pace of the reps."""

    GUIDED = "guided"  # the coach, phase by phase
    SELF = "self"  # the listener: the coach waits until they say they are done


class PhaseKind(StrEnum):
    """The beats of one rep; holds and rests are what --hold and --rest change."""

    MOVE = "move"
    HOLD = "hold"
    RETURN = "return"
    REST = "rest"


@dataclass(frozen=True)
class Span:
    """A range from the routine sheet ("8-10 times", "5-10 seconds"); low == high for one value."""

    low: float
    high: float

    def pick(self, level: Level) -> float:
        if level is Level.GENTLE:
            return self.low
        if level is Level.FULL:
            return self.high
        middle = (self.low + self.high) / 2
        # Whole numbers stay whole: "hold for 7 seconds" is easier to hear than 7.5.
        if float(self.low).is_integer() and float(self.high).is_integer():
            return float(int(middle))
        return middle

    def describe(self) -> str:
        low, high = _number_text(self.low), _number_text(self.high)
        return low if low == high else f"{low}-{high}"


@dataclass(frozen=True)
class Phase:
    kind: PhaseKind
    say: str  # may be empty (a silent rest); may hold {side} and {seconds}
    seconds: Span


ZERO = Span(0.0, 0.0)


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    position: tuple[str, ...]
    tips: tuple[str, ...]
    reps: Span | None  # None for a timed exercise
    sides: Sides
    phases: tuple[Phase, ...]  # the beats of a guided rep; empty for timed and self-paced work
    seconds: Span | None = None  # the work of a timed exercise, instead of reps
    pace: Pace = Pace.GUIDED
    seconds_per_rep: float = 3.0  # what a self-paced rep is allowed when nobody can say "done"
    sets: int = 1
    rest_between_sets: Span = ZERO
    rest_after: Span | None = None  # None: the routine's rest_between_exercises

    @property
    def timed(self) -> bool:
        return self.seconds is not None


@dataclass(frozen=True)
class Schedule:
    """How often the routine is meant to be done, as the sheet prescribed it: each None when not said."""

    times_a_day: Span | None = None
    days_a_week: Span | None = None

    def text(self) -> str:
        """ "3 times a day, 5 days a week" for eyes."""
        parts = []
        if self.times_a_day is not None:
            parts.append(f"{self.times_a_day.describe()} time{'s' if self.times_a_day.high != 1 else ''} a day")
        if self.days_a_week is not None:
            days = "every day" if self.days_a_week.low == 7 else f"{self.days_a_week.describe()} days a week"
            parts.append(days)
        return ", ".join(parts)

    def sessions_a_week(self) -> tuple[float, float]:
        """(low, high) sessions a week it asks for: a day count alone means daily when not said."""
        per_day = self.times_a_day or Span(1, 1)
        days = self.days_a_week or Span(7, 7)
        return per_day.low * days.low, per_day.high * days.high


@dataclass(frozen=True)
class Routine:
    title: str
    language: str
    intro: tuple[str, ...]
    closing: tuple[str, ...]
    exercises: tuple[Exercise, ...]
    source: str  # where it came from, for messages
    rest_between_exercises: Span = ZERO
    rounds: int = 1
    rest_between_rounds: Span = ZERO
    phrases: tuple[tuple[str, str], ...] = ()  # the routine's own words for the coach's phrases
    schedule: Schedule | None = None  # how often: a physiotherapist's "3 times a day"


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# --- loading ---------------------------------------------------------------------------


def builtin_routine_path(name: str = BUILTIN_ROUTINE) -> Path:
    return PACKAGE / "plan" / "routines" / f"{name}.toml"


def load_builtin(name: str = BUILTIN_ROUTINE) -> Routine:
    path = builtin_routine_path(name)
    return parse_routine(path.read_text(encoding="utf-8"), source=f"built-in:{name}")


def load_routine(path: Path) -> Routine:
    """Read a user's routine file; every failure is a RoutineError naming the file."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RoutineError("no such file", source=source) from None
    except IsADirectoryError:
        raise RoutineError("is a folder, not a routine file", source=source) from None
    except UnicodeDecodeError:
        raise RoutineError("is not UTF-8 text", source=source) from None
    except OSError as error:
        raise RoutineError(f"cannot be read ({error.strerror})", source=source) from None
    return parse_routine(text, source=source)


def parse_routine(text: str, *, source: str) -> Routine:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else None
        detail = re.sub(r"\s*\(at line \d+, column \d+\)", "", message) or "not valid TOML"
        raise RoutineError(f"not valid TOML: {detail}", source=source, line=line) from None
    return _Reader(text, source).routine(document)


class _Reader:
    """Checks a parsed document field by field, raising with the line of the field."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines = _key_lines(text)

    def fail(self, path: tuple[str | int, ...], message: str) -> RoutineError:
        return RoutineError(message, source=self.source, line=self._line_of(path), field=_path_text(path))

    def _line_of(self, path: tuple[str | int, ...]) -> int | None:
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def table(self, value: Any, path: tuple[str | int, ...], allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, "must be a table")
        for key in value:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.fail((*path, key), f"unknown key (known keys: {known})")
        for key in sorted(required):
            if key not in value:
                raise self.fail(path, f"missing required key '{key}'")
        return value

    def text(self, value: Any, path: tuple[str | int, ...], *, allow_empty: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(path, "must be text in quotes")
        cleaned = " ".join(value.split())
        if not cleaned and not allow_empty:
            raise self.fail(path, "must not be empty")
        self.placeholders(cleaned, path)
        return cleaned

    def placeholders(self, text: str, path: tuple[str | int, ...]) -> None:
        for name in re.findall(r"\{([^{}]*)\}", text):
            if name not in PLACEHOLDERS:
                raise self.fail(path, f"unknown placeholder {{{name}}} (use {{side}} or {{seconds}})")
        if re.search(r"\{[^{}]*$|^[^{}]*\}", text.replace("{side}", "").replace("{seconds}", "")):
            raise self.fail(path, "has an unmatched brace")

    def lines_of_text(self, value: Any, path: tuple[str | int, ...]) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(path, "must be text or a list of texts")
        return tuple(self.text(item, (*path, index)) for index, item in enumerate(value))

    def span(self, value: Any, path: tuple[str | int, ...], *, whole: bool, minimum: float, maximum: float) -> Span:
        unit = "a whole number" if whole else "a number"
        if isinstance(value, list):
            if len(value) != 2:
                raise self.fail(path, f"a range must be two numbers, like [8, 10] (got {len(value)})")
            low = self.number(value[0], (*path, 0), whole=whole)
            high = self.number(value[1], (*path, 1), whole=whole)
            if low > high:
                raise self.fail(path, f"range goes down ({_number_text(low)} > {_number_text(high)})")
        else:
            low = high = self.number(value, path, whole=whole, unit=f"{unit} or a range like [8, 10]")
        if low < minimum:
            raise self.fail(path, f"must be at least {_number_text(minimum)}")
        if high > maximum:
            raise self.fail(path, f"must be at most {_number_text(maximum)}")
        return Span(float(low), float(high))

    def number(self, value: Any, path: tuple[str | int, ...], *, whole: bool, unit: str = "") -> float:
        unit = unit or ("a whole number" if whole else "a number")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"must be {unit}")
        if whole and not float(value).is_integer():
            raise self.fail(path, f"must be {unit}")
        if value != value or value in (float("inf"), float("-inf")):
            raise self.fail(path, "must be a finite number")
        return float(value)

    def choice(self, value: Any, path: tuple[str | int, ...], options: type[Enum]) -> Any:
        names = [member.value for member in options]
        if not isinstance(value, str) or value not in names:
            raise self.fail(path, f"must be one of: {', '.join(names)}")
        return options(value)

    def rest(self, table: dict[str, Any], key: str, path: tuple[str | int, ...]) -> Span | None:
        if key not in table:
            return None
        return self.span(table[key], (*path, key), whole=False, minimum=0, maximum=MAX_REST_SECONDS)

    def count(self, table: dict[str, Any], key: str, path: tuple[str | int, ...], maximum: int) -> int:
        if key not in table:
            return 1
        value = self.number(table[key], (*path, key), whole=True)
        if not 1 <= value <= maximum:
            raise self.fail((*path, key), f"must be between 1 and {maximum}")
        return int(value)

    def phrase_table(self, value: Any) -> tuple[tuple[str, str], ...]:
        table = self.table(value, ("phrases",), allowed=set(phrases.PLACEHOLDERS), required=set())
        entries = []
        for key, text in table.items():
            path = ("phrases", key)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(path, "must be text in quotes, not empty")
            cleaned = " ".join(text.split())
            problem = phrases.problem(key, cleaned)
            if problem is not None:
                raise self.fail(path, problem)
            entries.append((key, cleaned))
        return tuple(entries)

    def routine(self, document: dict[str, Any]) -> Routine:
        root = self.table(
            document,
            (),
            allowed={
                "title",
                "language",
                "intro",
                "closing",
                "exercises",
                "rest_between_exercises",
                "rounds",
                "rest_between_rounds",
                "phrases",
                "schedule",
            },
            required={"title", "exercises"},
        )
        raw_exercises = root["exercises"]
        if not isinstance(raw_exercises, list) or not raw_exercises:
            raise self.fail(("exercises",), "must be at least one [[exercises]] table")
        exercises = tuple(self.exercise(item, ("exercises", index)) for index, item in enumerate(raw_exercises))
        seen: dict[str, int] = {}
        for index, exercise in enumerate(exercises):
            if exercise.id in seen:
                raise self.fail(("exercises", index, "id"), f"'{exercise.id}' is used twice")
            seen[exercise.id] = index
        language = self.text(root.get("language", "en"), ("language",))
        if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*", language):
            raise self.fail(("language",), "must be a language code like 'en' or 'de'")
        return Routine(
            title=self.text(root["title"], ("title",)),
            language=language,
            intro=self.lines_of_text(root.get("intro", []), ("intro",)),
            closing=self.lines_of_text(root.get("closing", []), ("closing",)),
            exercises=exercises,
            source=self.source,
            rest_between_exercises=self.rest(root, "rest_between_exercises", ()) or ZERO,
            rounds=self.count(root, "rounds", (), MAX_ROUNDS),
            rest_between_rounds=self.rest(root, "rest_between_rounds", ()) or ZERO,
            phrases=self.phrase_table(root.get("phrases", {})),
            schedule=self.schedule(root["schedule"]) if "schedule" in root else None,
        )

    def schedule(self, value: Any) -> Schedule:
        table = self.table(value, ("schedule",), allowed={"times_a_day", "days_a_week"}, required=set())
        if not table:
            raise self.fail(("schedule",), "give times_a_day, days_a_week or both")
        spans = {
            key: self.span(table[key], ("schedule", key), whole=True, minimum=1, maximum=maximum)
            for key, maximum in (("times_a_day", MAX_TIMES_A_DAY), ("days_a_week", 7))
            if key in table
        }
        return Schedule(**spans)

    def exercise(self, value: Any, path: tuple[str | int, ...]) -> Exercise:
        table = self.table(
            value,
            path,
            allowed={
                "id",
                "name",
                "position",
                "tips",
                "reps",
                "seconds",
                "pace",
                "seconds_per_rep",
                "sets",
                "rest_between_sets",
                "rest_after",
                "sides",
                "phases",
            },
            required={"id", "name"},
        )
        exercise_id = self.text(table["id"], (*path, "id"))
        if not ID_PATTERN.match(exercise_id):
            raise self.fail((*path, "id"), "must be lowercase words joined by hyphens, like 'knee-rolls'")
        reps, seconds = self.work(table, path)
        sides = self.choice(table.get("sides", "none"), (*path, "sides"), Sides)
        pace = self.choice(table.get("pace", "guided"), (*path, "pace"), Pace)
        guided_reps = reps is not None and pace is Pace.GUIDED
        if seconds is not None and "pace" in table:
            raise self.fail((*path, "pace"), "is for reps; a timed exercise (seconds) runs on the clock")
        if "seconds_per_rep" in table and pace is not Pace.SELF:
            raise self.fail((*path, "seconds_per_rep"), 'is for self-paced reps (pace = "self")')
        if seconds is not None and sides is Sides.ALTERNATE:
            raise self.fail((*path, "sides"), 'a timed exercise takes "none" or "each" (the time on each side)')
        phases: tuple[Phase, ...] = ()
        if guided_reps:
            raw_phases = table.get("phases")
            if raw_phases is None:
                raise self.fail(path, "missing required key 'phases' (the beats of each rep the coach paces)")
            if not isinstance(raw_phases, list) or not raw_phases:
                raise self.fail((*path, "phases"), "must be at least one [[exercises.phases]] table")
            phases = tuple(self.phase(item, (*path, "phases", index)) for index, item in enumerate(raw_phases))
            if all(not phase.say for phase in phases):
                raise self.fail((*path, "phases"), "at least one phase must say something")
        elif "phases" in table:
            kind = "a timed exercise" if seconds is not None else "self-paced reps"
            raise self.fail((*path, "phases"), f"{kind} has no phases: say what to do in position and tips")
        if sides is Sides.NONE:
            for index, phase in enumerate(phases):
                if "{side}" in phase.say:
                    raise self.fail((*path, "phases", index, "say"), 'uses {side} but the exercise has sides = "none"')
        return Exercise(
            id=exercise_id,
            name=self.text(table["name"], (*path, "name")),
            position=self.lines_of_text(table.get("position", []), (*path, "position")),
            tips=self.lines_of_text(table.get("tips", []), (*path, "tips")),
            reps=reps,
            sides=sides,
            phases=phases,
            seconds=seconds,
            pace=pace,
            seconds_per_rep=self.seconds_per_rep(table, path),
            sets=self.count(table, "sets", path, MAX_SETS),
            rest_between_sets=self.rest(table, "rest_between_sets", path) or ZERO,
            rest_after=self.rest(table, "rest_after", path),
        )

    def work(self, table: dict[str, Any], path: tuple[str | int, ...]) -> tuple[Span | None, Span | None]:
        """(reps, seconds): exactly one of them is given."""
        if "reps" in table and "seconds" in table:
            raise self.fail((*path, "seconds"), "give reps or seconds, not both")
        reps = seconds = None
        if "reps" in table:
            reps = self.span(table["reps"], (*path, "reps"), whole=True, minimum=1, maximum=MAX_REPS)
        elif "seconds" in table:
            seconds = self.span(table["seconds"], (*path, "seconds"), whole=False, minimum=1, maximum=MAX_WORK_SECONDS)
        else:
            raise self.fail(path, "missing required key 'reps' (or 'seconds', for a timed exercise)")
        return reps, seconds

    def seconds_per_rep(self, table: dict[str, Any], path: tuple[str | int, ...]) -> float:
        if "seconds_per_rep" not in table:
            return 3.0
        value = self.number(table["seconds_per_rep"], (*path, "seconds_per_rep"), whole=False)
        if not 1 <= value <= MAX_SECONDS_PER_REP:
            raise self.fail((*path, "seconds_per_rep"), f"must be between 1 and {MAX_SECONDS_PER_REP:g}")
        return value

    def phase(self, value: Any, path: tuple[str | int, ...]) -> Phase:
        table = self.table(value, path, allowed={"kind", "say", "seconds"}, required={"kind", "seconds"})
        kind = self.choice(table["kind"], (*path, "kind"), PhaseKind)
        say = self.text(table.get("say", ""), (*path, "say"), allow_empty=True)
        seconds = self.span(table["seconds"], (*path, "seconds"), whole=False, minimum=0, maximum=MAX_PHASE_SECONDS)
        if kind is PhaseKind.HOLD and seconds.low <= 0:
            raise self.fail((*path, "seconds"), "a hold must last more than 0 seconds")
        return Phase(kind=kind, say=say, seconds=seconds)


def _path_text(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\- ]+?)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\- ]+?)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def _key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Map field paths to the line they start on, for error messages.

    tomllib keeps no positions, so this reads the lines the way the format lays them
    out: [[exercises]] and [[exercises.phases]] headers, then `key = value` lines.
    Values spread over several lines are found by their first line; anything it
    cannot place falls back to the nearest enclosing field that it can.
    """
    found: dict[tuple[str | int, ...], int] = {}
    counters: dict[tuple[str | int, ...], int] = {}
    current: tuple[str | int, ...] = ()
    depth = 0  # open brackets of a multi-line array: keys inside are not top-level
    in_string = False
    for number, line in enumerate(text.splitlines(), start=1):
        was_in_string = in_string
        if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
            in_string = not in_string
        if was_in_string:
            continue
        if depth > 0:
            depth += _bracket_balance(line)
            continue
        header = _HEADER.match(line)
        if header:
            names = [name.strip() for name in header.group(1).split(".")]
            parent: tuple[str | int, ...] = ()
            for name in names[:-1]:
                parent = (*parent, name, max(counters.get((*parent, name), 1) - 1, 0))
            array = (*parent, names[-1])
            index = counters.get(array, 0)
            counters[array] = index + 1
            for key in [k for k in counters if len(k) > len(array) and k[: len(array)] == array]:
                del counters[key]
            current = (*array, index)
            found.setdefault(array, number)
            found.setdefault(current, number)
            continue
        table = _TABLE.match(line)
        if table:
            current = tuple(name.strip() for name in table.group(1).split("."))
            found.setdefault(current, number)
            continue
        key_match = _KEY.match(line)
        if key_match:
            found.setdefault((*current, key_match.group(1)), number)
            depth += _bracket_balance(line.split("=", 1)[1])
    return found


def _bracket_balance(fragment: str) -> int:
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'', "", fragment.split("#", 1)[0])
    return without_strings.count("[") - without_strings.count("]")
