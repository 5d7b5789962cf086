"""How well `coach import` reads exercise sheets: exercises found, doses right, none invented, and speed.

Every sheet of tests/sheets/ (text, saved web pages, and leaflets printed to real PDFs by
fpdf2) is imported and compared with its answer key, written by reading the sheet:

- exercises found: recall and precision by name;
- dose fields exactly right (reps, hold, sets, sides, timed seconds, times a day, days a
  week), over every field the key states or the import gave; and doses invented where the
  sheet says nothing;
- every draft validates and `coach --dry-run` plays it (a real process, the eSpeak NG voice);
- the time to import a 10-page PDF (read, find, draft), median of --runs.

The sheets in tests/sheets/held-out/ were written after the rules were settled and are
reported apart: how the importer does on layouts it was not tuned on.

    python scripts/bench_import.py [--runs 9] [--verbose]     (needs pip install -e '.[test]')
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coach.sheets.drafting import draft_toml
from coach.sheets.importer import import_lines
from coach.sheets.reading import read_sheet_file
from scripts.benchlib import coach_command
from tests.sheetbook import (
    SHEETS,
    Score,
    held_out_paths,
    imported_fields,
    key_for,
    materialise,
    score,
    sheet_paths,
    write_pdf,
)


def run_set(sheets: list[Path], folder: Path, verbose: bool) -> tuple[Score, int, int]:
    total = Score()
    playable = 0
    for sheet in sheets:
        path = materialise(sheet, folder)
        draft = import_lines(read_sheet_file(path), path.name)
        total.add(score(imported_fields(draft), key_for(sheet), sheet.name))
        routine = folder / f"{sheet.name}.toml"
        routine.write_text(draft_toml(draft))
        dry = subprocess.run(
            [*coach_command(), "--routine", str(routine), "--dry-run", "--voice", "gmw/en-us"],
            capture_output=True,
            text=True,
        )
        playable += dry.returncode == 0
        if dry.returncode != 0 or verbose:
            exit_code = dry.returncode
            print(f"  {sheet.name}: {len(draft.exercises)} exercises; dry-run exit {exit_code} {dry.stderr.strip()}")
    return total, playable, len(sheets)


def report(label: str, total: Score, playable: int, count: int) -> None:
    fields = total.right / total.fields if total.fields else 0.0
    print(
        f"{label}: {count} sheets; exercises found: recall {total.matched}/{total.key_names} "
        f"({100 * total.matched / total.key_names:.1f}%), precision {total.matched}/{total.found_names} "
        f"({100 * total.matched / max(1, total.found_names):.1f}%); dose fields right {total.right}/{total.fields} "
        f"({100 * fields:.1f}%); invented {total.invented}; validate and dry-run {playable}/{count}"
    )
    for wrong in total.wrong:
        print(f"    {wrong}")


def ten_page_seconds(folder: Path, runs: int) -> tuple[float, int]:
    leaflets = [path for path in sheet_paths() if path.name.endswith(".pdf.txt")]
    pages = [leaflets[index % len(leaflets)].read_text().split("\n") for index in range(10)]
    pdf = folder / "ten-pages.pdf"
    write_pdf([], pdf, pages=pages)
    times = []
    exercises = 0
    for _ in range(runs):
        start = time.perf_counter()
        draft = import_lines(read_sheet_file(pdf), pdf.name)
        draft_toml(draft)
        times.append(time.perf_counter() - start)
        exercises = len(draft.exercises)
    return statistics.median(times), exercises


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    print("python scripts/bench_import.py " + " ".join(sys.argv[1:]))
    print(f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        report("tuned on", *run_set(sheet_paths(), folder, args.verbose))
        report("held out", *run_set(held_out_paths(), folder, args.verbose))
        seconds, exercises = ten_page_seconds(folder, args.runs)
        print(f"a 10-page PDF ({exercises} exercises): median {seconds * 1000:.0f} ms to read, find and draft")
    print(f"(sheets in {SHEETS.relative_to(Path.cwd()) if SHEETS.is_relative_to(Path.cwd()) else SHEETS})")


if __name__ == "__main__":
    main()
