"""Calibrate Piper's pace to eSpeak NG's words per minute, so `--rate` means one pace.

Renders every phrase of the built-in routine with eSpeak NG and with the default
Piper voice at several rates, with the constants in coach/voice/engines/piper.py, and
prints how long Piper takes against eSpeak NG at each (1.00 is the same pace), and
the length scale that would match them exactly.

    python scripts/calibrate_rate.py
"""

from __future__ import annotations

from benchlib import command_line, machine

from coach.plan.routine import load_builtin
from coach.plan.script import SessionOptions, spoken_phrases
from coach.voice.engines import engine
from coach.voice.engines.piper import PACE_EXPONENT, SCALE_AT_160, length_scale


def main() -> None:
    phrases = spoken_phrases(load_builtin(), SessionOptions())
    espeak, piper = engine("espeak"), engine("piper")
    if espeak is None or piper is None:
        raise SystemExit("both engines must be installed (scripts/bootstrap.sh test)")
    espeak_voice, piper_voice = espeak.for_language("en"), piper.for_language("en")
    assert espeak_voice is not None and piper_voice is not None
    print(f"$ {command_line()}")
    print(f"{machine()}; {len(phrases)} phrases of the built-in routine")
    print(f"length_scale = {SCALE_AT_160} * (160 / rate) ** {PACE_EXPONENT}")
    for rate in (120, 160, 220):
        espeak_seconds = sum(espeak.render(text, espeak_voice, rate, 1.0).seconds for text in phrases)
        piper_seconds = sum(piper.render(text, piper_voice, rate, 1.0).seconds for text in phrases)
        ratio = piper_seconds / espeak_seconds
        print(
            f"{rate} wpm: eSpeak NG {espeak_seconds:.1f} s, Piper {piper_seconds:.1f} s: {ratio:.2f}x "
            f"(length scale {length_scale(rate):.3f}; about {length_scale(rate) / ratio:.3f} would match)"
        )


if __name__ == "__main__":
    main()
