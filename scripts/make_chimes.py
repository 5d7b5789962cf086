"""Make the chimes in sounds/ from scratch, the same bytes every time.

Soft bell tones: a few sine partials under an exponential decay, with a short fade-in
so nothing clicks, peaking well below full scale so that no chime is harsh next to
the voice. Same format as eSpeak NG's speech (22050 Hz, mono, 16-bit) so chimes and
speech play through one path and mix without resampling.

    python scripts/make_chimes.py            # rewrite sounds/*.wav
    python scripts/make_chimes.py --check    # exit 1 if sounds/ differs from what this makes
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import wave
from array import array
from pathlib import Path

RATE = 22050
PEAK = 0.35  # of full scale: clearly audible, never harsh
SOUNDS = Path(__file__).resolve().parent.parent / "sounds"

# name: (notes as (start s, frequency Hz), decay time constant s, length s)
CHIMES: dict[str, tuple[tuple[tuple[float, float], ...], float, float]] = {
    "session-start": (((0.0, 523.25), (0.16, 659.25), (0.32, 783.99)), 0.35, 1.2),
    "exercise-start": (((0.0, 587.33), (0.14, 783.99)), 0.25, 0.7),
    "hold-end": (((0.0, 880.0),), 0.18, 0.55),
    "tick": (((0.0, 1318.5),), 0.02, 0.09),
    "exercise-end": (((0.0, 783.99), (0.14, 587.33)), 0.25, 0.7),
    "session-end": (((0.0, 783.99), (0.2, 659.25), (0.4, 523.25)), 0.45, 1.6),
    "work-start": (((0.0, 659.25), (0.1, 987.77)), 0.2, 0.6),  # timed work: go
    "work-end": (((0.0, 987.77), (0.13, 987.77)), 0.16, 0.6),  # timed work: stop
}
PARTIALS = ((1.0, 1.0), (2.0, 0.25), (3.0, 0.08))  # (multiple of the note, loudness)
FADE_IN = 0.004


def render(notes: tuple[tuple[float, float], ...], decay: float, length: float) -> array:
    count = round(length * RATE)
    mix = [0.0] * count
    for start, frequency in notes:
        first = round(start * RATE)
        for index in range(first, count):
            t = (index - first) / RATE
            envelope = math.exp(-t / decay) * min(1.0, t / FADE_IN)
            mix[index] += envelope * sum(
                weight * math.sin(2 * math.pi * frequency * multiple * t) for multiple, weight in PARTIALS
            )
    loudest = max(abs(value) for value in mix) or 1.0
    # End on silence: a last 10 ms fade keeps the tail from clicking when it stops.
    tail = int(0.01 * RATE)
    for index in range(count - tail, count):
        mix[index] *= (count - index) / tail
    return array("h", (round(value / loudest * PEAK * 32767) for value in mix))


def wav_bytes(samples: array) -> bytes:
    if sys.byteorder == "big":  # WAV is little-endian
        samples = array("h", samples)
        samples.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with sounds/")
    args = parser.parse_args()
    differ = []
    for name, (notes, decay, length) in CHIMES.items():
        data = wav_bytes(render(notes, decay, length))
        path = SOUNDS / f"{name}.wav"
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                differ.append(path.name)
            continue
        SOUNDS.mkdir(exist_ok=True)
        path.write_bytes(data)
        print(f"{path.relative_to(SOUNDS.parent)}  {length:.2f} s")
    if differ:
        print("differs from scripts/make_chimes.py: " + ", ".join(differ), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
