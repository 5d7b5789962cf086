"""Cutting a stream of microphone samples into utterances, as they end.

Silero VAD (shipped with faster-whisper) gives each 32 ms block a probability of
speech, carrying its state from block to block. An utterance starts when speech is
likely, keeps a moment of what came before it (the start of a word is quiet), and ends
after `end_silence` of quiet: that pause is all the listener waits before it decides.
An utterance longer than `longest` is talk, not a command (the longest saying, "I'm
done for today", takes about 1.5 s), and is dropped whole without asking the model:
that is most of what the coach itself says, and most of a conversation in the room.
Near-silent blocks skip the model, so listening to a quiet room costs almost nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000
BLOCK = 512  # samples: what Silero VAD takes at 16 kHz
CONTEXT = 64  # samples of the block before, which the model also takes
QUIET = 10 ** (-60 / 20)  # RMS below -60 dBFS: no one is speaking, the model is not asked

SpeechProbability = Callable[[np.ndarray], float]


@dataclass(frozen=True)
class Utterance:
    audio: np.ndarray  # float32, 16 kHz mono
    start: float  # the clock time of its first sample
    end: float  # and of its last: the speech ended here, `end_silence` before it was noticed


def silero_vad() -> SpeechProbability:
    """Silero VAD as a streaming probability, one block at a time."""
    from faster_whisper.vad import get_vad_model

    session = get_vad_model().session
    state = {"h": np.zeros((1, 1, 128), np.float32), "c": np.zeros((1, 1, 128), np.float32)}
    context = np.zeros(CONTEXT, np.float32)

    def probability(block: np.ndarray) -> float:
        nonlocal context
        window = np.concatenate([context, block])[None].astype(np.float32)
        context = block[-CONTEXT:]
        output, state["h"], state["c"] = session.run(None, {"input": window, **state})
        return float(np.asarray(output).reshape(-1)[0])

    return probability


class Segmenter:
    """Feed it blocks with their clock time; it returns each utterance once it has ended."""

    def __init__(
        self,
        speech_probability: SpeechProbability,
        start_threshold: float = 0.5,
        end_threshold: float = 0.35,
        end_silence: float = 0.3,
        lead_in: float = 0.2,
        longest: float = 2.5,
    ) -> None:
        self.speech_probability = speech_probability
        self.start_threshold = start_threshold
        self.end_threshold = end_threshold
        self.end_blocks = round(end_silence * SAMPLE_RATE / BLOCK)
        self.longest_blocks = round(longest * SAMPLE_RATE / BLOCK)
        self._before: deque[np.ndarray] = deque(maxlen=max(1, round(lead_in * SAMPLE_RATE / BLOCK)))
        self._speech: list[np.ndarray] = []
        self._quiet_blocks = 0
        self._too_long = False
        self._started_at = 0.0
        self._pending = np.zeros(0, np.float32)
        self._pending_at = 0.0

    def feed(self, samples: np.ndarray, at: float) -> list[Utterance]:
        """`samples` (float32, 16 kHz) began at clock time `at`."""
        if not len(self._pending):
            self._pending_at = at
        self._pending = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        ended = []
        while len(self._pending) >= BLOCK:
            block, self._pending = self._pending[:BLOCK], self._pending[BLOCK:]
            block_at = self._pending_at
            self._pending_at += BLOCK / SAMPLE_RATE
            utterance = self._block(block, block_at)
            if utterance is not None:
                ended.append(utterance)
        return ended

    def _block(self, block: np.ndarray, at: float) -> Utterance | None:
        loud = float(np.sqrt(np.mean(block**2))) >= QUIET
        probability = self.speech_probability(block) if loud else 0.0
        if not self._speech:
            if probability >= self.start_threshold:
                self._speech = [*self._before, block]
                self._started_at = at - len(self._before) * BLOCK / SAMPLE_RATE
                self._quiet_blocks = 0
                self._too_long = False
            else:
                self._before.append(block)
            return None
        if not self._too_long:
            self._speech.append(block)
            self._too_long = len(self._speech) > self.longest_blocks
        self._quiet_blocks = self._quiet_blocks + 1 if probability < self.end_threshold else 0
        if self._quiet_blocks < self.end_blocks:
            return None
        speech, too_long = self._speech, self._too_long
        self._speech, self._too_long = [], False
        self._before.clear()
        if too_long:
            return None
        audio = np.concatenate(speech[: len(speech) - self.end_blocks + 1])
        return Utterance(audio, self._started_at, self._started_at + len(audio) / SAMPLE_RATE)
