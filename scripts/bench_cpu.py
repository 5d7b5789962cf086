"""CPU: the average CPU use of the whole `coach` process across a live session.

Runs the installed `coach` (warm cache) through the capture device for a session of
at least 60 s and divides the process's user+system CPU time by its wall time.

    python scripts/bench_cpu.py [--only back-extensions] [--reps 1] [--panel]

--panel runs coach in a pseudo-terminal, as a person would: keys are read and the
live panel is redrawn four times a second.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pty
import subprocess
import tempfile
import threading
import time

from benchlib import CAPTURE_CONF, coach_command, command_line, machine


def _drain(fd: int) -> None:
    """Read what coach draws, as a terminal would, so it never blocks on a full pty."""
    with contextlib.suppress(OSError):
        while os.read(fd, 65536):
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description="Average CPU of coach over a live session.")
    parser.add_argument("--only", default="back-extensions")
    parser.add_argument("--reps", default="1")
    parser.add_argument("--panel", action="store_true", help="in a pseudo-terminal, with the live panel")
    options = parser.parse_args()
    args = ["--only", options.only, "--reps", options.reps]
    env = dict(os.environ, ALSA_CONFIG_PATH=str(CAPTURE_CONF), COACH_CACHE_DIR=tempfile.mkdtemp(prefix="coach-cpu-"))
    subprocess.run([*coach_command(), "--dry-run", *args], env=env, stdout=subprocess.DEVNULL, check=True)
    with tempfile.TemporaryDirectory() as folder:
        env["COACH_AUDIO_CAPTURE"] = os.path.join(folder, "played.raw")
        started = time.monotonic()
        if options.panel:
            controller, terminal = pty.openpty()
            process = subprocess.Popen([*coach_command(), *args], env=env, stdin=terminal, stdout=terminal)
            os.close(terminal)
            drain = threading.Thread(target=_drain, args=(controller,), daemon=True)
            drain.start()
        else:
            process = subprocess.Popen([*coach_command(), *args], env=env, stdout=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"coach failed with exit status {os.waitstatus_to_exitcode(status)}")
    cpu = usage.ru_utime + usage.ru_stime
    print(f"$ {command_line()}")
    shown = "in a pseudo-terminal, live panel" if options.panel else "output to /dev/null, no panel"
    print(f"{machine()}; warm cache; {shown}; coach {' '.join(args)}")
    print(f"session {wall:.1f} s wall, {cpu:.3f} s CPU (user {usage.ru_utime:.3f} + system {usage.ru_stime:.3f})")
    print(f"average CPU {100 * cpu / wall:.2f}% of one core")


if __name__ == "__main__":
    main()
