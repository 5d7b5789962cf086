"""CPU: the average CPU use of the whole `coach` process across a live session.

Runs the installed `coach` (warm cache) through the capture device for a session of
at least 60 s and divides the process's user+system CPU time by its wall time.

    python scripts/bench_cpu.py [--only back-extensions] [--reps 1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time

from benchlib import CAPTURE_CONF, coach_command, command_line, machine


def main() -> None:
    parser = argparse.ArgumentParser(description="Average CPU of coach over a live session.")
    parser.add_argument("--only", default="back-extensions")
    parser.add_argument("--reps", default="1")
    options = parser.parse_args()
    args = ["--only", options.only, "--reps", options.reps]
    env = dict(os.environ, ALSA_CONFIG_PATH=str(CAPTURE_CONF), COACH_CACHE_DIR=tempfile.mkdtemp(prefix="coach-cpu-"))
    subprocess.run([*coach_command(), "--dry-run", *args], env=env, stdout=subprocess.DEVNULL, check=True)
    with tempfile.TemporaryDirectory() as folder:
        env["COACH_AUDIO_CAPTURE"] = os.path.join(folder, "played.raw")
        started = time.monotonic()
        process = subprocess.Popen([*coach_command(), *args], env=env, stdout=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"coach failed with exit status {os.waitstatus_to_exitcode(status)}")
    cpu = usage.ru_utime + usage.ru_stime
    print(f"$ {command_line()}")
    print(f"{machine()}; warm cache; coach {' '.join(args)}")
    print(f"session {wall:.1f} s wall, {cpu:.3f} s CPU (user {usage.ru_utime:.3f} + system {usage.ru_stime:.3f})")
    print(f"average CPU {100 * cpu / wall:.2f}% of one core")


if __name__ == "__main__":
    main()
