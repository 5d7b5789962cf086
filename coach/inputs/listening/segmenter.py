"""Cutting a stream of microphone samples into utterances, as they end.

Silero VAD (shipped with faster-whisper) gives each 32 ms block a probability of
speech, carrying its state from block to block. An utterance starts when speech is
likely, keeps a moment of what came before it (the start of a word is quiet), and ends
after `end_silence` of quiet: that pause is all the listener waits before it decides.
An utterance longer than `longest` is talk, not a command (the longest saying, "I'm
done for today", takes about 1.5 s), and is dropped whole without asking the model:
that is most of what the coach itself says, and most of a conversation in the room.
Near-silent blocks skip the model, so listening to a quiet room costs almost nothing.

A room that talks (a television, a radio, what is left of the coach's own voice after the
echo canceller) would keep the voice detector hearing speech for ever, and every command
would be swallowed into one long stretch of talk. So an utterance starts only where speech
also rises `rise` dB above the room, and ends when speech stops or falls back to within
half that. While the coach is quiet, the room is what it says at its loudest (the 90th
percentile of the levels of the last three seconds heard without the coach, commands left
out): a television's stressed syllables are its loudest, and a person 10 dB above it still
stands out. A still room's last half second is left out too: the voice detector is sure of
some voices only a fifth of a second into a word, and those first syllables, taken for the
room, raised what the word had to rise above past the word. Such an utterance must stand
out for more than a moment: its three loudest blocks (0.1 s) `rise` dB above the room on
average. What is kept of it is turned down by 12 dB wherever it was not above the room, so
that the recogniser hears the command, not the television around it; where the recogniser
still writes the television's words, it hears the utterance again with them turned down 30
dB. Over the coach's voice the room is its running median, as its words rise and fall, but
not where the room heard alone talks: a chime is never counted as taken out, and cut with
no rise over a television, its words under a chime were written "Stop." and acted on, and
went on into a person's "Ouch." until the whole was too long for a command. There a
command must rise above what the room says at its loudest, as with the coach quiet. Once
the canceller has taken its voice out, what stands ROOM_OVER_COACH above what it left of
that voice is the room as well (a television switched on while the coach talks), and a
room that talked while the coach was quiet still talks, and is held to the same rules, and
what falls 12 dB under an utterance's loudest there is the room, not the utterance going
on; and a voice rising 12 dB above all an utterance held before is someone starting to
speak into what the canceller left of the coach's sentence: the utterance starts anew
there. What it says at its loudest is learned there too: a television turned up while the
coach talked (or its louder advertisements) would otherwise rise above the level it was
learned at. In a still room all of that is the noise floor and changes nothing; what is
left of the coach's own voice is no louder than the canceller says.

Over scripts/bench_echo.py --tv's television (ordinary sentences 10 dB under the person,
many with command words in them), the median rule cut 2 of its 24 commands right and
the television's own sentences into "again", "skip", "next" (38 actions in 30 minutes);
these rules hear the commands listed in docs/performance.md, with no action from the
television's own talk.

Given a noise suppressor (coach/inputs/listening/denoise.py), the segmenter feeds it every block, quiet
ones too, and each utterance carries the suppressed sound of the same stretch beside the
sound as heard, and whether it was said over noise (less than NOISY dB above the room).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np

from coach.inputs.listening.block_statistics import mean_square, median, percentile

SAMPLE_RATE = 16000
BLOCK = 512  # samples: what Silero VAD takes at 16 kHz
CONTEXT = 64  # samples of the block before, which the model also takes
QUIET = 10 ** (-60 / 20)  # RMS below -60 dBFS: no one is speaking, the model is not asked
ROOM_SECONDS = 3.0  # the window the room's running level is the median of
# While the echo canceller takes the coach's voice out, a sound this many dB above what is
# left of it is someone in the room, whatever the voice detector says: a person's "pause",
# partly suppressed with the coach's voice, gave it 0.03-0.5, 45 dB above the silence left.
STANDING_OUT = 20.0
UNDER_LOUDEST = 25.0  # dB under an utterance's loudest block that, over the cancelled coach, is not it going on
# and over it with a talking room (a television 10 dB under the person). Three recorded live sessions
# of scripts/bench_echo.py --tv, replayed: 73 of 120 commands heard, from 67; none acted on that
# no one said. In two of them 10 dB heard as many, 15 fewer.
UNDER_LOUDEST_OVER_TALK = 12.0
# Over the cancelled coach, a block this many dB above all of an utterance under way but its last
# ANEW_LOOKBACK blocks (a word's own first syllables) is someone starting to speak over what is
# left of the coach's voice: the utterance starts anew there, with its lead-in. Over a loopback
# whose rate drifted, what the canceller left of a sentence (17 dB under the person) was cut as an
# utterance, and a "Pause." said 2 s into it made it too long to be a command, and was lost.
RISING_ANEW = 12.0
ANEW_LOOKBACK = 4
ANEW_AFTER = 0.5  # seconds into the utterance: before that, the rise is the word's own ("S-top.")
# Over the coach's voice taken out, a block this many dB above what the canceller left of the coach
# there (EchoCanceller.coach_left) is the room: a television switched on while the coach talked was
# taken for what was left of its voice over a still room until the coach's first pause, 25 s on,
# and a "stop" said over the introduction was not cut. Recorded live runs of scripts/bench_echo.py,
# replayed twice each without this and with it: five with the television switched on as the coach
# began, their first command heard 0 and 6 times in 10, 260 and 268 of 400 heard, 16 and 17 wrong;
# four with it on before, 197 and 201 of 320, 15 and 18 wrong; four on laptop speakers in a still
# room, 148 of 160 and none wrong either way (there, once a command's own words were left out of
# the room: counted, they raised it, and a "Next." said later over the coach was lost).
ROOM_OVER_COACH = 10.0
LOUDEST = 90  # percentile of the room's levels that is what it says at its loudest
ROOM_LAG = 0.5  # seconds: a still room's loudest leaves out its newest blocks, which may be someone starting to speak
TAIL_BLOCKS = 5  # blocks kept after the last one heard as speech: a word's quiet end ("-se" of "pause")
STANDING_BLOCKS = 5  # an utterance's loudest blocks (0.16 s): its level
# Over a talking room, the loudest blocks (0.1 s) that must stand `rise` above it, on average. Five
# left a short word short: eSpeak NG's "Wait." 10 dB over scripts/bench_echo.py's television, its
# five loudest 0.02-0.5 dB under, was dropped as the room's talk. Offline over the television
# (a throwaway probe over bench_echo's said_over_television), five draws of words that pause:
# 131 of 148 heard, from 125, and the same 2 taken as another word that pauses; three draws of
# every kind: 80 of 121, from 77, and 9 wrong, from 7, the two more "wait" (which pauses) for a
# "Next." and a "Repeat.". The television alone (20 min) still cut nothing, and a person's
# sentences over it (two draws, 86) acted as often: 2.
STANDING_OUT_BLOCKS = 3
# Over a talking room (a television), the blocks of an utterance not heard above it are turned
# down this much before the recogniser hears it: of scripts/bench_echo.py --tv's 80 commands
# said over its television, offline, 62 were heard with it, 49 without (GATE = 1).
GATE = 10 ** (-12 / 20)
# And a second view of it with those blocks turned down this much further: where GATE leaves the
# room's words loud enough for Whisper base to write them instead of the command ("Good day and
# good morning." for a "Continue."), this view is heard when the first is rejected. Deeper alone
# it cost the quiet starts of words (60 dB: 49 of those 80). Offline over bench_echo.py --tv's
# television, four draws of 80 commands: 234 of 318 heard as cut, 253 with this second view
# (22 dB: fewer, 40 dB: as many), and the same 8 acted on wrongly.
QUIETED = 10 ** (-30 / 20)
TALKING = 6.0  # dB between the room's loudest and its median that are talk, not a steady noise
EASE = SAMPLE_RATE // 100  # samples over which the gate opens and closes
# An utterance standing less than this above the room's running level was said over noise.
# bench_listen.py's commands stand 40-47 dB above digital silence (the floor is QUIET), and
# 11-15 dB above its noise at 10 dB SNR.
NOISY = 25.0
# An utterance begun this soon after another ended, the coach quiet, is the rest of what was
# being said: a sentence cut at its commas ("Stop it, | that tickles."), whose pieces heard
# alone were taken as commands ("at vehicles." as "again"). Only a saying heard word for
# word counts there.
AFTER_TALK = 0.75
WARM_BLOCKS = 4  # blocks of quiet the voice detector hears before a sound it has not been asked about

SpeechProbability = Callable[[np.ndarray], float]


class Coach(Enum):
    """The coach's own voice in the microphone at a moment, as the listening knows it."""

    QUIET = "quiet"  # not sounding: whatever talks is the room
    SOUNDING = "sounding"  # its words, not (yet) taken out by the echo canceller
    CANCELLED = "cancelled"  # its words, taken out: what stands out above what is left is someone


Suppressor = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Utterance:
    audio: np.ndarray  # float32, 16 kHz mono
    start: float  # the clock time of its first sample
    end: float  # and of its last: the speech ended here, `end_silence` before it was noticed
    suppressed: np.ndarray | None = None  # the same stretch with the room's steady noise taken out
    above_room: float = 0.0  # dB its loudest blocks stood above the room it began in
    level: float = -120.0  # dB of its loudest blocks
    above_loudest: float = 120.0  # dB they stood above the room heard alone (without the coach) at its loudest
    onset: float | None = None  # the clock time speech was heard to begin (`start` keeps a moment before it)
    after_talk: bool = False  # it began within AFTER_TALK of another's end, the coach quiet: the rest of a sentence
    over_talk: bool = False  # a room talked around it (a television): what was not above the room was turned down
    room_levels: tuple[float, ...] = ()  # its blocks' levels heard without the coach, left out of the room's
    quieted: np.ndarray | None = None  # over a talking room: the room's talk around its words turned down QUIETED

    @property
    def over_noise(self) -> bool:
        """Said over noise: standing less than NOISY dB above the room."""
        return self.above_room < NOISY


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
        rise: float = 6.0,
        coach: Callable[[float], Coach] | None = None,
        coach_left: Callable[[float], float | None] | None = None,
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
        self._onset = 0.0
        # When the latest utterance begun over the room (the coach quiet, or its voice taken out
        # while the room talks), kept or not, was heard to begin: someone in the room speaking
        # (what is left of the coach's own voice over a still room is not them)
        self.last_onset = -1e9
        self._pending = np.zeros(0, np.float32)
        self._pending_at = 0.0
        self.rise = rise
        self.coach = coach  # at a clock time: is the coach's voice in the microphone, and cancelled?
        self.coach_left = coach_left  # and in the block from then: dB of what is left of it, if known
        self._by_level = False  # the utterance under way was started by its level alone
        self._room_at_start = -120.0  # the room's level when the utterance under way began
        self._floor_at_start = -120.0  # and the level it had to rise above
        self._loudest_at_start = -120.0  # and the room heard alone, at its loudest
        self._room_talks = False  # the utterance under way began where whatever else talks is the room
        self._coach_sounding = False  # and over the coach's sound not taken out
        self._talk_around = False  # and the room was talking, not still or steadily noisy
        self._rise_at_start = rise  # and the rise it was started by
        self._over_coach = False  # it started over the coach's voice, taken out
        self._quiet_at_start = False  # it started with the coach quiet
        self._after_talk = False  # it started soon after another ended
        self._talk_ended: float | None = None  # when the last utterance begun with the coach quiet ended
        self._loudest = -120.0  # its loudest block so far, in dB
        self._latest: deque[float] = deque(maxlen=ANEW_LOOKBACK)  # the levels of its latest blocks
        self._earlier_loudest = -120.0  # and the loudest of all its blocks before them
        # Its latest blocks, kept whether or not it has grown too long: the lead-in if it starts anew.
        self._latest_pairs: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=self._before.maxlen)
        self._unheard = 0  # blocks in a row the voice detector was not asked about
        self._levels: deque[float] = deque(maxlen=round(ROOM_SECONDS * SAMPLE_RATE / BLOCK))
        # The levels of the blocks heard without the coach (the room alone: the coach quiet, or its
        # voice taken out while the room talks), and of those of the utterance under way: the
        # room's too, if it is talk, not a command.
        self._alone: deque[float] = deque(maxlen=round(ROOM_SECONDS * SAMPLE_RATE / BLOCK))
        self._alone_now: list[float] = []

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

    def _probability(self, block: np.ndarray) -> float:
        """The voice detector's, warmed first on the quiet blocks before this one when it has
        not heard any for a while: woken on a word with the state of a minute ago, it gave a
        person's "pause" 0.03-0.05, and 0.2-0.5 once it had heard the quiet before it."""
        if self._unheard >= WARM_BLOCKS:
            for heard, _ in list(self._before)[-WARM_BLOCKS:]:
                self.speech_probability(heard)
        self._unheard = 0
        return self.speech_probability(block)

    def _block(self, block: np.ndarray, at: float) -> Utterance | None:
        self._unheard += 1  # until the voice detector hears this block
        pair = (block, self.suppress(block) if self.suppress is not None else block)
        rms = float(np.sqrt(mean_square(block)))
        # Below QUIET all is one silence: the echo canceller's output in a digital rig is exact
        # zeros between the coach's words, and a room "at -180 dB" made every sound stand out of
        # it, and no utterance over the coach ever end.
        level = 20 * np.log10(max(rms, QUIET))
        coach = self.coach(at) if self.coach is not None else Coach.QUIET
        # What the room says at its loudest is only asked for where an utterance may start, and
        # over the coach's voice taken out, where a talking room is still heard: a television turned
        # up while the coach talked rose above its loudest, learned only with the coach quiet, and
        # its "Next," was cut as a word of its own. Not a still room: there what is heard is the coach's.
        loudest = self._room_loudest() if not self._speech or coach is Coach.CANCELLED else -120.0
        if coach is Coach.QUIET or (coach is Coach.CANCELLED and (self._talks(loudest) or self._over_left(level, at))):
            self._alone_now.append(level)
        if not self._speech:
            room = median(sorted(self._levels)) if self._levels else -120.0
            self._levels.append(level)
            self._alone.extend(self._alone_now)
            self._alone_now.clear()
            # Over the coach's sound not taken out (a chime, or its voice before the canceller has
            # learned the room), the room's level is the coach's: a rise above it would cut its
            # sentences into syllables ("-gin" of "Let us begin." heard as "Again."). Unless the room
            # heard alone talks: its words go on under the coach's sound, and are held off as with
            # the coach quiet (scripts/bench_echo.py --tv, replayed: a "Stop." under a chime).
            talks = self._talks(loudest)
            rise = 0.0 if coach is Coach.SOUNDING and not talks else self.rise
            # With the coach quiet, whatever talks is the room: a command must rise above what it
            # says at its loudest. Over the coach's voice its running median, as its words rise and fall.
            # Over the coach's voice taken out, a room that talks is still there: held to its loudest too.
            room_talks = coach is Coach.QUIET or talks
            floor = room if not room_talks else max(loudest, room) if coach is Coach.CANCELLED else loudest
            loud = rms >= QUIET and level >= floor + rise
            probability = self._probability(block) if loud else 0.0
            standing_out = coach is Coach.CANCELLED and level >= room + STANDING_OUT
            if probability >= self.start_threshold or standing_out:
                self._room_at_start = room
                self._loudest_at_start = loudest
                self._floor_at_start = floor
                self._room_talks = room_talks
                self._coach_sounding = coach is Coach.SOUNDING
                # Talk, not a steady noise: only then is what was not above it turned down (in
                # steady noise that took "finished" for "next").
                self._talk_around = talks
                self._rise_at_start = rise
                self._over_coach = coach is Coach.CANCELLED
                self._quiet_at_start = coach is Coach.QUIET
                ended = self._talk_ended
                self._after_talk = coach is Coach.QUIET and ended is not None and at - ended < AFTER_TALK
                self._by_level = probability < self.start_threshold
                self._latest_pairs.clear()
                self._latest_pairs.extend(self._before)
                self._begin(list(self._before), level, at)
                self._speech.append(pair)
                self._keep_latest(level, pair)
            else:
                self._before.append(pair)
            return None
        self._levels.append(level)
        rising = self._earlier_loudest > -120.0 and level >= self._earlier_loudest + RISING_ANEW
        if self._over_coach and rising and at - self._onset >= ANEW_AFTER:
            # Someone began to speak over what is left of the coach's voice: what came before is
            # dropped (it would be rejected as the coach's, or make the utterance too long).
            self._begin(list(self._latest_pairs), level, at)
        self._keep_latest(level, pair)
        # Once started, the utterance lasts while speech goes on above the room as it was then:
        # a sentence begun in a quiet room is one utterance, however its syllables rise and fall.
        above = rms >= QUIET and level >= self._floor_at_start + self._rise_at_start / 2
        self._loudest = max(self._loudest, level)
        # What the canceller leaves of the coach's words, far under the person's, is not
        # them going on: over a loopback whose delay drifted it stayed 30 dB under a
        # "pause", and the voice detector heard it as speech until the utterance was talk.
        under = self._over_coach and level < self._loudest - UNDER_LOUDEST
        # Over the cancelled coach and a talking room, the room's talk well under the utterance's
        # loudest is not it going on: a person's "Ouch." 10 dB over a television was kept alive by
        # the television's next words until it was too long to be a command. Not with the coach
        # quiet: there the "talking room" may be the person's own last words, and a sentence of
        # theirs was cut after its loudest word ("The next bus leaves at nine." heard "The neck").
        under = under or (self._over_coach and self._talk_around and level < self._loudest - UNDER_LOUDEST_OVER_TALK)
        above = above and not under
        probability = self._probability(block) if above else 0.0
        if not self._too_long:
            self._speech.append(pair)
            self._too_long = len(self._speech) > self.longest_blocks
        speaking = probability >= self.end_threshold or (
            self._by_level and not under and level >= self._room_at_start + STANDING_OUT / 2
        )
        self._quiet_blocks = 0 if speaking else self._quiet_blocks + 1
        if self._quiet_blocks < self.end_blocks:
            return None
        speech, too_long = self._speech, self._too_long
        self._speech, self._too_long = [], False
        self._before.clear()
        # A syllable of the room's own talk that rose above it for a moment is not a word said over it.
        room_talk = self._room_talks and not self._stands_out(speech)
        if self._quiet_at_start and not room_talk:  # someone's words, a command or talk too long for one
            self._talk_ended = at - (self.end_blocks - 1) * BLOCK / SAMPLE_RATE
        if too_long or room_talk:
            return None
        # A command is not the room: its words are left out of what it says at its loudest (over the
        # coach's voice in a still room, those that stood ROOM_OVER_COACH above what was left of it).
        room_levels = tuple(self._alone_now)
        self._alone_now.clear()
        kept = speech[: len(speech) - self.end_blocks + 1 + (TAIL_BLOCKS if self._talk_around else 0)]
        as_heard = np.concatenate([heard for heard, _ in kept])
        gains, quieted = np.ones(len(as_heard), np.float32), None
        if self._talk_around:  # in a still room every word is above it, and nothing is turned down
            above = self._above_room(kept)
            gains = _gate(above, GATE)
            quieted = as_heard * _gate(above, QUIETED)
        audio = as_heard * gains
        suppressed = np.concatenate([quieter for _, quieter in kept]) * gains if self.suppress is not None else None
        end = self._started_at + len(audio) / SAMPLE_RATE
        level = self._loudest_blocks(speech)
        return Utterance(
            audio,
            self._started_at,
            end,
            suppressed,
            level - self._room_at_start,
            level,
            level - self._loudest_at_start,
            self._onset,
            self._after_talk,
            self._talk_around,
            room_levels,
            quieted,
        )

    def _keep_latest(self, level: float, pair: tuple[np.ndarray, np.ndarray]) -> None:
        if len(self._latest) == self._latest.maxlen:
            self._earlier_loudest = max(self._earlier_loudest, self._latest[0])
        self._latest.append(level)
        self._latest_pairs.append(pair)

    def _begin(self, lead_in: list[tuple[np.ndarray, np.ndarray]], level: float, at: float) -> None:
        """The utterance starts at this block (at `at`, `level` dB), after `lead_in`: heard to
        begin where speech was, or anew where someone spoke over what the canceller left."""
        self._speech = lead_in
        self._started_at = at - len(lead_in) * BLOCK / SAMPLE_RATE
        self._onset = at
        self._loudest = level
        self._quiet_blocks = 0
        self._too_long = False
        self._latest.clear()
        self._earlier_loudest = -120.0
        if self._room_talks and not self._coach_sounding:  # the coach's own sound is no one speaking on
            self.last_onset = at

    def _over_left(self, level: float, at: float) -> bool:
        """The block stands ROOM_OVER_COACH above what the canceller left of the coach's voice in it:
        it is the room (or someone in it), not the coach."""
        left = self.coach_left(at) if self.coach_left is not None else None
        return left is not None and left > -120.0 and level >= left + ROOM_OVER_COACH

    @property
    def room_spoke(self) -> bool:
        """Someone or something in the room was heard to begin speaking (`last_onset`): the
        listening asks it before the coach's first word, when the room is all there is."""
        return self.last_onset > -1e9

    def room_said(self, utterance: Utterance) -> None:
        """The utterance was the room's talk after all: what it says at its loudest counts it."""
        self._alone.extend(utterance.room_levels)

    def _room_loudest(self) -> float:
        """What the room says at its loudest. In a still room (or a steadily noisy one) as it
        was ROOM_LAG ago: the voice detector is sure of some voices only a fifth of a second
        into a word, and counted as the room, those first syllables raised the level the word
        had to rise above past the word itself. A talking room (a television) as it is: its
        words rising over what it said before are still its own."""
        if not self._alone:
            return -120.0
        levels = list(self._alone)
        earlier = sorted(levels[: -round(ROOM_LAG * SAMPLE_RATE / BLOCK)])
        if earlier:
            loudest = percentile(earlier, LOUDEST)
            if loudest - median(earlier) < TALKING:
                return loudest
        return percentile(sorted(levels), LOUDEST)

    def _talks(self, loudest: float) -> bool:
        """The room heard without the coach talks (a television): its loudest well above its middle."""
        return loudest - median(sorted(self._alone or [loudest])) >= TALKING

    def _stands_out(self, speech: list[tuple[np.ndarray, np.ndarray]]) -> bool:
        """Its loudest blocks stand `rise` dB above what the room says at its loudest: a word said
        over the room, not a syllable of the room's own talk that rose above it for a moment
        ("Next," of a television's "Next, the weather: ..." rose 5 dB)."""
        return self._loudest_blocks(speech, STANDING_OUT_BLOCKS) >= self._floor_at_start + self._rise_at_start

    @staticmethod
    def _loudest_blocks(speech: list[tuple[np.ndarray, np.ndarray]], count: int = STANDING_BLOCKS) -> float:
        """The level of an utterance's `count` loudest blocks, together, in dB."""
        energies = sorted(float(np.mean(heard**2)) for heard, _ in speech)[-count:]
        return float(10 * np.log10(max(float(np.mean(energies)), 1e-18)))

    def _above_room(self, kept: list[tuple[np.ndarray, np.ndarray]]) -> list[bool]:
        """Which blocks were heard above the talking room the utterance began in."""
        floor = self._floor_at_start + self._rise_at_start / 2
        return [float(np.sqrt(np.mean(heard**2))) >= 10 ** (floor / 20) for heard, _ in kept]


def _gate(above: list[bool], gate: float) -> np.ndarray:
    """Per sample, `gate` where a block was not heard above the room, 1 where it was, eased
    over 10 ms: the room's talk around and between a command's words is turned down, its
    words are not."""
    gains = np.repeat(np.where(above, 1.0, gate), BLOCK)
    return np.convolve(gains, np.ones(EASE) / EASE, mode="same").astype(np.float32)


def utterances_in(recording: np.ndarray, suppress: Suppressor | None = None, rise: float = 6.0) -> list[Utterance]:
    """A whole recording (16 kHz float32) cut as the listener cuts its microphone's stream."""
    return Segmenter(silero_vad(), suppress=suppress, rise=rise).feed(recording, 0.0)
