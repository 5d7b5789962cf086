"""The speaker: clips out through simpleaudio to the default ALSA device.

libasound prints its own complaints straight to stderr (no card, unknown PCM...);
they are silenced here so a missing device ends in coach's one clear line instead.

Each clip plays on a thread of simpleaudio's own, which, once the clip has ended or been
stopped, waits for the device to play what it holds (a sound server keeps a buffer), then
takes the interpreter's lock to let go of the clip. A process that exits before that has
no interpreter to take: it crashed with SIGSEGV (one session in a few hundred through the
test suite's PulseAudio; simpleaudio issue 74). So the session closes its sink, which waits
for those threads before the process goes on to end.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from pathlib import Path
from typing import Any

from coach.common.audio import CHANNELS, RATE, SAMPLE_BYTES, Clip
from coach.common.errors import AudioUnavailable

CAPTURE_CONF = Path(__file__).resolve().parent / "alsa-capture.conf"
NO_DEVICE_HINT = (
    "no sound device: simpleaudio could not open the default ALSA device ({detail}). "
    "Check the sound card and volume (aplay -l), use `coach --dry-run` to read the session instead, "
    f"or on a machine without sound route ALSA to a file: ALSA_CONFIG_PATH={CAPTURE_CONF}"
)

OPENING_SILENCE = bytes(SAMPLE_BYTES * (RATE // 20))  # 50 ms, played to its end before the clock starts
# Longest close() waits for clips to let go: a sound server's buffer (PulseAudio's default is 2 s)
# drained after the last clip or a stop. Past it the process ends all the same.
CLOSE_SECONDS = 3.0

_silencer: Any = None


def silence_alsa_messages() -> None:
    """Stop libasound from printing to stderr; errors still reach us as exceptions."""
    global _silencer
    if _silencer is not None:
        return
    name = ctypes.util.find_library("asound")
    if name is None:
        return
    handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)
    _silencer = handler_type(lambda *_: None)  # kept alive: libasound holds the pointer
    ctypes.CDLL(name).snd_lib_error_set_handler(_silencer)


class SimpleaudioSink:
    """Starts each clip on its own simpleaudio stream and returns at once."""

    def __init__(self) -> None:
        try:
            import simpleaudio
        except ImportError as error:
            raise AudioUnavailable(
                f"simpleaudio is not installed ({error}); install coach with its dependencies, or use `coach --dry-run`"
            ) from None
        silence_alsa_messages()
        self._simpleaudio = simpleaudio
        self._playing: list[Any] = []  # simpleaudio's PlayObjects, each clip's since the last close

    def open(self) -> None:
        """Open the output before the clock starts: the first stream to a sound server
        (PulseAudio, PipeWire) takes long to start, and the first cue must be as punctual
        as the rest. A moment of silence, played to its end, does it."""
        try:
            self._simpleaudio.play_buffer(OPENING_SILENCE, CHANNELS, SAMPLE_BYTES, RATE).wait_done()
        except Exception as error:
            raise AudioUnavailable(NO_DEVICE_HINT.format(detail=_short(error))) from None

    def play(self, clip: Clip) -> None:
        try:
            started = self._simpleaudio.play_buffer(clip.frames, CHANNELS, SAMPLE_BYTES, RATE)
        except Exception as error:  # simpleaudio raises its own SimpleaudioError
            raise AudioUnavailable(NO_DEVICE_HINT.format(detail=_short(error))) from None
        self._playing.append(started)  # a small handle (its id); looked at only when closing

    def stop(self) -> None:
        self._simpleaudio.stop_all()

    def close(self, seconds: float = CLOSE_SECONDS) -> None:
        """Return once every clip's thread has let go of it (at most `seconds`): the process may then end."""
        deadline = time.monotonic() + seconds
        while any(playing.is_playing() for playing in self._playing) and time.monotonic() < deadline:
            time.sleep(0.01)
        self._playing = []


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text.split(" -- MSG: ")[-1] if " -- MSG: " in text else text
