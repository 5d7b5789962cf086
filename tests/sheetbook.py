"""The exercise sheets of tests/sheets/, made real and scored: shared by the tests and scripts/bench_import.py.

A `*.pdf.txt` sheet is printed to a PDF by fpdf2 (a real PDF writer: the paragraphs wrapped to
the page as a word processor would) before it is imported, so the importer reads it from the
PDF's text layer. Scoring compares an import with the sheet's answer key, field by field.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHEETS = Path(__file__).resolve().parent / "sheets"
FIELDS = ("reps", "sets", "hold", "seconds", "sides", "times_a_day", "days_a_week")


def sheet_paths(folder: Path = SHEETS) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.name.endswith((".txt", ".html")))


def held_out_paths() -> list[Path]:
    """Sheets written after the importer's rules were settled, never used to tune them."""
    return sheet_paths(SHEETS / "held-out")


def key_for(sheet: Path) -> dict[str, Any]:
    stem = sheet.name.removesuffix(".txt").removesuffix(".pdf").removesuffix(".html")
    return tomllib.loads((sheet.parent / f"{stem}.key.toml").read_text())


def materialise(sheet: Path, folder: Path) -> Path:
    """The file to import: the sheet itself, or for a `.pdf.txt` the PDF printed from it."""
    if not sheet.name.endswith(".pdf.txt"):
        return sheet
    pdf = folder / sheet.name.removesuffix(".txt")
    write_pdf(sheet.read_text().split("\n"), pdf)
    return pdf


def write_pdf(lines: list[str], path: Path, pages: list[list[str]] | None = None) -> None:
    """Lines printed as a leaflet: a short line without a full stop as a bold heading, the rest wrapped."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    for page in pages or [lines]:
        pdf.add_page()
        for line in page:
            text = _latin(line.rstrip())
            if not text:
                pdf.ln(4)
                continue
            heading = len(text.split()) <= 8 and not text.endswith((".", ":")) and not text.startswith("-")
            pdf.set_font("Helvetica", style="B" if heading else "", size=12 if heading else 10.5)
            pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def write_scanned_pdf(path: Path, text: str) -> None:
    """A PDF of a picture of a sheet, as a scanner makes it: no text layer at all."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("L", (1240, 1754), 255)
    drawing = ImageDraw.Draw(image)
    for row, line in enumerate(text.splitlines()):
        drawing.text((80, 80 + 30 * row), line, fill=0)
    picture = path.with_suffix(".png")
    image.save(picture)
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(str(picture), x=0, y=0, w=210)
    pdf.output(str(path))
    picture.unlink()


def _latin(text: str) -> str:
    """The core PDF fonts hold Latin-1: typographic dashes and quotes as a leaflet's PDF would set them."""
    swaps = {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2022": "-"}
    return "".join(swaps.get(char, char) for char in text).encode("latin-1", "replace").decode("latin-1")


def name_key(name: str) -> str:
    return re.sub(r"[^0-9a-zäöüß]+", " ", name.lower()).strip()


def plain(value: Any) -> Any:
    """A key's or an import's value, comparable: numbers as floats, a range as a pair."""
    if isinstance(value, list):
        return (float(value[0]), float(value[1])) if value[0] != value[1] else float(value[0])
    if isinstance(value, int | float):
        return float(value)
    if hasattr(value, "low"):
        return float(value.low) if value.low == value.high else (float(value.low), float(value.high))
    return value


@dataclass
class Score:
    key_names: int = 0
    found_names: int = 0
    matched: int = 0
    fields: int = 0  # fields the key states or the import gave, over matched exercises
    right: int = 0
    invented: int = 0  # a dose the import gave where the sheet says nothing
    wrong: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in ("key_names", "found_names", "matched", "fields", "right", "invented"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.wrong.extend(other.wrong)


def score(found: dict[str, dict[str, Any]], key: dict[str, Any], sheet: str) -> Score:
    """found: exercise name -> {field: value} as imported."""
    result = Score(key_names=len(key["exercises"]), found_names=len(found))
    by_name = {name_key(name): values for name, values in found.items()}
    for expected in key["exercises"]:
        got = by_name.get(name_key(expected["name"]))
        if got is None:
            result.wrong.append(f"{sheet}: '{expected['name']}' not found (found: {', '.join(found)})")
            continue
        result.matched += 1
        for name in FIELDS:
            want = plain(expected.get(name))
            have = plain(got.get(name))
            if want is None and have is None:
                continue
            result.fields += 1
            if want == have:
                result.right += 1
            else:
                if want is None:
                    result.invented += 1
                result.wrong.append(f"{sheet}: {expected['name']}: {name} is {have}, the sheet says {want}")
    return result


def imported_fields(draft: Any) -> dict[str, dict[str, Any]]:
    """An import's exercises as the key writes them."""
    out: dict[str, dict[str, Any]] = {}
    for exercise in draft.exercises:
        values = {name: found.value for name, found in exercise.dose.fields().items()}
        if exercise.timed:
            values.pop("hold", None)
        else:
            values.pop("seconds", None)
        out[exercise.name] = values
    return out
