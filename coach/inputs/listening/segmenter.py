"""Cutting a stream of microphone samples into utterances, as they end.

Silero VAD (shipped with faster-whisper) gives each 32 ms block a probability of
speech, carrying its state from block to block. An utterance starts when speech is
likely, keeps a moment of what came before it (the start of a word is quiet), and ends
after `end_silence` of quiet: that pause is all the listener waits before it decides.
An utterance longer than `longest` is talk, not a command (the longest saying, "I'm
done for today", takes about 1.5 s), and is dropped whole without asking the model:
that is most of what the coach itself says, and most of a conversation in the room.
Near-silent blocks skip the model, so listening to a quiet room costs almost nothing.

Given a noise suppressor (coach/inputs/listening/denoise.py), the segmenter feeds it every block, quiet
ones too, and each utterance carries the suppressed sound of the same stretch beside
the sound as heard.
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
Suppressor = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Utterance:
    audio: np.ndarray  # float32, 16 kHz mono
    start: float  # the clock time of its first sample
    end: float  # and of its last: the speech ended here, `end_silence` before it was noticed
    suppressed: np.ndarray | None = None  # the same stretch with the room's steady noise taken out


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
        suppress: Suppressor | None = None,
    ) -> None:
        self.speech_probability = speech_probability
        self.suppress = suppress
        self.start_threshold = start_threshold
        self.end_threshold = end_threshold
        self.end_blocks = round(end_silence * SAMPLE_RATE / BLOCK)
        self.longest_blocks = round(longest * SAMPLE_RATE / BLOCK)
        # Each block as heard, and suppressed (the same block when there is no suppressor).
        self._before: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=max(1, round(lead_in * SAMPLE_RATE / BLOCK)))
        self._speech: list[tuple[np.ndarray, np.ndarray]] = []
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
        pair = (block, self.suppress(block) if self.suppress is not None else block)
        loud = float(np.sqrt(np.mean(block**2))) >= QUIET
        probability = self.speech_probability(block) if loud else 0.0
        if not self._speech:
            if probability >= self.start_threshold:
                self._speech = [*self._before, pair]
                self._started_at = at - len(self._before) * BLOCK / SAMPLE_RATE
                self._quiet_blocks = 0
                self._too_long = False
            else:
                self._before.append(pair)
            return None
        if not self._too_long:
            self._speech.append(pair)
            self._too_long = len(self._speech) > self.longest_blocks
        self._quiet_blocks = self._quiet_blocks + 1 if probability < self.end_threshold else 0
        if self._quiet_blocks < self.end_blocks:
            return None
        speech, too_long = self._speech, self._too_long
        self._speech, self._too_long = [], False
        self._before.clear()
        if too_long:
            return None
        kept = speech[: len(speech) - self.end_blocks + 1]
        audio = np.concatenate([heard for heard, _ in kept])
        suppressed = np.concatenate([quieter for _, quieter in kept]) if self.suppress is not None else None
        return Utterance(audio, self._started_at, self._started_at + len(audio) / SAMPLE_RATE, suppressed)


def utterances_in(recording: np.ndarray, suppress: Suppressor | None = None) -> list[Utterance]:
    """A whole recording (16 kHz float32) cut as the listener cuts its microphone's stream."""
    return Segmenter(silero_vad(), suppress=suppress).feed(recording, 0.0)
