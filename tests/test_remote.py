"""Steering over MPRIS: a private D-Bus daemon, the installed coach, and playerctl driving it.

What earbuds, media keys and the desktop's widget send is what playerctl sends: real
method calls over a real session bus. The capture device and the history show what
the session did; playerctl reads back what coach announces.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.history import History
from coach.voice import Voice, VoiceSettings
from tests.conftest import ALSA_CAPTURE_CONF, read_captures, wait_until

pytestmark = pytest.mark.skipif(
    shutil.which("dbus-daemon") is None or shutil.which("playerctl") is None,
    reason="needs dbus-daemon and playerctl (Debian: dbus-daemon playerctl; scripts/bootstrap.sh test)",
)

ROUTINE = """
title = "Remote test"

[[exercises]]
id = "reach"
name = "Reach"
reps = 3

[[exercises.phases]]
kind = "move"
say = "Reach up."
seconds = 1

[[exercises]]
id = "tilt"
name = "Tilt"
reps = 1

[[exercises.phases]]
kind = "move"
say = "Tilt."
seconds = 1
"""


@pytest.fixture
def session_bus(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A private `dbus-daemon --session`, its address, and the daemon (to kill it)."""
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1", f"--address=unix:path={tmp_path / 'bus'}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert daemon.stdout is not None
    address = daemon.stdout.readline().strip()
    yield address, daemon
    daemon.terminate()
    daemon.wait(timeout=10)


def start(tmp_path: Path, capture: Path, bus: str | None, *args: str) -> subprocess.Popen[str]:
    routine = tmp_path / "remote.toml"
    routine.write_text(ROUTINE)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(ALSA_CAPTURE_CONF), COACH_AUDIO_CAPTURE=str(capture))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    if bus is not None:
        env["DBUS_SESSION_BUS_ADDRESS"] = bus
    return subprocess.Popen(
        [sys.executable, "-m", "coach", "--routine", str(routine), "--quiet", *args],
        env=env,
        stdin=subprocess.DEVNULL,  # no terminal: the remote is the only way to steer
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def playerctl(bus: str, *args: str) -> str:
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus)
    result = subprocess.run(["playerctl", "--player=coach", *args], capture_output=True, text=True, env=env)
    return result.stdout.strip()


def test_playerctl_pauses_resumes_skips_and_stops(
    session_bus: tuple[str, subprocess.Popen[str]], tmp_path: Path, capture: Path, private_history: Path
) -> None:
    bus, _daemon = session_bus
    voice = Voice(VoiceSettings())
    reach = voice.clip("Reach up.").frames
    process = start(tmp_path, capture, bus)
    wait_until(lambda: reach in read_captures(capture))
    assert playerctl(bus, "status") == "Playing"
    assert playerctl(bus, "metadata", "xesam:title") == "Reach, number 1 of 3"
    assert playerctl(bus, "metadata", "xesam:artist") == "Remote test"

    playerctl(bus, "play-pause")
    wait_until(lambda: playerctl(bus, "status") == "Paused", 5)
    paused = len(read_captures(capture))
    time.sleep(1.5)
    assert len(read_captures(capture)) == paused, "sound went on while paused"
    playerctl(bus, "play-pause")
    wait_until(lambda: read_captures(capture).count(reach) == 2)  # the interrupted phase again
    assert playerctl(bus, "status") == "Playing"

    playerctl(bus, "next")
    second = voice.clip("Exercise 2 out of 2: Tilt.").frames
    wait_until(lambda: second in read_captures(capture))
    wait_until(lambda: playerctl(bus, "metadata", "xesam:title").startswith("Tilt"), 5)
    assert voice.clip("Number 3 out of 3.").frames not in read_captures(capture)  # skipped

    playerctl(bus, "stop")
    process.wait(timeout=30)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    [session] = History(private_history).sessions()
    assert session.status == "stopped"
    # The name is released with the session.
    assert playerctl(bus, "status") == ""


def test_without_a_bus_the_session_runs_and_says_why_under_verbose(tmp_path: Path, capture: Path) -> None:
    process = start(tmp_path, capture, None, "--verbose", "--only", "tilt")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert err.count("\n") == 1 and "no remote control: no D-Bus session bus" in err


def test_a_bus_that_goes_away_mid_session_leaves_the_session_running(
    session_bus: tuple[str, subprocess.Popen[str]], tmp_path: Path, capture: Path
) -> None:
    bus, daemon = session_bus
    process = start(tmp_path, capture, bus, "--only", "tilt")
    wait_until(lambda: playerctl(bus, "status") == "Playing")
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(timeout=10)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert Voice(VoiceSettings()).clip("Tilt.").frames in read_captures(capture)
