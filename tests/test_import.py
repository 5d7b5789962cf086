"""`coach import`: sheets of every layout read field by field against their keys, through the CLI, and heard.

The sheets and their answer keys are in tests/sheets/ (see its README); `.pdf.txt` sheets
are printed to real PDFs by fpdf2 first. scripts/bench_import.py scores all of them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli.main import app
from coach.plan.routine import load_routine
from coach.sheets.importer import import_lines
from coach.sheets.reading import SheetError, read_sheet_file
from tests.sheetbook import (
    FIELDS,
    SHEETS,
    imported_fields,
    key_for,
    materialise,
    name_key,
    plain,
    write_pdf,
    write_scanned_pdf,
)
from tests.test_live import run_on_a_fake_clock

runner = CliRunner()

# One of each layout: headings over paragraphs and tables (a health service's page), a flat
# paragraph out of a PDF, headings with a sheet-wide dose, a software printout's cards (PDF),
# a dose table (HTML), numbered steps under names, bullets with shorthand, and the German sheet.
LAYOUTS = [
    "nhs-inform-back.html",
    "arc-back-handout.pdf.txt",
    "cuh-knee.txt",
    "physitrack-back.pdf.txt",
    "wibbi-shoulder.html",
    "tomah-leg.txt",
    "wrist-clinic.txt",
    "rueckenuebungen-br.txt",
]


@pytest.mark.parametrize("sheet_name", LAYOUTS)
def test_each_layout_gives_the_exercises_and_doses_of_its_key(sheet_name: str, tmp_path: Path) -> None:
    sheet = SHEETS / sheet_name
    path = materialise(sheet, tmp_path)
    draft = import_lines(read_sheet_file(path), path.name)
    found = imported_fields(draft)
    key = key_for(sheet)
    assert [name_key(name) for name in found] == [name_key(exercise["name"]) for exercise in key["exercises"]]
    for expected, (name, values) in zip(key["exercises"], found.items(), strict=True):
        for field in FIELDS:
            assert plain(values.get(field)) == plain(expected.get(field)), f"{name}: {field}"
    assert draft.language.code == key["language"]


def test_a_flat_pdf_paragraph_keeps_each_caution_and_says_doses_through_the_coach(tmp_path: Path) -> None:
    pdf = materialise(SHEETS / "arc-back-handout.pdf.txt", tmp_path)
    draft = import_lines(read_sheet_file(pdf), pdf.name)
    back_stretch = next(exercise for exercise in draft.exercises if exercise.name == "Back stretch")
    assert [tip.text for tip in back_stretch.tips] == ["Do not sit back on your heels if your knees hurt."]
    spoken = " ".join(phase.say.text for phase in back_stretch.phases)
    assert "{seconds} seconds" in spoken and "count of 5" not in spoken  # the hold is timed by the coach
    assert any("push hard" in said.text for said in draft.intro)  # the sheet's own "do not push hard"
    assert all(said.where.startswith("page 1, line ") for said in back_stretch.position)


def test_import_writes_a_draft_that_validates_dry_runs_and_names_each_line(tmp_path: Path) -> None:
    out = tmp_path / "knee.toml"
    result = runner.invoke(app, ["import", str(SHEETS / "cuh-knee.txt"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Hamstring stretch" in result.output and "Schedule: 2 times a day" in result.output
    text = out.read_text()
    assert 'reps = 10  # line 6, for every exercise: "Do each of these exercises 10 times, twice a day."' in text
    assert "seconds = 2  # not on the sheet: coach's default" in text
    routine = load_routine(out)
    assert routine.schedule is not None and routine.schedule.text() == "2 times a day"
    dry = runner.invoke(app, ["--routine", str(out), "--dry-run", "--voice", "gmw/en-us"])
    assert dry.exit_code == 0, dry.output
    assert "Schedule: 2 times a day" in dry.output
    assert "Exercise 1 out of 5: Hamstring stretch." in dry.output
    assert "Hold the stretch for 10 seconds." in dry.output


def test_a_sheet_from_standard_input_prints_the_routine(tmp_path: Path) -> None:
    text = (SHEETS / "sciatica-bullets.txt").read_bytes()
    result = runner.invoke(app, ["import", "-"], input=text)
    assert result.exit_code == 0, result.output
    assert 'name = "Piriformis stretch"' in result.stdout
    assert "5 exercises" in result.stderr


def test_a_saved_web_page_from_a_real_browser_imports(tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium: Debian's chromium saves the page as a person's browser would")
    saved = tmp_path / "saved.html"
    page = (SHEETS / "peak-physio-neck.html").as_uri()
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page],
        capture_output=True,
        timeout=60,
        check=True,
    )
    saved.write_bytes(dom.stdout)
    draft = import_lines(read_sheet_file(saved), saved.name)
    assert [exercise.name for exercise in draft.exercises] == [
        "Chin Retraction",
        "Chin Tuck Lying",
        "Neck Rotation",
        "Shoulder Blade Squeeze",
    ]


@pytest.mark.slow(seconds=8)
def test_an_imported_pdf_is_spoken_through_the_sound_path(tmp_path: Path, capture: Path, private_history: Path) -> None:
    pdf = materialise(SHEETS / "peak-physio-knee.pdf.txt", tmp_path)
    routine = tmp_path / "knee.toml"
    assert runner.invoke(app, ["import", str(pdf), "-o", str(routine)]).exit_code == 0
    plan, _printed = run_on_a_fake_clock(
        ["--routine", str(routine), "--only", "inner-range-quads", "--countdown", "off"], capture, tmp_path,
        private_history,
    )  # fmt: skip
    said = [cue["text"] for cue in plan["cues"] if cue["kind"] == "speech"]
    assert "First: Inner Range Quads, 10 times, 3 sets." in said
    assert "Exercise 1 out of 1: Inner Range Quads." in said
    assert "Hold for 3 seconds." in said


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: folder / "absent.txt", "no such file"),
        (lambda folder: folder, "is a folder, not a sheet"),
        (lambda folder: _scan(folder), "no text layer (it is a scan"),
        (lambda folder: SHEETS / "not-sheets" / "advice-only.txt", "no exercise found"),
        (lambda folder: SHEETS / "not-sheets" / "recipe.txt", "does not read as an exercise sheet"),
        (lambda folder: SHEETS / "not-sheets" / "invoice.txt", "does not read as an exercise sheet"),
        (lambda folder: _binary(folder), "is not text, a PDF or a web page"),
        (lambda folder: _empty(folder), "is empty"),
        (lambda folder: _broken_pdf(folder), "is not a readable PDF"),
    ],
)
def test_a_sheet_that_cannot_be_read_is_one_line_and_nothing_is_written(make, message, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sheet = make(tmp_path)
    out = tmp_path / "out.toml"
    result = runner.invoke(app, ["import", str(sheet), "-o", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    assert not out.exists()


def test_an_existing_routine_is_never_replaced_without_force(tmp_path: Path) -> None:
    out = tmp_path / "mine.toml"
    out.write_text("# my own routine\n")
    result = runner.invoke(app, ["import", str(SHEETS / "hip-arthritis.pdf.txt"), "-o", str(out)])
    assert result.exit_code == 2 and "already exists; add --force" in result.output
    assert out.read_text() == "# my own routine\n"
    forced = runner.invoke(app, ["import", str(SHEETS / "hip-arthritis.pdf.txt"), "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert load_routine(out).exercises[0].name == "Hip flexion"


def test_a_ten_page_pdf_reads_as_every_page(tmp_path: Path) -> None:
    pages = [(SHEETS / name).read_text().split("\n") for name in LAYOUTS if name.endswith(".pdf.txt")] * 5
    pdf = tmp_path / "ten.pdf"
    write_pdf([], pdf, pages=pages)
    lines = read_sheet_file(pdf)
    assert max(line.page or 0 for line in lines) == len(pages) == 10


def _scan(folder: Path) -> Path:
    path = folder / "scan.pdf"
    write_scanned_pdf(path, (SHEETS / "cuh-knee.txt").read_text())
    return path


def _binary(folder: Path) -> Path:
    path = folder / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return path


def _empty(folder: Path) -> Path:
    path = folder / "empty.html"
    path.write_text("<html><body><nav>Home</nav></body></html>")
    return path


def _broken_pdf(folder: Path) -> Path:
    path = folder / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n")
    return path


def test_reading_errors_are_sheet_errors(tmp_path: Path) -> None:
    with pytest.raises(SheetError):
        read_sheet_file(tmp_path / "nothing.pdf")
