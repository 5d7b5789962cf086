"""eSpeak NG through pyttsx3: every language eSpeak NG knows, and the fallback voice.

pyttsx3 2.99 quirks handled here (each seen on this project's machines):
- `runAndWait()` may return before the WAV is written, and a phrase can come out
  empty when eSpeak NG's own thread is still busy with the last one: start only when
  the engine is idle, wait for `finished-utterance`, check the file, try again.
- several `save_to_file()` calls before one `runAndWait()` write only the last file:
  one phrase per `runAndWait()`.
- every save prints "Audio saved to ..." on stdout: the driver module's own `print`
  is silenced. Not `contextlib.redirect_stdout`: that swaps `sys.stdout` for the whole
  process, and a phrase rendered beside a live session took the session's panel and
  lines into the swap (no panel at all in a terminal, with an empty cache).
- an unknown voice raises nothing: voices are checked against the engine's list.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from coach.common.audio import BadClip, Clip, read_wav
from coach.common.errors import VoiceUnavailable
from coach.voice.engines import EngineMissing, VoiceInfo, language_matches

RENDER_ATTEMPTS = 3
INSTALL_HINT = (
    "install eSpeak NG (Debian/Ubuntu: sudo apt-get install espeak-ng) and pyttsx3; "
    "`coach --dry-run` still works without it"
)


def create() -> EspeakEngine:
    import importlib.util

    if importlib.util.find_spec("pyttsx3") is None:
        raise EngineMissing("pyttsx3")
    return EspeakEngine()


class EspeakEngine:
    """One pyttsx3 engine per process, started on first use."""

    name = "eSpeak NG"
    install_hint = INSTALL_HINT

    def __init__(self) -> None:
        self._lock = threading.Lock()  # eSpeak NG is one engine per process
        self._engine: Any = None
        self._voices: tuple[VoiceInfo, ...] | None = None
        self._applied: tuple[str, int, float] | None = None  # the voice, rate, volume it has now
        self._finished = threading.Event()
        self._cancelled = False

    def _started(self) -> Any:
        if self._engine is None:
            try:
                import pyttsx3
                from pyttsx3.drivers import espeak as driver

                driver.print = _no_print  # its "Audio saved to ..." after every save
                self._engine = pyttsx3.init("espeak")
            except ImportError:
                raise VoiceUnavailable(f"pyttsx3 is not installed: {INSTALL_HINT}") from None
            except Exception as error:  # pyttsx3 raises bare RuntimeError/OSError when libespeak-ng is missing
                raise VoiceUnavailable(f"the voice engine could not start ({error}): {INSTALL_HINT}") from None
            self._engine.connect("finished-utterance", self._on_finished)
        return self._engine

    def voices(self) -> tuple[VoiceInfo, ...]:
        if self._voices is None:
            found = []
            for voice in self._started().getProperty("voices"):
                languages = list(getattr(voice, "languages", None) or [""])
                found.append(VoiceInfo("espeak", voice.id, voice.name, str(languages[0]).lower(), neural=False))
            self._voices = tuple(sorted(found, key=lambda v: v.id))
        return self._voices

    def find(self, wanted: str) -> VoiceInfo | None:
        key = wanted.strip().lower()
        for voice in self.voices():
            if key in (voice.id.lower(), voice.name.lower()):
                return voice
        return None

    def for_language(self, language: str) -> VoiceInfo | None:
        language = language.lower()
        for voice in self.voices():  # the plain voice of a language first: gmw/en for "en"
            if voice.id.lower().rsplit("/", 1)[-1] == language:
                return voice
        return next((voice for voice in self.voices() if language_matches(voice.language, language)), None)

    def fingerprint(self, voice: VoiceInfo) -> str:
        from pyttsx3.drivers import _espeak

        espeak = _espeak.Info(None)
        espeak_version = espeak.decode() if isinstance(espeak, bytes) else str(espeak)
        return f"pyttsx3 {metadata.version('pyttsx3')}; espeak-ng {espeak_version}"

    def render(self, text: str, voice: VoiceInfo, rate: int, volume: float) -> Clip:
        problem = "no audio"
        with self._lock, tempfile.TemporaryDirectory(prefix="coach-espeak-") as folder:
            temporary = Path(folder) / "phrase.wav"
            for _attempt in range(RENDER_ATTEMPTS):
                try:
                    return self._render_once(text, (voice.id, rate, volume), temporary)
                except BadClip as error:
                    problem = str(error)
                    # pyttsx3 queues property changes, and a cancelled run drops the queue:
                    # set them all again, or this voice would go on at the old rate.
                    self._applied = None
                finally:
                    temporary.unlink(missing_ok=True)
        raise VoiceUnavailable(f"eSpeak NG did not render {text!r} ({problem}); {INSTALL_HINT}")

    def _render_once(self, text: str, wanted: tuple[str, int, float], temporary: Path) -> Clip:
        # eSpeak NG works on a thread of its own, and even setting a property keeps it
        # busy for a moment. If it is busy when pyttsx3's runAndWait() starts, pyttsx3
        # marks itself stopping and cancels this phrase, which then comes out empty or cut
        # short. So: properties are set only when they change (and again after a cancel),
        # each phrase starts only when the engine is idle, and a cancelled clip is refused
        # and rendered again.
        engine = self._started()
        if self._applied != wanted:
            engine.setProperty("voice", wanted[0])
            engine.setProperty("rate", wanted[1])
            engine.setProperty("volume", wanted[2])
            self._applied = wanted
        _wait_until_idle()
        self._finished.clear()
        self._cancelled = False
        engine.save_to_file(text, os.fspath(temporary))
        engine.runAndWait()
        if not self._finished.wait(timeout=30):
            raise BadClip("timed out")
        _wait_until_idle()
        if self._cancelled:
            raise BadClip("cancelled by the engine")
        from pyttsx3.drivers import _espeak

        if _espeak.GetParameter(_espeak.RATE) != wanted[1]:  # a dropped setProperty: wrong pace
            raise BadClip(f"spoken at {_espeak.GetParameter(_espeak.RATE)} wpm, not {wanted[1]}")
        return read_wav(temporary)

    def _on_finished(self, completed: bool = True, **_: Any) -> None:
        if not completed:
            self._cancelled = True
        self._finished.set()


def _no_print(*_args: object, **_kwargs: object) -> None:
    """In place of `print` in pyttsx3's eSpeak driver module, and nowhere else."""


def _wait_until_idle(timeout: float = 5.0) -> None:
    from pyttsx3.drivers import _espeak

    deadline = time.monotonic() + timeout
    while _espeak.IsPlaying() and time.monotonic() < deadline:
        time.sleep(0.001)
