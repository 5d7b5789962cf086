"""Time to first sound: from starting `coach` to the first cue reaching the sound device.

Starts the installed `coach` for the full built-in routine with playback routed to the
capture device, and times until the device opens its first file (the first play),
then stops coach with Ctrl-C. Warm: the speech cache already holds every phrase.
Cold: an empty cache: the session starts once its opening phrases are rendered and
renders the rest ahead of the playhead. Both engines: Piper (the default) and eSpeak NG.

    python scripts/bench_first_sound.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchlib import CAPTURE_CONF, coach_command, command_line, machine


def first_sound(cache: Path, args: list[str]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        capture = Path(folder) / "played.raw"
        env = dict(os.environ, ALSA_CONFIG_PATH=str(CAPTURE_CONF), COACH_AUDIO_CAPTURE=str(capture))
        env["COACH_CACHE_DIR"] = str(cache)
        started = time.perf_counter()
        process = subprocess.Popen(
            [*coach_command(), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            while not capture.exists():
                if process.poll() is not None:
                    raise SystemExit(f"coach ended before any sound (exit {process.returncode})")
                time.sleep(0.0005)
            return time.perf_counter() - started
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description="Time from starting coach to its first sound.")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    results = []
    for engine, voice in (("Piper", "en_US-joe-medium"), ("eSpeak NG", "gmw/en")):
        args = ["--quiet", "--voice", voice]  # the full built-in routine
        warm_cache = Path(tempfile.mkdtemp(prefix="coach-warm-"))
        warm_env = dict(os.environ, COACH_CACHE_DIR=str(warm_cache))
        subprocess.run(
            [*coach_command(), "--dry-run", "--voice", voice], env=warm_env, stdout=subprocess.DEVNULL, check=True
        )
        warm = [first_sound(warm_cache, args) for _ in range(options.runs)]
        cold = [first_sound(Path(tempfile.mkdtemp(prefix="coach-cold-")), args) for _ in range(options.runs)]
        results += [(f"{engine}, warm cache", warm), (f"{engine}, empty cache", cold)]
    print(f"$ {command_line()}")
    print(f"{machine()}; full built-in routine; {options.runs} runs each")
    for name, times in results:
        print(f"{name:<24} median {statistics.median(times):.3f} s   max {max(times):.3f} s")


if __name__ == "__main__":
    main()
