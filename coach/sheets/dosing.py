"""A sentence's dose: reps, sets, hold, timed work, sides and how often, each with its words.

`read_dose` finds every dose a sentence states and returns the sentence with those words
taken out, so that what is left is what the coach should say: the sheet's movement in its own
words, the numbers said by the coach's cues instead ("Hold for 5 seconds" becomes the hold
phase's "Hold for {seconds} seconds.", timed by the coach). Number words are read as digits
("five" -> 5, "twice" -> 2 times) on a copy of the sentence whose every character maps back
to the original, so what is taken out is exactly the sheet's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from coach.sheets.languages import BREATH_SECONDS, SheetLanguage


@dataclass(frozen=True)
class Amount:
    """A number or a range, as the sheet wrote it: "5-10" is (5, 10), "up to 10" is (1, 10)."""

    low: float
    high: float

    def toml(self) -> str:
        def number(value: float) -> str:
            return str(int(value)) if float(value).is_integer() else f"{value:g}"

        return number(self.low) if self.low == self.high else f"[{number(self.low)}, {number(self.high)}]"

    def said(self) -> str:
        """ "10", or "5-10" for a range: for eyes."""
        return self.toml().strip("[]").replace(", ", "-")

    def plain(self) -> float | list[float]:
        return self.low if self.low == self.high else [self.low, self.high]


@dataclass(frozen=True)
class Found:
    """One dose field: its value and the sheet's words it came from."""

    value: Amount | str
    where: str  # "line 12", "page 2, line 5"
    quote: str  # the sentence it was read from
    sheet_wide: bool = False  # stated once for all exercises


DOSE_FIELDS = ("reps", "sets", "hold", "seconds", "sides", "times_a_day", "days_a_week")


@dataclass
class Dose:
    reps: Found | None = None
    sets: Found | None = None
    hold: Found | None = None  # seconds held in each rep
    seconds: Found | None = None  # timed work
    sides: Found | None = None  # "each" or "alternate"
    times_a_day: Found | None = None
    days_a_week: Found | None = None
    zero_hold: bool = False  # "Hold 0 s": the sheet says there is no hold

    def fill_from(self, other: Dose) -> None:
        """Take each field this dose lacks from another (a later sentence, the sheet-wide dose)."""
        for name in DOSE_FIELDS:
            if getattr(self, name) is None and getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))
        if self.sides is not None and other.sides is not None and other.sides.value == "alternate":
            self.sides = other.sides  # "turn to the other side ... 5 times to each side": side to side
        self.zero_hold = self.zero_hold or other.zero_hold

    def fields(self) -> dict[str, Found]:
        return {name: getattr(self, name) for name in DOSE_FIELDS if getattr(self, name) is not None}

    def as_sheet_wide(self) -> Dose:
        return Dose.of({name: replace(found, sheet_wide=True) for name, found in self.fields().items()})

    @staticmethod
    def of(fields: dict[str, Found]) -> Dose:
        dose = Dose()
        for name, found in fields.items():
            setattr(dose, name, found)
        return dose


@dataclass
class Reading:
    """A sentence read: its dose, what is left of it to say, and the spans taken out."""

    dose: Dose
    rest: str  # the sentence without its dose words
    hold_say: str | None = None  # the sentence with its hold time as {seconds}, when it holds
    spans: list[tuple[int, int]] = field(default_factory=list)


def normalise(text: str, language: SheetLanguage) -> tuple[str, list[int]]:
    """Number words as digits, dashes as hyphens; and for each character, where it was in `text`."""
    words = sorted(language.number_words, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(word) for word in words) + r")\b|[\u2010-\u2015\u2212]", re.I)
    out: list[str] = []
    where: list[int] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(text[last : match.start()])
        where.extend(range(last, match.start()))
        replacement = "-" if match.group(1) is None else language.number_words[match.group(1).lower()]
        out.append(replacement)
        where.extend([match.start()] + [match.end() - 1] * (len(replacement) - 1))
        last = match.end()
    out.append(text[last:])
    where.extend(range(last, len(text)))
    return "".join(out), where


UP_TO = re.compile(r"(?:up to|bis zu|jusqu'à|hasta)\b", re.IGNORECASE)
DEFINITION = re.compile(r"\b(?:counts as|is|makes)\s+(?:1|one|a single)\s+(?:repetition|rep)\b", re.IGNORECASE)


def amount(text: str) -> Amount:
    """ "5-10", "5 to 10", "2 or 3", "up to 10", "about 10", "10" as an Amount."""
    text = text.lower().replace(",", ".")
    numbers = [float(value) for value in re.findall(r"\d+(?:\.\d+)?", text)]
    if UP_TO.match(text):
        return Amount(1.0, numbers[-1])
    if len(numbers) >= 2 and numbers[0] <= numbers[1]:
        return Amount(numbers[0], numbers[1])
    return Amount(numbers[0], numbers[0])


def _scaled(value: Amount, factor: float) -> Amount:
    return Amount(value.low * factor, value.high * factor)


def read_dose(sentence: str, language: SheetLanguage, where: str) -> Reading:
    """Every dose the sentence states, and the sentence without them."""
    norm, origin = normalise(sentence, language)
    dose = Dose()
    taken: list[tuple[int, int]] = []  # spans of `norm` already read
    hold_span: tuple[int, int] | None = None
    breath = False  # held for breaths: the sheet's own words say how long

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    def found(value: Amount | str) -> Found:
        return Found(value, where, sentence)

    def search(patterns: list[re.Pattern[str]] | re.Pattern[str]) -> list[re.Match[str]]:
        matches: list[re.Match[str]] = []
        for pattern in patterns if isinstance(patterns, list) else [patterns]:
            matches.extend(match for match in pattern.finditer(norm) if free(*match.span()))
        return matches

    def first(patterns: list[re.Pattern[str]], name: str, group: str) -> None:
        """The first free match gives the field, if nothing gave it yet."""
        for match in search(patterns):
            if getattr(dose, name) is None:
                setattr(dose, name, found(amount(match.group(group))))
                taken.append(match.span())

    taken.extend(match.span() for match in DEFINITION.finditer(norm))  # "... is one repetition": no dose
    first(language.times_a_day, "times_a_day", "F")
    first(language.days_a_week, "days_a_week", "W")
    for match in search(language.every_other_day):
        dose.days_a_week = dose.days_a_week or found(Amount(3, 4))
        taken.append(match.span())
    for match in search(language.every_day):
        if dose.days_a_week is None:
            dose.days_a_week = found(Amount(7, 7))
        taken.append(match.span())
    for match in search(language.hold_breath):
        dose.hold = dose.hold or found(Amount(BREATH_SECONDS, BREATH_SECONDS))
        hold_span = hold_span or match.span()
        breath = True
    match_breaths = language.breaths.search(norm)
    if match_breaths and free(*match_breaths.span()) and dose.hold is None:
        dose.hold = found(_scaled(amount(match_breaths.group("H")), BREATH_SECONDS))
        taken.append(match_breaths.span())
        hold_span = match_breaths.span()
        breath = True
    for match in search(language.hold):
        if dose.hold is not None:
            break
        value = amount(match.group("H"))
        if language.minute_unit.match(match.group("unit") or ""):
            value = Amount(1, value.high * 60) if UP_TO.match(match.group("H")) else _scaled(value, 60)
        if value.high <= 0:
            dose.zero_hold = True
        else:
            dose.hold = found(value)
        number_at = match.start("H")
        counted = re.search(r"(?:\bfor a count of|\bcount(?:ing)? to)\s*$", norm[:number_at], re.IGNORECASE)
        if counted:
            number_at = counted.start()
        end = match.end("unit") if match.group("unit") else match.end("H")
        taken.append((number_at, end))
        hold_span = (number_at, end)
    for match in search(language.sets_and_reps):
        if dose.sets is None and dose.reps is None:
            dose.sets = found(amount(match.group("S")))
            dose.reps = found(amount(match.group("R")))
            taken.append(match.span())
    first(language.sets, "sets", "S")
    first(language.reps, "reps", "R")
    for match in search(language.timed):
        if dose.seconds is None and dose.hold is None:
            value = amount(match.group("T"))
            if language.minute_unit.match(match.group("unit")):
                value = _scaled(value, 60)
            dose.seconds = found(value)
            taken.append(match.span())
    alternate = list(language.alternate.finditer(norm))
    each = list(language.each_side.finditer(norm))
    if alternate:
        dose.sides = found("alternate")
    elif each:
        dose.sides = found("each")
    taken.extend(match.span() for match in alternate + each)

    spans = [(origin[start], origin[end - 1] + 1) for start, end in taken if end > start]
    rest = _without(sentence, spans)
    hold_say = None
    if hold_span is not None:
        start, end = origin[hold_span[0]], origin[hold_span[1] - 1] + 1
        said = sentence[start:end].lower()
        seconds = language.seconds_said
        if said.startswith("for a count of"):
            seconds = "for " + seconds
        elif said.startswith("count"):
            seconds = "hold for " + seconds
        hold_say = sentence if breath else sentence[:start] + seconds + sentence[end:]
    return Reading(dose, rest, hold_say, spans)


def _without(sentence: str, spans: list[tuple[int, int]]) -> str:
    keep = list(sentence)
    for start, end in spans:
        for index in range(start, min(end, len(keep))):
            keep[index] = " "
    text = " ".join("".join(keep).split())
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"([.!?])(?:\s*[.!?,;:])+", r"\1", text)
    return text.strip(" ,;:-")


def only_dose(rest: str, language: SheetLanguage) -> bool:
    """Whether what is left of a sentence, its dose taken out, says nothing of its own."""
    words = re.findall(r"[^\W\d_]+", rest.lower())
    return all(word in language.filler for word in words)


def is_dose_line(text: str, language: SheetLanguage) -> bool:
    """A line that states a dose and nothing else: "3 sets of 10 reps", "Sets 2  Reps 10  Twice daily"."""
    reading = read_dose(text, language, "")
    return bool(reading.dose.fields()) and only_dose(reading.rest, language)
