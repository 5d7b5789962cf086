"""The coach's own voice taken out of the microphone: acoustic echo cancellation.

The coach knows every sample it plays and when it played it. `Reference` keeps those
clips on the monotonic clock (the same clock in every process on the machine), so for
any stretch of the microphone it can say what the coach was sounding then: the far end.
`EchoCanceller` takes the coach out of the microphone in one of two ways, and what
comes out is the room without the coach: the person, and whatever else talks there.

- Subtracted (`LinearPath`), wherever the echo is the clip itself, delayed, filtered and
  scaled: each clip's path is fitted by least squares and its echo subtracted, and what is
  not the coach passes untouched. Over the coach's own voice recorded through
  scripts/bench_echo.py's rig, offline, it took 49.6 dB off (80 ms loopback) and 34.3 dB
  (250 ms).
- Suppressed, by WebRTC's AEC3 (the canceller in Chrome and every WebRTC call;
  pywebrtc-audio's binding), where the path is longer or not linear (a room): the clips'
  own reductions say which. AEC3 took 10-18 dB off the same recordings, and its
  suppressor, built for calls, takes what it counts as echo out of the person's words
  too: with the echo as loud as the person, a "pause" said over the coach was heard in
  15 of 31 cases offline, and in 27-29 of 31 subtracted.

Between play() and the microphone lie the sound server's buffers and the room: 20 to
300 ms, unknown, and not the same for two clips: each clip is a stream of its own, and
through PulseAudio one started 138 ms after play(), the next 187 ms (a trial here). AEC3
follows one delay, and re-learns the room after every jump: fed the clips as played, it
took 6 dB off. So each clip's own onset is found in the microphone (GCC-PHAT of its first
0.2 s against the microphone from its play() on), and the far end holds every clip where
it was heard, `LEAD` early: AEC3 always sees the same small delay. Until a clip's onset is
found (0.2 s after it is heard) it is placed by the median of the last clips' delays. The
output lags the microphone by LOOKAHEAD (64 ms).

Until it has found the echo, the microphone passes through as it came. AEC3 takes whatever
the microphone hears while the coach talks for echo until its filter has learned the room:
with headphones, where no echo ever comes, it muted a person saying "pause" over the coach
by 50 dB in a trial here. So its output is used only while clips are found in the
microphone, and five clips in a row not found there (headphones plugged in) put the raw
microphone back. Three not found before any was (five, once one was), and the microphone no
louder within a second of the coach's sound than away from it, tell that its voice is not
reaching it (`unheard`), and what is said over it is the person alone: with headphones, only
a saying heard word for word had counted over the coach, and 14 of 22 commands said over it
were heard (`scripts/bench_echo.py --headphones`).

The echo reduction it reports is the microphone's energy over the output's while the
coach sounds and the canceller's output is used: ERLE, in dB. A room that talks over the
coach (a television) is in both, and keeps that figure low however well the coach is taken
out; so each clip is also measured by what is left of it that its own sound explains
(`ClipPath.left_of_it`), and that is what says whether the linear stage holds there. Over
the clips that ended while it held, that is the session's second figure
(`own_sound_reduction`): in the rig test's short session, where a person's commands count
as echo left too, 11.7 dB off the microphone and 38.7 dB off the coach's own sound.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from coach.inputs.listening.block_statistics import mean_square, median
from coach.inputs.listening.segmenter import SAMPLE_RATE

FRAME = SAMPLE_RATE // 100  # AEC3 takes 10 ms at a time
KEPT_SECONDS = 8.0  # of the far end and the microphone, behind the microphone: longer than any delay
KEPT_PLAYED = 120.0  # seconds of clips kept behind the newest, however far behind the microphone is
LONGEST_DELAY = 1.0  # seconds from play() to the microphone searched for
ONSET = 0.4  # seconds of a clip's start (after its lead-in of silence) that find it in the microphone
SPREAD = 0.1  # how far a clip's delay strays from the last clips' median, at most
LEAD = 0.03  # the far end is given this much before the echo: a delay AEC3 keeps to
LEAD_IN_MAX = 0.3  # seconds of silence a voice engine puts before a phrase, at most
ACTIVE = 10 ** (-50 / 20)  # RMS of a far-end frame that counts as the coach sounding
MATCH = 0.3  # normalised correlation of a clip's start with the microphone that finds it there
STOP_TAIL = 0.6  # seconds after a stop is heard that the stopped clip may still sound, uncancelled
ECHO_SEARCH = 0.3  # seconds either side of where the coach's sound is taken to be heard, searched for it
ECHOED = 0.3  # normalised correlation of an utterance with what the coach played: the coach's own sound
CONVERGED = 20.0  # dB off the coach's words over a second of them: what is left is no longer the coach
CONVERGED_SECONDS = 2  # such seconds in a row
# The linear stage (`LinearPath`): each clip's echo path fitted by least squares to what the
# microphone heard of it, and subtracted.
TAPS = 192  # 12 ms of echo path: the sound server's resampling filters, a short room
TAPS_BEFORE = 96  # of them before where the clip was heard: an onset found a few ms off stays inside
LOOKAHEAD = 1024  # samples (64 ms) the output lags: each stretch cancelled by a path fitted to it too
MEMORY = 1.0  # seconds a clip's fit remembers: a loopback's rate drifts within a clip
PRIOR = 1e-4  # weight of the last clip's path in a new clip's fit, in seconds of the new clip's sound
COHERENT = 0.7  # share of what the path leaves that the clip must explain to be learned from (chance: TAPS / 512)
RIDGE = 1e-6  # of the clip's mean energy, keeping that explanation to what the clip's sound holds
FOUND_CHECKED = 8  # a clip's first stretches, or its last before its onset is found: they judge its placing
# Samples between where a clip was placed and its onset, found later, within which it was placed
# right: well inside the taps its path has either side, which fit the echo wherever in them it
# is. With 8 (half a millisecond), clips whose onsets were found 9-36 samples off, a person
# speaking over their start, were taken as the coach's voice left whole, and the person's words
# over them counted only word for word. A loaded sound server once moved a clip 224.
PLACED_WITHIN = TAPS_BEFORE // 2
HOLDS = 25.0  # dB the linear stage takes off a clip (median of the last clips): its output is used
HOLDS_CLIPS = 5  # the last clips that median is taken over
HOLDS_SOUNDING = 0.5  # seconds a clip must sound alone to be judged
# Judged once it has sounded alone this long, not only at its end: the built-in routine opens with
# sentences of 5-10 s, and until clips were judged AEC3 suppressed a person with the coach. With
# this and HOLDS_JUDGED at 2 (was 3), offline over recorded rig sessions, 111-113 of 122 commands
# over the coach were heard where 106-107 were, with none from the coach alone.
JUDGED_AFTER = 2.0
HOLDS_JUDGED = 2  # clips judged before the linear stage's output is used
GAP = 0.1  # seconds between blocks' times past which samples were lost
MISSES = 5  # clips in a row not found in the microphone: there is no echo (headphones)
# With no clip found, the coach's voice does not reach the microphone only if the microphone is no
# louder where its echo may sound (within LONGEST_DELAY of its sound) than where it cannot (the
# median of the last LEVELS_KEPT frames of each): an echo that is there but not found (its onsets
# lost under a television) keeps it louder.
UNHEARD_WITHIN = 3.0  # dB
# Clips in a row not found, before the first is: the level check is the safety (an echo as loud as
# the room's own sound keeps the microphone 3 dB louder near the coach's sound), and at 5 a person in
# headphones waited out the routine's first 22 s, its "If a movement hurts, stop" among them.
UNHEARD_MISSES = 3
LEVELS_KEPT = 1000  # frames (10 s)
LEVELS_JUDGED_EVERY = 25  # frames


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


class EchoFigures(NamedTuple):
    """What the echo canceller did over a session, said by --verbose at its end."""

    reduction: float | None = None  # dB off the microphone while the coach sounded
    delay: float | None = None  # s from play() to the microphone
    own_sound: float | None = None  # dB off the coach's voice alone, where subtracting held
    # The clip that left the most of it: its words, the dB it lost, its share of all that was left
    most_left_by: tuple[str | None, float, float] | None = None


@dataclass
class Played:
    start: float  # clock time of play()
    samples: np.ndarray  # float32, 16 kHz
    speech: bool = True  # words, not a chime
    heard: float | None = None  # clock time its echo began in the microphone, once found
    words: str | None = None  # what it says (--verbose names the sentence whose echo was left the most)


class Reference:
    """What the coach sounded, on the clock: the far end the microphone is held against."""

    def __init__(self) -> None:
        self._played: deque[Played] = deque()
        self._lock = threading.Lock()
        self.lag = 0.0  # where a clip not yet found is expected: the median delay of the last found
        self.stops: deque[float] = deque(maxlen=16)  # clock times the coach was cut off

    def played(self, start: float, samples: np.ndarray, speech: bool = True, words: str | None = None) -> None:
        with self._lock:
            self._played.append(Played(start, samples, speech, words=words))
        self.forget(start - KEPT_PLAYED)

    def forget(self, before: float) -> None:
        """Clips that ended before clock time `before` are no longer asked for.

        Called with the microphone's time, not the newest clip's: on a busy machine the
        listening fell 11-21 s behind the coach, and clips let go of 8 s after the newest
        were gone before their echo was heard; nothing was cancelled, every sentence of the
        coach went to the recogniser, and it fell further behind."""
        with self._lock:
            while self._played and self._played[0].start + len(self._played[0].samples) / SAMPLE_RATE < before:
                self._played.popleft()

    def stopped(self, at: float) -> None:
        """Everything sounding was cut off at `at` (a pause, a skip)."""
        with self._lock:
            self.stops.append(at)
            for clip in self._played:
                clip.samples = clip.samples[: max(0, round((at - clip.start) * SAMPLE_RATE))]

    def clips(self) -> list[Played]:
        with self._lock:
            return list(self._played)

    def heard_at(self, clip: Played) -> float:
        """Clock time `clip` began in the microphone: where its onset was found, or else
        where the last clips' delay puts it."""
        return clip.heard if clip.heard is not None else clip.start + self.lag

    def speaking(self, at: float) -> bool:
        """Words (not a chime) were heard at clock time `at`."""
        for clip in self.clips():
            heard = self.heard_at(clip)
            if clip.speech and heard <= at < heard + len(clip.samples) / SAMPLE_RATE:
                return True
        return False

    def window(self, start: float, count: int) -> np.ndarray:
        """The far end as heard from clock time `start`, `count` samples long, LEAD early."""
        out = np.zeros(count, np.float32)
        for clip in self.clips():
            heard = self.heard_at(clip)
            offset = round((heard - LEAD - start) * SAMPLE_RATE)
            first, last = max(0, offset), min(count, offset + len(clip.samples))
            if first < last:
                out[first:last] += clip.samples[first - offset : last - offset]
        return out


class ClipPath:
    """One clip's echo path: a least-squares fit, forgetting slowly, of the microphone to the clip."""

    def __init__(self, clip: Played, placed: float, prior: np.ndarray) -> None:
        self.clip = clip
        self.placed = placed  # clock time its sample 0 is taken to be heard: fixed, so its fit stays valid
        weight = PRIOR * SAMPLE_RATE * (float(np.mean(clip.samples.astype(np.float64) ** 2)) + 1e-12)
        self.weight = weight
        self.covariance: np.ndarray = weight * np.eye(TAPS)
        self.correlation: np.ndarray = weight * prior
        self.path: np.ndarray = prior.copy()  # in window order: path[TAPS - 1 - m] weighs the clip m samples late
        # dB off each stretch of the microphone where it sounded alone: their median is the
        # clip's reduction, which a person speaking over a part of it does not change
        self.reductions: list[float] = []
        self.alone = 0  # samples it sounded alone
        # What it leaves, measured apart from the room: the far end's Gram matrix over the clip (from
        # the fit's side), and over the output, how what is left lines up with the far end
        self.gram_sum: np.ndarray | None = np.zeros((TAPS, TAPS))
        self.left_against = np.zeros(TAPS)
        self.left_energy = 0.0
        self.echo_energy = 0.0
        self.left_count = 0
        self.apart: float | None = None  # left_of_it, kept once the clip has ended
        self._left_at: tuple[int, float | None] | None = None  # left_of_it, and left_count when it was found
        self.found = clip.heard is not None  # placed where its onset was found in the microphone
        self.right: bool | None = True if self.found else None  # placed where it was heard; None: not yet known
        self.judged = False

    @property
    def confirmed(self) -> bool | None:
        """Placed where it was heard (so what is left of it is not the coach's voice): by its
        own onset, or by the last clips' delay where its first stretches lost HOLDS dB, or
        where its onset, found later, says it was. False: it was not, and what the canceller
        left of it was the coach's voice, whole (a sound server's delay moved by 14 ms between
        two clips under load). None: not yet known."""
        first = self.reductions[:FOUND_CHECKED]
        if self.right is None and len(first) == FOUND_CHECKED and median(sorted(first)) >= HOLDS:
            return True
        return self.right

    def left_of_it_lately(self, within: int) -> float | None:
        """left_of_it, found again only once `within` more samples of what is left were measured:
        asked for every block of the microphone, its 192 x 192 solve is the cost."""
        if self.gram_sum is None or self._left_at is None or self.left_count - self._left_at[0] >= within:
            self._left_at = (self.left_count, self.left_of_it())
        return self._left_at[1]

    def left_of_it(self) -> float | None:
        """dB the clip lost, counting only what is left of it that its own sound explains: a room
        talking over it (a television) leaves what the clip cannot explain, and does not count.
        What a TAPS-tap path explains of sound unrelated to the clip, by chance, is TAPS times its
        power per sample, give or take sqrt(2 TAPS) times: taken off, and never less than three
        of those left (the most this measure can tell)."""
        if self.gram_sum is None:
            return self.apart
        if self.left_count < SAMPLE_RATE // 4 or self.echo_energy <= 0:
            return None
        ridge = RIDGE * float(np.trace(self.gram_sum)) / TAPS + 1e-12
        explained = float(self.left_against @ np.linalg.solve(self.gram_sum + ridge * np.eye(TAPS), self.left_against))
        power = self.left_energy / self.left_count
        left = max(explained - TAPS * power, 3 * np.sqrt(2 * TAPS) * power, 1e-15)
        return float(10 * np.log10(self.echo_energy / left))


# Where each entry of the design's Gram matrix is found in `_gram`'s table (lag by first row).
_GRAM_LAG = np.abs(np.subtract.outer(np.arange(TAPS), np.arange(TAPS)))
_GRAM_AT = (_GRAM_LAG * TAPS + np.minimum.outer(np.arange(TAPS), np.arange(TAPS))).ravel()


def _through(window: np.ndarray, path: np.ndarray) -> np.ndarray:
    """The clip's sound through `path`: the design times the path, as one correlation."""
    return np.correlate(window, path, "valid")


def _against(window: np.ndarray, heard: np.ndarray) -> np.ndarray:
    """The design's transpose times `heard`: how each tap's samples line up with it."""
    return np.correlate(window, heard, "valid")


def _gram(window: np.ndarray, count: int) -> np.ndarray:
    """The design's Gram matrix, from its sliding structure: entry (i, j) sums the window's
    products at lag |i - j| over `count` samples from min(i, j), so each lag's sums are one
    correlation and a running sum: 0.3 ms a block here, where the 512 x 192 product took 0.9."""
    padded = np.concatenate([window, np.zeros(TAPS)])
    rows = np.lib.stride_tricks.sliding_window_view(padded, TAPS)
    table = np.empty((TAPS, TAPS))  # table[lag, start]
    table[:, 0] = _against(window, window[:count])
    ahead, behind = rows[count : count + TAPS - 1], rows[: TAPS - 1]
    table[:, 1:] = window[None, count : count + TAPS - 1] * ahead.T - window[None, : TAPS - 1] * behind.T
    np.cumsum(table, axis=1, out=table)
    gram: np.ndarray = table.ravel()[_GRAM_AT].reshape(TAPS, TAPS)
    return gram


class LinearPath:
    """The coach's echo subtracted, never suppressed: what is not the coach passes unchanged.

    Through a sound server the echo is the clip itself, resampled, delayed and scaled:
    a short linear path, the same for every clip but for a fraction of a sample where
    each was heard, and drifting as a loopback adjusts its rate. So each clip gets a path
    of its own (TAPS taps around where it was heard), fitted by least squares to what the
    microphone heard of it, forgetting over MEMORY, starting from the last clip's path.
    A stretch is learned from only while the clip explains what the path leaves of it
    (COHERENT): a person speaking over the clip does not pull the path off. The output
    lags by LOOKAHEAD, so that a clip's first moments are cancelled by a path fitted to
    them, not by the last clip's (in a trial here: 17 dB off without the lag, 51 with).

    In a room (a laptop's speakers and microphone) the path is longer than TAPS and
    not quite linear: the clips' own reductions say so (`holds`), and AEC3 is used.
    """

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        self._paths: dict[int, ClipPath] = {}
        self._last: np.ndarray = np.zeros(TAPS)
        self._last[TAPS - 1 - TAPS_BEFORE] = 1.0
        self.reductions: deque[float] = deque(maxlen=HOLDS_CLIPS)  # dB off each of the last clips judged
        # Over the clips that ended while subtracting held: their echo's energy, and what was left
        # of it that their own sound explains (`ClipPath.left_of_it`): a room talking is not in it.
        self.echo_heard = 0.0
        self.echo_left = 0.0
        # The clip that left the most of it (its energy left, the dB it lost, its words): a session's
        # figure is an energy sum, and one clip left nearly whole brings it down on its own.
        self.most_left: tuple[float, float, str | None] | None = None

    @property
    def own_sound_reduction(self) -> float | None:
        """dB the linear stage took off the coach's echo over the session, counting only what is
        left of each clip that its own sound explains (None: no clip ended while it held)."""
        if self.echo_heard <= 0:
            return None
        return float(10 * np.log10(self.echo_heard / max(self.echo_left, 1e-15)))

    @property
    def holds(self) -> bool:
        """The last clips lost at least HOLDS dB of their echo: subtracting works in this room."""
        return len(self.reductions) >= HOLDS_JUDGED and median(sorted(self.reductions)) >= HOLDS

    def learn(self, near: np.ndarray, at: float) -> None:
        """Fit the path of the one clip sounding over this stretch of the microphone."""
        windows = self._windows(at, len(near))
        if len(windows) != 1:
            return  # nothing sounding, or two clips at once (a chime over words): neither is fitted
        path, window = windows[0]
        keep = float(np.exp(-len(near) / SAMPLE_RATE / MEMORY))
        forgotten = (1 - keep) * path.weight
        heard = near.astype(np.float64)
        gram = _gram(window, len(near))
        if path.gram_sum is not None:
            path.gram_sum += gram
        # What the path in use leaves of this stretch is learned from only while the clip's
        # own sound explains it: the path is off (a new clip, a loopback's drifting rate). A
        # person speaking over the clip leaves what the clip cannot explain, and learned from,
        # their words would pull the path off the coach's for seconds after ("pause" as loud as
        # the echo left 20 dB more of it, and the utterance ran on into the coach's words).
        left = heard - _through(window, path.path)
        projected = _against(window, left)
        ridge = RIDGE * float(np.trace(gram)) / TAPS + 1e-12
        explained = float(projected @ np.linalg.solve(gram + ridge * np.eye(TAPS), projected))
        if explained < COHERENT * float(left @ left):
            return
        path.covariance = keep * path.covariance + gram + forgotten * np.eye(TAPS)
        path.correlation = keep * path.correlation + _against(window, heard) + forgotten * self._last
        path.path = np.linalg.solve(path.covariance, path.correlation)
        self._last = path.path

    def cancel(self, near: np.ndarray, at: float) -> tuple[np.ndarray, list[ClipPath]]:
        """This stretch of the microphone with every clip's echo, as fitted so far, subtracted;
        and the paths of the clips sounding in it."""
        windows = self._windows(at, len(near))
        samples = near.astype(np.float64)
        left = samples
        for path, window in windows:
            left = left - _through(window, path.path)
        heard = float(samples @ samples)
        if len(windows) == 1 and heard >= len(near) * (ACTIVE * 10) ** 2:
            path = windows[0][0]
            path.reductions.append(10 * float(np.log10(heard / max(float(left @ left), 1e-15))))
            path.alone += len(near)
            window = windows[0][1]
            echo = samples - left
            path.left_against += _against(window, left)
            path.left_energy += float(left @ left)
            path.echo_energy += float(echo @ echo)
            path.left_count += len(near)
        return left.astype(np.float32), [path for path, _ in windows]

    def _windows(self, at: float, count: int) -> list[tuple[ClipPath, np.ndarray]]:
        """For each clip sounding over `count` samples from clock time `at`: its path, and the
        count + TAPS - 1 samples of it that reach those (the least-squares design, row k the
        TAPS samples up to the one heard k samples in, is this window slid along: `_gram`)."""
        found = []
        clips = self.reference.clips()
        for clip in clips:
            samples = clip.samples
            if not len(samples):  # cut off as it began (a stop at its play()): nothing of it sounds
                continue
            heard = self.reference.heard_at(clip)
            path = self._paths.get(id(clip))
            if path is not None and clip.heard is not None and not path.found:
                # Its onset, found in the microphone: a clip placed by the last clips' delay
                # neither there nor holding is placed there anew, and fitted anew.
                path.found = True
                lately = path.reductions[-FOUND_CHECKED:]
                held = bool(lately) and median(sorted(lately)) >= HOLDS
                path.right = held or abs(clip.heard - path.placed) * SAMPLE_RATE <= PLACED_WITHIN
                if not path.right:
                    path = None
            first = round((at - (path.placed if path is not None else heard)) * SAMPLE_RATE) - (TAPS - 1 - TAPS_BEFORE)
            if first + count + TAPS - 1 <= 0 or first >= len(samples):
                continue
            if path is None:
                path = self._paths[id(clip)] = ClipPath(clip, heard, self._last)
            window = np.zeros(count + TAPS - 1)
            lo, hi = max(0, -first), min(count + TAPS - 1, len(samples) - first)
            window[lo:hi] = samples[first + lo : first + hi]
            if mean_square(window) < ACTIVE**2:
                continue
            found.append((path, window))
        self._settle(at, {id(clip) for clip in clips})
        return found

    def _settle(self, at: float, alive: set[int]) -> None:
        """Clips heard to their end or long enough alone: judged, if they sounded alone long enough;
        clips no longer kept: let go."""
        for key, path in list(self._paths.items()):
            ended = path.placed + len(path.clip.samples) / SAMPLE_RATE < at
            if (ended or path.alone >= JUDGED_AFTER * SAMPLE_RATE) and not path.judged:
                path.judged = True
                if path.alone >= HOLDS_SOUNDING * SAMPLE_RATE:
                    # The larger of the two: a person or a room talking over the clip keeps the
                    # first low, and the second can tell no more than that the clip is gone.
                    apart = path.left_of_it()
                    blocks = float(np.median(path.reductions))
                    self.reductions.append(blocks if apart is None else max(blocks, apart))
            if ended and path.gram_sum is not None:
                path.apart = path.left_of_it()
                path.gram_sum = None  # 300 kB a clip, no longer needed
                if path.apart is not None and self.holds:
                    left = path.echo_energy / 10 ** (path.apart / 10)
                    self.echo_heard += path.echo_energy
                    self.echo_left += left
                    if self.most_left is None or left > self.most_left[0]:
                        self.most_left = (left, path.apart, path.clip.words)
            if key not in alive:
                del self._paths[key]


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
        self._linear = LinearPath(reference)
        self._pending = np.zeros(0, np.float32)  # the microphone not yet cancelled: LOOKAHEAD and a part frame
        self._pending_at = 0.0
        self._heard: deque[np.ndarray] = deque(maxlen=int(KEPT_SECONDS * 100))  # the microphone, as it came
        self._heard_until = 0.0  # clock time just past its last sample
        self._looked_for: set[int] = set()  # ids of clips looked for in the microphone
        self._widened: set[int] = set()  # ids of clips not found near the delay: looked for over every delay
        # How long the coach sounded while the microphone heard something: the time there was to
        # find the echo (with headphones the microphone hears nothing of it, and nothing is missed).
        self.sounding_seconds = 0.0
        self._echo_in = 0.0  # energy while the coach sounds, before and after
        self._echo_out = 0.0
        self._second: list[float] = [0.0, 0.0, 0.0]  # the same over the current second of the coach sounding
        self.converged = False  # set once CONVERGED_SECONDS of its words lost CONVERGED dB; cleared with the delay
        # Stretches of the output in which the coach's voice may be left whole: not subtracted
        # (None), or by clips not yet confirmed where they were heard.
        self._unsubtracted: deque[tuple[float, float, list[ClipPath] | None]] = deque(maxlen=int(KEPT_SECONDS * 100))
        self._good_seconds = 0
        # The level of the coach's echo as subtracted, and the clips it was, stretch by stretch of the
        # output; with the latest end of any stretch up to each, so a search back can stop.
        self._echo_levels: deque[tuple[float, float, float, list[ClipPath], float]] = deque(
            maxlen=int(KEPT_SECONDS * 100)
        )
        self._echo_ended = float("-inf")
        # The microphone's energy, frame by frame, near the coach's sound (its echo may sound) and away from it
        self._near_coach: deque[float] = deque(maxlen=LEVELS_KEPT)
        self._away_from_coach: deque[float] = deque(maxlen=LEVELS_KEPT)
        self._unjudged = 0
        self._sounded_at = float("-inf")  # clock time of the last frame the coach sounded in
        self.unheard = False  # the coach's voice is not reaching the microphone: see `_judge_unheard`

    @property
    def echo_reduction(self) -> float | None:
        """dB taken off the microphone while the coach sounded (None: it has not yet)."""
        if self._echo_in <= 0:
            return None
        return float(10 * np.log10(self._echo_in / max(self._echo_out, 1e-12)))

    @property
    def own_sound_reduction(self) -> float | None:
        """dB taken off the coach's voice alone where it was subtracted: a room talking over it
        (a television) keeps `echo_reduction` low however well the coach is taken out."""
        return self._linear.own_sound_reduction

    @property
    def figures(self) -> EchoFigures:
        """The session's figures so far; the clip that left the most of its echo where subtracting
        held is told with its share of all that was left (a low figure is one sentence, or all)."""
        most = self._linear.most_left
        left_by = None if most is None else (most[2], most[1], most[0] / max(self._linear.echo_left, 1e-15))
        return EchoFigures(self.echo_reduction, self.delay, self.own_sound_reduction, left_by)

    def __call__(self, samples: np.ndarray, at: float) -> tuple[np.ndarray, float]:
        """A block of the microphone (with the clock time of its first sample) in; out, the
        microphone up to LOOKAHEAD samples behind it, the coach's voice taken out, and the
        clock time of its first sample. The first calls give nothing: that is the lag."""
        samples = samples.astype(np.float32, copy=False)
        self.reference.forget(at - KEPT_SECONDS)
        self._heard.append(samples)
        self._heard_until = at + len(samples) / SAMPLE_RATE
        self._find_onsets()
        if self.delay is not None:
            self._linear.learn(samples, at)
        if abs(self._pending_at + len(self._pending) / SAMPLE_RATE - at) > GAP:
            self._pending, self._pending_at = np.zeros(0, np.float32), at  # samples were lost: start anew
        self._pending = np.concatenate([self._pending, samples])
        ready = (len(self._pending) - LOOKAHEAD) // FRAME * FRAME
        if ready <= 0:
            return np.zeros(0, np.float32), self._pending_at
        near, start = self._pending[:ready], self._pending_at
        self._pending = self._pending[ready:]
        self._pending_at += ready / SAMPLE_RATE
        return self._cancel(near, start), start

    def echoes(self, audio: np.ndarray, start: float) -> bool:
        """`audio`, from clock time `start`, holds the coach's own sound: it correlates with what
        the coach played then, give or take ECHO_SEARCH. What a subtracting canceller leaves of
        a clip whose echo moved within it (a sound server under load) is the coach's voice,
        whole: 2 s of a sentence once came through 43 dB over the silence around it."""
        search = round(ECHO_SEARCH * SAMPLE_RATE)
        far = self.reference.window(start - LEAD - ECHO_SEARCH, len(audio) + 2 * search)
        if not far.any():
            return False
        return onset_in(audio.astype(np.float32), far, 2 * search, ECHOED) is not None

    @property
    def linear(self) -> bool:
        """The coach's echo is subtracted by the linear stage, not suppressed by AEC3."""
        return self.delay is not None and self._linear.holds

    def subtracted(self, start: float, end: float) -> bool | None:
        """From clock time `start` to `end` the coach's voice was subtracted, by clips placed
        where they were heard: what is left there is not the coach. None: a clip sounding
        then is not yet known to have been placed right (its onset is found 1 s or so in)."""
        if not self.linear:
            return False
        # A sound server plays on what it was given: after a stop the stopped clip still sounded
        # here for 0.2-0.4 s, past where the far end was cut off, and went uncancelled.
        heard = self.delay or 0.0
        if any(start < stop + heard + STOP_TAIL and stop + heard < end for stop in list(self.reference.stops)):
            return False
        known: bool | None = True
        for begun, ended, paths in self._unsubtracted:
            if begun < end and start < ended:
                if paths is None:
                    return False
                for path in paths:
                    confirmed = path.confirmed
                    if confirmed is False:
                        return False
                    if confirmed is None:
                        known = None
        return known

    def coach_left(self, start: float, end: float, lately: int = 0) -> float | None:
        """The level (dB) of what the linear stage left of the coach's voice from clock time `start`
        to `end`, at its loudest: its echo's loudest less the least any clip sounding then lost,
        counting only what its own sound explains (`ClipPath.left_of_it`; measured at most `lately`
        samples of it ago). A room talking over the coach (a television) is not counted as the coach.
        None: not known (a clip not yet measured); -120 when the coach was not sounding."""
        during = []
        for begun, ended, power, paths, ended_by_then in reversed(list(self._echo_levels)):
            if ended_by_then <= start:
                break  # it is asked of the latest stretches: those before this one all ended before `start`
            if begun < end and ended > start:
                during.append((power, paths))
        sounding = {id(path): path for _, paths in during for path in paths}  # each clip measured once
        losses = [lost for path in sounding.values() if (lost := path.left_of_it_lately(lately)) is not None]
        if len(losses) < len(sounding):
            return None
        loudest = max((power for power, _ in during), default=0.0)
        if loudest <= 0 or not losses:
            return -120.0
        return float(10 * np.log10(loudest) - min(losses))

    def _cancel(self, near: np.ndarray, start: float) -> np.ndarray:
        """Whole frames of the microphone, from clock time `start`, with the coach taken out
        once it has been (before that: as they came)."""
        linear = self.linear
        # Clips whose own reductions hold are learned: a room talking over them (a television)
        # keeps the microphone's energy over the output's low, but not what is left of them.
        self.converged = self.converged or linear
        subtracted, paths = self._linear.cancel(near, start) if self.delay is not None else (near, [])
        if not (linear and self.converged):
            self._unsubtracted.append((start, start + len(near) / SAMPLE_RATE, None))
        elif unconfirmed := [path for path in paths if path.confirmed is not True]:
            self._unsubtracted.append((start, start + len(near) / SAMPLE_RATE, unconfirmed))
        if paths:
            echo = near - subtracted
            ended = start + len(near) / SAMPLE_RATE
            self._echo_ended = max(self._echo_ended, ended)  # kept beside each: a recounted clock can go back
            self._echo_levels.append((start, ended, mean_square(echo), paths, self._echo_ended))
        out = []
        for first in range(0, len(near), FRAME):
            at = start + first / SAMPLE_RATE
            frame = near[first : first + FRAME]
            far = self.reference.window(at, FRAME)
            sounding = mean_square(far) >= ACTIVE**2
            energy = mean_square(frame)
            if sounding and energy >= (ACTIVE * 10) ** 2:
                self.sounding_seconds += FRAME / SAMPLE_RATE
            # Its echo may be heard up to LONGEST_DELAY after the coach sounds, where it is not yet
            # known: counted from play(), the coach "sounding" and the echo missed each other by the
            # delay, and a real echo, made unfindable, once stood only 2.3 dB above the quiet.
            self._sounded_at = at if sounding else self._sounded_at
            echo_may_sound = at - self._sounded_at <= LONGEST_DELAY
            (self._near_coach if echo_may_sound else self._away_from_coach).append(energy)
            self._unjudged += 1
            if self._unjudged >= LEVELS_JUDGED_EVERY:
                self._unjudged = 0
                self._judge_unheard()
            if self.delay is None:
                out.append(frame)
                continue
            # While the linear stage holds, AEC3 is not asked: its suppressor is what takes the person too.
            cancelled: np.ndarray = subtracted[first : first + FRAME] if linear else self._aec.process(frame, far)
            if sounding:
                self._judge(frame, cancelled, at)
            # Until it has learned the room, what is left of the coach is its words in pieces
            # ("-gin" of "Let us begin." heard as "Again."): the microphone as it came is the
            # coach's whole sentences, which the echo guard knows.
            out.append(cancelled if self.converged else frame)
        return np.concatenate(out) if out else near

    def _judge_unheard(self) -> None:
        """Whether the coach's voice is not reaching the microphone (headphones, earbuds, speakers
        turned off): its last UNHEARD_MISSES clips were looked for there and none was found, and the
        microphone is no louder where its echo may sound than where it cannot. Then what is said over it
        is a person alone, heard as in a quiet room (coach/inputs/listening/hearing.py)."""
        enough = len(self._near_coach) >= LEVELS_KEPT // 5 and len(self._away_from_coach) >= LEVELS_KEPT // 10
        if self.delay is not None or self._misses < UNHEARD_MISSES or not enough:
            self.unheard = False
            return
        near, away = median(sorted(self._near_coach)), median(sorted(self._away_from_coach))
        self.unheard = near <= away * 10 ** (UNHEARD_WITHIN / 10)

    def _judge(self, near: np.ndarray, cancelled: np.ndarray, at: float) -> None:
        """The echo reduction, over the session and second by second: converged or not."""
        before, after = float(near @ near), float(cancelled @ cancelled)
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

    def _find_onsets(self) -> None:
        """Each clip, once the microphone holds all it needs, found where it was heard."""
        # Looked for as soon as its start has surely been heard: once the delay is known, within SPREAD of it.
        # Not found there, it is looked for once more over every delay: a loaded sound server's
        # buffers grew from 150 to 250 ms within a session here, past SPREAD.
        near = min(LONGEST_DELAY, self.delay + SPREAD) if self.delay is not None else LONGEST_DELAY
        for clip in self.reference.clips():
            latest = LONGEST_DELAY if id(clip) in self._widened else near
            if id(clip) in self._looked_for or self._heard_until < clip.start + latest + ONSET + LEAD_IN_MAX:
                continue
            self._looked_for.add(id(clip))
            sounding = np.flatnonzero(np.abs(clip.samples) >= ACTIVE * 30)
            lead_in = int(sounding[0]) if len(sounding) else 0
            head = clip.samples[lead_in : lead_in + round(ONSET * SAMPLE_RATE)]
            if len(head) < SAMPLE_RATE // 10 or float(np.sqrt(np.mean(head**2))) < ACTIVE * 3:
                continue  # too short or too quiet to be found by
            longest = round(latest * SAMPLE_RATE)
            # Counted in samples: asked for in seconds, the stretch came one sample short of
            # the clip's start and the longest delay whenever the two rounded apart, the clip
            # was not found, and five such misses took the canceller off as if for headphones.
            heard = self._microphone(clip.start + lead_in / SAMPLE_RATE, len(head) + longest)
            lag = onset_in(head, heard, longest)
            if lag is None and latest < LONGEST_DELAY:
                self._looked_for.discard(id(clip))
                self._widened.add(id(clip))
                continue
            if lag is None:
                self._misses += 1
                if self._misses >= MISSES:
                    self.delay = None
                    self.converged = False
                    self._delays.clear()
                continue
            self._misses = 0
            self.unheard = False
            clip.heard = clip.start + lag / SAMPLE_RATE
            self._delays.append(lag / SAMPLE_RATE)
            self.delay = float(np.median(self._delays))
            self.reference.lag = self.delay
        if len(self._looked_for) > 256:
            alive = {id(clip) for clip in self.reference.clips()}
            self._looked_for &= alive
            self._widened &= alive

    def _microphone(self, start: float, count: int) -> np.ndarray:
        """`count` samples of the microphone as it came, from clock time `start`."""
        heard = np.concatenate(self._heard)
        first = len(heard) - round((self._heard_until - start) * SAMPLE_RATE)
        return heard[max(0, first) : max(0, first) + count]


def onset_in(head: np.ndarray, heard: np.ndarray, longest: int, match: float = MATCH) -> int | None:
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
    return peak if scores[peak] >= match else None
