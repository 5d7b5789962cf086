"""From what the user asked for to a timeline: routine, selection, voice, plan.

The library entry point the CLI (and any other front end) stands on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from coach.common.audio import Clip, chime_seconds, load_chime
from coach.plan.routine import Routine, load_builtin, load_routine
from coach.plan.script import CHIMES, Cue, CueKind, SessionOptions, Timeline, build_timeline, spoken_phrases
from coach.plan.selection import select_exercises
from coach.voice.voices import DEFAULT_RATE, Voice, VoiceSettings, estimate_seconds

if TYPE_CHECKING:
    from coach.plan.unfolding import UnfoldingTimeline


@dataclass(frozen=True)
class Request:
    """One session as asked for: which routine, which exercises, how paced, which voice."""

    routine_path: Path | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    options: SessionOptions = field(default_factory=SessionOptions)
    voice: str | None = None
    rate: int = DEFAULT_RATE
    volume: float = 1.0


def load_request_routine(request: Request) -> Routine:
    routine = load_routine(request.routine_path) if request.routine_path else load_builtin()
    return select_exercises(routine, request.only, request.skip)


def voice_settings(request: Request, routine: Routine) -> VoiceSettings:
    return VoiceSettings(request.voice, request.rate, request.volume, routine.language)


def plan(
    routine: Routine,
    options: SessionOptions,
    voice: Voice | None,
    settings: VoiceSettings,
    progress: Callable[[int, int], None] | None = None,
    load_clips: bool = True,
) -> Timeline:
    """The timeline, with speech lengths measured by the voice, or estimated without one.

    `load_clips` keeps every clip in memory for playback; a plan only to be read (the
    dry-run) measures cached clips from their headers.
    """
    chimes = chime_seconds(CHIMES)
    if voice is None:
        return build_timeline(routine, options, lambda text: estimate_seconds(text, settings.rate), chimes, "estimated")
    phrases = spoken_phrases(routine, options)
    if load_clips:
        clips = voice.render_all(phrases, progress)
        return build_timeline(routine, options, lambda text: clips[text].seconds, chimes, "measured")
    lengths = {}
    for done, text in enumerate(phrases, start=1):
        lengths[text] = voice.seconds(text)
        if progress is not None:
            progress(done, len(phrases))
    return build_timeline(routine, options, lengths.__getitem__, chimes, "measured")


def cached_plan(routine: Routine, options: SessionOptions, settings: VoiceSettings) -> tuple[Timeline, bool]:
    """The timeline with each phrase's length from its cached clip where there is one,
    estimated where not (nothing is rendered); and whether every length was measured."""
    from coach.common.errors import StorageError, VoiceUnavailable

    try:
        voice: Voice | None = Voice(settings)
    except (VoiceUnavailable, StorageError):
        voice = None
    phrases = spoken_phrases(routine, options)
    lengths = {text: estimate_seconds(text, settings.rate) for text in phrases}
    measured = 0
    if voice is not None:
        for text in phrases:
            if voice.is_cached(text):
                lengths[text] = voice.seconds(text)
                measured += 1
    complete = measured == len(lengths)
    label = "measured" if complete else "estimated"
    return build_timeline(routine, options, lengths.__getitem__, chime_seconds(CHIMES), label), complete


def unfolding_plan(
    routine: Routine, options: SessionOptions, voice: Voice, settings: VoiceSettings
) -> UnfoldingTimeline:
    """The plan laid out on a worker as the voice renders it: for a live run with a cold cache."""
    from coach.plan.unfolding import UnfoldingTimeline

    return UnfoldingTimeline(
        routine,
        options,
        lambda text: voice.clip(text).seconds,
        chime_seconds(CHIMES),
        lambda text: estimate_seconds(text, settings.rate),
    ).start()


def phrases_to_render(voice: Voice, routine: Routine, options: SessionOptions) -> list[str]:
    return [text for text in spoken_phrases(routine, options) if not voice.is_cached(text)]


def clip_source(voice: Voice) -> Callable[[Cue], Clip]:
    """Where each cue's sound comes from: the voice's clips and the chimes."""

    def clip_for(cue: Cue) -> Clip:
        return load_chime(cue.text) if cue.kind is CueKind.CHIME else voice.clip(cue.text)

    return clip_for


def describe_place(timeline: Timeline | UnfoldingTimeline, cue: Cue | None) -> str:
    """Where in the session a cue is, in words: for "stopped at ..." messages."""
    if cue is None:
        return "before the first cue"
    names = {span.id: span.name for span in timeline.exercises}
    if cue.exercise is None:
        return (
            "in the introduction"
            if cue.phase == "intro"
            else "between exercises"
            if cue.phase in ("next", "break", "round")
            else "at the end"
        )
    where = names[cue.exercise]
    if cue.round is not None:
        where = f"round {cue.round}, {where}"
    if cue.set is not None:
        where += f", set {cue.set}"
    if cue.rep is not None:
        reps = next(span.reps for span in timeline.exercises if span.id == cue.exercise)
        where += f", rep {cue.rep} of {reps}" + (f", {cue.side} side" if cue.side else "")
    return where
