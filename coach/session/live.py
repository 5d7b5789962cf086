"""A live session: the player with keys, the panel or cue lines, signals, and the record.

Everything that touches the terminal is undone on the way out, whatever ends the
session: the last cue, `q`, Ctrl-C, SIGTERM or a closed terminal.

Longer than 400 lines because the order of what is started and undone (keys, remote,
listener, panel, signals, the check-in, the record) is the contract, and it reads as one
`run`; the parts that need no such order (counting reps, the record) are classes of their own.
"""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from coach.common.audio import Clip, load_chime
from coach.common.errors import OptionError
from coach.common.threads import worker
from coach.inputs.keys import HELP, Keyboard
from coach.inputs.listening.sounding import SpeakingSink
from coach.inputs.listening.vocabulary import Saying, Vocabulary
from coach.inputs.remote import Remote, State
from coach.inputs.stream import CommandStream
from coach.plan.preview import clock, cue_fields, cue_line
from coach.plan.routine import Sides
from coach.plan.script import WORK_END, Cue, CueKind
from coach.record.history import History, HistoryError
from coach.session.prepare import clip_source, describe_place
from coach.sound.player import Command, Plan, Played, Player, Sink, Wait
from coach.voice.voices import Voice

if TYPE_CHECKING:
    from coach.inputs.listening.listener import Listener

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
HEARD_SHOWN_SECONDS = 4.0  # how long the panel shows what was heard
# After a pain score heard aloud is said back, how long a correction is listened for.
CORRECTION_SECONDS = 4.0  # a breath, the number, and the listener's verdict (up to ~1.3 s in noise)


class Interrupted(BaseException):
    """A signal ended the session (BaseException, like KeyboardInterrupt, so nothing swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class RepCounter:
    """Reps and sets completed per exercise, as the session plays them.

    A guided rep counts once the next one (or what follows the exercise) begins; a
    self-paced wait counts its reps once the listener said done; a set counts when its
    rest, or the exercise's end, is reached with work done in it. A timed bout counts as
    a set.
    """

    timeline: Plan
    rounds: dict[str, int] = field(default_factory=dict)  # side by side: halved for sided exercises
    sets: dict[str, int] = field(default_factory=dict)
    _open: tuple[str, int | None, int, str | None] | None = None
    _set_with_work: str | None = None

    def see(self, cue: Cue) -> bool:
        """Follow one played cue; True when a rep or a set was completed by it."""
        completed = False
        key = (cue.exercise or "", cue.set, cue.rep or 0, cue.side)
        ends_open_rep = cue.phase in ("end", "next", "closing", "start", "set", "set-rest", "break", "round") or (
            cue.phase == "count" and key != self._open
        )
        if self._open is not None and ends_open_rep:
            self._add(self.rounds, self._open[0], 1)
            self._set_with_work, self._open, completed = self._open[0], None, True
        if cue.phase == "count" and cue.exercise is not None and cue.rep is not None:
            self._open = key
        if cue.exercise is not None and cue.kind is CueKind.CHIME:
            if cue.phase == "own-pace":  # the chime after "done"
                self._add(self.rounds, cue.exercise, self._reps_in_a_wait(cue.exercise))
                self._set_with_work, completed = cue.exercise, True
            elif cue.phase == "work" and cue.text == WORK_END:
                self._set_with_work, completed = cue.exercise, True
        if cue.phase in ("set-rest", "end", "set") and self._set_with_work == cue.exercise is not None:
            self._add(self.sets, cue.exercise, 1)
            self._set_with_work, completed = None, True
        return completed

    def _reps_in_a_wait(self, exercise: str) -> int:
        span = next(span for span in self.timeline.exercises if span.id == exercise)
        return span.reps * (2 if span.sides is Sides.ALTERNATE else 1)

    @staticmethod
    def _add(counts: dict[str, int], exercise: str, amount: int) -> None:
        counts[exercise] = counts.get(exercise, 0) + amount

    def abandon(self) -> None:
        """A skip or a restart: the rep and the set in progress were not done."""
        self._open = None
        self._set_with_work = None

    def reps_done(self) -> dict[str, int]:
        sides = {span.id: span.sides for span in self.timeline.exercises}
        return {ex: n if sides.get(ex) is Sides.NONE else n // 2 for ex, n in self.rounds.items()}

    def sets_done(self) -> dict[str, int]:
        return dict(self.sets)


class Record:
    """The session's line in the history; a damaged history file warns and is left alone."""

    def __init__(
        self, history: History, timeline: Plan, routine: str, pain_before: int | None, err: Callable[[str], None]
    ) -> None:
        self.history: History | None = history
        self.counter = RepCounter(timeline)
        self.steered = 0
        self.err = err
        self.session_id = 0
        exercises = [span.id for span in timeline.exercises]
        self._guard(lambda: setattr(self, "session_id", history.start(routine, exercises, pain_before)))

    def follow(self, player: Player, played: Played) -> None:
        if len(player.steered) > self.steered:
            self.steered = len(player.steered)
            if player.steered[-1].command in (Command.NEXT, Command.BACK):
                self.counter.abandon()
        if self.counter.see(played.cue):
            self.save(player, "stopped")

    def save(self, player: Player, status: str, pain_after: int | None = None) -> None:
        history = self.history
        if history is not None:
            reps, sets = self.counter.reps_done(), self.counter.sets_done()
            self._guard(lambda: history.update(self.session_id, reps, player.elapsed(), status, pain_after, sets))

    def _guard(self, action: Callable[[], None]) -> None:
        if self.history is None:
            return
        try:
            action()
        except HistoryError as error:
            self.err(f"coach: warning: {error}; this session is not recorded")
            self.history = None


def exit_code(stop: BaseException) -> int:
    """A stopped session's exit code: 130 for Ctrl-C, 143 for SIGTERM, 129 for a closed terminal."""
    if isinstance(stop, EOFError):
        return EXIT_CODES[signal.SIGHUP]
    return EXIT_CODES[signal.Signals(stop.signum if isinstance(stop, Interrupted) else signal.SIGINT)]


@contextmanager
def signals_raise() -> Iterator[None]:
    """SIGTERM and a closed terminal (SIGHUP) end the session like Ctrl-C does."""

    def handler(signum: int, _frame: Any) -> None:
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def open_timing_log(path: Path | None) -> TextIO | None:
    if path is None:
        return None
    try:
        return path.open("w", encoding="utf-8")
    except OSError as error:
        raise OptionError(f"--timing-log {path}: cannot write ({error.strerror})") from None


def timing_record(played: Played) -> dict[str, object]:
    return {
        "index": played.index,
        **cue_fields(played.cue),
        "planned": round(played.planned, 6),
        "actual": round(played.actual, 6),
        "error_ms": round(played.error * 1000, 3),
        "clock": round(played.clock, 6),
    }


def remote_state(timeline: Plan, player: Player) -> State:
    """What a remote shows now: status, the exercise and rep, where in the plan."""
    # One track per exercise in the session: in a circuit, each round's is another track.
    tracks = {span.key: (track, span) for track, span in enumerate(timeline.exercises, start=1)}
    last = next((p.cue for p in reversed(player.played) if p.index >= 0), None)
    track, span = tracks.get(last.exercise_key, (0, None)) if last is not None else (0, None)
    if last is None or span is None:
        title = timeline.title if last is None or last.phase != "closing" else "Closing"
    else:
        title = span.name + (f", number {last.rep} of {span.reps}" if last.rep else "")
        if last.side:
            title += f", {last.side} side"
        if last.set:
            title += f", set {last.set} of {span.sets}"
        if span.round is not None:
            title = f"Round {span.round}: {title}"
    total = timeline.known_total()
    length = total if total is not None else (timeline.exercises[-1].end if timeline.exercises else 0.0)
    finished = player.quit or (total is not None and player.started_at is not None and player.position() >= total)
    status = "Stopped" if finished or player.started_at is None else "Paused" if player.paused else "Playing"
    return State(status, title, timeline.title, track, length, min(player.position(), length))


def checkin_phrases(timeline: Plan, said: bool = False) -> list[str]:
    """The check-in questions, in the routine's language: asked before the plan starts, so
    rendered first. Listening, they ask for the number aloud."""
    keys = ("checkin_before_said", "checkin_after_said") if said else ("checkin_before", "checkin_after")
    return [timeline.words.say(key) for key in keys]


@dataclass
class LiveSession:
    timeline: Plan
    voice: Voice
    sink: Sink
    routine_name: str
    timing_log: TextIO | None = None  # open already: a path that cannot be written is said before a voice loads
    quiet: bool = False
    checkin: bool = False
    history: History | None = None
    out: Callable[[str], None] = print
    err: Callable[[str], None] = lambda line: print(line, file=sys.stderr)
    # The player's clock, and its wait when no keyboard is read: real time unless a test
    # runs the session on a fake clock (the sound still goes through the real sink).
    clock: Callable[[], float] = time.monotonic
    wait: Wait | None = None
    remote: bool = True  # offer MPRIS steering when a session bus is there
    verbose: bool = False
    listen: bool = False  # obey spoken commands from the microphone
    language: str = "en"  # the routine's: the sayings listened for

    def __post_init__(self) -> None:
        self.heard: tuple[str, float] | None = None  # the last saying acted on, and when: for the panel
        self.answered: tuple[str, float] | None = None  # the last answer to a pain word, and when
        self._pain_answers: queue.Queue[int] = queue.Queue()
        self._asking_pain = False

    def _note(self, line: str) -> None:
        if self.verbose:
            with contextlib.suppress(OSError):
                self.err(line)

    def _remote_possible(self) -> bool:
        reason = "--no-remote was given" if not self.remote else Remote.unavailable_reason()
        if reason is not None:
            self._note(f"coach: no remote control: {reason}; the keys still work")
        return reason is None

    def run(self) -> int:
        """Play the session; returns the exit code (0, or 130/143/129 when interrupted)."""
        keyboard_ok = Keyboard.available()
        if self.checkin and not keyboard_ok and not self.listen:
            raise OptionError("--checkin needs a terminal to answer with a key press, or --listen to answer aloud")
        log = self.timing_log
        commands_heard = Vocabulary.commands(self.timeline.words, self.language)
        listener: Listener | None = None
        if self.listen:  # the model is checked and loaded before anything is played
            self.sink.open()  # no sound device is told at once, not after the model's load
            from coach.inputs.listening.listener import Listener  # numpy and the model: only for a session that listens

            listener = Listener(
                commands_heard, lambda saying: deliver(saying), self.err, on_rejected=self._note, on_warning=self.err
            )
            listener.load()
            self.sink = SpeakingSink(self.sink, listener, self.voice.parts_of)
        questions = checkin_phrases(self.timeline, said=self.listen)
        if self.checkin:
            self.voice.render_all(questions)
        # The farewell is needed only if the listener ends early: rendered beside the
        # session, never before its first sound.
        # Not a daemon: the process waits for this one phrase rather than exit mid-synthesis.
        goodbye = self.timeline.words.say("farewell")
        # What the coach says when a pain word pauses it: rendered beside the session, as the farewell.
        # Said in parts, so the listener holds what it hears against the part sounding then: a
        # "resume" said over "When you are ready, say" or "To end, say" is the person's.
        pain_parts = self.timeline.words.pain_answer_parts()
        # And what it says when the room talks (a television): before the first cue, or once it is heard.
        room_talking = self.timeline.words.say("room_talking")
        farewell_words = [goodbye, *pain_parts, room_talking] if self.listen else [goodbye]
        worker(self.voice.render_all, "coach-farewell", daemon=False, args=(farewell_words,)).start()

        def farewell() -> list[Cue]:
            return [
                Cue(0.0, self.voice.clip(goodbye).seconds, CueKind.SPEECH, goodbye, phase="farewell"),
                Cue(0.0, load_chime("session-end").seconds, CueKind.CHIME, "session-end", phase="farewell"),
            ]

        with ExitStack() as stack:
            stack.callback(self.sink.close)  # last on every way out: the process ends once its sound has let go
            stack.enter_context(signals_raise())
            keyboard = stack.enter_context(Keyboard(on_help=lambda: self.err(HELP))) if keyboard_ok else None
            commands: CommandStream | None = None
            player: Player | None = None
            lines_in_order = threading.Lock()  # a command heard, then the cues it brings

            def deliver(saying: Saying) -> bool:
                """A saying the listener accepted: a pain score, or a command for the stream. Its
                line is printed before the player can act on it ("heard: stop the session", then
                the farewell), so it holds the lines' lock from the stream to the print."""
                with lines_in_order:
                    if isinstance(saying.meaning, int):
                        if not self._asking_pain:
                            return False
                        self._pain_answers.put(saying.meaning)
                    elif player is not None and saying.meaning not in player.meaningful:
                        return False  # a "wait" to a paused coach, heard among the sayings that guard going on
                    elif commands is None or not commands.put(saying.meaning):
                        return False
                    self.heard = (saying.words, time.monotonic())
                    if panel is None and not self.quiet:
                        with contextlib.suppress(OSError):
                            self.out(f"heard: {saying.words}")
                    return True

            listening = threading.Event()  # cleared for good when the microphone is lost

            def heed(meaningful: frozenset[Command]) -> None:
                """The player acts on these now: the listener hears only their sayings (and those that
                pause or go on), so one that would do nothing cannot take what was said from one that would."""
                if listener is not None:
                    listener.listen_for(commands_heard.narrowed_to(meaningful))

            def answer_pain() -> Clip:
                """What the coach says to a pain word, shown as it is said: a glance at the panel, or
                the plain lines, tells how to go on or end."""
                answer = self.timeline.words.pain_answer()  # its parts, as one sentence
                clip = self.voice.joined(pain_parts)
                assert player is not None  # only the player asks for it
                with lines_in_order:
                    self.answered = (answer, player.clock())  # the clock the panel's cues are on
                    if panel is None and not self.quiet:
                        with contextlib.suppress(OSError):
                            self.out(cue_line(Cue(player.position(), clip.seconds, CueKind.SPEECH, answer)))
                return clip

            def report_echo() -> None:
                """--verbose: what the echo canceller did, once the listening has ended."""
                assert listener is not None
                echo = listener.echo
                if echo.reduction is not None:
                    delay, alone = echo.delay, echo.own_sound
                    found = f", {delay * 1000:.0f} ms from play to microphone" if delay is not None else ""
                    # The first figure counts a room talking over the coach (a television) as echo left.
                    apart = f"; its own sound alone, once subtracting held: {alone:.1f} dB" if alone is not None else ""
                    if alone is not None and echo.most_left_by is not None:
                        # A session's figure is a sum of energy: one sentence left nearly whole brings it down.
                        words, lost, share = echo.most_left_by
                        which = repr(textwrap.shorten(words, 60, placeholder="...")) if words else "a chime"
                        apart += f" ({share:.0%} of what was left in {which}, {lost:.1f} dB off it)"
                    self._note(f"coach: echo cancelled: {echo.reduction:.1f} dB off the coach's voice{found}{apart}")

            def listening_lost(line: str) -> None:
                listening.clear()
                self.err(line)
                if keyboard is None and player is not None and commands is not None:
                    player.await_listener = False  # nobody can say "done" now: a wait is its allowance
                    commands.put(Command.DONE)  # and the one under way, if any, ends

            room_told = threading.Lock()
            room_untold = False  # heard to talk after the room was first heard, before the session could say so

            def tell_room_talking() -> None:
                """A room that began to talk once the session had started (a television switched
                on): said at the coach's next pause for breath, and on the terminal as it is heard."""
                nonlocal room_untold
                with room_told:
                    if commands is None or not commands.put(Command.NOTICE):
                        room_untold = True
                        return
                self.err(f"coach: {room_talking}")

            panel: Any = None
            if listener is not None:
                listening.set()
                listener.on_trouble = listening_lost
                stack.callback(report_echo)
                stack.callback(listener.stop)
            try:
                if listener is not None:
                    # The first sound waits for the room to be heard without the coach (a television
                    # already on is learned as the room), and a question for the microphone to answer it.
                    listener.start()
                    if listener.room_talking:
                        self._tell_room_talking(room_talking)
                    listener.on_room_talking = tell_room_talking  # once it is told, never again
                # Asked only of someone who can answer: a key, or a microphone still heard.
                pain_before = (
                    self._ask_pain(keyboard, questions[0], listener, listening)
                    if self.checkin and (keyboard is not None or listening.is_set())
                    else None
                )
                if listener is not None:
                    listener.listen_for(commands_heard)
                self.sink.open()
                record = Record(self.history or History(), self.timeline, self.routine_name, pain_before, self.err)
                # An injected wait (a fake clock) is the only command source it knows of.
                use_remote = self.wait is None and self._remote_possible()
                if keyboard is not None or use_remote or listener is not None:
                    commands = CommandStream(keyboard)
                if commands is not None:
                    stack.callback(commands.close)
                player = Player(
                    self.timeline,
                    clip_source(self.voice),
                    self.sink,
                    clock=self.clock,
                    wait=commands.wait if commands is not None else self.wait,
                    farewell=farewell,
                    pain_answer=answer_pain,
                    notice=lambda: self.voice.clip(room_talking),
                    # Without a key to press or a voice heard, a wait is its allowance.
                    await_listener=keyboard is not None or listening.is_set(),
                    on_meaningful=heed if listener is not None else None,
                )
                if keyboard is None and listener is not None and not listening.is_set():
                    player.await_listener = False  # lost while the player was being made
                if use_remote and commands is not None:
                    remote = Remote(commands.put, lambda: remote_state(self.timeline, player), self._note)
                    stack.callback(remote.stop)  # the bus name is released on every way out
                    remote.start()
                show_panel = keyboard is not None and not self.quiet and sys.stdout.isatty()
                panel = self._start_panel(stack, player, listener is not None) if show_panel else None
            except (KeyboardInterrupt, Interrupted, EOFError) as stop:
                stack.close()  # sound off, terminal back as it was
                with contextlib.suppress(OSError):
                    self.err("\ncoach: stopped before the session started")
                return exit_code(stop)

            def on_cue(played: Played) -> None:
                if log is not None:
                    log.write(json.dumps(timing_record(played)) + "\n")
                    log.flush()
                if panel is None and not self.quiet:
                    # The farewell is no cue of the plan: its line is where the session ended.
                    shown = played.cue if played.index >= 0 else replace(played.cue, start=player.position())
                    with lines_in_order:  # after the line of a command that brought it
                        if played.index == 0:
                            count = len(self.timeline.exercises)
                            plural = "s" if count != 1 else ""
                            total = self.timeline.known_total()
                            length = f", {clock(total)}" if total is not None else ""
                            self.out(f"{self.timeline.title}: {count} exercise{plural}{length}.")
                        self.out(cue_line(shown))
                record.follow(player, played)

            try:
                if commands is not None:
                    with room_told:
                        commands.open = True  # remote commands steer only the running session
                    if room_untold:
                        tell_room_talking()
                player.run(on_cue)
                if commands is not None:
                    commands.open = False
            except (KeyboardInterrupt, Interrupted, EOFError) as stop:
                stack.close()  # sound off, terminal back as it was, before saying anything
                record.save(player, "stopped")
                last = next((p.cue for p in reversed(player.played) if p.index >= 0), None)
                where = describe_place(self.timeline, last)
                with contextlib.suppress(OSError):  # a closed terminal cannot be told
                    self.err(f"\ncoach: stopped at {self._progress(player)}, {where}")
                return exit_code(stop)
            pain_after = None
            if self.checkin and (keyboard is not None or listening.is_set()):
                if panel is not None:
                    panel.stop()
                    panel = None  # the answer's "heard:" line is printed, as before the session
                try:
                    pain_after = self._ask_pain(keyboard, questions[1], listener, listening)
                except (KeyboardInterrupt, Interrupted, EOFError) as stop:
                    stack.close()
                    record.save(player, "stopped" if player.quit else "finished")  # the session itself was done
                    return exit_code(stop)
            record.save(player, "stopped" if player.quit else "finished", pain_after)
        if player.quit and not self.quiet:
            self.err(f"coach: ended at {self._progress(player)}, as asked")
        return 0

    def _progress(self, player: Player) -> str:
        total = self.timeline.known_total()
        return clock(player.position()) + (f" of {clock(total)}" if total is not None else "")

    def _start_panel(self, stack: ExitStack, player: Player, listening: bool) -> Any:
        from rich.console import Console
        from rich.live import Live

        from coach.session.panel import Listening, render

        def heard() -> Listening | None:
            if not listening:
                return None
            recent = self.heard is not None and time.monotonic() - self.heard[1] < HEARD_SHOWN_SECONDS
            return Listening(self.heard[0] if recent and self.heard is not None else None)

        live = Live(
            get_renderable=lambda: render(player, heard(), self.answered),
            console=Console(),
            refresh_per_second=4,
            transient=False,
        )
        stack.enter_context(live)
        return live

    def _tell_room_talking(self, words: str) -> None:
        """Something talks in the room (a television, a radio), heard before the first cue: over
        it commands are heard less often (scripts/bench_echo.py --tv: about two in three), so the
        person is told, aloud and on the terminal, and told to stop on pain, heard or not."""
        self.err(f"coach: {words}")
        clip = self.voice.clip(words)
        self.sink.play(clip)
        time.sleep(clip.seconds)  # said whole before the session begins

    def _ask_pain(
        self, keyboard: Keyboard | None, question: str, listener: Listener | None, listening: threading.Event
    ) -> int | None:
        """The pain score, by a key (0-9, X for 10) or, listening, said aloud. A number
        heard is said back, and another said within CORRECTION_SECONDS of that replaces
        it: a misheard score is put right without a key, never recorded unheard. None:
        the microphone went before an answer, and there is no key to press."""
        self.sink.play(self.voice.clip(question))
        numbers = Vocabulary.numbers(self.timeline.words, self.language)
        if listener is None:
            self.err(question.replace("Press", "\nPress").replace(" or X", " (0-9), or X"))
        else:
            self.err(question + (" (Or press 0-9, or X for 10.)" if keyboard is not None else ""))
            listener.listen_for(numbers)
        self._asking_pain = True
        try:
            answer = self._pain_answer(keyboard, listening)
            if answer is None:
                self.sink.stop()
                self.err("coach: no pain score: nothing can answer without the microphone")
                return None
            value, said = answer
            while said:
                self.sink.stop()
                # The score in words, as it is listened for: the coach's "seven" is its own echo.
                in_words = next(saying.words for saying in numbers.sayings if saying.meaning == value)
                back = self.voice.clip(self.timeline.words.say("checkin_heard", number=in_words))
                self.sink.play(back)
                until = time.monotonic() + back.seconds + CORRECTION_SECONDS
                correction = self._pain_answer(keyboard, listening, until)
                if correction is None or correction == (value, True):
                    break  # nothing more said, or the same number again
                value, said = correction
        finally:
            self._asking_pain = False
        self.sink.stop()
        self.err(f"pain {value}")
        return value

    def _pain_answer(
        self, keyboard: Keyboard | None, listening: threading.Event, until: float | None = None
    ) -> tuple[int, bool] | None:
        """A score and whether it was said aloud (False: a key); None once `until` passes,
        or once the microphone is gone with no key to press."""
        while (until is None or time.monotonic() < until) and (keyboard is not None or listening.is_set()):
            key = keyboard.read_choice("0123456789x", 0.1) if keyboard is not None else None
            if key is not None:
                return (10 if key == "x" else int(key)), False
            with contextlib.suppress(queue.Empty):
                return self._pain_answers.get(timeout=0.1 if keyboard is None else 0), True
        return None
