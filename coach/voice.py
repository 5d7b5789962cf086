"""The voice: each phrase rendered once by pyttsx3 (eSpeak NG) to a cached WAV.

The cache is keyed by everything that changes the sound (text, voice, rate, volume,
engine versions), so a warm cache means no synthesis at all, and the measured length
of each clip is what the timeline is laid out with.

pyttsx3 2.99 quirks handled here (each seen on this project's machines):
- `runAndWait()` may return before the WAV is written, and a phrase can come out
  empty when eSpeak NG's own thread is still busy with the last one: start only when
  the engine is idle, wait for `finished-utterance`, check the file, try again.
- several `save_to_file()` calls before one `runAndWait()` write only the last file:
  one phrase per `runAndWait()`.
- every save prints "Audio saved to ..." on stdout: redirected away.
- an unknown voice raises nothing: checked against the engine's voice list here.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import io
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from coach.audio import BadClip, Clip, read_wav
from coach.errors import OptionError, VoiceUnavailable
from coach.paths import user_folder

DEFAULT_RATE = 160  # words per minute: unhurried, for someone concentrating on their body
MIN_RATE, MAX_RATE = 80, 400
RENDER_ATTEMPTS = 3
INSTALL_HINT = (
    "install eSpeak NG (Debian/Ubuntu: sudo apt-get install espeak-ng) and pyttsx3; "
    "`coach --dry-run` still works without it"
)


@dataclass(frozen=True)
class VoiceSettings:
    voice: str | None = None  # eSpeak NG voice id, name or language; None: the routine's language
    rate: int = DEFAULT_RATE
    volume: float = 1.0
    language: str = "en"

    def __post_init__(self) -> None:
        if not MIN_RATE <= self.rate <= MAX_RATE:
            raise OptionError(f"--rate must be between {MIN_RATE} and {MAX_RATE} words per minute (got {self.rate})")
        if not 0.0 < self.volume <= 1.0:
            raise OptionError(f"--volume must be more than 0 and at most 1 (got {self.volume:g})")


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    language: str


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


class Voice:
    """pyttsx3 driving eSpeak NG, one process-wide engine, with a clip cache on disk."""

    _lock = threading.Lock()  # eSpeak NG is one engine per process
    _applied: tuple[str, int, float] | None = None  # the voice, rate, volume it has now

    def __init__(self, settings: VoiceSettings, cache_dir: Path | None = None) -> None:
        self.settings = settings
        self.cache_dir = cache_dir or default_cache_dir()
        self._engine = _start_engine()
        self._voices = _list_voices(self._engine)
        self.voice = resolve_voice(self._voices, settings.voice, settings.language)
        self._versions = _engine_versions()
        self._finished = threading.Event()
        self._cancelled = False
        self._loaded: dict[str, Clip] = {}  # clips already read this run
        self._engine.connect("finished-utterance", self._on_finished)

    @property
    def voices(self) -> tuple[VoiceInfo, ...]:
        return self._voices

    def cache_key(self, text: str) -> str:
        fields = {
            "text": text,
            "voice": self.voice.id,
            "rate": self.settings.rate,
            "volume": self.settings.volume,
            "engine": self._versions,
        }
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    def clip_path(self, text: str) -> Path:
        key = self.cache_key(text)
        return self.cache_dir / key[:2] / f"{key}.wav"

    def clip(self, text: str) -> Clip:
        """The phrase as sound: from memory, from the disk cache, or rendered now and cached."""
        clip = self._loaded.get(text)
        if clip is None:
            clip = self._loaded[text] = self._read_or_render(text)
        return clip

    def _read_or_render(self, text: str) -> Clip:
        path = self.clip_path(text)
        if path.exists():
            try:
                return read_wav(path)
            except BadClip:
                pass  # truncated or damaged: render it again
        return self._render(text, path)

    def seconds(self, text: str) -> float:
        return self.clip(text).seconds

    def is_cached(self, text: str) -> bool:
        return self.clip_path(text).exists()

    def render_all(self, texts: Iterable[str], progress: Callable[[int, int], None] | None = None) -> dict[str, Clip]:
        """Every phrase a session needs, in memory, so playback never waits on synthesis."""
        wanted = list(dict.fromkeys(texts))
        clips: dict[str, Clip] = {}
        for done, text in enumerate(wanted, start=1):
            clips[text] = self.clip(text)
            if progress is not None:
                progress(done, len(wanted))
        return clips

    def _render(self, text: str, path: Path) -> Clip:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.wav")
        problem = "no audio"
        with Voice._lock:
            for _attempt in range(RENDER_ATTEMPTS):
                try:
                    return self._render_once(text, temporary, path)
                except BadClip as error:
                    problem = str(error)
                finally:
                    temporary.unlink(missing_ok=True)
        raise VoiceUnavailable(f"eSpeak NG did not render {text!r} ({problem}); {INSTALL_HINT}")

    def _render_once(self, text: str, temporary: Path, path: Path) -> Clip:
        # eSpeak NG works on a thread of its own, and even setting a property keeps it
        # busy for a moment. If it is busy when pyttsx3's runAndWait() starts, pyttsx3
        # marks itself stopping and cancels this phrase, which then comes out empty or cut
        # short. So: properties are set only when they change, each phrase starts only when
        # the engine is idle, and a cancelled clip is refused and rendered again.
        wanted = (self.voice.id, self.settings.rate, self.settings.volume)
        if Voice._applied != wanted:  # one engine per process: set only on a change
            self._engine.setProperty("voice", wanted[0])
            self._engine.setProperty("rate", wanted[1])
            self._engine.setProperty("volume", wanted[2])
            Voice._applied = wanted
        _wait_until_idle()
        self._finished.clear()
        self._cancelled = False
        with contextlib.redirect_stdout(io.StringIO()):
            self._engine.save_to_file(text, str(temporary))
            self._engine.runAndWait()
            if not self._finished.wait(timeout=30):
                raise BadClip("timed out")
        _wait_until_idle()
        if self._cancelled:
            raise BadClip("cancelled by the engine")
        clip = read_wav(temporary)
        os.replace(temporary, path)  # atomic: a reader sees no clip or the whole clip
        return clip

    def _on_finished(self, completed: bool = True, **_: Any) -> None:
        if not completed:
            self._cancelled = True
        self._finished.set()


def _wait_until_idle(timeout: float = 5.0) -> None:
    from pyttsx3.drivers import _espeak

    deadline = time.monotonic() + timeout
    while _espeak.IsPlaying() and time.monotonic() < deadline:
        time.sleep(0.001)


def _start_engine() -> Any:
    try:
        import pyttsx3

        with contextlib.redirect_stdout(io.StringIO()):
            return pyttsx3.init("espeak")
    except ImportError:
        raise VoiceUnavailable(f"pyttsx3 is not installed: {INSTALL_HINT}") from None
    except Exception as error:  # pyttsx3 raises bare RuntimeError/OSError when libespeak-ng is missing
        raise VoiceUnavailable(f"the voice engine could not start ({error}): {INSTALL_HINT}") from None


def _engine_versions() -> str:
    from pyttsx3.drivers import _espeak

    espeak = _espeak.Info(None)
    espeak_version = espeak.decode() if isinstance(espeak, bytes) else str(espeak)
    return f"pyttsx3 {metadata.version('pyttsx3')}; espeak-ng {espeak_version}"


def _list_voices(engine: Any) -> tuple[VoiceInfo, ...]:
    voices = []
    for voice in engine.getProperty("voices"):
        languages = list(getattr(voice, "languages", None) or [""])
        voices.append(VoiceInfo(voice.id, voice.name, str(languages[0])))
    return tuple(sorted(voices, key=lambda v: v.id))


def resolve_voice(voices: tuple[VoiceInfo, ...], wanted: str | None, language: str) -> VoiceInfo:
    """Find a voice by id, name or language code; the routine's language when none is asked for.

    pyttsx3 quietly keeps the old voice when given an unknown one, so this checks first.
    """
    if not voices:
        raise VoiceUnavailable(f"eSpeak NG has no voices installed: {INSTALL_HINT}")
    if wanted is None:
        match = _voice_for_language(voices, language)
        if match is None:
            raise OptionError(f"no installed voice speaks the routine's language '{language}' (see `coach voices`)")
        return match
    key = wanted.strip().lower()
    for voice in voices:
        if key in (voice.id.lower(), voice.name.lower(), voice.id.rsplit("/", 1)[-1].lower()):
            return voice
    match = _voice_for_language(voices, key)
    if match is not None:
        return match
    names = [v.id for v in voices] + [v.name for v in voices]
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    hint = f" Close matches: {', '.join(close)}." if close else ""
    raise OptionError(f"unknown voice '{wanted}'.{hint} `coach voices` lists them all")


def _voice_for_language(voices: tuple[VoiceInfo, ...], language: str) -> VoiceInfo | None:
    language = language.lower()
    for voice in voices:  # the plain voice of a language first: gmw/en for "en"
        if voice.id.lower().rsplit("/", 1)[-1] == language:
            return voice
    for voice in voices:
        if voice.language.lower() == language or voice.language.lower().startswith(language + "-"):
            return voice
    return None
