"""A sheet's lines cut into blocks: each exercise with its words, and the sheet's own notes.

Sheets lay exercises out every way: headings over paragraphs, numbered headings, numbered
steps under a name, bulleted "Name: what to do" items, a software printout's cards, one flat
paragraph out of a PDF ("1. Knee hugs Lie on your back ... 2. Leg stretches ..."). The
lines are first joined into units (a paragraph a PDF wrapped is one unit again), units with
several numbered items in them are split, and each unit is then a heading, a named item, or
words under the heading before it. Which blocks are exercises is decided last, from what they
say: a block that tells a body what to do and is not about all the exercises at once.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from coach.sheets.dosing import is_dose_line, read_dose
from coach.sheets.languages import SheetLanguage
from coach.sheets.reading import SheetLine

SENTENCE_END = re.compile(r"[.!?:;]\s*$")
UNIT_END = re.compile(r"[.!?:;)\]]\s*$")
# "1. ", "1) ", or a number glued to its name as PDFs print it ("1Inner Range Quads")
NUMBERED = re.compile(r"^(?P<number>\d{1,2})(?:[.)]\s*|\s+(?=\S)|(?=[A-ZÄÖÜ][a-zäöüß]))(?P<rest>.+)$")
INLINE_NUMBERS = re.compile(r"(?:^|(?<=[.!?:]\s))(?P<number>\d{1,2})[.)]\s+(?=[A-ZÄÖÜ])")
NAMED_ITEM = re.compile(r"^(?P<name>[A-ZÄÖÜ][^:.!?]{1,60}?)\s*(?::|\s[-\u2013\u2014]\s)\s*(?P<rest>\S.*)$")
URL = re.compile(r"https?://|www\.|\S+@\S+\.\w+")
TOLD = re.compile(r"\b(?:your|the|a|an|ihre?n?|den|die|das)\b", re.IGNORECASE)  # "Keep your eyes level": advice


@dataclass
class Unit:
    """A stretch of the sheet's words read together: a paragraph, a list item, a card's dose line."""

    text: str
    starts: list[tuple[int, SheetLine]]  # (offset in text, the line that starts there)
    bullet: bool = False
    label: str | None = None  # what a "Starting position:" or "Hinweis:" label says it is

    def where(self, offset: int = 0) -> str:
        line = self.starts[0][1]
        for start, candidate in self.starts:
            if start <= offset:
                line = candidate
        return line.where()

    def sliced(self, start: int, end: int | None = None) -> Unit:
        """The words from `start` to `end`, each still knowing its line."""
        raw = self.text[start : len(self.text) if end is None else end]
        start += len(raw) - len(raw.lstrip())
        text = raw.strip()
        first = self.starts[0][1]
        for offset, line in self.starts:
            if offset <= start:
                first = line
        later = [(offset - start, line) for offset, line in self.starts if start < offset < start + len(text)]
        return Unit(text, [(0, first), *later], self.bullet, self.label)


@dataclass
class Block:
    """A heading (or none, for the words before the first) and the units under it."""

    name: str
    where: str
    units: list[Unit] = field(default_factory=list)

    def text(self) -> str:
        return " ".join(unit.text for unit in self.units)


@dataclass(frozen=True)
class Sentence:
    text: str
    where: str
    label: str | None
    bullet: bool


def find_blocks(lines: list[SheetLine], language: SheetLanguage) -> tuple[str | None, list[Block]]:
    """The sheet's title (its first heading) and its blocks, in order."""
    units = _split_numbered(_join(lines, language))
    blocks: list[Block] = [Block("", lines[0].where() if lines else "line 1")]
    title: str | None = None
    title_marked = False  # a title from the page's own heading markup wins over a short first line
    for unit in units:
        heading = _heading(unit, language)
        if heading is not None:
            name, body = heading
            marked = unit.starts[0][1].heading
            if (title is None or (marked and not title_marked)) and not URL.search(name):
                title, title_marked = name, marked
            blocks.append(Block(name, unit.where()))
            if body is not None:
                blocks[-1].units.append(body)
            continue
        blocks[-1].units.append(_labelled(unit, language))
    return title, blocks


def sentences(block: Block) -> list[Sentence]:
    out = []
    for unit in block.units:
        for match in re.finditer(r"\S.*?(?:[.!?](?=\s+(?:[A-ZÄÖÜ0-9\"'(])|\s*$)|$)", unit.text):
            text = match.group(0).strip()
            if text:
                out.append(Sentence(text, unit.where(match.start()), unit.label, unit.bullet))
    return out


def is_exercise(block: Block, language: SheetLanguage) -> bool:
    """A named block that tells a body what to do before it speaks of all the exercises at once."""
    if not block.name or language.general_headings.match(block.name) or not block.units:
        return False
    told = 0
    for sentence in sentences(block):
        if language.collective.search(sentence.text):
            break
        if language.instruction.match(sentence.text) or language.position.match(sentence.text):
            told += 1
    if not told or not language.body.search(block.text() + " " + block.name):
        return False
    # One sentence of advice ("Keep as active as you can") is not an exercise; one with a dose is.
    return told >= 2 or any(read_dose(s.text, language, "").dose.fields() for s in sentences(block))


def clean_name(name: str, language: SheetLanguage) -> str:
    name = language.heading_prefix.sub("", name).strip(" :-\u2013\u2014.")
    name = re.sub(r"^\d{1,2}(?:[.)]\s*|\s+|(?=[A-ZÄÖÜ]))", "", name)
    if name.isupper() and len(name) > 3:
        name = name[0] + name[1:].lower()
    return name


def _is_heading_like(text: str, language: SheetLanguage) -> bool:
    words = text.split()
    if not words or len(words) > 8 or len(text) > 70 or SENTENCE_END.search(text.rstrip(":")):
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    if is_dose_line(text, language):
        return False  # "3 sets of 10 reps", "Twice daily": a dose line, not a name
    return text.rstrip(":").lower() not in language.labels


def _join(lines: list[SheetLine], language: SheetLanguage) -> list[Unit]:
    """Lines into units: a wrapped paragraph is joined again; a heading, a list item, a dose line stand alone."""
    units: list[Unit] = []
    previous_open = False  # the last unit may go on in this line
    lengths = sorted(len(line.text) for line in lines)
    width = lengths[int(len(lengths) * 0.9)] if lengths else 0  # what the sheet was wrapped to, if it was
    for line in lines:
        alone = line.heading or _is_heading_like(line.text, language)
        starts_new = line.bullet or bool(NUMBERED.match(line.text)) or alone or not previous_open
        label = line.text.split(":", 1)[0].strip().lower()
        if label in language.labels and ":" in line.text:
            starts_new = True
        if starts_new:
            units.append(Unit(line.text, [(0, line)], bullet=line.bullet))
        else:
            unit = units[-1]
            unit.starts.append((len(unit.text) + 1, line))
            unit.text = unit.text + " " + line.text
        wrapped = len(line.text) >= 0.7 * width  # a full line, cut where the page ended, goes on in the next
        previous_open = wrapped and not alone and not line.heading and not UNIT_END.search(line.text)
        if line.heading or alone or is_dose_line(line.text, language):
            previous_open = False  # a heading, or a card's dose line ("Sets 2  Reps 10"), ends its unit
    return units


def _split_numbered(units: list[Unit]) -> list[Unit]:
    """A unit holding "1. ... 2. ... 3. ..." (a flat paragraph out of a PDF) split at each number."""
    out: list[Unit] = []
    for unit in units:
        cuts = []
        expected = 1
        for match in INLINE_NUMBERS.finditer(unit.text):
            if int(match.group("number")) == expected:
                cuts.append(match.start())
                expected += 1
        if len(cuts) < 2:
            out.append(unit)
            continue
        bounds = [0, *cuts, len(unit.text)]
        for start, end in itertools.pairwise(bounds):
            if unit.text[start:end].strip():
                out.append(unit.sliced(start, end))
    return out


def _heading(unit: Unit, language: SheetLanguage) -> tuple[str, Unit | None] | None:
    """(name, the words after it) when the unit starts an exercise or a section; None for body words."""
    text = unit.text
    line = unit.starts[0][1]
    if line.heading and len(text.split()) <= 12:
        return clean_name(text, language), None
    if language.heading_prefix.match(text):
        rest = language.heading_prefix.sub("", text)
        named = NAMED_ITEM.match(rest)
        if named and len(named.group("name").split()) <= 6 and not _is_heading_like(rest, language):
            return clean_name(named.group("name"), language), unit.sliced(text.index(named.group("rest")))
        return clean_name(rest, language), None
    numbered = NUMBERED.match(text)
    if numbered and not unit.bullet:
        rest = numbered.group("rest")
        offset = numbered.start("rest")
        words = rest.split()
        if _is_heading_like(rest, language):
            return clean_name(rest, language), None
        if language.instruction.match(rest) or language.position.match(rest):
            return None  # "1. Lie on your back ...": a step of the exercise above
        for index in range(1, min(len(words), 9)):
            tail = " ".join(words[index:])
            if words[index][0].isupper() and (language.instruction.match(tail) or language.position.match(tail)):
                name = " ".join(words[:index])
                return clean_name(name, language), unit.sliced(offset + rest.index(tail))
        return None
    if _is_heading_like(text, language) and not unit.bullet:
        return clean_name(text, language), None
    named = NAMED_ITEM.match(text)
    if named:
        name = named.group("name").strip()
        body = named.group("rest")
        if (
            len(name.split()) <= 6
            and name.lower() not in language.labels
            and len(body.split()) >= 3
            and not (
                language.instruction.match(name) and (len(name.split()) == 1 or not unit.bullet or TOLD.search(name))
            )
            and not language.caution.match(name)
            and (unit.bullet or language.instruction.match(body) or language.position.match(body))
        ):
            return clean_name(name, language), unit.sliced(text.index(body, named.start("rest")))
    return None


def _labelled(unit: Unit, language: SheetLanguage) -> Unit:
    """ "Ausgangsposition: Bauchlage ..." read as position words, the label itself not said."""
    if ":" not in unit.text:
        return unit
    label, rest = unit.text.split(":", 1)
    kind = language.labels.get(label.strip().lower())
    if kind is None or not rest.strip():
        return unit
    if kind == "dose":  # "Repetitions: 10  Sets: 2": the label is half of the dose
        return Unit(unit.text, unit.starts, unit.bullet, kind)
    cut = unit.sliced(unit.text.index(rest) + (len(rest) - len(rest.lstrip())))
    cut.label = kind
    return cut
