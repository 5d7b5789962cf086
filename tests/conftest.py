"""Shared set-up: a private speech cache for the whole run, and the capture sound device."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.voice import Voice, VoiceSettings

ALSA_CAPTURE_CONF = Path(__file__).resolve().parent.parent / "coach" / "alsa-capture.conf"


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
