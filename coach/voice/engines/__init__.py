"""Voice engines: each turns text into a clip in the project's clip format.

One module per engine, like pyttsx3's drivers, loaded by name at run time; nothing
outside an engine's module knows how it speaks. An engine is cheap to create: it
lists voices without loading a model or starting a synthesiser, so a warm-cache
dry-run never pays for one. The first `render` does that work.

The contract, for every engine:
- `voices()` lists what is installed, `find(wanted)` resolves a name, id or path to
  one of its voices (or None), `for_language(code)` picks its voice for a language.
- `fingerprint(voice)` names everything that changes the sound (engine versions,
  the model file's hash): the clip cache is keyed by it.
- `render(text, voice, rate, volume)` returns the clip, at RATE, mono, 16-bit; `rate`
  is words per minute and means the same pace with every engine.
- Every failure is a CoachError with one line saying what to do.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from coach.common.audio import Clip

# Tried in this order when no voice is named: the first engine with a voice for the
# routine's language speaks it. Piper's neural voices are far easier to understand.
ENGINE_MODULES = ("piper", "espeak")


@dataclass(frozen=True)
class VoiceInfo:
    engine: str  # the engine module's name: "piper", "espeak"
    id: str  # what --voice takes: a Piper model name or an eSpeak NG voice id
    name: str
    language: str  # "en-us", "de": lower case, hyphenated
    neural: bool
    location: str = ""  # a Piper model file; empty for eSpeak NG
    problem: str = ""  # why this voice cannot speak (a model without its config): said when it is asked for


class Engine(Protocol):
    name: str  # for people: "Piper", "eSpeak NG"
    install_hint: str

    def voices(self) -> tuple[VoiceInfo, ...]: ...

    def find(self, wanted: str) -> VoiceInfo | None: ...

    def for_language(self, language: str) -> VoiceInfo | None: ...

    def fingerprint(self, voice: VoiceInfo) -> str: ...

    def render(self, text: str, voice: VoiceInfo, rate: int, volume: float) -> Clip: ...


class EngineMissing(Exception):
    """The engine's packages are not installed: the other engines still speak."""


_engines: dict[str, Engine | None] = {}


def engine(module: str) -> Engine | None:
    """The engine of that module, one per process; None when its packages are missing."""
    if module not in _engines:
        loaded = importlib.import_module(f"coach.voice.engines.{module}")
        try:
            _engines[module] = loaded.create()
        except EngineMissing:
            _engines[module] = None
    return _engines[module]


def installed_engines() -> list[Engine]:
    return list(each_engine())


def each_engine() -> Iterator[Engine]:
    """The installed engines in order of preference, each loaded only when reached:
    finding the default voice needs only the first."""
    for module in ENGINE_MODULES:
        found = engine(module)
        if found is not None:
            yield found


def language_matches(voice_language: str, wanted: str) -> bool:
    """'en' matches 'en-us'; 'en-us' matches 'en-us' and 'en_US'."""
    have = voice_language.lower().replace("_", "-")
    want = wanted.lower().replace("_", "-")
    return have == want or have.startswith(want + "-")
