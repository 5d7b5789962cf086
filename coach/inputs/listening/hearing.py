"""The listening itself, in a process of its own: microphone, echo canceller, segmenter, recogniser.

Why a process: in the coach's own process this work (the voice detector every 32 ms,
the canceller every 10 ms, Whisper on every utterance) competed with the player for two
cores and one interpreter lock, and cue onsets slipped (p99 9.6 ms over the built-in
routine, against 0.36 ms without listening). Here it has an interpreter of its own; the
session's process only forwards what it plays and takes back what was heard.

`serve` runs in the child (multiprocessing, spawned: no threads are forked). Messages,
as tuples on one pipe:

    in:  ("start",) ("vocabulary", Vocabulary) ("played", at, frames, words) ("stopped", at) ("stop",)
    out: ("loaded",) ("failed", message) ("room", "talking": before "started", or later, once)
         ("started", error or None: once the room is heard) ("heard", Saying)
         ("rejected", line) ("note", line) ("warning", line) ("trouble", line)
         ("echo", reduction dB, delay s, reduction of the coach's voice alone dB,
                  (words, dB, share) of the clip that left the most of it)

sounddevice's callback only queues the microphone's blocks; a worker thread cancels the
coach's echo from them, cuts utterances and decides. Whatever the coach plays is the
canceller's far end (coach/inputs/listening/canceller.py); what is still heard while the
coach sounds is dropped when every word of it is among the words it was saying (the echo
guard, a second safety, with the one-word sayings that sound like its words: "again" in
"Let us begin."), but for a word that pauses it heard where its voice was subtracted: a
person's "stop" over its "If a movement hurts, stop, and rest." is taken. Over the coach
only a saying heard word for word counts, never one the closed set had to find: a chime
has no words, and a recogniser given one makes some up ("you", "Bye!"); and letting the
set find a pause or a pain word in what AEC3 left of the coach's sentences paused a
session on its own voice once in a few minutes in trials here. The one exception: where
the canceller subtracted the coach's voice all through an utterance (its linear stage
holds, every clip under it was placed where it was heard, and no stop was heard just
before), the utterance stands CLEAR_OF_THE_COACH above what is left (or, with a room
talking over the coach, CLEAR_OF_THE_COACH_ALONE above what is left of the coach's voice
itself, and above the room's talk), and it does not correlate with what the coach played,
it is heard as in a quiet room. So is what is said over a coach whose voice does not reach
the microphone at all (headphones: `EchoCanceller.unheard`).

Audio is processed in memory and never written or sent anywhere.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from coach.common.audio import RATE
from coach.inputs.listening.block_statistics import mean_square
from coach.inputs.listening.canceller import (
    CancellerUnavailable,
    EchoCanceller,
    EchoFigures,
    Reference,
    check_canceller,
)
from coach.inputs.listening.denoise import NoiseSuppressor
from coach.inputs.listening.recogniser import ListenUnavailable, Recogniser
from coach.inputs.listening.segmenter import BLOCK, QUIET, SAMPLE_RATE, Coach, Segmenter, Utterance, silero_vad
from coach.inputs.listening.sounding import ECHO_TAIL, SUBTRACTED_TAIL, CoachSpeech, is_echo, rhymes_with_echo
from coach.inputs.listening.vocabulary import STOPS_THE_COACH, Saying, Vocabulary
from coach.sound.player import Command

CLEAR_OF_THE_COACH = 30.0  # dB above what is left of a subtracted coach: a person, heard as in a quiet room
# dB above what is left of the coach's voice itself, measured apart from a room that talks over it
# (EchoCanceller.coach_left): a bound, which with a television 10 dB under the echo told 18-40 dB
# off the clips, so 30 above it was seldom met. The canceller takes 22-34 dB off the coach's own
# sound (scripts/bench_echo.py's --verbose figure), so a person as loud as its echo stands that
# far above what is left, and one whose echo is 6 dB louder 6 dB less: 24 missed most of those
# (14.5-22.8 dB clear, live over a television). At 14, three live television runs (seeds 7-9)
# heard 49 of 80 commands over the coach where 24 heard 34, with 3 wrong actions where it had 7.
# What is left of the coach stands about 0 dB above itself, and the television's words are
# held off by ABOVE_THE_TALKING_ROOM, as they were.
CLEAR_OF_THE_COACH_ALONE = 14.0
ABOVE_THE_TALKING_ROOM = 6.0  # dB above what the room says at its loudest (the segmenter's rise)
UNCONFIRMED_WAIT = 1.0  # seconds an utterance waits to know whether the clips under it were placed right
# Over a talking room, a saying is acted on only when no one has begun to speak again this long
# after its utterance ended (but for a plain word that stops the coach): a person's "We finished
# the project on Friday." said over a television was cut at its pauses, and "We finish." taken as
# "finished". Of scripts/bench_echo.py --tv's 107 ordinary sentences said over its television, 12
# acted before, 3 now (4 when only a saying the closed set found waited; 0.3 s let through more);
# its 80 commands were heard as often (56 of 80). Over the coach's voice taken out as well: there
# "Again, the same song." was cut at its comma, and a plain "again" acted at once.
FOLLOWED_WITHIN = 0.4
# Over a talking room, an utterance well longer than its saying takes to say held more than the
# saying: a person's sentence, its other words lost under the room's. "Again and again the same
# song." was cut whole and heard "Again.", and "What time is it?" heard "What I did", found as
# "wait". Offline over scripts/bench_echo.py --tv's television (seeds 7, 19 and 23), the actions
# from 319 of a person's sentences fell from 15 to 2, and the commands heard from 189 of 241 to
# 188 (on seed 7 every command heard was cut within 1.0 s); replayed over the six recorded live
# television runs, 157 of 240 heard where 156 were. A pain word is taken however long it was.
SAYING_SECONDS = 1.1  # a one-word saying's utterance at its longest, the room's talk at its edges included
WORD_SECONDS = 0.4  # and each word more
# A stretch this long, cut over a talking room and no command, was the room talking louder than
# it had (a television turned up): counted in the room's loudest, so that the television's next
# "Next," does not rise above it. A command is shorter ("I'm done for today" takes about 1.5 s),
# so a person's misheard one does not raise what their next try must rise above.
ROOM_TALK_SECONDS = 1.6
# The room is heard without the coach before its first word, so that a television already on is
# the room from the start. Opened as the coach began, the microphone first heard the room alone
# in the coach's first pause, 25 s in, and until then a television's talk was taken for what was
# left of the coach over a still room. Four live scripts/bench_echo.py --tv runs, the television
# on before the session, replayed three times each without the room heard first and with it:
# the first command (said over the introduction, 20-24 s in) heard 3 and 9 times in 12; 6 and 0
# actions from the television's words; 289 and 294 of the 480 commands heard in all.
ROOM_STILL_SECONDS = 1.0  # heard this long with no one beginning to speak, the room is still
# and a room that speaks this long: a television heard this long, then under the coach's first
# words, was known to talk 60 times in 60 (53 after 2 s, 36 after 1 s)
ROOM_TALKING_SECONDS = 3.0
# Seconds the coach's first word waits, at most, for the room to be heard. On a busy machine (the
# test suite's nine workers on two cores) 3 s of a television took longer than 6 s while Whisper
# heard its sentences as they came, and longer than 20 s on CI's slower one: the coach began, and a
# room that talked was not told. What is said then is now recognised only once the room is told
# (Hearing.hear's `decide`). A microphone that sends nothing ends the wait sooner (SILENT_MICROPHONE).
ROOM_HEARD_WITHIN = 20.0
# Heard to speak, and sounding ROOM_TALKS_ABOVE dB over its quietest tenth through this share of the
# time it is heard first, the room talks (a television, a radio), and the person is told that commands
# over it are heard less often. A person's word or two at the start is less ("Hold on." in 3 s of a
# still room: about a quarter); a steady noise (a fan) never rises over itself.
ROOM_TALKS_SHARE = 0.5
ROOM_TALKS_ABOVE = 15.0
# A room that begins to talk once the session has begun (a television switched on) is told too,
# once: by the same rule, over the last ROOM_BETWEEN_SECONDS heard while the coach was quiet (its
# gaps, its waits, a pause), longer than before the first cue, so that a person's own words do not
# make a talking room: a command is about half a second, and they are told only if, over the
# last 6 s of quiet, the room has sounded 15 dB over its quietest for at least half of them.
ROOM_BETWEEN_SECONDS = 6.0
ROOM_JUDGED_EVERY = 8  # blocks (0.26 s): its percentile taken every block was 0.35% of a core
LEFT_LATELY = SAMPLE_RATE // 4  # samples: what is left of a clip, asked every block, is found again this often
NICENESS = 10  # how much lower the listening process runs than the session's
SILENT_MICROPHONE = 3.0  # seconds without a single block: the microphone has gone
RECOUNT_SECONDS = 0.25  # every block of LATE_WINDOW this late on its counted time: samples were lost, count anew
LATE_WINDOW = 2.0  # seconds: longer than a busy machine has held up this process's callbacks (0.6 s seen)
NO_DELAY_SECONDS = 30.0  # of the coach sounding with no delay found: its echo is not reaching the microphone alike
# --verbose: the coach's voice found not reaching the microphone (headphones), or reaching it again
UNHEARD_NOTE = "coach: the coach's voice does not reach the microphone (headphones?): heard over it as in a quiet room"
HEARD_AGAIN_NOTE = "coach: the coach's voice reaches the microphone again"
# Sound coming this much faster than the clock since the first block, and this far ahead, is no
# microphone (ALSA's null device as the default input sends it as fast as it is read: 4.5 GB
# queued in 10 min, two cores busy). A sound server's burst after a stall is a buffer's length,
# and a sound card's clock is off by well under 1%, not by half.
AHEAD_RATE = 1.5
AHEAD_SECONDS = 5.0


def talking_share(levels: np.ndarray) -> float:
    """The share of blocks (their dB) sounding ROOM_TALKS_ABOVE over the quietest tenth of them."""
    return float(np.mean(levels >= np.percentile(levels, 10) + ROOM_TALKS_ABOVE)) if len(levels) else 0.0


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


def serve(connection: Connection, vocabulary: Vocabulary) -> None:
    """The child's whole life: load, then answer messages until told to stop or orphaned."""
    for stopping in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(stopping, signal.SIG_IGN)  # the session's process ends this one, in order
    # Below the player in the scheduler's eyes: Whisper's two threads could otherwise hold both
    # cores when a cue's deadline comes, and the player would wait for one.
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    send_lock = threading.Lock()

    def send(*message: Any) -> None:
        with send_lock, contextlib.suppress(OSError, ValueError):
            connection.send(message)

    try:
        sounddevice = check_microphone_library()
        hearing = Hearing(vocabulary, send)
        hearing.load(sounddevice)
    except Exception as error:
        send("failed", str(error) if isinstance(error, ListenUnavailable) else f"{type(error).__name__}: {error}")
        return
    send("loaded")
    try:
        while True:
            message = connection.recv()
            kind = message[0]
            if kind == "played":
                hearing.played(message[1], message[2], message[3])
            elif kind == "stopped":
                hearing.stopped(message[1])
            elif kind == "vocabulary":
                hearing.vocabulary = message[1]
            elif kind == "start":
                send("started", hearing.start())
            elif kind == "stop":
                break
    except (EOFError, OSError):
        pass  # the session's process has gone: so does this one
    finally:
        hearing.stop()
        send("echo", *hearing.echo_figures())


class Hearing:
    """Microphone in, sayings out: runs in the listening process."""

    def __init__(self, vocabulary: Vocabulary, send: Callable[..., None], clock: Callable[[], float] = time.monotonic):
        self.vocabulary = vocabulary
        self.send = send
        self.clock = clock
        self.reference = Reference()
        self.speech = CoachSpeech(clock)
        self._sounddevice: Any = None
        self._recogniser: Recogniser | None = None
        self._segmenter: Segmenter | None = None
        self._canceller: EchoCanceller | None = None
        self._blocks: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue()
        self._stream: Any = None
        self._timeline: MicrophoneTimeline | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._room_heard = threading.Event()  # the room heard without the coach: it may begin
        self._room_levels: list[float] = []  # dB of each block heard then
        self._room_told = False  # the room was told to talk (before the first cue, or since)
        # dB and clock time of the blocks heard since with the coach quiet, the last ROOM_BETWEEN_SECONDS of them
        self._between: deque[tuple[float, float]] = deque(maxlen=round(ROOM_BETWEEN_SECONDS * SAMPLE_RATE / BLOCK))
        self._between_unjudged = 0  # blocks added since it was last judged
        self._trouble_told = False
        self._delay_told = False
        self._unheard_told = False  # the coach's voice was last told not reaching the microphone
        self._overflows = 0  # microphone blocks the sound library dropped: this process fell behind
        self._overflows_told = 0
        self._undecided: deque[Utterance] = deque()  # cut, waiting to know whether the coach was subtracted
        # Heard over a talking room, waiting to know whether more was said right after (FOLLOWED_WITHIN)
        self._unfinished: deque[tuple[Utterance, Saying]] = deque()

    def load(self, sounddevice: Any) -> None:
        self._sounddevice = sounddevice
        self._recogniser = Recogniser()
        try:
            check_canceller()
            self._canceller = EchoCanceller(self.reference)
        except CancellerUnavailable as missing:
            self.send("warning", f"coach: {missing}")
        self._segmenter = Segmenter(
            silero_vad(), suppress=NoiseSuppressor(), coach=self._coach_at, coach_left=self._coach_left_at
        )

    def played(self, at: float, frames: bytes, words: str | None) -> None:
        samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768
        self.speech.played(len(samples) / RATE, words, at)
        if self._canceller is not None:
            import soxr

            resampled = np.asarray(soxr.resample(samples, RATE, SAMPLE_RATE), dtype=np.float32)
            self.reference.played(at, resampled, speech=words is not None, words=words)

    def stopped(self, at: float) -> None:
        self.speech.stopped(at)
        self.reference.stopped(at)

    def start(self) -> str | None:
        """Open the microphone and hear the room without the coach (ROOM_STILL_SECONDS, or
        ROOM_TALKING_SECONDS if it speaks): None, or why there is none to open."""
        try:
            self._stream = self._open_stream()
        except Exception as error:
            return f"no microphone to listen to ({_short(error)})"
        self._thread = threading.Thread(target=self._listen, name="coach-hear", daemon=True)
        self._thread.start()
        # A microphone that sends nothing is told by the listening thread; the session goes on.
        self._room_heard.wait(ROOM_HEARD_WITHIN)
        return None

    def stop(self) -> None:
        self._stopping.set()
        self._blocks.put(None)
        if self._stream is not None:
            with contextlib.suppress(Exception):
                self._stream.abort()
                self._stream.close()
            self._stream = None
        if self._thread is not None:
            self._thread.join(5)

    def _coach_at(self, at: float) -> Coach:
        """The coach's voice in the microphone at clock time `at`: none, its words, or its words
        taken out by the canceller."""
        canceller = self._canceller
        delay = canceller.delay if canceller is not None and canceller.delay is not None else 0.0
        said, chime = self.speech.during(at - delay, at - delay)
        if self._coach_unheard or (not said and not chime):  # headphones: the microphone hears the room alone
            return Coach.QUIET
        if canceller is not None and canceller.converged and said and not chime:
            return Coach.CANCELLED
        return Coach.SOUNDING

    @property
    def _coach_unheard(self) -> bool:
        """The coach's voice does not reach the microphone (headphones: `EchoCanceller.unheard`)."""
        return self._canceller is not None and self._canceller.unheard

    def _coach_left_at(self, at: float) -> float | None:
        """dB of what the canceller left of the coach's voice in the block from clock time `at`."""
        canceller = self._canceller
        return None if canceller is None else canceller.coach_left(at, at + BLOCK / SAMPLE_RATE, LEFT_LATELY)

    def echo_figures(self) -> EchoFigures:
        """What the echo canceller did: --verbose says it when the session ends."""
        return EchoFigures() if self._canceller is None else self._canceller.figures

    def _open_stream(self) -> Any:
        sounddevice = self._sounddevice
        device = sounddevice.query_devices(kind="input")  # raises when there is no default input
        rate = SAMPLE_RATE
        try:
            sounddevice.check_input_settings(samplerate=SAMPLE_RATE, channels=1, dtype="float32")
        except Exception:
            rate = int(device["default_samplerate"])
        resample = _resampler(rate)
        self._timeline = timeline = MicrophoneTimeline(rate)

        def callback(indata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
            if status.input_overflow:
                self._overflows += 1
            samples = resample(indata[:, 0].copy())
            self._blocks.put((samples, timeline.began(self.clock() - frames / rate, frames)))

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
        finally:
            self._room_heard.set()  # nothing more will be heard: the coach need not wait for it

    def _hear_blocks(self) -> None:
        assert self._segmenter is not None
        heard_last = self.clock()
        first_at: float | None = None  # the clock time of the first block heard
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
            if self._timeline is not None and self._timeline.runs_ahead(self.clock()):
                self._trouble("the microphone sends sound faster than real time (is the default input a null device?)")
                return
            samples, at = item
            heard_last = self.clock()
            first_at = at if first_at is None else first_at
            if self._overflows > self._overflows_told:  # --verbose: what was heard then may be in pieces
                self._overflows_told = self._overflows
                self.send("note", f"coach: the microphone lost sound ({self._overflows} times): a busy machine")
            self.hear(samples, at, decide=self._room_heard.is_set())
            if not self._room_heard.is_set():
                self._room_levels.append(10 * float(np.log10(float(np.mean(samples**2)) + 1e-12)))
                self._hear_the_room_first(at + len(samples) / SAMPLE_RATE - first_at)

    def _hear_the_room_first(self, heard: float) -> None:
        """Once the room has been heard long enough without the coach, it may begin."""
        assert self._segmenter is not None
        spoke = self._segmenter.room_spoke
        if heard >= ROOM_TALKING_SECONDS or (heard >= ROOM_STILL_SECONDS and not spoke):
            share = talking_share(np.asarray(self._room_levels))
            if spoke and share >= ROOM_TALKS_SHARE:  # told before the coach begins
                self._room_told = True
                self.send("room", "talking")
            self._room_heard.set()
            how = f"someone or something speaking in it ({share:.0%} of the time)" if spoke else "still"
            self.send("note", f"coach: listened to the room for {heard:.1f} s before the first cue: {how}")

    def _hear_the_room_between(self, samples: np.ndarray, at: float) -> None:
        """A room heard to talk while the coach is quiet, once the session is under way, is
        told (once): a television switched on after the first cue."""
        assert self._segmenter is not None
        # Where the echo's delay is known, it is known where the coach's sound ends in the
        # microphone: the gaps between its sentences are heard nearly whole.
        canceller = self._canceller
        delay = canceller.delay if canceller is not None else None
        tail = ECHO_TAIL if delay is None else SUBTRACTED_TAIL
        start = at - (delay or 0.0)
        said, chime = self.speech.during(start, start + len(samples) / SAMPLE_RATE, tail)
        if said or chime:
            return
        rms = float(np.sqrt(mean_square(samples)))
        self._between.append((20 * float(np.log10(max(rms, QUIET))), at))
        self._between_unjudged += 1
        if len(self._between) < (self._between.maxlen or 0) or self._between_unjudged < ROOM_JUDGED_EVERY:
            return
        self._between_unjudged = 0
        share = talking_share(np.fromiter((level for level, _ in self._between), float))
        if share >= ROOM_TALKS_SHARE and self._segmenter.last_onset >= self._between[0][1]:
            self._room_told = True
            self.send("room", "talking")
            quiet = f"{share:.0%} of its last {ROOM_BETWEEN_SECONDS:.0f} s"
            self.send("note", f"coach: heard the room talking while the coach was quiet ({quiet})")

    def hear(self, samples: np.ndarray, at: float, decide: bool = True) -> None:
        """One block of the microphone (16 kHz float32, begun at clock time `at`): the coach's
        echo taken out, cut into utterances, each decided. scripts/bench_echo.py drives this.
        Not `decide`: cut only, decided with a later block. While the room is heard before the
        coach begins, its levels alone tell whether it talks; recognising a television's first
        sentences on a slow machine (CI's, at half this one's speed) outlasted the coach's wait."""
        assert self._segmenter is not None
        if self._canceller is not None:
            delay = self._canceller.delay
            samples, at = self._canceller(samples, at)
            if delay is None and self._canceller.delay is not None:
                self.send("note", f"coach: echo found {self._canceller.delay * 1000:.0f} ms after play")
            if self._canceller.unheard != self._unheard_told:
                self._unheard_told = self._canceller.unheard
                self.send("note", UNHEARD_NOTE if self._unheard_told else HEARD_AGAIN_NOTE)
            lost = self._canceller.delay is None and self._canceller.sounding_seconds > NO_DELAY_SECONDS
            lost = lost and not self._coach_unheard
            if lost and not self._delay_told:
                self._delay_told = True
                self.send(
                    "warning",
                    "coach: the echo canceller found no delay from the speakers to the microphone; "
                    "commands said over the coach may not be heard",
                )
        if not len(samples):
            return
        if decide and not self._room_told:
            self._hear_the_room_between(samples, at)
        self._undecided.extend(self._segmenter.feed(samples, at))
        while decide and self._undecided:  # in the order they were said
            subtracted = self._subtracted(self._undecided[0], at)
            if subtracted is None:
                self._hear_ahead(self._undecided[0])
                break
            self._decide(self._undecided.popleft(), subtracted)
        while self._unfinished and at >= self._unfinished[0][0].end + FOLLOWED_WITHIN:
            utterance, saying = self._unfinished.popleft()
            if self._segmenter.last_onset > utterance.end:
                self.send("rejected", f"coach: heard {saying.words!r}: the start of a longer sentence")
            else:
                self.send("heard", saying)

    def _hear_ahead(self, utterance: Utterance) -> None:
        """Hear an utterance while the placing of the clips under it is still unknown (up to
        UNCONFIRMED_WAIT): it stands clear of what is left of the coach, so it is most likely
        a person's, and it will be heard as in a quiet room. The recogniser remembers its
        answer, and the decision, once the placing is known, costs nothing more. Before, the
        wait and the hearing came one after the other: 0.63 s (p95) and 0.28-1.0 s."""
        assert self._recogniser is not None
        self._recogniser.hear_utterance(utterance, self.vocabulary)

    def _subtracted(self, utterance: Utterance, now: float) -> bool | None:
        """The coach's voice was subtracted all through the utterance, and it stands well above
        what is left: it is the person alone. None: not known yet (now: the microphone's time).

        Subtracted by clips placed where they were heard, the coach's voice is gone: what is
        heard over it is heard as in a quiet room. Suppressed (AEC3), what is left of it is its
        words in pieces; left by a clip placed where it was not heard, its words whole (under
        load a clip was heard 14 ms off the last clips' delay, and its start came through as
        loud as it was played). What the canceller leaves of a clip it is still learning can be
        cut as an utterance, its words a few dB over the silence between them ("Number 2 out of
        2." once came out as "again"): only a voice well above what is left is the person's."""
        if self._canceller is None:
            return False
        if utterance.above_room < CLEAR_OF_THE_COACH:
            # A room talking over the coach (a television) is in what is left: held against the
            # coach's voice alone, a person stands clear of it, and must also stand above the
            # room's own talk at its loudest, or the television's words would be heard as theirs.
            left = self._canceller.coach_left(utterance.start, utterance.end)
            clear = left is not None and utterance.level - left >= CLEAR_OF_THE_COACH_ALONE
            if not clear or utterance.above_loudest < ABOVE_THE_TALKING_ROOM:
                return False
        known = self._canceller.subtracted(utterance.start, utterance.end)
        if known is None and now > utterance.end + UNCONFIRMED_WAIT:
            return False
        if known and self._canceller.echoes(utterance.audio, utterance.start):
            return False  # the coach's voice came through all the same: its echo moved within a clip
        return known

    def _decide(self, utterance: Utterance, subtracted: bool) -> None:
        assert self._recogniser is not None
        delay = self._canceller.delay if self._canceller is not None and self._canceller.delay else 0.0
        said, chime = self.speech.during(utterance.start - delay, utterance.end)
        over_the_coach = chime or bool(said)
        vocabulary = self.vocabulary
        # Its voice not reaching the microphone (headphones), what is said over it is the person
        # alone: heard as in a quiet room, the echo guard below kept for what does not stop it.
        unheard = self._coach_unheard
        plain_only = over_the_coach and not subtracted and not unheard
        hearing = self._recogniser.hear_utterance(utterance, vocabulary, plain_only)
        if hearing.saying is not None and utterance.over_talk and _longer_than_said(utterance, hearing.saying):
            self.send("rejected", f"coach: heard {hearing.guess!r}: longer than {hearing.saying.words!r} takes to say")
            return
        if hearing.saying is None:
            plainly = "over the coach" if plain_only else "after other talk" if utterance.after_talk else None
            why = f"no command said plainly {plainly}" if plainly else "no command"
            self.send("rejected", f"coach: heard {hearing.guess!r}: {why}")
            if utterance.over_talk and utterance.end - utterance.start >= ROOM_TALK_SECONDS:
                assert self._segmenter is not None
                self._segmenter.room_said(utterance)
            return
        began, tail = utterance.start, ECHO_TAIL
        if subtracted:  # its echo went with its voice: held against what it said as this began, and after
            began = utterance.onset if utterance.onset is not None else utterance.start
            tail = SUBTRACTED_TAIL
            said = self.speech.during(began - delay, utterance.end, tail)[0]
        echo = is_echo(hearing.guess, said) or is_echo(hearing.saying.words, said)
        # A word of the coach's that a recogniser hears as a saying is one it was sounding then.
        near = self.speech.words_near(began - delay, utterance.end, tail)
        rhyme = not isinstance(hearing.saying.meaning, int) and rhymes_with_echo(hearing.saying.words, near)
        # A person's "stop" over the coach's "If a movement hurts, stop, and rest." is all the
        # coach's words. Where the coach's voice was subtracted and the utterance does not sound
        # like it, that is no echo: a word that stops the coach is taken. One that makes it go on
        # ("resume" over its "say resume") is held against its words all the same. So with headphones,
        # where the microphone never hears the coach: a person's "Wait." over its "Wait for the chime."
        stops_the_coach = (subtracted or unheard) and hearing.saying.meaning in STOPS_THE_COACH
        if said and (echo or rhyme) and not stops_the_coach:
            self.send("rejected", f"coach: heard {hearing.guess!r}: the coach's own voice")
            return
        if not hearing.plain:  # --verbose: a saying taken from a guess that was not it word for word
            where = ("over the coach, subtracted" if subtracted else "over the coach") if over_the_coach else "alone"
            self.send("note", f"coach: heard {hearing.guess!r} as {hearing.saying.words!r} ({where})")
        # Over a talking room (the coach quiet, or its voice taken out), only a plain word that stops
        # the coach acts at once: taken wrongly, it pauses; anything else may be the start of a
        # sentence ("Next, I'll make tea."). Someone speaking on is an utterance begun over the room
        # (Segmenter.last_onset), never what is left of the coach's voice over a still room: counted,
        # its own words read as a sentence going on, and 3 of 18 commands over it were heard where
        # 10 of 22 were.
        stops = hearing.plain and hearing.saying.meaning in STOPS_THE_COACH
        if utterance.over_talk and not stops:
            self._unfinished.append((utterance, hearing.saying))
            return
        self.send("heard", hearing.saying)

    def _trouble(self, what: str) -> None:
        if not self._trouble_told and not self._stopping.is_set():
            self._trouble_told = True
            self.send("trouble", f"coach: {what}; the session goes on without listening")
        if self._stream is not None:
            with contextlib.suppress(Exception):
                self._stream.abort()


def _longer_than_said(utterance: Utterance, saying: Saying) -> bool:
    """Heard over a talking room, the utterance took well longer than the saying takes to say
    (SAYING_SECONDS): more was said. Never for a pain word."""
    if saying.meaning is Command.PAIN:
        return False
    return utterance.end - utterance.start > SAYING_SECONDS + WORD_SECONDS * (len(saying.words.split()) - 1)


class MicrophoneTimeline:
    """When each microphone block began, on the session's clock, counted in samples from the first.

    Why counted: a sound server hands blocks over in bursts, and the clock at each callback
    jitters by tens of milliseconds, which the echo canceller, placing the coach's sound
    against them, cannot follow. A callback held up says nothing of when its samples were
    heard: this process runs at nice 10, and on a busy machine its callbacks came 0.3-0.6 s
    late. Counting anew at each of those made the timeline jump there and back, and every
    clip the canceller had placed with it. Only when every block of LATE_WINDOW came late
    by RECOUNT_SECONDS were samples lost, and the count moves on by the least of it. Never
    moved for less: each small step shifts every clip placed (tried: 2 of 22 commands over
    the coach heard, from 17 of 21).
    """

    def __init__(self, rate: int):
        self.rate = rate
        self.origin: float | None = None
        self.samples = 0
        self.recounts = 0
        self.first: float | None = None  # when the first block arrived, never recounted
        self._lateness: deque[float] = deque(maxlen=max(1, round(LATE_WINDOW * rate / (BLOCK * rate // SAMPLE_RATE))))

    def began(self, arrived: float, frames: int) -> float:
        """When a block of `frames` began; `arrived` is the clock at its callback less its length,
        the latest it can have begun."""
        if self.origin is None:
            self.origin = self.first = arrived
        at = self.origin + self.samples / self.rate
        late = arrived - at
        self._lateness.append(late)
        lost = len(self._lateness) == self._lateness.maxlen and min(self._lateness) > RECOUNT_SECONDS
        if lost or late < -RECOUNT_SECONDS:  # lost samples, or a clock that ran on without them
            shift = min(self._lateness) if lost else late
            self.origin += shift
            at += shift
            self.recounts += 1
            self._lateness.clear()
        self.samples += frames
        return at

    def runs_ahead(self, now: float) -> bool:
        """More sound received since the first block than any microphone could have recorded."""
        if self.first is None:
            return False
        return self.samples / self.rate > AHEAD_RATE * (now - self.first) + AHEAD_SECONDS


def _resampler(rate: int) -> Callable[[np.ndarray], np.ndarray]:
    """To 16 kHz, for a microphone that will not record at it (soxr, keeping state between blocks)."""
    if rate == SAMPLE_RATE:
        return lambda samples: samples
    import soxr

    stream = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
    return lambda samples: np.asarray(stream.resample_chunk(samples), dtype=np.float32)


def _short(error: Exception) -> str:
    return " ".join(str(error).split()) or type(error).__name__
