"""Export: the very session `coach` would play, as one audio file to take anywhere.

Every cue's clip is placed at its start sample (start x 22050, rounded), silence in
between, so the file is the timeline to the sample. It is mixed and written in short
blocks, which keeps memory flat however long the session is.

Encoding is soundfile's (libsndfile, bundled in its wheels, so no system library):
WAV, FLAC, Ogg Vorbis and MP3 from one well-kept package. Tags and chapters are
mutagen's, the standard pure-Python tag library: ID3 chapters for MP3, Vorbis
comment chapters for FLAC and Ogg.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from coach.common.audio import RATE, Clip
from coach.common.errors import OptionError, StorageError
from coach.common.paths import describe_os_error, mount_point, out_of_space
from coach.plan.preview import amount_text
from coach.plan.script import Cue, CueKind, ExerciseSpan, Timeline
from coach.session.subtitles import stamp

BLOCK_SAMPLES = RATE * 10


@dataclass(frozen=True)
class AudioFormat:
    name: str
    subtype: str
    chapters: bool  # whether the file itself can carry one chapter per exercise


FORMATS = {
    ".wav": AudioFormat("WAV", "PCM_16", chapters=False),
    ".flac": AudioFormat("FLAC", "PCM_16", chapters=True),
    ".ogg": AudioFormat("OGG", "VORBIS", chapters=True),
    ".mp3": AudioFormat("MP3", "MPEG_LAYER_III", chapters=True),
}


def audio_format(path: Path) -> AudioFormat:
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        known = ", ".join(FORMATS)
        raise OptionError(f"{path}: unknown audio format '{path.suffix or 'no extension'}' (use {known})")
    return found


def sample_at(seconds: float) -> int:
    return round(seconds * RATE)


def check_writable(path: Path, force: bool, what: str = "") -> None:
    """Refuse before any work: an existing file without --force, or a folder we cannot write."""
    label = f"{what} {path}".strip()
    if path.is_dir():
        raise OptionError(f"{label}: is a folder")
    if path.exists() and not force:
        raise OptionError(f"{label}: already exists; add --force to replace it")
    folder = path.parent
    if not folder.is_dir():
        raise OptionError(f"{label}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OptionError(f"{label}: cannot write in {folder}")


def placed_clips(timeline: Timeline, clip_for: Callable[[Cue], Clip]) -> list[tuple[int, Clip]]:
    # A wait (self-paced reps) is silence in a file: nobody can say "done" to it.
    return [(sample_at(cue.start), clip_for(cue)) for cue in timeline.cues if cue.kind is not CueKind.WAIT]


def total_samples(timeline: Timeline, placed: list[tuple[int, Clip]]) -> int:
    ends = [start + clip.samples for start, clip in placed]
    return max([sample_at(timeline.total), *ends])


def mixed_blocks(placed: list[tuple[int, Clip]], total: int, block: int = BLOCK_SAMPLES) -> Iterator[bytes]:
    """The session as 16-bit samples, block by block: clips summed where they meet, clipped."""
    import numpy as np

    arrays = [(start, np.frombuffer(clip.frames, dtype="<i2")) for start, clip in placed]
    for block_start in range(0, total, block):
        block_end = min(block_start + block, total)
        mix = np.zeros(block_end - block_start, dtype=np.int32)
        for start, samples in arrays:
            end = start + len(samples)
            if end <= block_start or start >= block_end:
                continue
            lo, hi = max(start, block_start), min(end, block_end)
            mix[lo - block_start : hi - block_start] += samples[lo - start : hi - start]
        yield np.clip(mix, -32768, 32767).astype("<i2").tobytes()


def export_audio(
    timeline: Timeline,
    clip_for: Callable[[Cue], Clip],
    out: Path,
    *,
    force: bool = False,
    comment: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the session to `out` (format from its extension); returns its length in samples.

    Written to a temporary name beside `out` and renamed at the end, so a failed or
    interrupted export never leaves a half-written file, and never half-replaces one.
    """
    import numpy as np
    import soundfile
    from mutagen import MutagenError

    fmt = audio_format(out)
    check_writable(out, force)
    placed = placed_clips(timeline, clip_for)
    total = total_samples(timeline, placed)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        with soundfile.SoundFile(
            temporary, "w", samplerate=RATE, channels=1, format=fmt.name, subtype=fmt.subtype
        ) as sound:
            if fmt.name == "WAV":
                sound.title = timeline.title
                if comment:  # libsndfile refuses an empty string
                    sound.comment = comment
            written = 0
            for data in mixed_blocks(placed, total):
                sound.write(np.frombuffer(data, dtype="<i2"))
                written += len(data) // 2
                if progress is not None:
                    progress(written, total)
        if fmt.name != "WAV":
            write_tags(temporary, fmt, timeline, comment)
        os.replace(temporary, out)
    except OSError as error:
        raise StorageError(f"{out}: could not be written ({describe_os_error(error, out.parent)})") from None
    except (soundfile.LibsndfileError, RuntimeError, MutagenError) as error:
        # libsndfile says only "System error." when the disk fills up: look for ourselves.
        cause = f"no space left on {mount_point(out.parent)}" if out_of_space(out.parent) else str(error)
        raise StorageError(f"{out}: could not be written ({cause}); nothing was left behind") from None
    finally:
        temporary.unlink(missing_ok=True)
    return total


def write_tags(path: Path, fmt: AudioFormat, timeline: Timeline, comment: str) -> None:
    """Title, the exercises as the comment, and one chapter per exercise."""
    if fmt.name == "MP3":
        from mutagen.id3 import CHAP, COMM, CTOC, ID3, TIT2, CTOCFlags, ID3NoHeaderError

        try:
            tags = ID3(path)
        except ID3NoHeaderError:
            tags = ID3()
        tags.add(TIT2(encoding=3, text=timeline.title))
        tags.add(COMM(encoding=3, lang="eng", desc="", text=comment))
        ids = [f"chp{index}" for index, _span in enumerate(timeline.exercises, start=1)]
        tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids))
        for element_id, span in zip(ids, timeline.exercises, strict=True):
            start, end = round(span.start * 1000), round(span.end * 1000)
            title = TIT2(encoding=3, text=chapter_name(span))
            tags.add(CHAP(element_id=element_id, start_time=start, end_time=end, sub_frames=[title]))
        tags.save(path)
        return
    from mutagen.flac import FLAC
    from mutagen.oggvorbis import OggVorbis

    tagged = FLAC(path) if fmt.name == "FLAC" else OggVorbis(path)
    tagged["title"] = timeline.title
    tagged["comment"] = comment
    for index, span in enumerate(timeline.exercises, start=1):  # the Vorbis comment chapter convention
        key = f"CHAPTER{index:03d}"
        tagged[key] = stamp(span.start, ".")
        tagged[f"{key}NAME"] = chapter_name(span)
    tagged.save()


def chapter_name(span: ExerciseSpan) -> str:
    """An exercise's chapter; in a circuit each round has its own."""
    return f"Round {span.round}: {span.name}" if span.round is not None else span.name


def exercises_comment(timeline: Timeline) -> str:
    first_round = [span for span in timeline.exercises if (span.round or 1) == 1]
    return "; ".join(f"{span.number}. {span.name} ({amount_text(span)})" for span in first_round)
