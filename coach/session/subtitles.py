"""Subtitles for an exported session: one entry per spoken cue, SRT or WebVTT."""

from __future__ import annotations

from pathlib import Path

from coach.common.errors import OptionError
from coach.plan.script import CueKind, Timeline

SUBTITLE_FORMATS = (".srt", ".vtt")


def stamp(seconds: float, separator: str) -> str:
    """HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (WebVTT)."""
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    whole, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}{separator}{millis:03d}"


def subtitle_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUBTITLE_FORMATS:
        raise OptionError(f"--subtitles {path}: must end in .srt or .vtt")
    return suffix


def render_subtitles(timeline: Timeline, suffix: str) -> str:
    """The timeline's speech as subtitles; suffix is .srt or .vtt (see subtitle_format)."""
    separator = "," if suffix == ".srt" else "."
    blocks = ["WEBVTT\n"] if suffix == ".vtt" else []
    spoken = [cue for cue in timeline.cues if cue.kind is CueKind.SPEECH]
    for number, cue in enumerate(spoken, start=1):
        timing = f"{stamp(cue.start, separator)} --> {stamp(cue.end, separator)}"
        blocks.append(f"{number}\n{timing}\n{cue.text}\n")
    return "\n".join(blocks)
