"""Recorded live sessions, heard again through the listening code as it is now.

scripts/bench_echo.py --record FOLDER keeps, for each live commands run, what coach's listening
process was given (the vocabulary, each clip played, each stop, each microphone block with its
clock time: scripts/listening_tap/) and each command the person said, when, and what the session
acted on. This feeds the same sound, in the same order and on the same clock, to a Hearing
(coach/inputs/listening/hearing.py) in this process, and tallies what it would have acted on.

Why: live runs of one code spread widely (22-30 of 40 commands over a television), so a rule
that gains or loses two commands cannot be told from the draw by running it live. Replayed,
two rules hear the very same sound. What a replay cannot do: the session does not answer it.
The coach's sound, its pauses and the vocabulary it listened for are the live run's, so a
command heard only in the replay did not pause the coach there, and what followed is the
live run's. Compare replays with replays; the live figure is printed beside them.

--block-cost measures instead the CPU of the work done for every 32 ms block (the echo
canceller, the noise suppressor, the voice detector, the segmenter's rules), with the
decisions left out: Whisper runs only on utterances, and its share varies with what was
heard, so two codes compare on the same work. The best of --times replays is printed.

    python scripts/replay_listening.py FOLDER_OR_RECORDING [...] [--times 1] [--verbose] [--block-cost]
    (needs the listen extra)
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench_echo import meaning
from benchlib import command_line, machine

from coach.inputs.listening.segmenter import BLOCK, SAMPLE_RATE

AFTER = 2.5  # seconds after a command ends that its effect is looked for, as in bench_echo.py


def events(path: Path) -> Iterator[tuple[Any, ...]]:
    """The recording, event by event (a run cut short ends with a partial one: dropped)."""
    with path.open("rb") as file:
        while True:
            try:
                yield pickle.load(file)
            except (EOFError, pickle.UnpicklingError):
                return


def feed(path: Path, send: Callable[..., None], decide: bool = True) -> tuple[float, float]:
    """The recording at `path` fed to a Hearing on its own clock, what it sends going to `send`
    (with the clock at each); without `decide`, its utterances are not decided (no Whisper).
    Returns the CPU seconds spent hearing it and the seconds of sound it holds."""
    from coach.inputs.listening.hearing import Hearing

    now = [0.0]
    hearing: Hearing | None = None
    cpu = sound = 0.0
    for event in events(path):
        kind = event[0]
        if kind == "vocabulary":
            if hearing is None:
                hearing = Hearing(event[1], lambda *message: send(now[0], message), clock=lambda: now[0])
                hearing.load(None)
                if not decide:
                    hearing._decide = lambda *_args, **_kwargs: None  # type: ignore[method-assign]
                    hearing._hear_ahead = lambda *_args, **_kwargs: None  # type: ignore[method-assign]
            else:
                hearing.vocabulary = event[1]
            continue
        assert hearing is not None, f"{path}: the recording does not begin with a vocabulary"
        began = time.process_time()
        if kind == "played":
            hearing.played(event[1], event[2], event[3])
        elif kind == "stopped":
            hearing.stopped(event[1])
        elif kind == "block":
            now[0] = max(event[3], event[2] + BLOCK / SAMPLE_RATE)  # decided no sooner than it was heard
            hearing.hear(event[1], event[2])
            sound += len(event[1]) / SAMPLE_RATE
        cpu += time.process_time() - began
    return cpu, sound


def replay(path: Path) -> list[tuple[float, tuple[Any, ...]]]:
    """What the listening process sends, given the recording at `path`: with the clock at each."""
    sent: list[tuple[float, tuple[Any, ...]]] = []
    feed(path, lambda at, message: sent.append((at, message)))
    return sent


def block_cost(path: Path) -> tuple[float, float]:
    """CPU seconds spent hearing the recording at `path` block by block, its utterances not
    decided, and the seconds of sound it holds."""
    return feed(path, lambda *_sent: None, decide=False)


def acted_on(heard: list[tuple[float, Any]]) -> set[int]:
    """Which of the sayings heard a session would act on: paused by a word that pauses it,
    going on at a going on, as coach/sound/player.py's states take them. The session's
    state follows what the replay heard; the coach's sound stays the live run's."""
    from coach.inputs.listening.vocabulary import STOPS_THE_COACH
    from coach.sound.player import PAUSED, PLAYING, Command

    acted: set[int] = set()
    paused = False
    for n, (_, saying) in enumerate(heard):
        if saying.meaning in (PAUSED if paused else PLAYING):
            acted.add(n)
            paused = saying.meaning in STOPS_THE_COACH or (paused and saying.meaning is not Command.RESUME)
    return acted


def tally(recording: Path, verbose: bool) -> dict[str, Any]:
    said = json.loads(recording.with_suffix(".json").read_text())["commands"]
    sent = replay(recording.with_suffix(".listening"))
    heard = [(at, message[1]) for at, message in sent if message[0] == "heard"]
    acted = acted_on(heard)
    lines = [(at, message[1]) for at, message in sent if message[0] in ("rejected", "note")]
    result: dict[str, Any] = {"right": 0, "missed": 0, "wrong": 0, "said": len(said), "over": [0, 0], "gap": [0, 0]}
    result["live_right"] = 0
    taken: set[int] = set()
    for command in said:
        wanted = meaning(command["text"].rstrip("."))
        start, end = command["said"], command["ended"] + AFTER
        window = [(n, saying) for n, (at, saying) in enumerate(heard) if start <= at <= end]
        taken |= {n for n, _ in window}
        # As bench_echo.py counts: heard rightly, even where there was nothing to do (a going
        # on to a coach playing); wrong, where another saying was acted on instead.
        right = any(saying.meaning == wanted for _, saying in window)
        live_right = command["right"]
        outcome = "right" if right else "wrong" if any(n in acted for n, _ in window) else "missed"
        result[outcome] += 1
        result["live_right"] += live_right
        where = result["gap" if command["where"] == "in a gap" else "over"]
        where[0] += right
        where[1] += 1
        if verbose or right != live_right:
            why = "; ".join(line for at, line in lines if start <= at <= end) or "nothing heard"
            got = [saying.words for _, saying in window]
            print(
                f"  {command['text']!r} ({command['voice']}), {command['where']}: live {command['live'] or 'missed'}, "
                f"replayed {got or 'missed'}; {why}"
            )
    others = [saying for n, (_, saying) in enumerate(heard) if n not in taken and n in acted]
    for saying in others:
        print(f"  acted on, no command said: {saying.words!r}")
    result["others"] = len(others)
    return result


def recordings(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p.with_suffix("") for p in path.glob("*.listening"))
        else:
            found.append(path.with_suffix(""))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="folders of recordings, or recordings")
    parser.add_argument("--times", type=int, default=1, help="replays of each recording")
    parser.add_argument("--verbose", action="store_true", help="every command, not only those that went otherwise")
    parser.add_argument("--block-cost", action="store_true", help="the CPU of the block-by-block work, no Whisper")
    args = parser.parse_args()
    if "OPENBLAS_NUM_THREADS" not in os.environ:  # numpy on one thread, as in the listening process (listener.py)
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    found = recordings(args.paths)
    missing = [str(p) for p in found if not p.with_suffix(".json").exists() or not p.with_suffix(".listening").exists()]
    if not found or missing:
        sys.exit(f"replay_listening: no recording (a .listening and its .json) at {', '.join(missing) or args.paths}")
    print(f"{command_line()}\n{machine()}")
    if args.block_cost:
        for recording in found:
            cpu, sound = min(block_cost(recording.with_suffix(".listening")) for _ in range(args.times))
            share = 100 * cpu / sound
            print(f"{recording.name}: {cpu:.2f} s of CPU for {sound:.0f} s of sound, {share:.2f}% of a core")
        return
    totals = dict.fromkeys(("right", "missed", "wrong", "said", "others", "live_right"), 0)
    for recording in found:
        for _ in range(args.times):
            r = tally(recording, args.verbose)
            for key in totals:
                totals[key] += r[key]
            over, gap = r["over"], r["gap"]
            print(
                f"{recording.name}: {r['right']} of {r['said']} right (over the coach {over[0]} of {over[1]}, "
                f"in its gaps {gap[0]} of {gap[1]}), {r['wrong']} wrong, {r['others']} acted on with no "
                f"command said; live {r['live_right']} of {r['said']}"
            )
    print(
        f"all: {totals['right']} of {totals['said']} right, {totals['wrong']} wrong, {totals['others']} acted on with "
        f"no command said; live {totals['live_right']} of {totals['said']}"
    )


if __name__ == "__main__":
    main()
