"""Steering a live session with single keys: the real program in a pseudo-terminal.

pexpect gives coach a terminal of its own, so it reads keys in cbreak mode and draws
its panel; the sound goes to the capture device, which shows what was and was not
played; the history shows how the session ended.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from coach.common.audio import load_chime
from coach.plan.phrases import ENGLISH_PHRASES
from coach.record.history import History
from coach.voice.voices import Voice, VoiceSettings
from tests.conftest import ALSA_CAPTURE_CONF, read_captures, wait_until

# eSpeak NG, a real engine that renders at once: the keys and the terminal are the subject.
ESPEAK = "gmw/en-us"

ROUTINE = """
title = "Key test"
intro = "Let us begin."

[[exercises]]
id = "reach"
name = "Reach"
reps = 3

[[exercises.phases]]
kind = "move"
say = "Reach up."
seconds = 0.5

[[exercises.phases]]
kind = "hold"
say = "Hold."
seconds = 5

[[exercises]]
id = "tilt"
name = "Tilt"
reps = 2

[[exercises.phases]]
kind = "move"
say = "Tilt."
seconds = 1
"""


def start(tmp_path: Path, capture: Path, *args: str, then: str = "") -> pexpect.spawn:
    """coach in a terminal of its own; `then`, a shell command to run after it in that terminal."""
    routine = tmp_path / "keys.toml"
    routine.write_text(ROUTINE)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(ALSA_CAPTURE_CONF), COACH_AUDIO_CAPTURE=str(capture))
    env["PYTHONFAULTHANDLER"] = "1"  # see stopped_within
    command = shlex.join([sys.executable, "-m", "coach", "--routine", str(routine), "--voice", ESPEAK, *args])
    return pexpect.spawn(
        "/bin/bash",  # bash, not dash, carries on after a child that handles Ctrl-C itself
        ["-c", f"{command}; echo EXIT=$?; {then}"],
        env=env,
        encoding="utf-8",
        codec_errors="replace",  # Ctrl-C flushes the terminal, which can cut a character in two
        timeout=60,
        dimensions=(30, 100),
    )


def stopped_within(child: pexpect.spawn, text: str, seconds: float = 20) -> None:
    """Expect `text`; if the session hangs instead, fail with where each of its threads was."""
    if child.expect([text, pexpect.TIMEOUT], timeout=seconds) == 1:
        subprocess.run(["pkill", "-ABRT", "-P", str(child.pid)], check=False)  # faulthandler dumps the threads
        child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=10)
        pytest.fail(f"no {text!r} in {seconds} s:\n{child.before}")


@pytest.mark.slow(seconds=26)
def test_pause_skip_and_quit_by_key(tmp_path: Path, capture: Path, private_history: Path) -> None:
    voice = Voice(VoiceSettings(ESPEAK))
    hold = voice.clip("Hold.").frames
    child = start(tmp_path, capture)
    child.expect("Key test")  # the panel's title
    wait_until(lambda: hold in read_captures(capture))
    child.send(" ")
    child.expect("PAUSED")
    paused = len(read_captures(capture))
    time.sleep(2.0)
    assert len(read_captures(capture)) == paused, "sound went on while paused"
    child.send(" ")
    wait_until(lambda: read_captures(capture).count(hold) == 2)  # the hold restarts, with its words
    child.send("n")
    tilt = voice.clip("Exercise 2 out of 2: Tilt.").frames
    wait_until(lambda: tilt in read_captures(capture))
    child.send("q")
    child.expect("EXIT=0")
    played = read_captures(capture)
    assert played[-2:] == [voice.clip(ENGLISH_PHRASES.say("farewell")).frames, load_chime("session-end").frames]
    assert voice.clip("Number 3 out of 3.").frames not in played  # skipped with n
    assert voice.clip("Number 2 out of 2.").frames not in played  # ended with q
    sessions = History(private_history).sessions()
    assert [(s.status, s.exercises) for s in sessions] == [("stopped", ("reach", "tilt"))]


def test_the_terminal_is_restored_after_ctrl_c(tmp_path: Path, capture: Path, private_history: Path) -> None:
    child = start(tmp_path, capture, then="stty -a")
    child.expect("Key test")
    wait_until(lambda: len(read_captures(capture)) >= 2)
    child.sendintr()
    stopped_within(child, "coach: stopped at")
    child.expect("EXIT=130")
    child.expect(pexpect.EOF)
    settings = child.before.split()
    # The program put the terminal back: echo and line editing are on again.
    assert "icanon" in settings and "echo" in settings
    assert History(private_history).sessions()[0].status == "stopped"


def test_sigterm_at_the_checkin_question_is_one_line_and_no_traceback(
    tmp_path: Path, capture: Path, private_history: Path
) -> None:
    """A closed laptop lid (SIGTERM) while the pain question waits for its answer: before the
    session started, so nothing is recorded, and it ends as a session stopped so would."""
    child = start(tmp_path, capture, "--checkin", "--quiet")
    child.expect("how is your pain right now")
    subprocess.run(["pkill", "-TERM", "-P", str(child.pid)], check=True)
    child.expect("EXIT=143")
    assert "coach: stopped before the session started" in child.before
    assert "Traceback" not in child.before
    assert History(private_history).sessions() == []


@pytest.mark.slow(seconds=25)
def test_checkin_asks_pain_before_and_after(tmp_path: Path, capture: Path, private_history: Path) -> None:
    child = start(tmp_path, capture, "--checkin", "--only", "tilt", "--quiet")
    child.expect("how is your pain right now")
    child.send("7")
    child.expect("pain 7")
    child.expect("How is your pain now", timeout=90)
    child.send("x")
    child.expect("pain 10")
    child.expect("EXIT=0")
    session = History(private_history).sessions()[0]
    assert (session.pain_before, session.pain_after, session.status) == (7, 10, "finished")
    assert session.reps_done == {"tilt": 2}
