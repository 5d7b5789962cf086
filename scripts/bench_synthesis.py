"""Synthesis speed and memory per voice engine: the cost of a cold cache.

For each installed engine's English voice, a fresh process renders every distinct
phrase of the built-in routine into an empty cache and reports the real-time factor
(seconds of work per second of speech; lower is faster), the time to load the engine
(the first phrase), and the process's peak memory.

    python scripts/bench_synthesis.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

from benchlib import command_line, machine

CHILD = """
import json, resource, sys, tempfile, time
from pathlib import Path
from coach.plan.routine import load_builtin
from coach.plan.script import SessionOptions, spoken_phrases
from coach.voice.voices import Voice, VoiceSettings
phrases = spoken_phrases(load_builtin(), SessionOptions())
voice = Voice(VoiceSettings(voice=sys.argv[1]), cache_dir=Path(tempfile.mkdtemp()))
started = time.perf_counter()
first = voice.clip(phrases[0]).seconds
first_done = time.perf_counter()
speech = first + sum(voice.clip(text).seconds for text in phrases[1:])
done = time.perf_counter()
print(json.dumps({"engine": voice.engine.name, "phrases": len(phrases), "speech": speech,
                  "first": first_done - started, "rest": done - first_done, "rest_speech": speech - first,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    print(f"$ {command_line()}")
    print(f"{machine()}; every distinct phrase of the built-in routine, empty cache, one process per engine")
    for voice in ("en_US-joe-medium", "gmw/en"):
        result = subprocess.run(
            [sys.executable, "-c", CHILD, voice], capture_output=True, text=True, cwd=tempfile.gettempdir()
        )
        if result.returncode != 0:
            print(f"{voice}: not measured ({result.stderr.strip().splitlines()[-1:]})")
            continue
        r = json.loads(result.stdout)
        print(
            f"{r['engine']:<10} {voice:<18} {r['phrases']} phrases, {r['speech']:.0f} s of speech in "
            f"{r['first'] + r['rest']:.1f} s: real-time factor {r['rest'] / r['rest_speech']:.3f} after a first phrase "
            f"of {r['first']:.2f} s (engine start included); peak memory {r['peak_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
