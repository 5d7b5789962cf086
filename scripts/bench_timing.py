"""Cue timing: onset error of coach's scheduler against a naive coach loop, same timeline.

Plays a real timeline (built-in routine, measured speech) through simpleaudio into the
capture device twice: once with coach's Player (absolute deadlines from one start),
once with the loop most timer scripts use (speak, then time.sleep the pause). Reports
the onset error (actual minus planned start) p50, p99 and max, and the last cue's.

    python scripts/bench_timing.py                 # idle machine
    python scripts/bench_timing.py --busy          # the other core kept busy

The capture device does not pace playback, so the naive loop's "speak" is play, then
sleep the clip's length, as a blocking speak call would; that flatters the naive loop
(a real device adds its own latency on every call).
"""

from __future__ import annotations

import argparse
import multiprocessing
import time

from benchlib import command_line, machine, percentile, use_capture_device

use_capture_device()

from coach.plan.routine import load_builtin  # noqa: E402
from coach.plan.script import SessionOptions, Timeline  # noqa: E402
from coach.plan.selection import select_exercises  # noqa: E402
from coach.session.prepare import clip_source, plan  # noqa: E402
from coach.sound.player import Player  # noqa: E402 (the capture device must be chosen first)
from coach.sound.speaker import SimpleaudioSink  # noqa: E402
from coach.voice.voices import Voice, VoiceSettings  # noqa: E402


def naive_loop(timeline: Timeline, voice: Voice, sink: SimpleaudioSink) -> list[float]:
    """Speak, then sleep whatever silence the script wants next: errors add up."""
    clip_for = clip_source(voice)
    cues = timeline.cues
    errors = []
    start = time.monotonic()
    for index, cue in enumerate(cues):
        errors.append(time.monotonic() - start - cue.start)
        clip = clip_for(cue)
        sink.play(clip)
        following = cues[index + 1].start if index + 1 < len(cues) else timeline.total
        time.sleep(min(cue.duration, following - cue.start))  # "speaking"
        time.sleep(max(0.0, following - cue.start - cue.duration))  # the pause
    return errors


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def report(name: str, errors: list[float]) -> str:
    ms = [abs(e) * 1000 for e in errors]
    return (
        f"{name:<22} p50 {percentile(ms, 0.5):7.3f} ms   p99 {percentile(ms, 0.99):7.3f} ms   "
        f"max {max(ms):7.3f} ms   last cue {errors[-1] * 1000:+8.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Onset error: coach's scheduler vs a naive loop.")
    parser.add_argument("--only", default="knee-rolls")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--busy", action="store_true", help="keep the other core busy with a spinning process")
    args = parser.parse_args()

    settings = VoiceSettings()
    voice = Voice(settings)
    routine = select_exercises(load_builtin(), [args.only])
    timeline = plan(routine, SessionOptions(reps=args.reps), voice, settings)
    sink = SimpleaudioSink()
    spinner = None
    if args.busy:
        spinner = multiprocessing.Process(target=spin, args=(2 * timeline.total + 30,), daemon=True)
        spinner.start()
    try:
        played = Player(timeline, clip_source(voice), sink).run()
        naive = naive_loop(timeline, voice, sink)
    finally:
        if spinner is not None:
            spinner.terminate()
    print(f"$ {command_line()}")
    print(f"{machine()}; other core {'busy' if args.busy else 'idle'}")
    print(f"timeline: {timeline.total:.1f} s, {len(timeline.cues)} cues (--only {args.only} --reps {args.reps})")
    print(report("coach scheduler", [p.error for p in played]))
    print(report("naive speak+sleep loop", naive))


if __name__ == "__main__":
    main()
