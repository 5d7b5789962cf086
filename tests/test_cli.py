"""The `coach` command through typer's CliRunner, and once as the installed script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli.main import app
from coach.plan.routine import builtin_routine_path

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def exercise_headers(output: str) -> list[str]:
    return [line.split(" (")[0] for line in output.splitlines() if line[:1].isdigit() and ". " in line[:4]]


def test_dry_run_shows_all_four_exercises_with_measured_times() -> None:
    # The whole routine through eSpeak NG (a tenth of Piper's rendering time: the routine's
    # words are the subject here; bench_intelligibility.py measures how Piper says them).
    result = run("--dry-run", "--voice", "gmw/en-us")
    assert result.exit_code == 0, result.output
    assert exercise_headers(result.stdout) == [
        "1. Bottoms to heels stretch",
        "2. Knee rolls",
        "3. Back extensions",
        "4. Pelvic tilts",
    ]
    assert "speech timed from the voice's own clips (gmw/en-us, 160 wpm, eSpeak NG)" in result.stdout
    assert "Do not sit back on your heels if you have knee problems." in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("Total ")


def test_the_default_voice_is_pipers_and_times_the_dry_run(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"  # a routine of a few words: the default voice is the subject, not the words
    mine.write_text(
        'title = "Mine"\n[[exercises]]\nid = "reach"\nname = "Reach up"\nreps = 2\n'
        '[[exercises.phases]]\nkind = "move"\nsay = "Reach up."\nseconds = 1\n'
    )
    default = run("--dry-run", "--routine", str(mine))
    assert "speech timed from the voice's own clips (en_US-joe-medium, 160 wpm, Piper)" in default.stdout


def test_only_keeps_the_order_given_and_mixes_numbers_and_ids() -> None:
    # eSpeak NG: the words and the order are the subject, and it renders the gentle level's
    # counts in a tenth of Piper's time (the Piper plan is the test above's).
    result = run("--dry-run", "--only", "4,knee-rolls", "--level", "gentle", "--voice", "gmw/en-us")
    assert result.exit_code == 0, result.output
    assert exercise_headers(result.stdout) == ["1. Pelvic tilts", "2. Knee rolls"]
    assert "Number 10 out of 10." in result.stdout and "Number 8 out of 8, to the right." in result.stdout
    repeated = run("--dry-run", "--only", "Pelvic tilts", "--only", "2", "--level", "gentle", "--voice", "gmw/en-us")
    assert repeated.stdout == result.stdout


def test_run_subcommand_is_the_same_as_plain_coach() -> None:
    same = ["--dry-run", "--only", "2", "--voice", "gmw/en-us"]  # eSpeak NG: the command line is the subject
    assert run("run", *same).stdout == run(*same).stdout


def test_skip_drops_exercises() -> None:
    result = run("--dry-run", "--skip", "back-extensions", "--skip", "1", "--voice", "gmw/en-us")
    assert exercise_headers(result.stdout) == ["1. Knee rolls", "2. Pelvic tilts"]


def test_dry_run_json_matches_the_text() -> None:
    chosen = ["--only", "knee-rolls", "--reps", "2", "--voice", "gmw/en-us"]  # eSpeak NG: the format is the subject
    result = run("--dry-run", "--format", "json", *chosen)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [e["id"] for e in data["exercises"]] == ["knee-rolls"]
    assert data["speech_timing"] == "measured"
    first = data["cues"][0]
    assert set(first) == {"start", "duration", "kind", "text", "exercise", "rep", "side", "phase", "set", "round"}
    holds = [c for c in data["cues"] if c["phase"] == "hold"]
    assert [(c["rep"], c["side"]) for c in holds if c["kind"] == "speech"] == [
        (1, "left"), (1, "right"), (2, "left"), (2, "right"),
    ]  # fmt: skip
    text = run("--dry-run", *chosen).stdout
    assert f"{len(data['cues'])} cues" in text


def test_dry_run_is_deterministic() -> None:
    assert run("--dry-run", "--voice", "gmw/en-us").stdout == run("--dry-run", "--voice", "gmw/en-us").stdout


def test_pacing_options_change_the_plan() -> None:
    paced = ["--only", "back-extensions", "--hold", "6", "--reps", "2", "--rest", "1", "--voice", "gmw/en-us"]
    result = run("--dry-run", *paced)
    assert "hold your breath for 6 seconds" in result.stdout
    assert "Number 2 out of 2." in result.stdout and "Number 3 out of" not in result.stdout
    # eSpeak NG renders a routine's words in a tenth of Piper's time; both engines keep the
    # rate (test_engines.py::test_rate_means_the_same_pace_with_either_engine).
    espeak = ["--voice", "gmw/en-us", "--only", "1", "--reps", "1"]
    slow = run("--dry-run", "--format", "json", "--rate", "120", *espeak)
    fast = run("--dry-run", "--format", "json", "--rate", "220", *espeak)
    assert json.loads(slow.stdout)["total_seconds"] > json.loads(fast.stdout)["total_seconds"]


def test_list_shows_number_id_name_reps_and_time() -> None:
    result = run("list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[1].split()[:2] == ["1", "bottoms-to-heels"]
    assert "9 reps on each side, alternating" in lines[2]
    assert lines[-1].startswith("Total ")


def test_list_times_the_routine_as_the_dry_run_once_its_clips_are_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))  # empty: nothing rendered yet
    mine = tmp_path / "mine.toml"
    mine.write_text(
        'title = "Mine"\n[[exercises]]\nid = "reach"\nname = "Reach up"\nreps = 2\n'
        '[[exercises.phases]]\nkind = "move"\nsay = "Reach up."\nseconds = 1\n'
    )
    before = run("list", "--routine", str(mine)).stdout.splitlines()
    assert before[-1].startswith("Total ~") and "(estimated;" in before[-1]
    assert not any((tmp_path / "cache").rglob("*.wav"))  # list renders nothing
    dry_run = run("--dry-run", "--routine", str(mine)).stdout.splitlines()[-1]  # "Total 0:21.4 · 12 cues"
    after = run("list", "--routine", str(mine)).stdout.splitlines()
    assert after[-1] == dry_run.split(" · ")[0]
    assert "~" not in after[1]


def test_validate_accepts_the_builtin_and_reports_a_broken_file(tmp_path: Path) -> None:
    good = run("validate", str(builtin_routine_path()))
    assert good.exit_code == 0 and "OK" in good.stdout and "4 exercises" in good.stdout
    broken = tmp_path / "broken.toml"
    broken.write_text(builtin_routine_path().read_text().replace("reps = [10, 15]", "reps = [10, 0]"))
    result = run("validate", str(broken))
    assert result.exit_code == 2
    line = builtin_routine_path().read_text().splitlines().index("reps = [10, 15]") + 1
    assert result.stderr == f"coach: error: {broken}:{line}: exercises[3].reps: range goes down (10 > 0)\n"


def test_a_users_routine_file_runs(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(
        'title = "Mine"\n[[exercises]]\nid = "reach"\nname = "Reach up"\nreps = 2\n'
        '[[exercises.phases]]\nkind = "move"\nsay = "Reach up."\nseconds = 1\n'
    )
    result = run("--dry-run", "--routine", str(mine))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Mine\n1 exercise ·")
    assert "Reach up." in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--dry-run", "--only", "nee-rols"],
            "unknown exercise 'nee-rols'. Did you mean 'knee-rolls'? Valid: 1 bottoms",
        ),
        (["--dry-run", "--only", "7"], "there is no exercise number 7: this routine has 1 to 4"),
        (["--dry-run", "--skip", "1,2,3,4"], "no exercises left"),
        (["--dry-run", "--reps", "0"], "--reps must be between 1 and 100 (got 0)"),
        (["--dry-run", "--reps", "many"], "Invalid value for '--reps'"),
        (["--dry-run", "--hold", "-2"], "--hold must be between 1 and 120"),
        (["--dry-run", "--rest", "500"], "--rest must be between 0 and 120"),
        (["--dry-run", "--rate", "5"], "--rate must be between 80 and 400"),
        (["--dry-run", "--volume", "3"], "--volume must be more than 0"),
        (["--dry-run", "--level", "heroic"], "Invalid value for '--level': 'heroic' is not one of 'gentle', "),
        (["--dry-run", "--voice", "vulcan"], "unknown voice 'vulcan'"),
        (["--dry-run", "--format", "xml"], "Invalid value for '--format'"),
        (["--dry-run", "--routine", "/nonexistent/r.toml"], "/nonexistent/r.toml: no such file"),
        (["--no-such-option"], "No such option"),
        (["validate"], "Missing argument"),
        (["frobnicate"], "No such command"),
    ],
)
def test_every_bad_input_is_one_line_and_exit_code_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("coach: error: ")
    assert message in result.stderr


def test_installed_coach_script_and_python_dash_m(tmp_path: Path) -> None:
    script = shutil.which("coach", path=str(Path(sys.executable).parent))
    assert script, "the coach entry point is not installed beside this Python"
    # A cache of its own: `list` times what is cached, and other tests fill the shared one meanwhile.
    env = dict(os.environ, COACH_CACHE_DIR=str(tmp_path / "cache"))
    listed = subprocess.run([script, "list"], capture_output=True, text=True, timeout=60, env=env)
    assert listed.returncode == 0 and "pelvic-tilts" in listed.stdout
    bad = subprocess.run([script, "--dry-run", "--only", "nope"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert bad.stderr.startswith("coach: error: unknown exercise 'nope'") and "Traceback" not in bad.stderr
    module = subprocess.run(
        [sys.executable, "-m", "coach", "list"], capture_output=True, text=True, timeout=60, env=env
    )
    assert module.stdout == listed.stdout


def test_voices_lists_every_engine_and_marks_the_default() -> None:
    result = run("voices", "--language", "en")
    assert result.exit_code == 0
    rows = [row.lstrip("* ").split() for row in result.stdout.splitlines()[1:-1]]
    assert rows[0][:4] == ["en_US-joe-medium", "en-us", "Piper", "neural"]
    assert result.stdout.splitlines()[1].startswith("* en_US-joe-medium")  # the default, marked
    assert ["gmw/en-us", "en-us", "eSpeak", "NG", "formant"] in [row[:5] for row in rows]
    assert all(row[1].startswith("en") for row in rows)
    # Every engine name in one column, even beside eSpeak NG's long ids and language codes.
    listed = run("voices").stdout.splitlines()[1:-1]
    assert len({max(row.find(" Piper "), row.find(" eSpeak NG ")) for row in listed}) == 1
    missing = run("voices", "--language", "xx")
    assert missing.exit_code == 2 and missing.stderr == "coach: error: no installed voice for language 'xx'\n"


def test_show_builtin_prints_a_file_that_validates(tmp_path: Path) -> None:
    result = run("show-builtin")
    copy = tmp_path / "copy.toml"
    copy.write_text(result.stdout)
    assert run("validate", str(copy)).exit_code == 0


def test_options_left_at_their_defaults_cost_no_pydantic() -> None:
    """typer coerces option values through pydantic; coach skips that for options nobody
    gave and for plain text (coach/cli/option_defaults.py), so a plain `coach --dry-run` starts ~80 ms sooner
    (scripts/bench_dry_run.py). A value that is given is still checked by typer: see the
    bad-input cases above, and the first probe here."""
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['coach', 'list', '--level', 'gentle']\n"
        "try:\n    runpy.run_module('coach', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print('pydantic' in sys.modules, file=sys.stderr)\n"
    )
    given = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "knee-rolls" in given.stdout
    assert given.stderr.strip().splitlines()[-1] == "True"  # --level was given: typer checked it
    defaults = probe.replace(", '--level', 'gentle'", "")
    left = subprocess.run([sys.executable, "-c", defaults], capture_output=True, text=True, timeout=60)
    assert "knee-rolls" in left.stdout
    assert left.stderr.strip().splitlines()[-1] == "False"
    # Plain text given (`--voice joe`, a voice's name) is that text: nothing to coerce.
    text = probe.replace("'list', '--level', 'gentle'", "'voices', 'remove', 'no-such-voice'")
    given_text = subprocess.run([sys.executable, "-c", text], capture_output=True, text=True, timeout=60)
    *_, error, imported = given_text.stderr.strip().splitlines()
    assert "no voice 'no-such-voice'" in error
    assert imported == "False"


def test_version_names_the_package_and_its_extras() -> None:
    import coach

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert line.startswith(f"coach {coach.__version__}; voice: ") and "; listening (--listen): " in line
    assert len(result.output.splitlines()) == 1
