"""Steering over MPRIS: a private D-Bus daemon, the installed coach, and playerctl driving it.

What earbuds, media keys and the desktop's widget send is what playerctl sends: real
method calls over a real session bus. The capture device and the history show what
the session did; playerctl reads back what coach announces.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest

from coach.record.history import History
from coach.voice.voices import Voice, VoiceSettings
from tests.conftest import ALSA_CAPTURE_CONF, read_captures, wait_until

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("dbus-daemon", "dbus-send", "dbus-monitor", "playerctl")),
    reason="needs dbus-daemon, dbus-send, dbus-monitor and playerctl (Debian: dbus-daemon dbus-bin playerctl; "
    "scripts/bootstrap.sh test installs them)",
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


def prepare(tmp_path: Path, capture: Path, bus: str | None) -> tuple[Path, dict[str, str]]:
    """The test routine's file, and an environment that plays into the capture on this bus only."""
    routine = tmp_path / "remote.toml"
    routine.write_text(ROUTINE)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(ALSA_CAPTURE_CONF), COACH_AUDIO_CAPTURE=str(capture))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    if bus is not None:
        env["DBUS_SESSION_BUS_ADDRESS"] = bus
    return routine, env


# eSpeak NG speaks these sessions: a real engine that needs no model loaded per process and
# renders at once. The steering is the subject; Piper's live path has tests of its own
# (test_live, test_sound_server, test_listen).
ESPEAK = "gmw/en-us"
SPOKEN = VoiceSettings(ESPEAK)


def start(tmp_path: Path, capture: Path, bus: str | None, *args: str) -> subprocess.Popen[str]:
    routine, env = prepare(tmp_path, capture, bus)
    return subprocess.Popen(
        [sys.executable, "-m", "coach", "--routine", str(routine), "--quiet", "--voice", ESPEAK, *args],
        env=env,
        stdin=subprocess.DEVNULL,  # no terminal: the remote is the only way to steer
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_in_terminal(tmp_path: Path, capture: Path, bus: str, *args: str) -> pexpect.spawn:
    """coach in a pseudo-terminal of its own: keys are read, and closing it is a closed terminal."""
    routine, env = prepare(tmp_path, capture, bus)
    env["PYTHONFAULTHANDLER"] = "1"  # a hung child shows every thread's stack when aborted
    return pexpect.spawn(
        sys.executable,
        ["-m", "coach", "--routine", str(routine), "--quiet", "--voice", ESPEAK, *args],
        env=env,
        encoding="utf-8",
        codec_errors="replace",
        timeout=60,
    )


def on_bus(bus: str, command: list[str]) -> str:
    """A client's output, run against the private bus (never the machine's own session)."""
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus)
    return subprocess.run(command, capture_output=True, text=True, env=env).stdout.strip()


def playerctl(bus: str, *args: str) -> str:
    return on_bus(bus, ["playerctl", "--player=coach", *args])


def players(bus: str) -> list[str]:
    return on_bus(bus, ["playerctl", "--list-all"]).split()


def call(bus: str, method: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A raw method call on coach's Player interface, as any MPRIS client sends it."""
    return subprocess.run(
        [
            *("dbus-send", f"--bus={bus}", "--print-reply", "--dest=org.mpris.MediaPlayer2.coach"),
            *("/org/mpris/MediaPlayer2", f"org.mpris.MediaPlayer2.Player.{method}", *args),
        ],
        capture_output=True,
        text=True,
    )


def watch_signals(bus: str) -> subprocess.Popen[str]:
    """dbus-monitor printing every PropertiesChanged signal on the bus, as a media widget receives them."""
    rule = "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'"
    return subprocess.Popen(["dbus-monitor", "--address", bus, rule], stdout=subprocess.PIPE, text=True)


def signals_seen(monitor: subprocess.Popen[str]) -> str:
    monitor.terminate()
    text, _ = monitor.communicate(timeout=10)
    return text


def announced(signals: str, name: str) -> list[str]:
    """The string values a property or metadata entry was announced with, in order."""
    return re.findall(rf'string "{re.escape(name)}"\s+variant\s+string "([^"]*)"', signals)


@pytest.mark.slow(seconds=24)
def test_playerctl_pauses_resumes_skips_and_stops(
    session_bus: tuple[str, subprocess.Popen[str]], tmp_path: Path, capture: Path, private_history: Path
) -> None:
    bus, _daemon = session_bus
    voice = Voice(SPOKEN)
    reach = voice.clip("Reach up.").frames
    monitor = watch_signals(bus)
    process = start(tmp_path, capture, bus)
    wait_until(lambda: reach in read_captures(capture))
    assert playerctl(bus, "status") == "Playing"
    assert playerctl(bus, "metadata", "xesam:title") == "Reach, number 1 of 3"
    assert playerctl(bus, "metadata", "xesam:artist") == "Remote test"
    assert playerctl(bus, "metadata", "mpris:trackid") == "'/org/coach/exercise/1'"  # playerctl quotes object paths
    plan = dry_run_plan(tmp_path / "remote.toml")
    assert int(playerctl(bus, "metadata", "mpris:length")) == int(plan["total_seconds"] * 1_000_000)
    # Position is seconds into the plan: "Reach up." of rep 1 is playing.
    first_rep = next(cue["start"] for cue in plan["cues"] if cue["text"] == "Reach up.")
    assert first_rep <= float(playerctl(bus, "position")) < first_rep + 3

    # Seeking is refused with a reason, and the session keeps its place.
    refused = call(bus, "Seek", "int64:20000000")
    assert refused.returncode != 0
    assert "NotSupported: coach keeps to the plan: use Next and Previous instead" in refused.stderr
    assert float(playerctl(bus, "position")) < first_rep + 3

    playerctl(bus, "play-pause")
    wait_until(lambda: playerctl(bus, "status") == "Paused", 5)
    paused = len(read_captures(capture))
    held = float(playerctl(bus, "position"))
    time.sleep(1.5)
    assert len(read_captures(capture)) == paused, "sound went on while paused"
    assert float(playerctl(bus, "position")) == held  # paused, the position waits too
    playerctl(bus, "play-pause")
    wait_until(lambda: read_captures(capture).count(reach) == 2)  # the interrupted phase again
    assert playerctl(bus, "status") == "Playing"

    playerctl(bus, "previous")  # the exercise from its start, as b does
    first = voice.clip("Exercise 1 out of 2: Reach.").frames
    wait_until(lambda: read_captures(capture).count(first) == 2)
    assert playerctl(bus, "metadata", "xesam:title") == "Reach"

    playerctl(bus, "next")
    second = voice.clip("Exercise 2 out of 2: Tilt.").frames
    wait_until(lambda: second in read_captures(capture))
    wait_until(lambda: playerctl(bus, "metadata", "xesam:title").startswith("Tilt"), 5)
    assert playerctl(bus, "metadata", "mpris:trackid") == "'/org/coach/exercise/2'"  # playerctl quotes object paths
    assert voice.clip("Number 3 out of 3.").frames not in read_captures(capture)  # skipped

    playerctl(bus, "stop")
    process.wait(timeout=30)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    [session] = History(private_history).sessions()
    assert session.status == "stopped"
    # The name is released with the session.
    assert playerctl(bus, "status") == ""
    # Every change reached the bus as a PropertiesChanged signal, which is all a
    # media widget listens to.
    signals = signals_seen(monitor)
    statuses = announced(signals, "PlaybackStatus")
    assert statuses[-3:] == ["Paused", "Playing", "Stopped"]
    assert statuses[:-3] in ([], ["Playing"])  # the start is announced unless it came first
    titles = announced(signals, "xesam:title")
    # Rep 1, back to the exercise's start (Previous), then the next exercise, in that order.
    rep_1 = titles.index("Reach, number 1 of 3")
    restarted = titles.index("Reach", rep_1)
    assert "Tilt" in titles[restarted:]


def dry_run_plan(routine: Path) -> dict[str, Any]:
    """The plan `coach --dry-run` shows, which the remote's length and position follow."""
    command = [sys.executable, "-m", "coach", "--routine", str(routine), "--dry-run", "--format", "json"]
    command += ["--voice", ESPEAK]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    plan: dict[str, Any] = json.loads(result.stdout)
    return plan


@pytest.mark.slow(seconds=21)
def test_without_a_bus_the_session_runs_and_says_why_under_verbose(tmp_path: Path, capture: Path) -> None:
    process = start(tmp_path, capture, None, "--verbose", "--only", "tilt")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert err.count("\n") == 1 and "no remote control: no D-Bus session bus" in err


def test_no_remote_is_offered_when_asked_and_verbose_says_so(
    session_bus: tuple[str, subprocess.Popen[str]], tmp_path: Path, capture: Path
) -> None:
    bus, _daemon = session_bus
    process = start(tmp_path, capture, bus, "--no-remote", "--verbose", "--only", "tilt")
    wait_until(lambda: len(read_captures(capture)) >= 2)
    assert "coach" not in players(bus)
    process.terminate()  # seen enough: no need to hear the rest
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    assert err.splitlines()[0] == "coach: no remote control: --no-remote was given; the keys still work"


@pytest.mark.slow(seconds=20)
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
    assert Voice(SPOKEN).clip("Tilt.").frames in read_captures(capture)


@pytest.mark.slow(seconds=19)
def test_keys_still_steer_after_the_bus_goes_away(
    session_bus: tuple[str, subprocess.Popen[str]], tmp_path: Path, capture: Path, private_history: Path
) -> None:
    bus, daemon = session_bus
    voice = Voice(SPOKEN)
    child = start_in_terminal(tmp_path, capture, bus, "--verbose")
    # In Reach, so that n has a next exercise to go to (in the opening words it goes to Reach).
    wait_until(lambda: playerctl(bus, "metadata", "xesam:title") == "Reach, number 1 of 3")
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(timeout=10)
    child.expect("the remote control stopped: the session bus went away")
    child.send("n")
    wait_until(lambda: voice.clip("Exercise 2 out of 2: Tilt.").frames in read_captures(capture))
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "Traceback" not in (child.before or "")
    assert voice.clip("Number 2 out of 3.").frames not in read_captures(capture)  # n skipped the rest of Reach
    assert History(private_history).sessions()[0].status == "stopped"


def end_by_key_q(child: pexpect.spawn) -> None:
    child.send("q")


def end_by_ctrl_c(child: pexpect.spawn) -> None:
    child.sendintr()


def end_by_sigterm(child: pexpect.spawn) -> None:
    child.kill(signal.SIGTERM)


def end_by_closing_the_terminal(child: pexpect.spawn) -> None:
    os.close(child.child_fd)  # the kernel hangs up on the session: SIGHUP, as a closed window does


@pytest.mark.parametrize(
    ("way_out", "code"),
    [(end_by_key_q, 0), (end_by_ctrl_c, 130), (end_by_sigterm, 143), (end_by_closing_the_terminal, 129)],
)
def test_every_way_out_releases_the_name_promptly(
    way_out: Callable[[pexpect.spawn], None],
    code: int,
    session_bus: tuple[str, subprocess.Popen[str]],
    tmp_path: Path,
    capture: Path,
) -> None:
    bus, _daemon = session_bus
    child = start_in_terminal(tmp_path, capture, bus)
    wait_until(lambda: playerctl(bus, "status") == "Playing")
    way_out(child)
    deadline = time.monotonic() + 20
    while child.isalive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if child.isalive():
        child.kill(signal.SIGABRT)  # faulthandler shows where each thread was
        pytest.fail("coach did not end within 20 s")
    assert child.exitstatus == code, (child.exitstatus, child.signalstatus)
    assert "coach" not in players(bus)


@pytest.mark.slow(seconds=6)
def test_remote_calls_during_the_checkin_are_ignored(
    session_bus: tuple[str, subprocess.Popen[str]], tmp_path: Path, capture: Path, private_history: Path
) -> None:
    bus, _daemon = session_bus
    child = start_in_terminal(tmp_path, capture, bus, "--checkin", "--only", "tilt")
    child.expect("how is your pain right now")
    for command in ("play-pause", "next", "stop"):  # before the session: no player is there yet
        playerctl(bus, command)
    child.send("4")
    child.expect("pain 4")
    wait_until(lambda: playerctl(bus, "status") == "Playing")
    playerctl(bus, "stop")  # the session ends early, politely; the question after it still comes
    child.expect("How is your pain now", timeout=60)
    assert playerctl(bus, "status") == "Stopped"
    for command in ("play-pause", "next", "previous", "stop"):
        playerctl(bus, command)
    time.sleep(0.3)
    assert child.isalive()  # still waiting for the answer
    child.send("2")
    child.expect("pain 2")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    [session] = History(private_history).sessions()
    assert (session.pain_before, session.pain_after, session.status) == (4, 2, "stopped")
