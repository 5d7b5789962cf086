"""Sound clips in the one format everything here shares: 22050 Hz, mono, 16-bit PCM.

eSpeak NG (through pyttsx3) always writes that format, and the chimes are made in it,
so speech and chimes play through one path, and mixing them needs no resampling.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RATE = 22050
CHANNELS = 1
SAMPLE_BYTES = 2


class BadClip(ValueError):
    """A WAV that is unreadable, truncated or not in the shared format."""


@dataclass(frozen=True)
class Clip:
    frames: bytes  # little-endian signed 16-bit mono samples at RATE

    @property
    def samples(self) -> int:
        return len(self.frames) // SAMPLE_BYTES

    @property
    def seconds(self) -> float:
        return self.samples / RATE


def read_wav(path: Path) -> Clip:
    """Load a clip, refusing anything truncated or in another format."""
    try:
        with wave.open(str(path), "rb") as source:
            shape = (source.getnchannels(), source.getsampwidth(), source.getframerate())
            expected = source.getnframes()
            frames = source.readframes(expected)
    except (OSError, EOFError, wave.Error) as error:
        raise BadClip(f"{path}: {error}") from None
    if shape != (CHANNELS, SAMPLE_BYTES, RATE):
        raise BadClip(f"{path}: expected mono 16-bit {RATE} Hz, got {shape}")
    if len(frames) != expected * SAMPLE_BYTES or expected == 0:
        raise BadClip(f"{path}: truncated ({len(frames)} of {expected * SAMPLE_BYTES} bytes)")
    return Clip(frames)


def wav_seconds(path: Path) -> float:
    """A clip's length from its header, checked against the file's size: for a plan that
    needs lengths, not sound (the dry-run reads 85 headers instead of 85 clips)."""
    try:
        with wave.open(str(path), "rb") as source:
            shape = (source.getnchannels(), source.getsampwidth(), source.getframerate())
            frames = source.getnframes()
        size = path.stat().st_size
    except (OSError, EOFError, wave.Error) as error:
        raise BadClip(f"{path}: {error}") from None
    if shape != (CHANNELS, SAMPLE_BYTES, RATE) or frames == 0 or size < 44 + frames * SAMPLE_BYTES:
        raise BadClip(f"{path}: not a whole clip in the shared format")
    return frames / RATE


# The package's own folder. coach installs as plain files (a wheel, never a zip), so its
# data is read beside its modules; importlib.resources would add ~8 ms to every command.
PACKAGE = Path(__file__).resolve().parent.parent


def sounds_dir() -> Path:
    """The chimes: inside the installed package, or sounds/ beside it in a checkout."""
    packaged = PACKAGE / "sounds"
    if packaged.is_dir():
        return packaged
    return PACKAGE.parent / "sounds"


@cache
def load_chime(name: str) -> Clip:
    return read_wav(sounds_dir() / f"{name}.wav")


def chime_seconds(names: tuple[str, ...]) -> dict[str, float]:
    return {name: load_chime(name).seconds for name in names}
