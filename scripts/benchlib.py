"""Small helpers shared by the benchmark scripts in this folder."""

from __future__ import annotations

import atexit
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CAPTURE_CONF = REPO / "coach" / "sound" / "alsa-capture.conf"


def use_capture_device(capture: str | None = None) -> None:
    """Send all playback to the file-writing ALSA device (before anything opens ALSA): to
    `capture`, or to a temporary folder removed at exit."""
    if capture is None:
        folder = tempfile.mkdtemp(prefix="coach-bench-plays-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        capture = os.path.join(folder, "played.raw")
    os.environ["ALSA_CONFIG_PATH"] = str(CAPTURE_CONF)
    os.environ["COACH_AUDIO_CAPTURE"] = capture


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: an observed value, never an interpolation."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def coach_command() -> list[str]:
    script = shutil.which("coach", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "coach"]


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def loop_seconds(additions: int = 10_000_000) -> float:
    """CPU seconds a plain Python loop of `additions` takes, best of three: how fast the machine
    is now, to read a CPU share beside (the same loop took 1.08-1.80 s within one hour here)."""
    best = float("inf")
    for _ in range(3):
        began = time.process_time()
        total = 0
        for n in range(additions):
            total += n
        best = min(best, time.process_time() - began)
    return best


def command_line() -> str:
    return "python " + " ".join([str(Path(sys.argv[0]).resolve().relative_to(REPO)), *sys.argv[1:]])
