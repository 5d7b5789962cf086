"""Spoken commands from the microphone, onto the one command stream (`coach --listen`).

sounddevice (PortAudio) delivers the default microphone's samples to a callback, which
only queues them. A worker thread cuts them into utterances (coach/inputs/listening/segmenter.py), asks
the recogniser which known saying each was (coach/inputs/listening/recogniser.py), and hands what it
accepts to `deliver`, which puts it on the command stream: the listener knows nothing
of the player, and the keys and the remote keep working beside it.

It must never obey the coach itself. With laptop speakers and no earbuds the coach's
own voice reaches the microphone, and it says "Next:", "Stop there.", "Switch sides.".
A saying is matched whole, so most of that is no command at all; and whatever is heard
while the coach is sounding (or just after, as a room echoes) is dropped when every word
of it is among the words the coach was saying then (coach/inputs/listening/sounding.py). While the coach
sounds, only a saying heard plainly, word for word, counts, never one the closed set had
to find: a chime has no words, and a recogniser given one makes some up ("you", "Bye!"),
and speech over the coach's is too mixed to rescue.

A microphone that is missing or goes quiet for good ends the listening, said once; the
session goes on. Audio is processed in memory and never written or sent anywhere.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from coach.common.threads import worker
from coach.inputs.listening.denoise import NoiseSuppressor
from coach.inputs.listening.recogniser import ListenUnavailable, Recogniser
from coach.inputs.listening.segmenter import BLOCK, SAMPLE_RATE, Segmenter, Utterance, silero_vad
from coach.inputs.listening.sounding import is_echo
from coach.inputs.listening.vocabulary import Saying, Vocabulary

SILENT_MICROPHONE = 3.0  # seconds without a single block: the microphone has gone


def check_microphone_library() -> Any:
    """sounddevice, with PortAudio under it: an install problem, told before the session starts."""
    try:
        import sounddevice
    except ImportError as error:
        raise ListenUnavailable(
            f"--listen needs sounddevice ({error}); install the listen extra: pip install 'coach[listen]'"
        ) from None
    except OSError as error:  # sounddevice is there, the PortAudio library is not
        raise ListenUnavailable(
            f"--listen needs the PortAudio library ({error}); install it: sudo apt-get install libportaudio2"
        ) from None
    return sounddevice


class Listener:
    """Hears the microphone on threads of its own while a session runs."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        deliver: Callable[[Saying], bool],
        coach_sounds: Callable[[float, float], tuple[str, bool]],
        on_trouble: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        on_rejected: Callable[[str], None] | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.deliver = deliver  # True when the saying was taken (the session was listening for it)
        self.coach_sounds = coach_sounds
        self.on_trouble = on_trouble  # said once: why listening stopped
        self.on_rejected = on_rejected  # what was heard and not acted on (--verbose)
        self.clock = clock
        self._sounddevice = check_microphone_library()
        self._recogniser: Recogniser | None = None
        self._segmenter: Segmenter | None = None
        self._blocks: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue()
        self._stream: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._trouble_told = False

    def load(self) -> None:
        """The model and the voice detector, checked and loaded before the session's first sound.

        On a worker: the inference libraries' own threads inherit its blocked stop signals."""
        failure: list[BaseException] = []

        def load() -> None:
            try:
                self._recogniser = Recogniser()
                self._segmenter = Segmenter(silero_vad(), suppress=NoiseSuppressor())
            except BaseException as error:  # handed to the caller's thread
                failure.append(error)

        loading = worker(load, "coach-listen-load")
        loading.start()
        while loading.is_alive():
            loading.join(0.1)  # in slices, so Ctrl-C still ends the wait
        if failure:
            raise failure[0]

    def start(self) -> bool:
        """Open the microphone and listen; False (told once) when there is none to open."""
        try:
            self._stream = self._open_stream()
        except Exception as error:
            self._trouble(f"no microphone to listen to ({_short(error)})")
            return False
        self._thread = worker(self._listen, "coach-listen")
        self._thread.start()
        return True

    def listen_for(self, vocabulary: Vocabulary) -> None:
        """From now on, these sayings (the numbers, for the check-in; the commands again after)."""
        self.vocabulary = vocabulary

    def stop(self) -> None:
        self._stopping.set()
        self._blocks.put(None)
        if self._stream is not None:
            with contextlib.suppress(Exception):
                self._stream.abort()
                self._stream.close()
            self._stream = None
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)

    def _open_stream(self) -> Any:
        sounddevice = self._sounddevice
        device = sounddevice.query_devices(kind="input")  # raises when there is no default input
        rate = SAMPLE_RATE
        try:
            sounddevice.check_input_settings(samplerate=SAMPLE_RATE, channels=1, dtype="float32")
        except Exception:
            rate = int(device["default_samplerate"])
        resample = _resampler(rate)

        def callback(indata: np.ndarray, frames: int, _time: Any, _status: Any) -> None:
            samples = resample(indata[:, 0].copy())
            self._blocks.put((samples, self.clock() - frames / rate))

        stream = sounddevice.InputStream(
            samplerate=rate, channels=1, dtype="float32", blocksize=BLOCK * rate // SAMPLE_RATE, callback=callback
        )
        stream.start()
        return stream

    def _listen(self) -> None:
        try:
            self._hear_blocks()
        except Exception as error:  # a fault here must not pass unseen: the session goes on, told so
            self._trouble(f"listening failed ({_short(error)})")

    def _hear_blocks(self) -> None:
        assert self._segmenter is not None
        heard_last = self.clock()
        while not self._stopping.is_set():
            try:
                item = self._blocks.get(timeout=0.5)
            except queue.Empty:
                item = None
                if self.clock() - heard_last > SILENT_MICROPHONE and not self._stopping.is_set():
                    self._trouble("the microphone stopped sending sound")
                    return
            if item is None:
                continue
            samples, at = item
            heard_last = self.clock()
            for utterance in self._segmenter.feed(samples, at):
                self._decide(utterance)

    def _decide(self, utterance: Utterance) -> None:
        assert self._recogniser is not None
        said, chime = self.coach_sounds(utterance.start, utterance.end)
        over_the_coach = chime or bool(said)
        hearing = self._recogniser.hear(
            utterance.audio, self.vocabulary, plain_only=over_the_coach, suppressed=utterance.suppressed
        )
        if hearing.saying is None:
            why = "no command said plainly over the coach" if over_the_coach else "no command"
            self._rejected(f"heard {hearing.guess!r}: {why}")
            return
        if said and (is_echo(hearing.guess, said) or is_echo(hearing.saying.words, said)):
            self._rejected(f"heard {hearing.guess!r}: the coach's own voice")
            return
        if not self.deliver(hearing.saying):
            self._rejected(f"heard {hearing.saying.words!r}: nothing to do now")

    def _rejected(self, what: str) -> None:
        if self.on_rejected is not None:
            with contextlib.suppress(Exception):
                self.on_rejected(f"coach: {what}")

    def _trouble(self, what: str) -> None:
        if not self._trouble_told and not self._stopping.is_set():
            self._trouble_told = True
            with contextlib.suppress(Exception):
                self.on_trouble(f"coach: {what}; the session goes on without listening")
        if self._stream is not None:
            with contextlib.suppress(Exception):
                self._stream.abort()


def _resampler(rate: int) -> Callable[[np.ndarray], np.ndarray]:
    """To 16 kHz, for a microphone that will not record at it (soxr, keeping state between blocks)."""
    if rate == SAMPLE_RATE:
        return lambda samples: samples
    import soxr

    stream = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
    return lambda samples: np.asarray(stream.resample_chunk(samples), dtype=np.float32)


def _short(error: Exception) -> str:
    return " ".join(str(error).split()) or type(error).__name__
