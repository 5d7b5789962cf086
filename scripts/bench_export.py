"""Export speed and memory: the full built-in routine rendered to one file, warm cache.

Runs `coach export` as a separate process per format, so the figures are the whole
command's: wall time as a multiple of the audio's length (x real time) and the peak
resident memory of the process.

    python scripts/bench_export.py [--formats wav,mp3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import soundfile
from benchlib import coach_command, command_line, machine


def main() -> None:
    parser = argparse.ArgumentParser(description="Export speed (x real time) and peak memory.")
    parser.add_argument("--formats", default="wav,mp3")
    options = parser.parse_args()
    env = dict(os.environ, COACH_CACHE_DIR=tempfile.mkdtemp(prefix="coach-export-"))
    subprocess.run([*coach_command(), "--dry-run"], env=env, stdout=subprocess.DEVNULL, check=True)  # warm
    print(f"$ {command_line()}")
    print(f"{machine()}; full built-in routine; warm speech cache")
    with tempfile.TemporaryDirectory() as folder:
        for suffix in options.formats.split(","):
            out = Path(folder) / f"session.{suffix}"
            started = time.monotonic()
            process = subprocess.Popen([*coach_command(), "export", str(out)], env=env, stdout=subprocess.DEVNULL)
            _pid, status, usage = os.wait4(process.pid, 0)
            wall = time.monotonic() - started
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"coach export {suffix} failed")
            seconds = soundfile.info(str(out)).duration
            peak_mb = usage.ru_maxrss / 1024  # Linux reports KiB
            print(
                f"{suffix:<5} {seconds / 60:5.1f} min of audio in {wall:6.2f} s = {seconds / wall:7.0f}x real time, "
                f"peak memory {peak_mb:5.1f} MB, file {out.stat().st_size / 1e6:5.1f} MB"
            )


if __name__ == "__main__":
    main()
