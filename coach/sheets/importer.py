"""A sheet into a routine draft: each exercise's words sorted, its dose found, nothing invented.

For each exercise block, sentence by sentence: a dose-only sentence ("Repeat 10 times on each
leg.") gives its dose and is not said (the coach's own cues say it); a caution is a tip; the
starting position comes before the first movement; a sentence with a hold is a hold phase, its
time said by the coach ("Hold for {seconds} seconds."); what brings the body back is the return.
A dose the sheet gives once for all exercises fills what an exercise's own words leave open.
Whatever the sheet does not say is the coach's default, marked as such in the draft.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from coach.sheets.dosing import DEFINITION, Amount, Dose, Found, only_dose, read_dose
from coach.sheets.finding import URL, Block, Sentence, find_blocks, is_exercise, sentences
from coach.sheets.languages import SheetLanguage, detect
from coach.sheets.reading import SheetError, SheetLine

DEFAULT_REPS = 8  # the coach's, where a sheet gives no count
DEFAULT_MOVE_SECONDS = 2.0
DEFAULT_RETURN_SECONDS = 2.0
DEFAULT_HOLD_SECONDS = 5.0
CLAUSE_THEN = re.compile(r",?\s+(?:and\s+|und\s+)?(?:then|dann)\s+|;\s+", re.IGNORECASE)
SIDE_WORDS = re.compile(r"\b(?:the\s+)?(left|right)\b", re.IGNORECASE)
HOLD_ALONE = re.compile(
    r"^\s*(?:hold|halten)(?:\s+(?:it|this|that|there|still|the (?:stretch|position)))?\s*,?\s*$", re.I
)


@dataclass(frozen=True)
class Said:
    """Words for the coach to say, and the sheet's line they came from."""

    text: str
    where: str


@dataclass(frozen=True)
class PhaseDraft:
    kind: str  # move, hold, return
    say: Said
    seconds: Found | None  # None: the coach's default


@dataclass
class ExerciseDraft:
    name: str
    where: str
    position: list[Said] = field(default_factory=list)
    tips: list[Said] = field(default_factory=list)
    phases: list[PhaseDraft] = field(default_factory=list)
    dose: Dose = field(default_factory=Dose)
    sheet_notes: list[Said] = field(default_factory=list)  # said of all exercises, under this one
    timed: bool = False  # seconds of work instead of reps
    self_paced: bool = False  # reps with no movement to pace

    def dose_summary(self) -> str:
        parts = []
        if self.timed and self.dose.seconds is not None:
            parts.append(f"{_amount_text(self.dose.seconds)} s")
        elif self.dose.reps is not None:
            parts.append(f"{_amount_text(self.dose.reps)} times")
        else:
            parts.append(f"{DEFAULT_REPS} times (coach's default)")
        if self.dose.sets is not None:
            parts.append(f"{_amount_text(self.dose.sets)} sets")
        if self.dose.hold is not None and not self.timed:
            parts.append(f"hold {_amount_text(self.dose.hold)} s")
        if self.dose.sides is not None:
            parts.append(f"{self.dose.sides.value} side" + ("s" if self.dose.sides.value == "alternate" else ""))
        if self.dose.times_a_day is not None:
            parts.append(f"{_amount_text(self.dose.times_a_day)} a day")
        if self.dose.days_a_week is not None:
            parts.append(f"{_amount_text(self.dose.days_a_week)} days a week")
        return ", ".join(parts)


@dataclass
class SheetDraft:
    source: str
    language: SheetLanguage
    title: str
    intro: list[Said]
    exercises: list[ExerciseDraft]
    left_out: list[Said]  # words in no exercise and not sheet-wide advice: titles, names, dates


def _amount_text(found: Found) -> str:
    value = found.value
    assert isinstance(value, Amount)
    return value.said()


def import_lines(lines: list[SheetLine], source: str) -> SheetDraft:
    """The draft of a routine from a sheet's lines; SheetError when it holds no exercise."""
    if not lines:
        raise SheetError(f"{source}: is empty")
    text = " ".join(line.text for line in lines)
    language = detect(text)
    title, blocks = find_blocks(lines, language)
    exercise_blocks = [block for block in blocks if is_exercise(block, language)]
    if not exercise_blocks:
        if not language.exercise_words.search(text) or not language.body.search(text) or len(MONEY.findall(text)) >= 2:
            raise SheetError(
                f"{source}: does not read as an exercise sheet (no exercise, body position or movement in it)"
            )
        raise SheetError(
            f"{source}: no exercise found: coach looks for each exercise's name (a heading, a numbered "
            "or bulleted item) followed by what to do"
        )
    sheet_wide = Dose()
    intro: list[Said] = []
    left_out: list[Said] = []
    for block in blocks:
        if block in exercise_blocks:
            for sentence in sentences(block):
                if language.collective.search(sentence.text):
                    fields = read_dose(sentence.text, language, sentence.where).dose.fields()
                    _read_sheet_wide(sentence, fields, language, True, sheet_wide)
            continue
        _read_general(block, language, sheet_wide, intro, left_out)
    exercises = [_exercise(block, language, sheet_wide.as_sheet_wide()) for block in exercise_blocks]
    for exercise in exercises:
        intro.extend(exercise.sheet_notes)
    _unique_names(exercises)
    if title is None or title.lower() in {exercise.name.lower() for exercise in exercises}:
        title = next((line.text for line in lines if _titled(line.text)), None)
        intro = [said for said in intro if said.text.rstrip(".") != title]
    return SheetDraft(source, language, title or Path(source).stem, intro, exercises, left_out)


def _titled(text: str) -> bool:
    """A line that can stand as the routine's title: short, not a sentence, not an address or a date."""
    return (
        len(text.split()) <= 12
        and text[-1:] not in ".!?"
        and not URL.search(text)
        and not DATE_OR_NAME.search(text)
        and not NAVIGATION.match(text)
    )


NAVIGATION = re.compile(r"^(?:skip to|menu|home|search|log in|sign in|cookie|accessibility)\b", re.IGNORECASE)


def _read_general(block: Block, language: SheetLanguage, sheet_wide: Dose, intro: list[Said], left: list[Said]) -> None:
    """A block that is no exercise: a dose for all of them, advice for the introduction, or nothing to say."""
    collective_block = bool(language.collective.search(block.text()))
    for sentence in sentences(block):
        if URL.search(sentence.text) or DATE_OR_NAME.search(sentence.text):
            left.append(Said(sentence.text, sentence.where))
            continue
        reading = read_dose(sentence.text, language, sentence.where)
        fields = reading.dose.fields()
        if collective_block:
            _read_sheet_wide(sentence, fields, language, bool(language.collective.search(sentence.text)), sheet_wide)
        if language.caution.match(sentence.text) or (collective_block and not only_dose(reading.rest, language)):
            intro.append(Said(_speakable(sentence.text, language), sentence.where))
        elif not (fields and collective_block):
            left.append(Said(sentence.text, sentence.where))


def _read_sheet_wide(
    sentence: Sentence, fields: dict[str, Found], language: SheetLanguage, collective: bool, sheet_wide: Dose
) -> None:
    """A dose for every exercise: from a sentence about all of them ("Do each exercise 10 times"), or how
    often from any sentence of a block about all of them ("Do them up to 5 times a day"); never a
    progression ("add 1 or 2 repetitions every few days")."""
    if language.progression.search(sentence.text):
        return
    usable = {name: found for name, found in fields.items() if collective or name in ("times_a_day", "days_a_week")}
    if not collective and "days_a_week" in usable and language.every_day.search(sentence.text):
        del usable["days_a_week"]  # "Walking every day helps": not how often to do the exercises
    sheet_wide.fill_from(Dose.of(usable))


MONEY = re.compile(r"[£$€]\s?\d|\d\s?(?:€|EUR|USD|GBP)\b")
DATE_OR_NAME = re.compile(
    r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b|\b(?:patient|clinician|physiotherapist|prepared by|printed|updated|tel|phone)"
    r"\b\s*:?",
    re.IGNORECASE,
)


def _exercise(block: Block, language: SheetLanguage, sheet_wide: Dose) -> ExerciseDraft:
    exercise = ExerciseDraft(name=block.name, where=block.where)
    dose = Dose()
    moved = False
    pending_return: list[Said] = []
    for sentence in sentences(block):
        reading = read_dose(sentence.text, language, sentence.where)
        text = sentence.text
        if not language.collective.search(text):
            dose.fill_from(reading.dose)
        holds = reading.dose.hold is not None or bool(language.hold_start.match(text))
        if sentence.label == "skip":
            continue
        if language.collective.search(text):  # said of every exercise: the introduction's, not this one's
            if language.caution.match(text) or not only_dose(reading.rest, language):
                exercise.sheet_notes.append(Said(_speakable(text, language), sentence.where))
            continue
        if DEFINITION.search(text):  # "... counts as one repetition": the coach's count says it
            continue
        cautious = language.caution.match(text) or language.pain_clause.search(text)
        if sentence.label == "tip" or (cautious and not holds):
            said = _trim(reading.rest) if reading.dose.fields() else text
            exercise.tips.append(Said(_speakable(said, language), sentence.where))
            continue
        if language.general_note.match(text):
            exercise.position.append(Said(_speakable(text, language), sentence.where))
            continue
        if moved and language.form_cue.match(text) and not holds:
            exercise.tips.append(Said(_speakable(text, language), sentence.where))
            continue
        if sentence.label == "dose" or (not holds and only_dose(reading.rest, language)):
            continue
        if holds:
            say = reading.hold_say or _trim(reading.rest)
            if only_dose(reading.rest, language):
                if any(phase.kind == "hold" for phase in exercise.phases):
                    continue  # the card's "Hold 5 s" for the hold its steps already said
                say = language.hold_said
            before, after = _split_then(say)
            exercise.phases.extend(_flush(pending_return, "return"))
            exercise.phases.append(
                PhaseDraft("hold", Said(_speakable(before, language), sentence.where), reading.dose.hold)
            )
            if after:
                pending_return.append(Said(_speakable(after, language), sentence.where))
            moved = True
            continue
        spoken = Said(_speakable(_trim(reading.rest) if reading.dose.fields() else text, language), sentence.where)
        if not spoken.text.strip(" ."):
            continue
        if sentence.label == "position" or (not moved and language.position.match(text) and sentence.label is None):
            exercise.position.append(spoken)
        elif moved and language.returning.match(text):
            pending_return.append(spoken)
        elif sentence.label == "movement" or language.instruction.match(text):
            exercise.phases.extend(_flush(pending_return, "return"))
            _add_move(exercise, spoken)
            moved = True
        elif not moved:
            exercise.position.append(spoken)
        else:
            exercise.phases.extend(_flush(pending_return, "return"))
            _add_move(exercise, spoken)
    exercise.phases.extend(_flush(pending_return, "return"))
    if dose.seconds is not None and dose.reps is None:
        # Its own timed work ("Keep going for 30 seconds") is what this exercise asks: a count
        # the sheet gives all of them ("Do each exercise 10 times") is for the others.
        sheet_wide = Dose.of({k: v for k, v in sheet_wide.fields().items() if k not in ("reps", "sets", "hold")})
    dose.fill_from(sheet_wide)
    if dose.hold is not None and dose.zero_hold:
        dose.hold = None
    exercise.dose = dose
    _settle_work(exercise)
    _sides_in_phases(exercise)
    return exercise


def _trim(text: str) -> str:
    """What is left once a dose is taken out, without the joins that led to it ("Lower the leg and")."""
    return re.sub(r"(?:[\s,;]+(?:and|then|or|und|dann|oder))+[\s,;.]*$", "", text, flags=re.IGNORECASE).strip(" ,;")


def _add_move(exercise: ExerciseDraft, said: Said) -> None:
    last = exercise.phases[-1] if exercise.phases else None
    if last is not None and last.kind == "move":
        exercise.phases[-1] = PhaseDraft("move", Said(f"{last.say.text} {said.text}", last.say.where), None)
    else:
        exercise.phases.append(PhaseDraft("move", said, None))


def _flush(pending: list[Said], kind: str) -> list[PhaseDraft]:
    if not pending:
        return []
    phase = PhaseDraft(kind, Said(" ".join(said.text for said in pending), pending[0].where), None)
    pending.clear()
    return [phase]


def _split_then(say: str) -> tuple[str, str]:
    """ "Hold for {seconds} seconds, then relax." -> the hold, and the return after it."""
    match = CLAUSE_THEN.search(say)
    if match is None or ("{seconds}" not in say[: match.start()] and not HOLD_ALONE.match(say[: match.start()])):
        return say, ""
    before = say[: match.start()].rstrip(" ,") + "."
    after = say[match.end() :].strip()
    return before, after[:1].upper() + after[1:]


def _settle_work(exercise: ExerciseDraft) -> None:
    """Reps, timed work or self-paced reps, from what the sheet gave."""
    dose = exercise.dose
    if dose.reps is None and dose.seconds is None and dose.hold is not None:
        dose.seconds, dose.hold = dose.hold, None  # a position held once: timed work
        exercise.phases = [phase for phase in exercise.phases if phase.kind != "hold"]
    if dose.reps is None and dose.seconds is not None:
        exercise.timed = True
        exercise.position.extend(phase.say for phase in exercise.phases if phase.kind != "hold")
        exercise.phases = []
        return
    hold_seconds = dose.hold
    exercise.phases = [
        PhaseDraft(phase.kind, phase.say, hold_seconds) if phase.kind == "hold" else phase for phase in exercise.phases
    ]
    if not exercise.phases and len(exercise.position) >= 2:
        # Every sentence read as the position: the last one is what the body does each time.
        exercise.phases = [PhaseDraft("move", exercise.position.pop(), None)]
    if not any(phase.say.text for phase in exercise.phases):
        exercise.self_paced = True


def _sides_in_phases(exercise: ExerciseDraft) -> None:
    """Phases the sheet wrote once per side ("roll to the right ... roll to the left") said once, with {side}."""
    if exercise.dose.sides is None:
        return
    for lead in (0, 1):  # a first movement that sets up ("Bend your knees.") may come before the two sides
        phases = exercise.phases[lead:]
        if len(phases) < 2 or len(phases) % 2 or (lead and exercise.phases[0].kind != "move"):
            continue
        sided = [SIDE_WORDS.sub(lambda match: "the {side}" if match.group(0).lower().startswith("the") else "{side}",
                                phase.say.text) for phase in phases]  # fmt: skip
        half = len(sided) // 2
        if sided[:half] == sided[half:] and any("{side}" in text for text in sided):
            exercise.position.extend(phase.say for phase in exercise.phases[:lead])
            exercise.phases = [
                PhaseDraft(phase.kind, Said(text, phase.say.where), phase.seconds)
                for phase, text in zip(phases[:half], sided[:half], strict=True)
            ]
            return


def _speakable(text: str, language: SheetLanguage) -> str:
    """The sheet's words with its shorthand said in full, ending as a sentence."""
    for pattern, replacement in language.shorthand:
        text = re.sub(pattern, replacement, text)
    text = " ".join(text.replace("{", "(").replace("}", ")").split()) if "{seconds}" not in text else text
    text = text.strip(" ,;-")
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?":
        text += "."
    return text


def _unique_names(exercises: list[ExerciseDraft]) -> None:
    seen: Counter[str] = Counter()
    for exercise in exercises:
        seen[exercise.name.lower()] += 1
        if seen[exercise.name.lower()] > 1:
            exercise.name = f"{exercise.name} ({seen[exercise.name.lower()]})"


__all__ = ["ExerciseDraft", "PhaseDraft", "Said", "Sentence", "SheetDraft", "import_lines"]
