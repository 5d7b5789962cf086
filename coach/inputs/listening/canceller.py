"""The coach's own voice taken out of the microphone: acoustic echo cancellation.

The coach knows every sample it plays and when it played it. `Reference` keeps those
clips on the monotonic clock (the same clock in every process on the machine), so for
any stretch of the microphone it can say what the coach was sounding then: the far end.
`EchoCanceller` hands each 10 ms of the microphone with that far end to WebRTC's AEC3
(the canceller in Chrome and every WebRTC call; pywebrtc-audio's binding), and what
comes out is the room without the coach: the person, and whatever else talks there.

Between play() and the microphone lie the sound server's buffers and the room: 20 to
300 ms, unknown, and not the same for two clips: each clip is a stream of its own, and
through PulseAudio one started 138 ms after play(), the next 187 ms (a trial here). AEC3
follows one delay, and re-learns the room after every jump: fed the clips as played, it
took 6 dB off. So each clip's own onset is found in the microphone (GCC-PHAT of its first
0.2 s against the microphone from its play() on), and the far end holds every clip where
it was heard, `LEAD` early: AEC3 always sees the same small delay. Until a clip's onset is
found (0.2 s after it is heard) it is placed by the median of the last clips' delays.

Until it has found the echo, the microphone passes through as it came. AEC3 takes
whatever the microphone hears while the coach talks for echo until its filter has learned
the room: with headphones, where no echo ever comes, it muted a person saying "pause"
over the coach by 50 dB in a trial here. So its output is used only while clips are
found in the microphone, and five clips in a row not found there (headphones plugged
in) put the raw microphone back.

The echo reduction it reports is the microphone's energy over the output's while the
coach sounds and the canceller's output is used: ERLE, in dB.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from coach.inputs.listening.segmenter import SAMPLE_RATE

FRAME = SAMPLE_RATE // 100  # AEC3 takes 10 ms at a time
KEPT_SECONDS = 8.0  # of the far end and the microphone: longer than any delay
LONGEST_DELAY = 1.0  # seconds from play() to the microphone searched for
ONSET = 0.4  # seconds of a clip's start (after its lead-in of silence) that find it in the microphone
SPREAD = 0.1  # how far a clip's delay strays from the last clips' median, at most
LEAD = 0.03  # the far end is given this much before the echo: a delay AEC3 keeps to
LEAD_IN_MAX = 0.3  # seconds of silence a voice engine puts before a phrase, at most
ACTIVE = 10 ** (-50 / 20)  # RMS of a far-end frame that counts as the coach sounding
MATCH = 0.3  # normalised correlation of a clip's start with the microphone that finds it there
CONVERGED = 20.0  # dB off the coach's words over a second of them: what is left is no longer the coach
CONVERGED_SECONDS = 2  # such seconds in a row
# The linear view (`EchoCanceller.linear`): an FIR echo path fitted by least squares to the
# seconds before an utterance, where the coach alone sounded, and subtracted over it.
LINEAR_TAPS = 192  # 12 ms of echo path around where the clip was heard
LINEAR_FIT = 2.0  # seconds before the utterance it is fitted to, of which at least
LINEAR_SOUNDING = 0.3  # seconds the coach sounded (a person speaking soon after a clip starts)
LINEAR_LEAD = 0.004  # the far end given this much early, so that the path's start is inside the taps
MISSES = 5  # clips in a row not found in the microphone: there is no echo (headphones)


class CancellerUnavailable(RuntimeError):
    """No canceller installed: listening goes on without it, as before."""


def check_canceller() -> None:
    try:
        import pywebrtc_audio  # noqa: F401
    except ImportError as error:
        raise CancellerUnavailable(
            f"no echo canceller ({error}): commands said over the coach's voice will not be heard; "
            "install it: pip install 'coach[listen]'"
        ) from None


@dataclass
class Played:
    start: float  # clock time of play()
    samples: np.ndarray  # float32, 16 kHz
    speech: bool = True  # words, not a chime
    heard: float | None = None  # clock time its echo began in the microphone, once found


class Reference:
    """What the coach sounded, on the clock: the far end the microphone is held against."""

    def __init__(self) -> None:
        self._played: deque[Played] = deque()
        self._lock = threading.Lock()
        self.lag = 0.0  # where a clip not yet found is expected: the median delay of the last found

    def played(self, start: float, samples: np.ndarray, speech: bool = True) -> None:
        with self._lock:
            self._played.append(Played(start, samples, speech))
            while self._played and self._played[0].start + len(self._played[0].samples) / SAMPLE_RATE < (
                start - KEPT_SECONDS
            ):
                self._played.popleft()

    def stopped(self, at: float) -> None:
        """Everything sounding was cut off at `at` (a pause, a skip)."""
        with self._lock:
            for clip in self._played:
                clip.samples = clip.samples[: max(0, round((at - clip.start) * SAMPLE_RATE))]

    def clips(self) -> list[Played]:
        with self._lock:
            return list(self._played)

    def speaking(self, at: float) -> bool:
        """Words (not a chime) were heard at clock time `at`."""
        for clip in self.clips():
            heard = clip.heard if clip.heard is not None else clip.start + self.lag
            if clip.speech and heard <= at < heard + len(clip.samples) / SAMPLE_RATE:
                return True
        return False

    def window(self, start: float, count: int) -> np.ndarray:
        """The far end as heard from clock time `start`, `count` samples long, LEAD early."""
        out = np.zeros(count, np.float32)
        for clip in self.clips():
            heard = clip.heard if clip.heard is not None else clip.start + self.lag
            offset = round((heard - LEAD - start) * SAMPLE_RATE)
            first, last = max(0, offset), min(count, offset + len(clip.samples))
            if first < last:
                out[first:last] += clip.samples[first - offset : last - offset]
        return out


class EchoCanceller:
    """Microphone blocks (16 kHz float32, with the clock time of their first sample) in,
    the same blocks with the coach's voice taken out. One thread only, as AEC3 wants."""

    def __init__(self, reference: Reference) -> None:
        from pywebrtc_audio import EchoCanceller as Aec3

        self.reference = reference
        self._aec: Any = Aec3(SAMPLE_RATE, 1, 0)
        self.delay: float | None = None  # play() to microphone, median of the clips found; None: no echo found
        self._delays: deque[float] = deque(maxlen=5)
        self._misses = 0
        self._pending = np.zeros(0, np.float32)
        self._pending_at = 0.0
        self._ready = np.zeros(0, np.float32)
        self._heard: deque[np.ndarray] = deque(maxlen=int(KEPT_SECONDS * 100))  # the microphone, as it came
        self._heard_until = 0.0  # clock time just past its last sample
        self._looked_for: set[int] = set()  # ids of clips looked for in the microphone
        # How long the coach sounded while the microphone heard something: the time there was to
        # find the echo (with headphones the microphone hears nothing of it, and nothing is missed).
        self.sounding_seconds = 0.0
        self._echo_in = 0.0  # energy while the coach sounds, before and after
        self._echo_out = 0.0
        self._second: list[float] = [0.0, 0.0, 0.0]  # the same over the current second of the coach sounding
        self.converged = False  # set once CONVERGED_SECONDS of its words lost CONVERGED dB; cleared with the delay
        self._good_seconds = 0

    @property
    def echo_reduction(self) -> float | None:
        """dB taken off the microphone while the coach sounded (None: it has not yet)."""
        if self._echo_in <= 0:
            return None
        return float(10 * np.log10(self._echo_in / max(self._echo_out, 1e-12)))

    def __call__(self, samples: np.ndarray, at: float) -> np.ndarray:
        if not len(self._pending):
            self._pending_at = at
        self._pending = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        whole = len(self._pending) // FRAME * FRAME
        out = [self._ready]
        for start in range(0, whole, FRAME):
            out.append(self._frame(self._pending[start : start + FRAME], self._pending_at + start / SAMPLE_RATE))
        self._pending = self._pending[whole:]
        self._pending_at += whole / SAMPLE_RATE
        ready = np.concatenate(out)
        self._ready = ready[len(samples) :]
        # The first call may give less than it got: what is left is made up by silence at the start.
        result = ready[: len(samples)]
        return np.concatenate([np.zeros(len(samples) - len(result), np.float32), result])

    def _frame(self, near: np.ndarray, at: float) -> np.ndarray:
        self._heard.append(near)
        self._heard_until = at + FRAME / SAMPLE_RATE
        self._find_onsets()
        far = self.reference.window(at, FRAME)
        cancelled: np.ndarray = self._aec.process(near, far)
        sounding = float(np.sqrt(np.mean(far**2))) >= ACTIVE
        if sounding and float(np.sqrt(np.mean(near**2))) >= ACTIVE * 10:
            self.sounding_seconds += FRAME / SAMPLE_RATE
        if self.delay is None:
            return near
        if sounding:
            before, after = float(np.sum(near**2)), float(np.sum(cancelled**2))
            self._echo_in += before
            self._echo_out += after
            if self.reference.speaking(at):  # a chime is learned sooner than words: judged on words
                second = self._second
                second[0] += before
                second[1] += after
                second[2] += 1
                if second[2] >= 100:
                    reduction = 10 * np.log10(second[0] / max(second[1], 1e-12))
                    self._good_seconds = self._good_seconds + 1 if reduction >= CONVERGED else 0
                    self.converged = self.converged or self._good_seconds >= CONVERGED_SECONDS
                    self._second = [0.0, 0.0, 0.0]
        # Until it has learned the room, what AEC3 leaves of the coach is its words in pieces
        # ("-gin" of "Let us begin." heard as "Again."): the microphone as it came is the coach's
        # whole sentences, which the echo guard knows.
        return cancelled if self.converged else near

    def _find_onsets(self) -> None:
        """Each clip, once the microphone holds all it needs, found where it was heard."""
        # Looked for as soon as its start has surely been heard: once the delay is known, within SPREAD of it.
        latest = min(LONGEST_DELAY, self.delay + SPREAD) if self.delay is not None else LONGEST_DELAY
        for clip in self.reference.clips():
            if id(clip) in self._looked_for or self._heard_until < clip.start + latest + ONSET + LEAD_IN_MAX:
                continue
            self._looked_for.add(id(clip))
            sounding = np.flatnonzero(np.abs(clip.samples) >= ACTIVE * 30)
            lead_in = int(sounding[0]) if len(sounding) else 0
            head = clip.samples[lead_in : lead_in + round(ONSET * SAMPLE_RATE)]
            if len(head) < SAMPLE_RATE // 10 or float(np.sqrt(np.mean(head**2))) < ACTIVE * 3:
                continue  # too short or too quiet to be found by
            heard = self._microphone(clip.start + lead_in / SAMPLE_RATE, latest + ONSET)
            lag = onset_in(head, heard, round(latest * SAMPLE_RATE))
            if lag is None:
                self._misses += 1
                if self._misses >= MISSES:
                    self.delay = None
                    self.converged = False
                    self._delays.clear()
                continue
            self._misses = 0
            clip.heard = clip.start + lag / SAMPLE_RATE
            self._delays.append(lag / SAMPLE_RATE)
            self.delay = float(np.median(self._delays))
            self.reference.lag = self.delay
        if len(self._looked_for) > 256:
            alive = {id(clip) for clip in self.reference.clips()}
            self._looked_for &= alive

    def linear(self, start: float, end: float) -> np.ndarray | None:
        """The microphone from `start` to `end` with the coach's echo subtracted by a linear
        path fitted to the two seconds before it: a second view of an utterance said over the
        coach. AEC3 suppresses what it takes for echo, and with the coach as loud as the
        person it took most of a "pause" or an "ouch" with it ("I'll." for "Ouch, that
        hurts."); subtracting, not suppressing, leaves more of the person (23 dB off the coach's
        voice over the same stretch, and the words came out "out the network.")."""
        fit = round(LINEAR_FIT * SAMPLE_RATE)
        span = round((end - start) * SAMPLE_RATE)
        near = self._microphone(start - LINEAR_FIT, LINEAR_FIT + end - start)
        if len(near) < fit + span // 2:
            return None
        far = self.reference.window(start - LINEAR_FIT - LEAD + LINEAR_LEAD, len(near))
        if np.count_nonzero(np.abs(far[:fit]) >= ACTIVE) < LINEAR_SOUNDING * SAMPLE_RATE:
            return None  # the coach was quiet before it: nothing to fit the path to
        taps = np.lib.stride_tricks.sliding_window_view(
            np.concatenate([np.zeros(LINEAR_TAPS - 1, np.float32), far]), LINEAR_TAPS
        )[:, ::-1]
        path, *_ = np.linalg.lstsq(taps[:fit], near[:fit], rcond=None)
        return np.asarray(near[fit:] - taps[fit:] @ path, dtype=np.float32)

    def _microphone(self, start: float, seconds: float) -> np.ndarray:
        heard = np.concatenate(self._heard)
        first = len(heard) - round((self._heard_until - start) * SAMPLE_RATE)
        return heard[max(0, first) : max(0, first) + round(seconds * SAMPLE_RATE)]


def onset_in(head: np.ndarray, heard: np.ndarray, longest: int) -> int | None:
    """Where `head` (a clip's start) begins in `heard`, 0..longest samples in: the peak of
    their normalised cross-correlation, or None when it is weak (no echo, or one too
    smeared to find). Normalised, not PHAT-weighted: over 0.4 s of speech PHAT's peak
    strayed by hundreds of milliseconds in a trial here, where this one kept within a few."""
    if len(heard) < len(head) + longest:
        return None
    size = 1 << int(np.ceil(np.log2(len(heard) + len(head))))
    products = np.fft.irfft(np.fft.rfft(heard, size) * np.conj(np.fft.rfft(head, size)), size)[: longest + 1]
    energy = np.concatenate([[0.0], np.cumsum(heard.astype(np.float64) ** 2)])
    window = energy[len(head) : len(head) + longest + 1] - energy[: longest + 1]
    floor = len(head) * ACTIVE**2  # a stretch of the microphone this quiet holds no echo to find
    scores = np.where(window > floor, products / np.sqrt(np.maximum(window, floor) * float(np.sum(head**2))), 0.0)
    peak = int(np.argmax(scores))
    return peak if scores[peak] >= MATCH else None
