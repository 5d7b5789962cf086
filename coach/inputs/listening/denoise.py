"""The room's steady noise taken out of the microphone's sound, for a second hearing.

A fan, a fridge or traffic 10 dB under the voice turns eSpeak's "stop the session" into
"It's time for the fans to show." for Whisper base. WebRTC's noise suppressor (as the
webrtc-noise-gain package of Home Assistant's voice satellites wraps it) learns the
steady noise of the stream and takes it out, 10 ms at a time, for 0.2% of a core. It
must hear the whole stream, quiet included, to know the room before anyone speaks.

Whisper hears unsuppressed clean speech better ("go on" came out "DONG" suppressed), so
the suppressed sound is a second view of an utterance, heard only when the first is
rejected; in a quiet room it counts only for a word that pauses the coach
(`Recogniser.hear_utterance`). Over scripts/bench_listen.py's commands that took
210 -> 218 of 224 right with no wrong action, and 200 -> 212 in the voices the rule was
not tuned on (wrong: 2 -> the same 2), with no action on ordinary sentences or the
coach's own phrases. Of WebRTC's levels (0 off to 4), 3 did best in a trial over the
same sounds: 2 rescued fewer, 4 took one "wait" for "next".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coach.inputs.listening.segmenter import SAMPLE_RATE

FRAME = SAMPLE_RATE // 100  # 10 ms: what the suppressor takes
LEVEL = 3  # WebRTC's suppression levels run 0 (off) to 4


class NoiseSuppressor:
    """A stream of 16 kHz float32 samples in, the same number out, one frame (10 ms) late."""

    def __init__(self, level: int = LEVEL) -> None:
        from webrtc_noise_gain import AudioProcessor  # the listen extra

        self._processor: Any = AudioProcessor(0, level)  # no automatic gain: Whisper scales its input itself
        self._pending = np.zeros(0, np.int16)  # less than a frame, kept for the next call
        self._ready = np.zeros(FRAME, np.float32)  # processed and not yet returned

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        pcm = np.concatenate([self._pending, (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)])
        whole = len(pcm) // FRAME * FRAME
        processed = b"".join(
            self._processor.Process10ms(pcm[start : start + FRAME].tobytes()).audio for start in range(0, whole, FRAME)
        )
        self._pending = pcm[whole:]
        ready = np.concatenate([self._ready, np.frombuffer(processed, np.int16).astype(np.float32) / 32768])
        self._ready = ready[len(samples) :]
        return ready[: len(samples)]


def having_heard(room: np.ndarray, seconds: float = 2.0) -> NoiseSuppressor:
    """A suppressor that has heard `room` (its sound with no one speaking), repeated to
    `seconds`: for a recording cut whole, as a session's has heard the room long before a
    command."""
    suppress = NoiseSuppressor()
    if len(room):
        suppress(np.tile(room, int(np.ceil(seconds * SAMPLE_RATE / len(room)))))
    return suppress
