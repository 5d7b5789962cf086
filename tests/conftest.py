"""Shared set-up: a private speech cache for the whole run, and the capture sound device."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.speaker import OPENING_SILENCE
from coach.voice import Voice, VoiceSettings

ALSA_CAPTURE_CONF = Path(__file__).resolve().parent.parent / "coach" / "alsa-capture.conf"

# Every sound the tests play goes through the capture device: it writes what it is
# given to $COACH_AUDIO_CAPTURE, one file per play, and needs no sound card. Set before
# anything opens ALSA, which reads its configuration once.
os.environ["ALSA_CONFIG_PATH"] = str(ALSA_CAPTURE_CONF)
os.environ.setdefault("COACH_AUDIO_CAPTURE", "/dev/null")


def read_captures(first: Path, opening: bool = False) -> list[bytes]:
    """What the device was given, one entry per play, in order: first, first.0001, ...

    A live session opens the device with a moment of silence before its clock starts;
    that is not a cue, and is left out unless `opening` asks for it.
    """
    files = [first] if first.exists() else []
    files += sorted(first.parent.glob(first.name + ".[0-9][0-9][0-9][0-9]"))
    played = [path.read_bytes() for path in files]
    if not opening and played and played[0] == OPENING_SILENCE:
        return played[1:]
    return played


@pytest.fixture
def capture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Route this test's playback into tmp_path/played.raw (and .0001, .0002, ...)."""
    first = tmp_path / "capture" / "played.raw"
    first.parent.mkdir()
    monkeypatch.setenv("COACH_AUDIO_CAPTURE", str(first))
    return first


@pytest.fixture(autouse=True)
def private_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test records its sessions in a history of its own, never the user's."""
    folder = tmp_path_factory.mktemp("coach-data")
    monkeypatch.setenv("COACH_DATA_DIR", str(folder))
    return folder / "history.sqlite3"


@pytest.fixture(scope="session", autouse=True)
def private_speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Clips rendered by the tests go to a temporary cache, never the user's own."""
    cache = tmp_path_factory.mktemp("coach-cache")
    previous = os.environ.get("COACH_CACHE_DIR")
    os.environ["COACH_CACHE_DIR"] = str(cache)
    yield cache
    if previous is None:
        del os.environ["COACH_CACHE_DIR"]
    else:
        os.environ["COACH_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def voice(private_speech_cache: Path) -> Voice:
    """The real voice: pyttsx3 driving eSpeak NG, rendering into the private cache."""
    return Voice(VoiceSettings())
