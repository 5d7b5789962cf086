"""Spoken commands over the coach's own voice, through a laptop-in-a-room rig (issue 30).

The rig is a private PulseAudio: coach plays into a sink `speakers`; module-loopback carries
`speakers.monitor` into a sink `room` after a delay; the person's commands are played into
`room` with paplay, in voices other than the coach's; the microphone is `room.monitor`. No mock
on the sound path: coach runs as a user starts it, `coach --listen --verbose --timing-log`.

Commands (the default run): the built-in routine plays; every few seconds, at a random moment,
a pause or pain word is said, a "go on" a moment later, and then a word that moves the session
("next", "back", "again"; a "go on" instead while the coach is still paused), by turns in three
voices. Each is counted as said over the coach's speech or in its quiet (from the session's
timing log), acted on rightly (its meaning), wrongly, or not at all, with the time from the end
of the command to the session's "heard:" line. Configurations: loopback delays 80 and 250 ms;
the echo as loud as the person, and 6 dB louder (the person 6 dB quieter: nothing clips). With
--tv, a television (ordinary sentences in another voice, without pause) talks into the room 10
dB under the person throughout, on before the session starts (--tv-late: switched on as the
coach begins), and every action not caused by a command is counted as the television's; before
that live run, the listening path alone is fed 30 minutes of the television's talk (actions
from its words), 7.5 minutes of it with a command said over it every 3-6 s (acted on), and 12
minutes of it with a person's ordinary sentences said over it (actions: none is right).

--headphones: the same commands with no loopback, the coach's voice never in the room, as through
headphones or earbuds; with --tv, a television on in that room.

The loopback holds its rate (a laptop's speakers and microphone share a clock); --drifting
lets it adjust its rate to hold its latency, as a microphone on a clock of its own would.

--pain-answers: after a pain word said over the coach, it answers how to go on ("... When you are
ready, say continue. To end, say stop the session."). By turns the person stays silent through the
answer and 4 s after it (any going on acted on then is the coach obeying its own word), or says
the word it asked for in answer to the coach's own, 0.2-0.6 s after that word reached the room
(taken or not), in the three voices. Paused, a pain word is answered again, so any heard through
a silent answer is the coach's own words ("stop" in "say stop the session"). Loopback 150 ms,
the echo as loud as the person and 6 dB louder.

--whole-routine: the built-in routine through the rig, the echo 6 dB louder than a person would
be, with --listen and then without: cue onset error (p50, p99, max), actions taken (any is the
coach obeying itself), CPU of coach and its listening process, memory (its peak, two minutes
in, and at each quarter of the rest: flat when those stay alike; in all and in coach's own
process), echo reduction, and how fast the machine was before and after (a plain Python loop:
its speed moves within the hour, and a CPU share with it).

--record FOLDER keeps each live commands run (what the listening process was given, and each
command said), for scripts/replay_listening.py to hear again through the code as it is then.

    python scripts/bench_echo.py [--commands 16] [--tv [--tv-late]] [--pain-answers 12] [--whole-routine] [--drifting]
                                 [--record FOLDER]
    (needs the listen extra)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchlib import coach_command, command_line, loop_seconds, machine, percentile

from coach.common.audio import RATE
from coach.inputs.listening.vocabulary import STOPS_THE_COACH, Vocabulary
from coach.plan.phrases import Phrases
from coach.sound.player import Command
from coach.voice.voices import Voice, VoiceSettings

if TYPE_CHECKING:
    import numpy as np

PERSON_VOICES = [
    VoiceSettings("gmw/en-GB-x-rp", 170),
    VoiceSettings("gmw/en-US", 150),
    VoiceSettings("en_US-joe-medium", 140),
]
PAUSING = ["Pause.", "Wait.", "Hold on.", "Ouch.", "It hurts.", "Stop."]
GOING_ON = ["Go on.", "Continue.", "Resume."]
# What moves the session, as issue 30 asks a person to say at any moment; "next" skips an
# exercise and "back" starts it again, so a run of the routine keeps enough exercises to go on.
MOVING = ["Next.", "Skip.", "Back.", "Start again.", "Again.", "Repeat.", "Say that again."]
KINDS = {"pausing": PAUSING, "going on": GOING_ON, "moving": MOVING}
TELEVISION = [
    "Good evening, and welcome to the news at nine.",
    "The weather will stay dry for most of the week, with some rain in the north on Friday.",
    "Next up, we look at the football results from the weekend.",
    "Our reporter has been speaking to people in the town centre about the new bus routes.",
    "Many say they would wait for a better service rather than pay more.",
    "Stay with us after the break for the rest of the day's stories.",
    "The council says the work will continue until the end of the month.",
    "Scientists hope the new telescope will help them see further back in time.",
]
TV_VOICE = VoiceSettings("gmw/en-GB-scotland", 160)
WORDS = Phrases.for_language("en")
COMMANDS = Vocabulary.commands(WORDS, "en")
PAIN_ANSWER = WORDS.pain_answer_parts()  # said part by part, each a clip of its own
ASKED_TO_GO_ON = WORDS.first_saying("heard_resume").capitalize() + "."  # what the answer asks for
LOOPBACK_RATE = " adjust_time=0"  # held; "" with --drifting
TAP = Path(__file__).resolve().parent / "listening_tap"  # --record: what the listening process is given


@contextmanager
def laptop(delay_ms: int | None, folder: Path) -> Iterator[dict[str, str]]:
    """The private PulseAudio rig; yields the environment that routes coach and paplay to it.
    `delay_ms` None: no loopback, the coach heard through headphones, never in the room.

    The loopback holds its rate, as tests/test_listen.py's does: a laptop's speakers and
    microphone share one sound card's clock. With --drifting it adjusts its rate every 10 s
    to hold its latency (PulseAudio's default), as two clocks would need, which warps the
    echo within a clip."""
    home = Path(tempfile.mkdtemp(prefix=f"pulse-{delay_ms}-", dir=folder))
    socket = home / "native"
    loopback = f"source=speakers.monitor sink=room latency_msec={delay_ms}{LOOPBACK_RATE}"
    (home / "server.pa").write_text(
        "load-module module-null-sink sink_name=speakers\nload-module module-null-sink sink_name=room\n"
        + ("" if delay_ms is None else f"load-module module-loopback {loopback}\n")
        + "set-default-sink speakers\nset-default-source room.monitor\n"
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={socket}\n"
    )
    (home / "asound.conf").write_text(f'pcm.!default {{ type pulse server "unix:{socket}" }}\n')
    env = dict(os.environ, HOME=str(home), XDG_RUNTIME_DIR=str(home), PULSE_SERVER=f"unix:{socket}")
    env["ALSA_CONFIG_PATH"] = str(home / "asound.conf")
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    server = subprocess.Popen(
        ["pulseaudio", "-n", "-F", str(home / "server.pa"), "--daemonize=no", "--exit-idle-time=-1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "PulseAudio did not start"
            time.sleep(0.1)
        yield env
    finally:
        server.terminate()
        server.wait(10)


def said_frames(voice: VoiceSettings, text: str) -> bytes:
    """A person's or the television's words: 16-bit mono frames at the coach's rate. eSpeak NG
    carries its state from phrase to phrase within a process, so a cached render depended on
    what any benchmark had rendered before it on that machine (80 commands over the television,
    offline: 64 right on one machine, 53 on the next, the code the same). An eSpeak voice is
    rendered alone, by the espeak-ng command: the same sound on every machine. Piper's voice
    through the coach's engine."""
    if voice.voice is None or "/" not in voice.voice:
        return Voice(voice).clip(text).frames
    from bench_listen import espeak_frames

    frames, rate = espeak_frames(voice.voice, voice.rate, text)
    if rate == RATE:
        return frames
    import numpy as np
    import soxr

    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32)
    return np.asarray(soxr.resample(samples, rate, RATE), dtype=np.float32).round().astype("<i2").tobytes()


def wav_of(voice: VoiceSettings, text: str, folder: Path) -> Path:
    path = folder / f"{re.sub(r'[^a-z0-9]+', '-', (voice.voice or '') + '-' + text.lower())}.wav"
    if not path.exists():
        write_wav(path, said_frames(voice, text))
    return path


def write_wav(path: Path, frames: bytes) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)


class Session:
    """coach --listen as a user starts it, its output lines collected with their arrival times."""

    def __init__(self, env: dict[str, str], folder: Path, *args: str) -> None:
        self.log = folder / f"timing-{time.monotonic_ns()}.jsonl"
        self.process = subprocess.Popen(
            [*coach_command(), "--countdown", "off", "--verbose", "--timing-log", str(self.log), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[tuple[float, str]] = []
        for stream in (self.process.stdout, self.process.stderr):
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: object) -> None:
        for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def heard(self, since: float = 0.0) -> list[tuple[float, str]]:
        return [
            (at, line.removeprefix("heard: ")) for at, line in self.lines if at >= since and line.startswith("heard: ")
        ]

    def started(self, timeout: float = 120) -> float:
        deadline = time.monotonic() + timeout
        while not self.lines or not any("chime" in line for _, line in self.lines):
            assert time.monotonic() < deadline and self.process.poll() is None, "\n".join(
                line for _, line in self.lines
            )
            time.sleep(0.05)
        return next(at for at, line in self.lines if "chime" in line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(30)


def meaning(words: str) -> Command | int | None:
    saying = COMMANDS.match(words)
    return None if saying is None else saying.meaning


def room_volume(under_db: float) -> str:
    """paplay's volume for a sound `under_db` under full: the person, or the television
    (PulseAudio's volume is cubic)."""
    return str(round(65536 * 10 ** (-under_db / 60)))


def why_not(session: Session, since: float) -> str:
    """What the listener said it heard (--verbose) since `since`, for a command not acted on."""
    heard = [line for at, line in session.lines if at >= since and line.startswith("coach: heard")]
    return "; ".join(heard) or "nothing heard"


def heard_with_nothing_to_do(session: Session, since: float) -> list[Any]:
    """The meanings heard since `since` that the coach did not act on in its state then: a
    "Stop." said to a coach paused already (--verbose: "coach: heard 'stop': nothing to do now")."""
    lines = [line for at, line in session.lines if at >= since]
    return [meaning(m.group(1)) for line in lines if (m := re.match(r"coach: heard '(.+)': nothing to do now", line))]


def paused(session: Session) -> bool:
    """The coach is paused: the last saying it acted on paused it (--verbose's "heard:" lines)."""
    meanings = [meaning(words) for _, words in session.heard()]
    moved = [m for m in meanings if m in STOPS_THE_COACH or m is Command.RESUME]
    return bool(moved) and moved[-1] is not Command.RESUME


def say_in_room(env: dict[str, str], wav: Path, volume: str) -> None:
    """The person says it: played into the room, returning when it has been said."""
    subprocess.run(["paplay", "--device=room", f"--volume={volume}", str(wav)], env=env, check=True)


RIGHT, MISSED, WRONG = range(3)  # where each is counted in a tally


def tally_as(tallies: Iterable[list[int]], outcome: int) -> None:
    for tally in tallies:
        tally[outcome] += 1


def commands_run(
    delay_ms: int | None,
    echo_db: int,
    count: int,
    tv: bool,
    folder: Path,
    rng: random.Random,
    tv_late: bool = False,
    record: Path | None = None,
) -> dict:
    """`record`: where to keep what the listening process was given (`record`.listening) and
    each command said, when, and how it went (`record`.json), for scripts/replay_listening.py."""
    tv_volume = room_volume(echo_db + 10)  # 10 dB under the person
    result: dict[str, Any] = {"over": [0, 0, 0], "gap": [0, 0, 0], "latency": [], "tv_actions": 0, "echo": None}
    result["kinds"] = {kind: [0, 0, 0] for kind in KINDS}
    result["latency_by_kind"] = {kind: [] for kind in KINDS}
    commands: list[dict[str, Any]] = []  # each said, for the record
    with laptop(delay_ms, folder) as env:
        if record is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TAP), env.get("PYTHONPATH")]))
            env["COACH_LISTENING_RECORD"] = str(record.with_suffix(".listening"))

        def television_on() -> subprocess.Popen:
            track = folder / "television.wav"
            if not track.exists():
                write_wav(track, b"".join(said_frames(TV_VOICE, s) + bytes(2 * RATE // 5) for s in TELEVISION * 3))
            return subprocess.Popen(
                ["sh", "-c", f"while true; do paplay --device=room --volume={tv_volume} {track}; done"], env=env
            )

        # On in the room as the person starts the session, or (tv_late) switched on as the coach begins.
        television = television_on() if tv and not tv_late else None
        tv_on_at = time.monotonic()
        session = Session(env, folder, "--listen")
        started = session.started()
        if tv and tv_late:
            television = television_on()
            tv_on_at = time.monotonic()
        time.sleep(20)  # the coach's first words: the canceller finds the echo and learns the room
        try:
            for n in range(count):
                # By turns a word that pauses, one that goes on, one that moves the session; to a
                # coach still paused (a going on missed), it goes on first: paused, moving does nothing.
                text = rng.choice([PAUSING, GOING_ON, MOVING][n % 3])
                if text in MOVING and paused(session):
                    text = rng.choice(GOING_ON)
                voice = PERSON_VOICES[(n + n // 3) % len(PERSON_VOICES)]
                wav = wav_of(voice, text, folder)
                time.sleep(rng.uniform(1.0, 4.0))
                said_at = time.monotonic()
                say_in_room(env, wav, room_volume(echo_db))
                ended = time.monotonic()
                time.sleep(2.5)
                wanted = meaning(text.rstrip("."))
                got = [(at, words) for at, words in session.heard(said_at)]
                over = coach_was_speaking(session, said_at, ended)
                kind = next(kind for kind, texts in KINDS.items() if text in texts)
                tallies = (result["over" if over else "gap"], result["kinds"][kind])  # right, missed, wrong
                where = "over the coach" if over else "in a gap"
                if over and any(a < ended and b > said_at for a, b in pain_answers(session)):
                    where = "over the answer to a pain word"
                acted_rightly = [at for at, words in got if meaning(words) == wanted]
                # heard rightly, where the coach was paused already (a going-on missed before), counts too
                right = bool(acted_rightly) or wanted in heard_with_nothing_to_do(session, said_at)
                live = [words for _, words in got]
                commands.append(
                    {"text": text, "voice": voice.voice, "said": said_at, "ended": ended, "where": where}
                    | {"live": live, "right": right}
                )
                if acted_rightly:
                    tally_as(tallies, RIGHT)
                    latency = acted_rightly[0] - ended
                    result["latency"].append(latency)
                    result["latency_by_kind"][kind].append(latency)
                elif right:
                    tally_as(tallies, RIGHT)
                elif got:
                    tally_as(tallies, WRONG)
                    # --verbose tells of a saying the closed set found; one written word for word, it does not
                    how = why_not(session, said_at).replace("nothing heard", "heard word for word")
                    print(f"  wrong: {text!r} ({voice.voice}), {where}; taken as {[w for _, w in got]}; {how}")
                else:
                    tally_as(tallies, MISSED)
                    print(f"  missed: {text!r} ({voice.voice}), {where}; {why_not(session, said_at)}")
                if session.process.poll() is not None:
                    break
        finally:
            if television is not None:
                television.terminate()
            session.stop()
        echo = [line for _, line in session.lines if "echo cancelled" in line]
        result["echo"] = echo[-1] if echo else None
        said = sum(sum(result[k][:3]) for k in ("over", "gap"))
        heard_lines = len(session.heard())
        result["tv_actions"] = max(0, heard_lines - said) if tv else 0
        result["minutes"] = (time.monotonic() - started) / 60
        # A talking room is told to the person: heard before the first cue, or once it begins (live.py);
        # when, in seconds after the television came on (or the session began, in a still room)
        told = [at for at, line in session.lines if WORDS.say("room_talking") in line]
        result["told"] = told[0] - tv_on_at if told else None
        if record is not None:
            record.with_suffix(".json").write_text(json.dumps({"commands": commands}, indent=1))
    return result


def told_when(told: float | None, tv_late: bool) -> str:
    """Whether the room was told as talking, and when, after the television came on."""
    if told is None:
        return "the room not told as talking"
    return "the room told as talking" + (f" {told:.0f} s after the television came on" if tv_late else "")


def spoken(at: float, text: str) -> tuple[float, float]:
    """When a cue printed at `at` sounded: ~15 characters a second (Piper joe's pace)."""
    return at, at + 0.065 * len(text) + 0.4


def coach_was_speaking(session: Session, start: float, end: float) -> bool:
    """Whether the coach was speaking between `start` and `end`: its cue lines are printed as
    each cue starts; a cue's length is taken as 15 characters a second (Piper joe's pace).
    A pain word is answered too, unprinted (`pain_answers`)."""
    spans = []
    for at, line in session.lines:
        match = re.match(r"\s+\d+:\d+\.\d\s+speech\s+(.*)", line)
        if match:
            spans.append(spoken(at, match.group(1)))
    return any(a < end and b > start for a, b in [*spans, *pain_answers(session)])


def pain_answers(session: Session) -> list[tuple[float, float]]:
    """When the coach answered a pain word ("I have paused. ... To end, say stop the session."):
    from when the word was heard."""
    # Each part as a cue's length, and its clip's own lead-in and trail (~0.25 s with Piper joe).
    seconds = sum(0.065 * len(part) + 0.25 for part in PAIN_ANSWER)
    return [(at, at + seconds) for at, words in session.heard() if meaning(words) is Command.PAIN]


PAIN_WORDS = ["Ouch.", "Stop.", "It hurts."]
PAIN_ANSWER_COUNTS = ("answers", "pain_missed", "own_resumes", "own_pain", "silent", "taken", "said")


def pain_answer_run(delay_ms: int, echo_db: int, count: int, folder: Path, rng: random.Random) -> dict:
    """`count` pain words, each answered by the coach; after every other one the person answers the
    word it asks for at once, after the others they stay silent. See the module docstring."""
    import numpy as np

    result: dict[str, Any] = {**dict.fromkeys(PAIN_ANSWER_COUNTS, 0), "latency": []}
    cache = folder / f"cache-{delay_ms}-{echo_db}"
    with laptop(delay_ms, folder) as env:
        env["COACH_CACHE_DIR"] = str(cache)  # the bench reads the coach's own clips of its answer
        session = Session(env, folder, "--listen")
        session.started()
        time.sleep(20)
        coach = Voice(VoiceSettings(), cache_dir=cache)
        parts = [np.frombuffer(coach.clip(part).frames, dtype="<i2") for part in PAIN_ANSWER]
        resume_part = next(n for n, part in enumerate(PAIN_ANSWER) if meaning(part.rstrip(".")) is Command.RESUME)
        loud = np.flatnonzero(np.abs(parts[resume_part]) > 300)
        # From play() of the answer to the end of the coach's own word to go on, and to the answer's end.
        word_end = sum(len(part) for part in parts[:resume_part]) / RATE + (loud[-1] + 1) / RATE
        answer_end = sum(len(part) for part in parts) / RATE
        heard_delay = delay_ms / 1000 + 0.03  # the loopback, and the sound server's own buffering

        def say(text: str, voice: VoiceSettings) -> None:
            say_in_room(env, wav_of(voice, text, folder), room_volume(echo_db))

        def resumes(since: float, until: float) -> list[float]:
            return [at for at, words in session.heard(since) if at <= until and meaning(words) is Command.RESUME]

        for n in range(count):
            voice = PERSON_VOICES[n % len(PERSON_VOICES)]
            time.sleep(rng.uniform(3.0, 6.0))
            if session.process.poll() is not None:
                break
            said_at = time.monotonic()
            say(PAIN_WORDS[n % len(PAIN_WORDS)], voice)
            deadline = time.monotonic() + 4
            while not (pain := [at for at, w in session.heard(said_at) if meaning(w) is Command.PAIN]):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            if not pain:
                result["pain_missed"] += 1
                word = PAIN_WORDS[n % len(PAIN_WORDS)]
                print(f"  pain word {word!r} ({voice.voice}) missed over the coach: {why_not(session, said_at)}")
                continue
            result["answers"] += 1
            answered = pain[0]  # the answer is played as the pain word is acted on
            if n % 2 == 0:  # silent through the answer and after: any going on now is the coach's own
                time.sleep(max(0.0, answered + heard_delay + answer_end + 4.0 - time.monotonic()))
                result["silent"] += 1
                # Paused, a pain word is answered again: the answer's own "stop" must not be one.
                heard_pain = [w for at, w in session.heard(answered + 0.01) if meaning(w) is Command.PAIN]
                if heard_pain:
                    result["own_pain"] += 1
                    print(f"  the coach's own words in its answer taken as a pain word: {heard_pain}")
                own = resumes(answered, time.monotonic())
                if own:
                    result["own_resumes"] += 1
                    print(f"  the coach's own {ASKED_TO_GO_ON!r} acted on, {own[0] - answered:.2f} s into its answer")
                    continue
            else:  # "Resume." in answer to the coach's own, as soon as it has reached the room
                at = answered + heard_delay + word_end + rng.uniform(0.2, 0.6)
                time.sleep(max(0.0, at - time.monotonic()))
                start = time.monotonic()
                say(ASKED_TO_GO_ON, voice)
                ended = time.monotonic()
                result["said"] += 1
                time.sleep(2.5)
                got = resumes(start, time.monotonic())
                if got:
                    result["taken"] += 1
                    result["latency"].append(got[0] - ended)
                    continue
                late = start - answered - heard_delay - word_end
                why = why_not(session, start)
                print(f"  {ASKED_TO_GO_ON!r} ({voice.voice}) {late:.2f} s after the coach's own: {why}")
            time.sleep(max(0.0, answered + heard_delay + answer_end + 0.5 - time.monotonic()))
            for _ in range(3):  # go on, said after the answer as it asks
                said_at = time.monotonic()
                say("Continue.", voice)
                time.sleep(2.5)
                if resumes(said_at, time.monotonic()):
                    break
        session.stop()
    return result


def whole_routine(folder: Path, listen: bool, coach_args: list[str]) -> dict:
    with laptop(150, folder) as env:
        wall = time.monotonic()
        session = Session(env, folder, *(["--listen"] if listen else []), *coach_args)
        memory: list[float] = []
        coach_memory: list[float] = []
        children: set[int] = set()
        cpu = coach_cpu = 0.0
        while session.process.poll() is None:
            time.sleep(1)
            children |= listening_children(session.process.pid)
            # each process read once: coach's own, then its listening process added to it
            coach_memory.append(process_memory({session.process.pid}))
            memory.append(coach_memory[-1] + process_memory(children))
            coach_cpu_now = process_cpu({session.process.pid})
            cpu = max(cpu, coach_cpu_now + process_cpu(children))
            coach_cpu = max(coach_cpu, coach_cpu_now)
            last_cue = max((at for at, line in session.lines if re.match(r"\s+\d+:\d", line)), default=wall)
            if time.monotonic() - last_cue > 60:  # paused by its own voice, waiting for a "go on"
                print("  stalled: no cue for 60 s; it heard:", [w for _, w in session.heard()])
                session.stop()
        for at, words in session.heard():
            cues = [line.strip() for when, line in session.lines if when <= at and re.match(r"\s+\d+:\d", line)]
            print(f"  acted on, from its own voice: {words!r}, after {cues[-1] if cues else 'no cue'!r}")
        seconds = time.monotonic() - wall
        time.sleep(0.3)
        errors = [json.loads(line)["error_ms"] for line in session.log.read_text().splitlines()]
        echo = [line for _, line in session.lines if "echo cancelled" in line]
        return {
            "p50": percentile(errors, 0.5),
            "p99": percentile(errors, 0.99),
            "max": max(errors),
            "cues": len(errors),
            "actions": len(session.heard()),
            # a still room: the coach's own voice must never be told as the room talking
            "told": sum(WORDS.say("room_talking") in line for _, line in session.lines),
            "cpu": 100 * cpu / seconds,
            "coach_cpu": 100 * coach_cpu / seconds,  # the session's own process: player, keys, remote
            "memory": memory,
            "coach_memory": coach_memory,
            "echo": echo[-1] if echo else None,
        }


def listening_children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.exists():
            found |= {int(c) for c in children.read_text().split()}
    return found


def process_cpu(pids: set[int]) -> float:
    """CPU seconds so far of these processes (coach, its listening process), from /proc."""
    total = 0.0
    for each in pids:
        stat = Path(f"/proc/{each}/stat")
        if stat.exists():
            fields = stat.read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def memory_course(memory: list[float], settled: int = 120) -> str:
    """Memory sampled each second: its peak, then whether it stays flat: at `settled` seconds,
    when everything is loaded, and at each quarter of the rest (the last, the median of the
    last minute). The listening grows as it first hears: offline, fed a coach's clips and their
    echo, 362 MB loaded, 516 MB a minute later, and 517 MB through the 29 minutes after."""
    if len(memory) <= settled + 60:
        return f"peak {max(memory or [0]):.0f} MB (too short a run to say whether it stays flat)"
    rest = len(memory) - settled
    quarters = [memory[settled + rest * k // 4] for k in (1, 2, 3)] + [sorted(memory[-60:])[30]]
    return (
        f"peak {max(memory):.0f} MB; {memory[settled]:.0f} MB {settled // 60} min in, then at each quarter of "
        f"the {rest / 60:.0f} min after: {', '.join(f'{m:.0f}' for m in quarters)} MB"
    )


def process_memory(pids: set[int]) -> float:
    """Resident memory of these processes, MB, from /proc."""
    total = 0.0
    for each in pids:
        status = Path(f"/proc/{each}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


def television_talk() -> np.ndarray:
    """The television's ordinary sentences, one after another, 16 kHz, 10 dB under a person."""
    from bench_listen import ORDINARY, as_16k

    return as_16k(b"".join(said_frames(TV_VOICE, sentence) for sentence in [*TELEVISION, *ORDINARY])) * 10 ** (-10 / 20)


def heard_offline(blocks: Iterable[np.ndarray]) -> list[tuple[float, tuple[Any, ...]]]:
    """The listening path (segmenter, recogniser, echo guard: coach/inputs/listening/hearing.py)
    fed 16 kHz blocks of 512 one after another, on a clock counted in samples: what it sent,
    and when. It listens as in a session: for what a playing coach acts on, and once a saying
    that pauses is acted on, for what a paused one does, until one that goes on."""
    from coach.inputs.listening.hearing import Hearing
    from coach.inputs.listening.vocabulary import STOPS_THE_COACH
    from coach.sound.player import PAUSED, PLAYING

    now = [0.0]
    sent: list[tuple[float, tuple[Any, ...]]] = []

    def send(*message: Any) -> None:
        sent.append((now[0], message))
        if message[0] == "heard" and message[1].meaning in STOPS_THE_COACH:
            hearing.vocabulary = COMMANDS.narrowed_to(PAUSED)
        elif message[0] == "heard" and message[1].meaning is Command.RESUME:
            hearing.vocabulary = COMMANDS.narrowed_to(PLAYING)

    hearing = Hearing(COMMANDS.narrowed_to(PLAYING), send, clock=lambda: now[0])
    hearing.load(None)
    for n, block in enumerate(blocks):
        now[0] = n * 512 / 16000
        hearing.hear(block, now[0])
    return sent


def television_alone(minutes: float) -> tuple[int, int]:
    """`minutes` of a television's talk, offline, through the listening path: the actions it
    would take, and the utterances it cut. The talk is ordinary sentences, many with command
    words inside them."""
    talk = television_talk()
    blocks = int(minutes * 60 * 16000 / 512)
    sent = [message for _, message in heard_offline(talk[n * 512 % (len(talk) - 512) :][:512] for n in range(blocks))]
    actions = [m for m in sent if m[0] == "heard"]
    for message in actions:
        print(f"  the television's words acted on: {message[1]}")
    return len(actions), sum(1 for m in sent if m[0] in ("heard", "rejected"))


def said_over_television(
    minutes: float, rng: random.Random, text_for: Callable[[int], str], room_after: float
) -> tuple[list[tuple[float, float, str]], list[tuple[float, Any]], list[tuple[float, str]]]:
    """`minutes` of the television with the n-th text said over it every 3-6 s after the last, by
    turns in each person's voice, through the listening path alone (no coach): what was said
    (start, end, text), the sayings it acted on, with when, and what it heard and did not act on."""
    import numpy as np
    from bench_listen import as_16k

    talk = television_talk()
    total = int(minutes * 60 * 16000)
    room = np.tile(talk, total // len(talk) + 1)[:total]
    said: list[tuple[float, float, str]] = []
    at = 20.0  # the television has talked for a while first
    while at < minutes * 60 - room_after:
        text = text_for(len(said))
        speech = as_16k(said_frames(PERSON_VOICES[len(said) % len(PERSON_VOICES)], text))
        first = int(at * 16000)
        room[first : first + len(speech)] += speech
        said.append((at, at + len(speech) / 16000, text))
        at += len(speech) / 16000 + rng.uniform(3.0, 6.0)
    sent = heard_offline(room[first : first + 512] for first in range(0, len(room) - 511, 512))
    heard = [(at, message[1]) for at, message in sent if message[0] == "heard"]
    return said, heard, [(at, message[1]) for at, message in sent if message[0] == "rejected"]


def television_commands(minutes: float, rng: random.Random) -> tuple[int, int, int]:
    """Commands said over the television, offline, through the listening path alone (no coach):
    how many of them were acted on rightly, the actions taken otherwise, and how many were said.
    The television talks on throughout; a command every 3-6 s, by turns in each person's voice,
    one that pauses and then one that goes on, as in a session."""
    said, actions, rejected = said_over_television(
        minutes, rng, lambda n: rng.choice(GOING_ON if n % 2 else PAUSING), 5.0
    )
    right: set[int] = set()
    for start, end, text in said:
        for n, (at, saying) in enumerate(actions):
            if n not in right and start <= at <= end + 2.5 and saying.meaning == meaning(text.rstrip(".")):  # type: ignore[attr-defined]
                right.add(n)
                break
        else:
            why = [line for at, line in rejected if start <= at <= end + 2.5]
            why += [f"taken as {saying.words!r}" for at, saying in actions if start <= at <= end + 2.5]  # type: ignore[attr-defined]
            print(f"  over the television, missed: {text!r}; {'; '.join(why) or 'nothing heard'}")
    for n, (_, saying) in enumerate(actions):
        if n not in right:
            print(f"  over the television, acted on wrongly: {saying}")
    return len(right), len(actions) - len(right), len(said)


def television_sentences(minutes: float, rng: random.Random) -> tuple[int, int]:
    """A person's ordinary sentences (many with command words in them) said over the television,
    offline, through the listening path alone: the actions they caused, and how many were said.
    Over a talking room a sentence is cut at its pauses, and a piece of it heard alone can sound
    like a command; a person chatting with the television on must not steer the session."""
    from bench_listen import ORDINARY

    said, actions, _ = said_over_television(minutes, rng, lambda n: ORDINARY[n % len(ORDINARY)], 8.0)
    for at, saying in actions:
        during = [text for start, end, text in said if start <= at <= end + 2.5]
        print(f"  a sentence said over the television acted on: {saying.words!r} ({during or 'between sentences'})")
    return len(actions), len(said)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=16, help="commands said in each configuration")
    parser.add_argument("--tv", action="store_true", help="only the television configuration")
    parser.add_argument(
        "--headphones",
        action="store_true",
        help="the coach heard through headphones: no echo in the room (--tv: and a television)",
    )
    parser.add_argument("--tv-minutes", type=float, default=30, help="of the television alone, offline, with --tv")
    parser.add_argument(
        "--whole-routine", action="store_true", help="the whole built-in routine, with and without --listen"
    )
    parser.add_argument(
        "--tv-command-minutes", type=float, default=7.5, help="of commands over the television, offline, with --tv"
    )
    parser.add_argument(
        "--tv-sentence-minutes",
        type=float,
        default=12,
        help="of a person's ordinary sentences over the television, offline, with --tv",
    )
    parser.add_argument(
        "--pain-answers", type=int, default=0, help="pain words answered, in each of two configurations"
    )
    parser.add_argument(
        "--tv-late", action="store_true", help="with --tv: switched on as the coach begins, not before the session"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--without-listening", action="store_true", help="with --whole-routine: only the run without")
    parser.add_argument("--with-listening", action="store_true", help="with --whole-routine: only the run with")
    parser.add_argument(
        "--coach-args", default="", help="with --whole-routine, passed to coach: '--only knee-rolls --reps 3'"
    )
    parser.add_argument(
        "--drifting", action="store_true", help="the rig's loopback adjusts its rate, as two clocks would"
    )
    parser.add_argument(
        "--record",
        type=Path,
        help="a folder: keep each live commands run's sound and commands there, for scripts/replay_listening.py",
    )
    args = parser.parse_args()
    global LOOPBACK_RATE
    LOOPBACK_RATE = "" if args.drifting else LOOPBACK_RATE
    for tool in ("pulseaudio", "pactl", "paplay"):
        if shutil.which(tool) is None:
            sys.exit(f"bench_echo: needs {tool} (sudo apt-get install pulseaudio pulseaudio-utils)")
    print(f"{command_line()}\n{machine()}")
    folder = Path(tempfile.mkdtemp(prefix="coach-bench-echo-"))
    rng = random.Random(args.seed)
    try:
        if args.whole_routine:
            runs = [True] if args.with_listening else [False] if args.without_listening else [True, False]
            for listen in runs:
                before = loop_seconds()
                r = whole_routine(folder, listen, args.coach_args.split())
                after = loop_seconds()
                print(
                    f"whole routine {'with' if listen else 'without'} --listen: {r['cues']} cues, onset error "
                    f"p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms, max {r['max']:.2f} ms; actions {r['actions']}; "
                    f"told the room talks {r['told']} times; "
                    f"CPU {r['cpu']:.1f}% of one core ({r['coach_cpu']:.1f}% in coach's own process); "
                    f"memory {memory_course(r['memory'])} (coach's own process: {memory_course(r['coach_memory'])}); "
                    f"{r['echo'] or 'no echo figure'}; this machine ran 10 million additions in {before:.2f} s "
                    f"before it and {after:.2f} s after"
                )
            return
        if args.pain_answers:
            totals = dict.fromkeys(PAIN_ANSWER_COUNTS, 0)
            latency: list[float] = []
            asked = ASKED_TO_GO_ON.rstrip(".").lower()
            for echo_db in (0, 6):
                r = pain_answer_run(150, echo_db, args.pain_answers, folder, rng)
                for key in totals:
                    totals[key] += r[key]
                latency += r["latency"]
                print(
                    f"delay 150 ms, echo {echo_db:+d} dB: {r['answers']} answers "
                    f"({r['pain_missed']} pain words missed); "
                    f"the coach's own {asked!r} acted on {r['own_resumes']} times in {r['silent']} silent answers, "
                    f"its words taken as a pain word {r['own_pain']} times; "
                    f"{ASKED_TO_GO_ON!r} said in answer to it taken {r['taken']} of {r['said']}"
                )
            print(
                f"the coach's own {asked!r} acted on: {totals['own_resumes']} of {totals['silent']} answers; "
                f"its own words taken as a pain word: {totals['own_pain']} of {totals['silent']}; "
                f"{ASKED_TO_GO_ON!r} said 0.2-0.6 s after it: {totals['taken']} of {totals['said']} taken"
                + (f"; latency p50 {percentile(latency, 0.5):.2f} s" if latency else "")
            )
            return
        if args.tv:
            actions, utterances = television_alone(args.tv_minutes)
            print(
                f"the television alone, {args.tv_minutes:.0f} min of its talk through the listening path: "
                f"{actions} actions, {utterances} utterances cut and heard"
            )
            right, wrong, said = television_commands(args.tv_command_minutes, rng)
            print(
                f"commands said over the television, {args.tv_command_minutes:.1f} min offline through the "
                f"listening path: {right} of {said} right ({100 * right / max(said, 1):.0f}%), {wrong} other actions"
            )
            actions, sentences = television_sentences(args.tv_sentence_minutes, random.Random(args.seed))
            print(
                f"a person's ordinary sentences said over the television, {args.tv_sentence_minutes:.0f} min "
                f"offline: {actions} actions from {sentences} sentences"
            )
        configurations: list[tuple[int | None, int, bool]] = [(d, e, False) for d in (80, 250) for e in (0, 6)]
        if args.tv or args.headphones:
            configurations = [(None if args.headphones else 150, 0, args.tv)]
        totals: dict[str, Any] = {"over": [0, 0, 0], "gap": [0, 0, 0], "latency": []}
        kinds = {kind: [0, 0, 0] for kind in KINDS}
        latency_by_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
        if args.record is not None:
            args.record.mkdir(parents=True, exist_ok=True)
        for delay, echo_db, tv in configurations:
            path = "headphones" if delay is None else f"delay{delay}-echo{echo_db}"
            label = f"seed{args.seed}-{path}{'-tv' if tv else ''}"
            record = None if args.record is None else args.record / label
            r = commands_run(delay, echo_db, args.commands, tv, folder, rng, args.tv_late, record)
            for key in ("over", "gap"):
                totals[key] = [a + b for a, b in zip(totals[key], r[key], strict=True)]
            totals["latency"] += r["latency"]
            for kind in KINDS:
                kinds[kind] = [a + b for a, b in zip(kinds[kind], r["kinds"][kind], strict=True)]
                latency_by_kind[kind] += r["latency_by_kind"][kind]
            print(
                ("headphones" if delay is None else f"delay {delay} ms, echo {echo_db:+d} dB")
                + f"{', television' if tv else ''}: over the coach "
                f"{r['over'][0]} right, {r['over'][1]} missed, {r['over'][2]} wrong; in its gaps "
                f"{r['gap'][0]} right, {r['gap'][1]} missed, {r['gap'][2]} wrong"
                + (f"; actions from the television: {r['tv_actions']} in {r['minutes']:.1f} min" if tv else "")
                + (f"; {told_when(r['told'], args.tv_late)}" if tv or r["told"] is not None else "")
                + f"; {r['echo'] or 'no echo figure'}"
            )
        for key, name in (("over", "over the coach's speech"), ("gap", "in its quiet gaps")):
            right, missed, wrong = totals[key]
            said = right + missed + wrong
            if said:
                print(f"{name}: {right} of {said} right ({100 * right / said:.0f}%), {wrong} wrong")
        print(
            "by kind, right of said (wrong): "
            + "; ".join(f"{kind} {r} of {r + m + w} ({w})" for kind, (r, m, w) in kinds.items() if r + m + w)
        )
        if totals["latency"]:
            lat = totals["latency"]
            p50, p95 = percentile(lat, 0.5), percentile(lat, 0.95)
            # Over a talking room only a plain word that stops the coach acts at once; the others wait
            # to hear that no sentence goes on (hearing.FOLLOWED_WITHIN), so their latency is told apart.
            by_kind = "; ".join(
                f"{kind} p50 {percentile(lat, 0.5):.2f} s, p95 {percentile(lat, 0.95):.2f} s ({len(lat)})"
                for kind, lat in latency_by_kind.items()
                if lat
            )
            print(f"latency, end of the command to its effect: p50 {p50:.2f} s, p95 {p95:.2f} s; {by_kind}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
