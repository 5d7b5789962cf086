"""Live sessions end to end: the installed `coach` speaking into the capture device.

These run in real time (the scheduler keeps time against the monotonic clock), so
they use short routines; the last one is the full pelvic-tilts exercise (about 2 min).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coach.audio import load_chime
from coach.speaker import OPENING_SILENCE
from coach.voice import Voice, VoiceSettings
from tests.conftest import ALSA_CAPTURE_CONF, read_captures

COACH = [sys.executable, "-m", "coach"]

SHORT_ROUTINE = """
title = "Short test routine"
intro = "Let us begin."
closing = "All done."

[[exercises]]
id = "reach"
name = "Reach"
reps = 2
sides = "alternate"

[[exercises.phases]]
kind = "move"
say = "Reach {side}."
seconds = 0.5

[[exercises.phases]]
kind = "hold"
say = "Hold."
seconds = 5

[[exercises.phases]]
kind = "rest"
seconds = 0.5
"""


def environment(capture: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ALSA_CONFIG_PATH"] = str(ALSA_CAPTURE_CONF)
    env["COACH_AUDIO_CAPTURE"] = str(capture)
    return env


def dry_run_json(args: list[str], env: dict[str, str]) -> dict:
    result = subprocess.run(
        [*COACH, "--dry-run", "--format", "json", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def expected_frames(plan: dict) -> list[bytes]:
    voice = Voice(VoiceSettings())  # same settings and cache dir as the coach process
    return [
        load_chime(cue["text"]).frames if cue["kind"] == "chime" else voice.clip(cue["text"]).frames
        for cue in plan["cues"]
    ]


def check_session(args: list[str], capture: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = environment(capture)
    plan = dry_run_json(args, env)
    log = tmp_path / "timing.jsonl"
    result = subprocess.run(
        [*COACH, *args, "--timing-log", str(log)], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr
    assert read_captures(capture, opening=True)[0] == OPENING_SILENCE  # the device opened before the clock
    captured = read_captures(capture)
    wanted = expected_frames(plan)
    assert len(captured) == len(wanted) == len(plan["cues"])
    for index, (got, want) in enumerate(zip(captured, wanted, strict=True)):
        assert got == want, f"cue {index} {plan['cues'][index]['text']!r} was not played whole"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["kind"], r["text"], r["planned"]) for r in records] == [
        (c["kind"], c["text"], round(c["start"], 6)) for c in plan["cues"]
    ]
    assert all(r["actual"] >= r["planned"] for r in records)  # never early
    return result


def test_a_short_routine_plays_end_to_end(tmp_path: Path, capture: Path) -> None:
    routine = tmp_path / "short.toml"
    routine.write_text(SHORT_ROUTINE)
    result = check_session(["--routine", str(routine)], capture, tmp_path)
    assert result.stdout.startswith("Short test routine: 1 exercise")
    assert "Reach left." in result.stdout and "Reach right." in result.stdout
    assert "three" in result.stdout  # the 5 s holds are counted down


def test_ctrl_c_stops_at_once_and_says_where(tmp_path: Path, capture: Path) -> None:
    routine = tmp_path / "short.toml"
    routine.write_text(SHORT_ROUTINE)
    process = subprocess.Popen(
        [*COACH, "--routine", str(routine)],
        stdin=subprocess.DEVNULL,  # no terminal: no keys, the session runs straight through
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(capture),
    )
    deadline = time.monotonic() + 60
    while len(read_captures(capture)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=10)
    played = len(read_captures(capture))
    assert process.returncode == 130
    assert "coach: stopped at 0:" in err and "Traceback" not in err
    assert 4 <= played < 15


def test_no_sound_device_is_one_line_with_alternatives(tmp_path: Path) -> None:
    empty = tmp_path / "no-card.conf"
    empty.write_text("# no devices at all\n")
    env = dict(os.environ, ALSA_CONFIG_PATH=str(empty))
    result = subprocess.run(
        [*COACH, "--only", "1", "--reps", "1"], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert result.stderr.startswith("coach: error: no sound device")
    assert "--dry-run" in result.stderr and "ALSA_CONFIG_PATH=" in result.stderr


def test_no_voice_engine_says_what_to_install_and_dry_run_still_works(tmp_path: Path) -> None:
    """pyttsx3 hidden from the interpreter, as on a machine where it is not installed."""
    hide = (
        "import sys; sys.modules['pyttsx3'] = sys.modules['piper'] = None; "
        "from coach.cli import entry_point; entry_point()"
    )
    live = subprocess.run([sys.executable, "-c", hide, "--only", "1"], capture_output=True, text=True)
    assert live.returncode == 2
    assert live.stderr.count("\n") == 1
    assert "apt-get install espeak-ng" in live.stderr and "--dry-run" in live.stderr
    dry = subprocess.run([sys.executable, "-c", hide, "--dry-run", "--only", "1"], capture_output=True, text=True)
    assert dry.returncode == 0
    assert "times are ESTIMATES" in dry.stdout


def test_unwritable_timing_log_is_one_line(tmp_path: Path, capture: Path) -> None:
    result = subprocess.run(
        [*COACH, "--only", "1", "--timing-log", str(tmp_path / "missing" / "t.jsonl")],
        capture_output=True,
        text=True,
        env=environment(capture),
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("coach: error: --timing-log") and result.stderr.count("\n") == 1
    assert read_captures(capture) == []  # refused before a sound was made


def test_pelvic_tilts_two_reps_play_every_planned_cue_in_order(tmp_path: Path, capture: Path) -> None:
    """The issue's acceptance run: `coach --only pelvic-tilts --reps 2`, in real time."""
    result = check_session(["--only", "pelvic-tilts", "--reps", "2"], capture, tmp_path)
    assert "Number 2 out of 2." in result.stdout


@pytest.mark.parametrize("countdown", ["tick", "off"])
def test_countdown_choice_reaches_the_speaker(countdown: str, tmp_path: Path, capture: Path) -> None:
    routine = tmp_path / "short.toml"
    routine.write_text(SHORT_ROUTINE.replace("reps = 2", "reps = 1").replace('sides = "alternate"', ""))
    routine.write_text(routine.read_text().replace("Reach {side}.", "Reach up."))
    check_session(["--routine", str(routine), "--countdown", countdown], capture, tmp_path)
    ticks = sum(1 for data in read_captures(capture) if data == load_chime("tick").frames)
    assert ticks == (3 if countdown == "tick" else 0)
