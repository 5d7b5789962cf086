"""The chimes: remade by their script to the byte, and in the format speech uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from coach.common.audio import load_chime, read_wav, sounds_dir
from coach.plan.script import CHIMES

REPO = Path(__file__).resolve().parent.parent


def test_sounds_are_exactly_what_the_script_makes() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_chimes.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_every_chime_is_short_soft_and_distinct() -> None:
    clips = {name: load_chime(name) for name in CHIMES}
    assert set(clips) == {path.stem for path in sounds_dir().glob("*.wav")}
    for name, clip in clips.items():
        assert 0.05 < clip.seconds <= 2.0, name
        peak = max(
            abs(int.from_bytes(clip.frames[i : i + 2], "little", signed=True)) for i in range(0, len(clip.frames), 2)
        )
        assert peak < 0.5 * 32768, f"{name} is too loud next to the voice"
        assert clip == read_wav(sounds_dir() / f"{name}.wav")
    assert len({clip.frames for clip in clips.values()}) == len(clips)
