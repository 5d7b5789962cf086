"""The voice: each phrase rendered once by a voice engine, into a cache of WAV clips.

Which engine speaks is decided here and nowhere else: the voice the user named (a
Piper model name or path, an eSpeak NG voice, or a language), else the first engine
with a voice for the routine's language (Piper's neural voices before eSpeak NG).

The cache is keyed by everything that changes the sound (text, engine, voice, rate,
volume, the engine's fingerprint: versions and model hash), so a warm cache means no
synthesis at all, and the measured length of each clip is what the timeline is laid
out with: the dry-run, the live run and the export share one plan.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import fcntl
import hashlib
import json
import os
import threading
import wave
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from coach.common.audio import CHANNELS, RATE, SAMPLE_BYTES, BadClip, Clip, read_wav, wav_seconds
from coach.common.errors import NoVoiceEngine, OptionError, StorageError, VoiceUnavailable
from coach.common.paths import describe_os_error, usable_folder, user_folder
from coach.common.threads import worker
from coach.voice.engines import Engine, VoiceInfo, each_engine, installed_engines, language_matches

DEFAULT_RATE = 160  # words per minute: unhurried, for someone concentrating on their body
MIN_RATE, MAX_RATE = 80, 400
RENDER_TIMEOUT_START = 30.0  # seconds
RENDER_TIMEOUT_PER_WORD = 1.0
T = TypeVar("T")
INSTALL_HINT = (
    "install eSpeak NG (Debian/Ubuntu: sudo apt-get install espeak-ng) and pyttsx3, or run scripts/bootstrap.sh; "
    "`coach --dry-run` still works without a voice"
)

__all__ = ["DEFAULT_RATE", "Voice", "VoiceInfo", "VoiceSettings", "estimate_seconds", "resolve_voice"]


@dataclass(frozen=True)
class VoiceSettings:
    voice: str | None = None  # a voice name, id, model path or language; None: the routine's language
    rate: int = DEFAULT_RATE
    volume: float = 1.0
    language: str = "en"

    def __post_init__(self) -> None:
        if not MIN_RATE <= self.rate <= MAX_RATE:
            raise OptionError(f"--rate must be between {MIN_RATE} and {MAX_RATE} words per minute (got {self.rate})")
        if not 0.0 < self.volume <= 1.0:
            raise OptionError(f"--volume must be more than 0 and at most 1 (got {self.volume:g})")


def estimate_seconds(text: str, rate: int) -> float:
    """A stand-in length for a phrase when no voice engine is installed.

    Words at the speaking rate, plus the pause eSpeak NG leaves at commas and at the end.
    """
    words = len(text.split())
    pauses = text.count(",") + text.count(".") + text.count(":")
    return round(words * 60.0 / rate + 0.08 * pauses + 0.35, 3)


def default_cache_dir() -> Path:
    """The user's cache dir (platformdirs), or $COACH_CACHE_DIR to keep clips elsewhere."""
    return user_folder("cache", "COACH_CACHE_DIR") / "speech"


def resolve_voice(wanted: str | None, language: str) -> tuple[Engine, VoiceInfo]:
    """The engine and voice for a name, id, path or language; the routine's language when none is asked for."""
    if wanted is not None:
        for candidate in each_engine():
            found = candidate.find(wanted)
            if found is not None:
                return candidate, found
    key = language if wanted is None else wanted.strip()
    for candidate in each_engine():
        found = candidate.for_language(key)
        if found is not None:
            return candidate, found
    engines = installed_engines()
    if not engines:
        raise NoVoiceEngine(f"no voice engine is installed: {INSTALL_HINT}")
    if wanted is None:
        raise OptionError(f"no installed voice speaks the routine's language '{language}' (see `coach voices`)")
    names = [name for candidate in engines for v in candidate.voices() for name in (v.id, v.name)]
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    hint = f" Close matches: {', '.join(close)}." if close else ""
    raise OptionError(f"unknown voice '{wanted}'.{hint} `coach voices` lists them all")


def all_voices(language: str | None = None) -> list[tuple[Engine, VoiceInfo]]:
    return [
        (candidate, voice)
        for candidate in installed_engines()
        for voice in candidate.voices()
        if language is None or language_matches(voice.language, language)
    ]


class Voice:
    """One engine's voice at one rate and volume, with a clip cache on disk."""

    def __init__(self, settings: VoiceSettings, cache_dir: Path | None = None) -> None:
        self.settings = settings
        self.cache_dir = usable_folder(cache_dir or default_cache_dir(), "the voice cache", "COACH_CACHE_DIR")
        self.engine, self.voice = resolve_voice(settings.voice, settings.language)
        self._fingerprint: str | None = None
        self._loaded: dict[str, Clip] = {}  # clips already read this run
        self._joined: list[tuple[Clip, tuple[tuple[Clip, str], ...]]] = []  # clips made of phrases, and their phrases
        self._lock = threading.Lock()  # a worker may render ahead while the player reads

    @property
    def label(self) -> str:
        """For the dry-run header: voice, pace and engine."""
        return f"{self.voice.id}, {self.settings.rate} wpm, {self.engine.name}"

    def cache_key(self, text: str) -> str:
        if self._fingerprint is None:
            self._fingerprint = self.engine.fingerprint(self.voice)
        fields = {
            "text": text,
            "engine": self.voice.engine,
            "voice": self.voice.id,
            "rate": self.settings.rate,
            "volume": self.settings.volume,
            "fingerprint": self._fingerprint,
        }
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    def clip_path(self, text: str) -> Path:
        key = self.cache_key(text)
        return self.cache_dir / key[:2] / f"{key}.wav"

    def clip(self, text: str) -> Clip:
        """The phrase as sound: from memory, from the disk cache, or rendered now and cached."""
        clip = self._loaded.get(text)
        if clip is None:
            with self._lock:
                clip = self._loaded.get(text)
                if clip is None:
                    clip = self._loaded[text] = self._read_or_render(text)
        return clip

    def words_of(self, clip: Clip) -> str | None:
        """The phrase a clip in memory says (None: a chime, or not this voice's): what the
        listener holds the microphone against, so the coach never obeys itself."""
        return next((text for text, loaded in list(self._loaded.items()) if loaded is clip), None)

    def joined(self, texts: Sequence[str]) -> Clip:
        """Phrases said one after another, as one clip that `parts_of` takes apart again."""
        for clip, known in self._joined:
            if [text for _, text in known] == list(texts):
                return clip
        parts = tuple((self.clip(text), text) for text in texts)
        clip = Clip(b"".join(part.frames for part, _ in parts))
        self._joined.append((clip, parts))
        return clip

    def parts_of(self, clip: Clip) -> tuple[tuple[Clip, str | None], ...]:
        """The phrases a clip says, in order, each with its own sound: the listener holds what
        it hears against the phrase sounding then, not against every word of a long answer
        (the pain answer's "say resume" must not drop a "resume" said over its next sentence)."""
        for joined, parts in self._joined:
            if joined is clip:
                return parts
        return ((clip, self.words_of(clip)),)

    def loaded(self, text: str) -> Clip | None:
        """The clip if it is in memory already, without waiting for a render."""
        return self._loaded.get(text)

    def _read_or_render(self, text: str) -> Clip:
        path = self.clip_path(text)
        cached = _read_cached(path)
        if cached is not None:
            return cached
        # Another coach (a dry-run beside a live run) may be rendering the same phrase:
        # one renders, the other waits and reads its clip.
        with _rendering_lock(path):
            cached = _read_cached(path)
            if cached is not None:
                return cached
            return self._render(text, path)

    def _render(self, text: str, path: Path) -> Clip:
        clip = within(
            render_timeout(text),
            lambda: self.engine.render(text, self.voice, self.settings.rate, self.settings.volume),
            f"{self.engine.name} did not finish rendering {text!r} in {render_timeout(text):.0f} s; "
            "the voice engine is stuck: try again, or another voice (`coach voices`)",
        )
        if clip.samples == 0:
            raise VoiceUnavailable(f"{self.engine.name} made no sound for {text!r}")
        return write_clip(path, clip)

    def seconds(self, text: str) -> float:
        """The phrase's length, rendering it if needed, without loading a cached clip's sound."""
        loaded = self._loaded.get(text)
        if loaded is not None:
            return loaded.seconds
        path = self.clip_path(text)
        if path.exists():
            try:
                return wav_seconds(path)
            except BadClip:
                pass  # damaged: clip() renders it again
        return self.clip(text).seconds

    def is_cached(self, text: str) -> bool:
        return self.clip_path(text).exists()

    def holds_no_clips(self) -> bool:
        """An empty cache: everything is to render, which is known without the voice's
        fingerprint (for Piper, a hash of its model) that a clip's name needs."""
        return next(self.cache_dir.glob("*/*.wav"), None) is None

    def render_all(self, texts: Iterable[str], progress: Callable[[int, int], None] | None = None) -> dict[str, Clip]:
        """Every phrase a session needs, in memory, so playback never waits on synthesis."""
        wanted = list(dict.fromkeys(texts))
        clips: dict[str, Clip] = {}
        for done, text in enumerate(wanted, start=1):
            clips[text] = self.clip(text)
            if progress is not None:
                progress(done, len(wanted))
        return clips


def render_timeout(text: str) -> float:
    """How long one phrase may take: an engine start (a model load) plus far more than the
    slowest engine needs per word here (Piper: ~0.02 s)."""
    return RENDER_TIMEOUT_START + RENDER_TIMEOUT_PER_WORD * len(text.split())


def within(seconds: float, work: Callable[[], T], failure: str) -> T:
    """Run `work` on a worker thread and wait at most `seconds`: a stuck engine becomes
    one clear line instead of a session that never starts. (The stuck thread is left to
    the process's end; there is no safe way to stop it.)"""
    outcome: list[T] = []
    problem: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # handed to the waiting thread
            problem.append(error)

    thread = worker(run, "coach-render")
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise VoiceUnavailable(failure)
    if problem:
        raise problem[0]
    return outcome[0]


def _read_cached(path: Path) -> Clip | None:
    try:
        return read_wav(path) if path.exists() else None
    except BadClip:
        return None  # truncated or damaged: render it again


@contextlib.contextmanager
def _rendering_lock(path: Path) -> Iterator[None]:
    """An advisory lock on one cache entry, across processes; none where locks cannot be had.

    The lock file goes when its holder is done, so the cache keeps only clips.
    """
    lock_path = path.with_name(f".{path.stem}.lock")
    lock = _take_lock(lock_path)
    try:
        yield
    finally:
        if lock is not None:
            with contextlib.suppress(OSError):
                lock_path.unlink()  # while still held: no one else holds the path's file
            os.close(lock)  # closing releases the lock


def _take_lock(lock_path: Path) -> int | None:
    """The locked file's descriptor (None: no lock to be had here, write_clip says why).
    A waiter whose file was removed by the holder before it got the lock locks anew."""
    while True:
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            lock = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if os.path.samestat(os.fstat(lock), os.stat(lock_path)):
                return lock
        except FileNotFoundError:
            pass  # removed by the holder before us
        except OSError:  # a file system without locks
            os.close(lock)
            return None
        os.close(lock)


def write_clip(path: Path, clip: Clip) -> Clip:
    """Into the cache atomically: a reader sees no clip or the whole clip, never half of one.

    Returns the clip the cache holds: this one, or another process's if it came first.
    """
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.wav")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(temporary), "wb") as out:
            out.setnchannels(CHANNELS)
            out.setsampwidth(SAMPLE_BYTES)
            out.setframerate(RATE)
            out.writeframes(clip.frames)
        try:
            os.link(temporary, path)  # atomic, and never over another process's clip of the same phrase
        except FileExistsError:
            # Another coach rendered this phrase at the same moment: the first clip stays,
            # so every process plans with the same lengths. A damaged one is replaced.
            try:
                return read_wav(path)
            except BadClip:
                os.replace(temporary, path)
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            os.replace(temporary, path)  # a file system without hard links: last writer wins
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise StorageError(
            f"the voice cache {path.parent.parent}: {describe_os_error(error, path.parent)}; "
            "free some space or point $COACH_CACHE_DIR at a writable folder"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
    return clip
