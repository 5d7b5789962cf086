"""Remote command to effect, over a real D-Bus: how punctual earbud buttons and playerctl are.

Starts a private dbus-daemon and the installed coach (full built-in routine, playback
into the capture device), then sends MPRIS calls with jeepney, as a media key would,
and times from the call leaving to its effect reaching the sound device:
- Previous (restart the exercise): until the exercise's first cue is played;
- PlayPause to resume after a pause: until the interrupted phase's first cue is played.

    python scripts/bench_remote.py [--calls 50]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from benchlib import CAPTURE_CONF, coach_command, command_line, machine, percentile
from jeepney import DBusAddress, new_method_call
from jeepney.io.blocking import open_dbus_connection

PLAYER = DBusAddress("/org/mpris/MediaPlayer2", bus_name="org.mpris.MediaPlayer2.coach",
                     interface="org.mpris.MediaPlayer2.Player")  # fmt: skip


def played(capture: Path) -> int:
    return len(list(capture.parent.glob(capture.name + "*")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="coach-remote-"))
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1",
                               f"--address=unix:path={folder / 'bus'}"], stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert daemon.stdout is not None
    bus = daemon.stdout.readline().strip()
    capture = folder / "played.raw"
    env = dict(os.environ, ALSA_CONFIG_PATH=str(CAPTURE_CONF), COACH_AUDIO_CAPTURE=str(capture))
    env["DBUS_SESSION_BUS_ADDRESS"] = bus
    subprocess.run([*coach_command(), "--dry-run"], env=env, stdout=subprocess.DEVNULL, check=True)  # warm cache
    coach = subprocess.Popen([*coach_command(), "--quiet"], env=env, stdin=subprocess.DEVNULL)
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = bus
    connection = open_dbus_connection(bus="SESSION")
    try:
        while played(capture) < 8:  # into the first exercise: Previous restarts it
            time.sleep(0.01)
        time.sleep(1.0)  # the name is claimed on the remote's own thread

        def effect(member: str) -> float:
            before = played(capture)
            sent = time.perf_counter()
            connection.send(new_method_call(PLAYER, member))
            while played(capture) == before:
                time.sleep(0.0002)
            return time.perf_counter() - sent

        previous = []
        for _ in range(options.calls):
            previous.append(effect("Previous"))
            time.sleep(0.3)
        resume = []
        for _ in range(options.calls):
            connection.send(new_method_call(PLAYER, "PlayPause"))  # pause
            time.sleep(0.3)
            resume.append(effect("PlayPause"))
            time.sleep(0.3)
    finally:
        connection.close()
        coach.terminate()
        coach.wait(timeout=30)
        daemon.terminate()
    print(f"$ {command_line()}")
    print(f"{machine()}; private dbus-daemon, full built-in routine, {options.calls} calls each")
    for name, times in (("Previous -> exercise restarts", previous), ("PlayPause -> resumes", resume)):
        print(f"{name:<30} p50 {1000 * percentile(times, 0.5):.1f} ms   p99 {1000 * percentile(times, 0.99):.1f} ms")


if __name__ == "__main__":
    main()
