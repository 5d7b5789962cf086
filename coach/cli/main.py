"""The `coach` command: a thin typer layer over coach.session.prepare and friends.

Every user mistake ends in one line on stderr and exit code 2 (see `main`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from coach.cli.option_defaults import skip_coercing_defaults
from coach.cli.progress_bar import progress_bar
from coach.cli.report import report
from coach.cli.voices import voices_app
from coach.common.errors import CoachError, NoVoiceEngine
from coach.common.paths import write_atomically
from coach.plan import preview
from coach.plan.routine import Level, Routine, builtin_routine_path, load_routine
from coach.plan.script import Countdown, DoneBy, SessionOptions, Timeline
from coach.session.prepare import (
    Request,
    cached_plan,
    clip_source,
    load_request_routine,
    phrases_to_render,
    plan,
    unfolding_plan,
    voice_settings,
)
from coach.voice.voices import DEFAULT_RATE, Voice, VoiceSettings

if TYPE_CHECKING:
    from coach.sound.player import Plan

DEBUG_VARIABLE = "COACH_DEBUG"


class OneLineErrors(TyperGroup):
    """Every mistake ends in one line on stderr and exit code 2, never a traceback.

    Wraps the whole command line, so it covers usage errors (a bad --reps value) as
    well as the project's own CoachError, for the installed script and CliRunner alike.
    Anything unexpected still ends in one line, naming the error, unless --debug (or
    $COACH_DEBUG=1) asks for the traceback. This handler uses nothing that can fail.
    """

    def main(  # type: ignore[override]  # click's own keywords pass through **kwargs
        self, args: Sequence[str] | None = None, standalone_mode: bool = True, **kwargs: Any
    ) -> Any:
        arguments = list(args) if args is not None else sys.argv[1:]
        debug = "--debug" in arguments or os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")
        if "--debug" in arguments:
            arguments.remove("--debug")
        try:
            result = super().main(arguments, standalone_mode=False, **kwargs)
        except CoachError as error:
            return _fail(f"coach: error: {error}", error.exit_code, standalone_mode)
        except typer.Exit as done:
            return _fail("", done.exit_code, standalone_mode)
        except typer.Abort:
            return _fail("coach: stopped", 130, standalone_mode)
        except Exception as error:
            return _unexpected(error, debug, standalone_mode)
        code = result if isinstance(result, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _unexpected(error: Exception, debug: bool, standalone_mode: bool) -> int:
    """Usage errors from the parser, a closed pipe, or a bug: one line each."""
    name = type(error).__name__
    if name == "NoArgsIsHelpError":
        ctx = getattr(error, "ctx", None)
        return _fail(ctx.get_help() if ctx else "", 2, standalone_mode)
    if name in ("UsageError", "BadParameter", "NoSuchOption", "BadOptionUsage", "BadArgumentUsage", "MissingParameter"):
        ctx = getattr(error, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        return _fail(f"coach: error: {_format(error)}{hint}", 2, standalone_mode)
    if hasattr(error, "format_message") and hasattr(error, "exit_code"):  # click's ClickException
        return _fail(f"coach: error: {_format(error)}", int(error.exit_code), standalone_mode)
    if isinstance(error, BrokenPipeError):  # `coach voices | head`: the reader has what it wanted
        with contextlib.suppress(Exception):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - nothing more is printed to it
        return _fail("", 0, standalone_mode)
    if debug:
        with contextlib.suppress(Exception):
            traceback.print_exception(error)
    detail = " ".join(str(error).split())[:300]
    return _fail(
        f"coach: internal error: {name}{': ' + detail if detail else ''} "
        f"(a bug: run again with --debug or {DEBUG_VARIABLE}=1 to see where)",
        2,
        standalone_mode,
    )


def _format(error: Exception) -> str:
    try:
        return str(error.format_message())  # type: ignore[attr-defined]
    except Exception:
        return str(error)


def _fail(message: str, code: int, standalone_mode: bool) -> int:
    if message:
        with contextlib.suppress(Exception):  # stderr itself may be gone
            print(message, file=sys.stderr, flush=True)
    if standalone_mode:
        sys.exit(code)
    return code


skip_coercing_defaults()  # see coach/cli/option_defaults.py: ~80 ms off every command

app = typer.Typer(
    cls=OneLineErrors,
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="A hands-free, voice-guided exercise coach. With no command, runs the routine.",
)


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


RoutineOption = Annotated[
    Path | None,
    typer.Option("--routine", help="A routine file (TOML) instead of the built-in lower-back routine."),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--only", metavar="IDS", help="Just these exercises, in this order: ids, names or numbers, comma-separated."
    ),
]
SkipOption = Annotated[list[str] | None, typer.Option("--skip", metavar="IDS", help="Leave out these exercises.")]
LevelOption = Annotated[
    Level, typer.Option("--level", help="Low, middle or top of each rep and hold range.", case_sensitive=False)
]
RepsOption = Annotated[int | None, typer.Option("--reps", help="Reps for every exercise (per side where sided).")]
HoldOption = Annotated[float | None, typer.Option("--hold", help="Seconds for every hold.")]
RestOption = Annotated[float | None, typer.Option("--rest", help="Seconds of rest between reps.")]
WorkOption = Annotated[float | None, typer.Option("--work", help="Seconds for every timed exercise (per side).")]
RoundsOption = Annotated[int | None, typer.Option("--rounds", help="How many times to go through a circuit.")]
RateOption = Annotated[int, typer.Option("--rate", help="Speaking rate in words per minute.")]
VoiceOption = Annotated[
    str | None,
    typer.Option("--voice", help="A Piper voice name or .onnx model path, an eSpeak NG voice, or a language."),
]
VolumeOption = Annotated[float, typer.Option("--volume", help="Speech volume, more than 0 up to 1.")]
CountdownOption = Annotated[
    Countdown,
    typer.Option("--countdown", help="Count down the end of long holds: voice, tick or off.", case_sensitive=False),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Dry-run output.", case_sensitive=False)]


def _request(
    routine: Path | None,
    only: list[str] | None,
    skip: list[str] | None,
    level: Level,
    reps: int | None,
    hold: float | None,
    rest: float | None,
    countdown: Countdown,
    voice: str | None,
    rate: int,
    volume: float,
    work: float | None = None,
    rounds: int | None = None,
    done_by: DoneBy = DoneBy.KEY,
) -> Request:
    options = SessionOptions(
        level=level, reps=reps, hold=hold, rest=rest, countdown=countdown, work=work, rounds=rounds, done_by=done_by
    )
    return Request(routine, tuple(only or ()), tuple(skip or ()), options, voice, rate, volume)


def _voice_or_none(settings: VoiceSettings) -> Voice | None:
    try:
        return Voice(settings)
    except NoVoiceEngine:
        return None


def clearer_voice_hint(voice: Voice, asked_for: str | None) -> str | None:
    """Where the routine's language fell back to eSpeak NG, the command that adds a Piper voice."""
    if asked_for is not None or voice.voice.neural:
        return None
    from coach.plan.phrases import base_language
    from coach.voice.catalogue import SUGGESTED
    from coach.voice.engines import engine

    if engine("piper") is None:
        return "a clearer voice: pip install 'coach[piper]'"

    suggestion = SUGGESTED.get(base_language(voice.settings.language))
    if suggestion is None:
        return "a clearer voice: `coach voices --available` lists Piper's"
    return f"a clearer voice: `coach voices add {suggestion}`"


def _plan_with_progress(
    routine: Routine, request: Request, voice: Voice | None, load_clips: bool = True
) -> tuple[Timeline, str | None]:
    settings = voice_settings(request, routine)
    if voice is None:
        return plan(routine, request.options, None, settings), None
    label = voice.label
    hint = clearer_voice_hint(voice, request.voice)
    if hint:
        label += f"; {hint}"
    if len(phrases_to_render(voice, routine, request.options)) < 20:
        return plan(routine, request.options, voice, settings, load_clips=load_clips), label
    with progress_bar("Preparing the voice") as report:
        return plan(routine, request.options, voice, settings, report, load_clips), label


@app.callback(invoke_without_command=True)
def run(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the timeline instead of playing it.")] = False,
    output_format: FormatOption = OutputFormat.TEXT,
    routine: RoutineOption = None,
    only: OnlyOption = None,
    skip: SkipOption = None,
    level: LevelOption = Level.STANDARD,
    reps: RepsOption = None,
    hold: HoldOption = None,
    rest: RestOption = None,
    work: WorkOption = None,
    rounds: RoundsOption = None,
    countdown: CountdownOption = Countdown.VOICE,
    voice: VoiceOption = None,
    rate: RateOption = DEFAULT_RATE,
    volume: VolumeOption = 1.0,
    timing_log: Annotated[
        Path | None, typer.Option("--timing-log", help="Write each cue's planned and actual start as JSON lines.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No panel and no cue lines while the session runs.")] = False,
    checkin: Annotated[
        bool,
        typer.Option("--checkin", help="Ask for your pain, 0 to 10, before and after (a key, or aloud with --listen)."),
    ] = False,
    no_remote: Annotated[
        bool, typer.Option("--no-remote", help="Do not offer steering by earbuds, media keys or playerctl (MPRIS).")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Say more, e.g. why there is no remote control.")] = False,
    listen: Annotated[
        bool,
        typer.Option(
            "--listen", help="Obey spoken commands: pause, go on, next, back, again, done, stop the session (offline)."
        ),
    ] = False,
) -> None:
    """Run the routine (the same as `coach run`)."""
    if ctx.invoked_subcommand is not None:
        return
    done_by = _done_by(listen)
    request = _request(
        routine, only, skip, level, reps, hold, rest, countdown, voice, rate, volume, work, rounds, done_by
    )
    if dry_run:
        _dry_run(request, output_format)
        return
    _live(request, timing_log, quiet, checkin, remote=not no_remote, verbose=verbose, listen=listen)


app.command("run", help="Run the routine (the same as plain `coach`).")(run)


def _done_by(listen: bool) -> DoneBy:
    """How a self-paced set will be ended in a session started so, which its words say:
    spoken, a key from this terminal, or, with neither, its allowance (as in a dry-run of it)."""
    from coach.inputs.keys import Keyboard

    if listen:
        return DoneBy.VOICE
    return DoneBy.KEY if Keyboard.available() else DoneBy.TIME


def _live(
    request: Request,
    timing_log: Path | None,
    quiet: bool,
    checkin: bool,
    remote: bool = True,
    verbose: bool = False,
    listen: bool = False,
) -> None:
    from coach.plan.unfolding import UnfoldingTimeline
    from coach.session.live import LiveSession, open_timing_log
    from coach.sound.speaker import SimpleaudioSink

    routine = load_request_routine(request)
    # A log that cannot be written is said at once, before a voice loads (2 s of Piper).
    with open_timing_log(timing_log) or contextlib.nullcontext() as log:
        voice = Voice(voice_settings(request, routine))  # no engine: one line saying what to install
        if verbose and (hint := clearer_voice_hint(voice, request.voice)):
            typer.echo(f"coach: {voice.label}; {hint}", err=True)
        sink = SimpleaudioSink()
        try:
            timeline: Plan
            # Start speaking while the rest renders. An empty cache is seen at once; asking it
            # phrase by phrase would hash Piper's model before the first sound.
            if voice.holds_no_clips() or phrases_to_render(voice, routine, request.options):
                timeline = unfolding_plan(routine, request.options, voice, voice_settings(request, routine))
            else:
                timeline = plan(routine, request.options, voice, voice_settings(request, routine))
        except KeyboardInterrupt:
            typer.echo("coach: stopped before the session started", err=True)
            raise typer.Exit(130) from None
        session = LiveSession(
            timeline,
            voice,
            sink,
            routine.source.removeprefix("built-in:"),
            timing_log=log,
            quiet=quiet,
            checkin=checkin,
            remote=remote,
            verbose=verbose,
            listen=listen,
            language=routine.language,
            out=typer.echo,
            err=lambda line: typer.echo(line, err=True),
        )
        try:
            code = session.run()
        finally:
            if isinstance(timeline, UnfoldingTimeline):
                timeline.close()
        if code:
            raise typer.Exit(code)


def _dry_run(request: Request, output_format: OutputFormat) -> None:
    routine = load_request_routine(request)
    voice = _voice_or_none(voice_settings(request, routine))
    timeline, label = _plan_with_progress(routine, request, voice, load_clips=False)  # to read, not to play
    if output_format is OutputFormat.JSON:
        typer.echo(preview.render_json(timeline, label), nl=False)
    else:
        typer.echo(preview.render_text(timeline, label), nl=False)


@app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="The audio file to write: .wav, .mp3, .ogg or .flac.")],
    subtitles: Annotated[
        Path | None, typer.Option("--subtitles", help="Also write the spoken words as .srt or .vtt subtitles.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace files that already exist.")] = False,
    routine: RoutineOption = None,
    only: OnlyOption = None,
    skip: SkipOption = None,
    level: LevelOption = Level.STANDARD,
    reps: RepsOption = None,
    hold: HoldOption = None,
    rest: RestOption = None,
    work: WorkOption = None,
    rounds: RoundsOption = None,
    countdown: CountdownOption = Countdown.VOICE,
    voice: VoiceOption = None,
    rate: RateOption = DEFAULT_RATE,
    volume: VolumeOption = 1.0,
) -> None:
    """Write the session as one audio file (and subtitles), exactly as `coach` would play it."""
    from coach.session.export import audio_format, check_writable, exercises_comment, export_audio
    from coach.session.subtitles import render_subtitles, subtitle_format

    request = _request(
        routine, only, skip, level, reps, hold, rest, countdown, voice, rate, volume, work, rounds, DoneBy.TIME
    )
    audio_format(out)
    check_writable(out, force)
    subtitle_suffix = None
    if subtitles is not None:
        subtitle_suffix = subtitle_format(subtitles)
        check_writable(subtitles, force, "--subtitles")
    loaded = load_request_routine(request)
    speaker = Voice(voice_settings(request, loaded))  # export needs the real voice
    timeline, _label = _plan_with_progress(loaded, request, speaker)
    with progress_bar("Exporting") as report:
        samples = export_audio(
            timeline, clip_source(speaker), out, force=force, comment=exercises_comment(timeline), progress=report
        )
    if subtitles is not None and subtitle_suffix is not None:
        write_atomically(subtitles, render_subtitles(timeline, subtitle_suffix).encode("utf-8"))
    typer.echo(
        f"{out}: {preview.clock(samples / 22050)}, {len(timeline.exercises)} exercises, {len(timeline.cues)} cues"
    )
    if subtitles is not None:
        typer.echo(f"{subtitles}: {sum(1 for c in timeline.cues if c.kind.value == 'speech')} subtitles")


@app.command("list")
def list_exercises(
    routine: RoutineOption = None,
    level: LevelOption = Level.STANDARD,
    reps: RepsOption = None,
    hold: HoldOption = None,
    rest: RestOption = None,
    work: WorkOption = None,
    rounds: RoundsOption = None,
) -> None:
    """Show the routine's exercises: number, id, name, reps and estimated time."""
    request = _request(
        routine, None, None, level, reps, hold, rest, Countdown.VOICE, None, DEFAULT_RATE, 1.0, work, rounds
    )
    loaded = load_request_routine(request)
    timeline, measured = cached_plan(loaded, request.options, voice_settings(request, loaded))
    typer.echo(f"{timeline.title} ({loaded.source})")
    circuit_rounds = max((span.round or 1 for span in timeline.exercises), default=1)
    if circuit_rounds > 1:
        typer.echo(f"A circuit, {circuit_rounds} rounds; per round:")
    for span in timeline.exercises:
        if (span.round or 1) > 1:
            continue  # every round is the same: the first one stands for them
        minutes = preview.clock(span.end - span.start)
        about = "" if measured else "~"
        typer.echo(f"{span.number:>3}  {span.id:<20} {span.name:<28} {preview.amount_text(span):<40} {about}{minutes}")
    if measured:  # every phrase's clip is in the cache: the time the dry-run and the session keep
        typer.echo(f"Total {preview.clock(timeline.total)}")
    else:
        typer.echo(f"Total ~{preview.clock(timeline.total)} (estimated; `coach --dry-run` times it with the voice)")


@app.command("validate")
def validate(path: Annotated[Path, typer.Argument(help="The routine file to check.")]) -> None:
    """Check a routine file; prints what it holds, or the first mistake with its line."""
    routine = load_routine(path)
    exercises = ", ".join(exercise.id for exercise in routine.exercises)
    rounds = f", {routine.rounds} rounds" if routine.rounds > 1 else ""
    typer.echo(f"{path}: OK: '{routine.title}', {len(routine.exercises)} exercises ({exercises}){rounds}")


app.add_typer(voices_app, name="voices")


@app.command("history")
def history(
    output_format: FormatOption = OutputFormat.TEXT,
    recent: Annotated[int, typer.Option("--recent", help="How many recent sessions to list.", min=1)] = 10,
) -> None:
    """Your sessions: recent ones, the streak, this week, totals, pain trend."""
    from datetime import date

    from coach.record.history import History, calendar_strip, streak, this_week, totals

    record = History()
    sessions = record.sessions()
    today = date.today()
    days = {s.started_at.date() for s in sessions}
    summary = {"streak_days": streak(days, today), "sessions_this_week": this_week(sessions, today)}
    if output_format is OutputFormat.JSON:
        data = {
            **summary,
            "totals": totals(sessions),
            "sessions": [
                {
                    "started_at": s.started_at.isoformat(),
                    "ended_at": s.ended_at.isoformat() if s.ended_at else None,
                    "routine": s.routine,
                    "exercises": list(s.exercises),
                    "reps_done": s.reps_done,
                    "sets_done": s.sets_done,
                    "seconds": s.seconds,
                    "status": s.status,
                    "pain_before": s.pain_before,
                    "pain_after": s.pain_after,
                }
                for s in sessions
            ],
        }
        typer.echo(json.dumps(data, indent=2))
        return
    if not sessions:
        typer.echo("No sessions yet. Run `coach` to start your first one.")
        return
    plural = "s" if summary["streak_days"] != 1 else ""
    typer.echo(f"Streak: {summary['streak_days']} day{plural} in a row · this week: {summary['sessions_this_week']}")
    typer.echo("")
    for line in calendar_strip(sessions, today):
        typer.echo(line)
    typer.echo("       ● finished  ○ stopped early  · none")
    typer.echo("")
    typer.echo("Recent sessions")
    for s in sessions[-recent:][::-1]:
        reps = done_text(s.reps_done, s.sets_done) or "no reps"
        pain = ""
        if s.pain_before is not None or s.pain_after is not None:
            pain = f"  pain {s.pain_before if s.pain_before is not None else '?'}"
            pain += f" -> {s.pain_after if s.pain_after is not None else '?'}"
        typer.echo(f"  {s.started_at:%Y-%m-%d %H:%M}  {s.status:<8} {preview.clock(s.seconds):>8}  {reps}{pain}")
    typer.echo("")
    done = ", ".join(f"{exercise} {count}" for exercise, count in totals(sessions).items())
    typer.echo(f"Total reps: {done or 'none completed yet'}")
    rated = [s for s in sessions if s.pain_before is not None and s.pain_after is not None]
    if rated:
        trend = "  ".join(f"{s.pain_before}->{s.pain_after}" for s in rated[-8:])
        typer.echo(f"Pain before -> after, oldest first: {trend}")


def done_text(reps: dict[str, int], sets: dict[str, int]) -> str:
    """Reps where counted, sets where there were several: "squats 20 (2 sets), plank (3 sets)"."""
    parts = []
    for exercise in dict.fromkeys([*reps, *sets]):
        count = f" {reps[exercise]}" if exercise in reps else ""
        several = sets.get(exercise, 0)
        in_sets = f" ({several} set{'s' if several != 1 else ''})" if several and (several > 1 or not count) else ""
        parts.append(f"{exercise}{count}{in_sets}")
    return ", ".join(parts)


app.command("report")(report)


@app.command("show-builtin")
def show_builtin() -> None:
    """Print the built-in routine file, to copy and adapt."""
    typer.echo(builtin_routine_path().read_text(encoding="utf-8"), nl=False)


def entry_point() -> None:
    app()
