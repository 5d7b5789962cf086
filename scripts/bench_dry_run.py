"""How long `coach --dry-run` takes as a whole process: the command a user runs most.

Warm cache (one dry-run first renders every phrase) and coach byte-compiled (as pip
does on install, and Python on a first run unless PYTHONDONTWRITEBYTECODE is set, as it
is on this machine), then N timed runs of the installed `coach --dry-run` for the full
built-in routine, output discarded; also
`python -c "import typer"` for scale, since typer's own start-up (pydantic included)
is a floor no change here can go below.

    python scripts/bench_dry_run.py [--runs 20]
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time

from benchlib import coach_command, command_line, machine

from coach.common.audio import PACKAGE


def timed(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    dry_run = [*coach_command(), "--dry-run"]
    subprocess.run(dry_run, stdout=subprocess.DEVNULL, check=True)  # warm the speech cache
    compileall.compile_dir(PACKAGE, quiet=1)  # what an installed coach runs from
    results = {
        "coach --dry-run": timed(dry_run, options.runs),
        'python -c "import typer"': timed([sys.executable, "-c", "import typer"], options.runs),
        'python -c "import typer, pydantic"': timed([sys.executable, "-c", "import typer, pydantic"], options.runs),
    }
    print(f"$ {command_line()}")
    print(f"{machine()}; full built-in routine, warm cache, byte-compiled; {options.runs} runs each, whole process")
    for name, times in results.items():
        print(f"{name:<36} median {1000 * statistics.median(times):.0f} ms   max {1000 * max(times):.0f} ms")


if __name__ == "__main__":
    main()
