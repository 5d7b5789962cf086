"""Live sessions end to end, speaking into the capture device.

Those that are about time run the installed `coach` in real time, on short routines;
the rest run the same session in-process on a fake clock (run_on_a_fake_clock), with
the real voice, simpleaudio, capture device and history: only the waiting is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from coach.cli.main import app
from coach.common.audio import load_chime
from coach.plan.script import Countdown, DoneBy, SessionOptions
from coach.record.history import History
from coach.session.live import LiveSession
from coach.session.prepare import Request, load_request_routine, voice_settings
from coach.session.prepare import plan as plan_timeline
from coach.sound.speaker import OPENING_SILENCE, SimpleaudioSink
from coach.voice.voices import Voice, VoiceSettings
from tests.conftest import ALSA_CAPTURE_CONF, FakeClock, ctrl_c, read_captures, settled_captures

COACH = [sys.executable, "-m", "coach"]

SHORT_ROUTINE = """
title = "Short test routine"
intro = "Let us begin."
closing = "All done."

[[exercises]]
id = "reach"
name = "Reach"
reps = 2
sides = "alternate"

[[exercises.phases]]
kind = "move"
say = "Reach {side}."
seconds = 0.5

[[exercises.phases]]
kind = "hold"
say = "Hold."
seconds = 5

[[exercises.phases]]
kind = "rest"
seconds = 0.5
"""


def environment(capture: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ALSA_CONFIG_PATH"] = str(ALSA_CAPTURE_CONF)
    env["COACH_AUDIO_CAPTURE"] = str(capture)
    env["PYTHONFAULTHANDLER"] = "1"  # a hung session, sent SIGABRT, says where each thread was
    return env


def dry_run_json(args: list[str], env: dict[str, str]) -> dict:
    result = subprocess.run(
        [*COACH, "--dry-run", "--format", "json", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def expected_frames(plan: dict[str, Any], voice: Voice) -> list[bytes]:
    """The sound of each planned cue, from the cache the session used."""
    return [
        load_chime(cue["text"]).frames if cue["kind"] == "chime" else voice.clip(cue["text"]).frames
        for cue in plan["cues"]
        if cue["kind"] != "wait"  # a self-paced wait is silent
    ]


def check_played(plan: dict[str, Any], capture: Path, log: Path, voice: Voice | None = None) -> None:
    """Every cue of the plan reached the device whole, in order, at its planned time or after."""
    assert read_captures(capture, opening=True)[0] == OPENING_SILENCE  # the device opened before the clock
    wanted = expected_frames(plan, voice or Voice(VoiceSettings()))
    captured = settled_captures(capture, wanted)
    sounding = [cue for cue in plan["cues"] if cue["kind"] != "wait"]
    assert len(captured) == len(wanted) == len(sounding)
    for index, (got, want) in enumerate(zip(captured, wanted, strict=True)):
        text = sounding[index]["text"]
        assert len(got) == len(want), f"cue {index} {text!r}: {len(got)} of {len(want)} bytes reached the device"
        assert got == want, f"cue {index} {text!r} is not the sound of its clip"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["kind"], r["text"], r["planned"]) for r in records] == [
        (c["kind"], c["text"], round(c["start"], 6)) for c in plan["cues"]
    ]
    assert all(r["actual"] >= r["planned"] for r in records)  # never early


def run_on_a_fake_clock(args: list[str], capture: Path, tmp_path: Path, history: Path) -> tuple[dict[str, Any], str]:
    """The same session as `coach ARGS`, in this process on a fake clock: every cue still goes
    through the real voice, simpleaudio and the capture device, and into the real history;
    only the waiting is skipped. Returns the dry-run's plan and what the session printed."""
    dry = CliRunner().invoke(app, ["--dry-run", "--format", "json", *args])
    assert dry.exit_code == 0, dry.output
    plan = json.loads(dry.stdout)
    routine_path = Path(args[args.index("--routine") + 1]) if "--routine" in args else None
    only = (args[args.index("--only") + 1],) if "--only" in args else ()

    def given(option: str, kind: Callable[[str], Any]) -> Any:
        return kind(args[args.index(option) + 1]) if option in args else None

    options = SessionOptions(
        reps=given("--reps", int),
        hold=given("--hold", float),
        rest=given("--rest", float),
        work=given("--work", float),
        rounds=given("--rounds", int),
        countdown=given("--countdown", Countdown) or Countdown.VOICE,
        done_by=DoneBy.TIME,  # no terminal here, as for the dry-run through the runner: no key to press
    )
    request = Request(routine_path, only, (), options, voice=given("--voice", str))
    routine = load_request_routine(request)
    voice = Voice(voice_settings(request, routine))
    timeline = plan_timeline(routine, request.options, voice, voice.settings)
    log, printed = tmp_path / "timing.jsonl", []
    fake = FakeClock()
    with log.open("w", encoding="utf-8") as log_file:
        session = LiveSession(
            timeline, voice, SimpleaudioSink(), "test", timing_log=log_file, history=History(history),
            out=printed.append, err=printed.append, clock=fake.clock, wait=fake.wait,
        )  # fmt: skip
        assert session.run() == 0
    check_played(plan, capture, log, voice)
    return plan, "\n".join(printed)


@pytest.mark.slow(seconds=27)
def test_a_short_routine_plays_end_to_end_in_real_time_from_a_cold_cache(tmp_path: Path, capture: Path) -> None:
    """The installed coach in real time with nothing cached: it speaks while the rest renders,
    plays every cue whole and never early, and its plan is the one the dry-run lays out
    afterwards from the clips it cached."""
    routine = tmp_path / "short.toml"
    routine.write_text(SHORT_ROUTINE.replace("reps = 2", "reps = 1").replace('sides = "alternate"', ""))
    routine.write_text(routine.read_text().replace("Reach {side}.", "Reach up."))
    env = dict(environment(capture), COACH_CACHE_DIR=str(tmp_path / "cold"))
    log = tmp_path / "timing.jsonl"
    args = ["--routine", str(routine)]
    live = subprocess.run(
        [*COACH, *args, "--timing-log", str(log)], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL
    )
    assert live.returncode == 0, live.stderr
    assert live.stdout.startswith("Short test routine: 1 exercise")
    assert "Reach up." in live.stdout and "three" in live.stdout  # the 5 s hold is counted down
    plan = dry_run_json(args, env)
    check_played(plan, capture, log, Voice(VoiceSettings(), cache_dir=tmp_path / "cold" / "speech"))


@pytest.mark.slow(seconds=7)
def test_ctrl_c_stops_at_once_and_says_where(tmp_path: Path, capture: Path) -> None:
    routine = tmp_path / "short.toml"
    routine.write_text(SHORT_ROUTINE)
    process = subprocess.Popen(
        [*COACH, "--routine", str(routine), "--voice", "gmw/en-us"],  # eSpeak NG: renders at once
        stdin=subprocess.DEVNULL,  # no terminal: no keys, the session runs straight through
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(capture),
    )
    deadline = time.monotonic() + 60
    while len(read_captures(capture)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    err = ctrl_c(process, 10)
    played = len(read_captures(capture))
    assert process.returncode == 130
    assert "coach: stopped at 0:" in err and "Traceback" not in err
    assert 4 <= played < 15


def test_ctrl_c_as_the_sound_device_opens_says_so(
    tmp_path: Path, capture: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C landing between the first sound (the opening silence) and the first cue once
    ended coach with exit 130 and not a word (typer's own silent handling)."""
    routine = tmp_path / "short.toml"
    routine.write_text(SHORT_ROUTINE)
    opened = SimpleaudioSink.open

    def open_then_ctrl_c(sink: SimpleaudioSink) -> None:
        opened(sink)  # the real device opens and plays its silence; then the key lands
        raise KeyboardInterrupt

    monkeypatch.setattr(SimpleaudioSink, "open", open_then_ctrl_c)
    result = CliRunner().invoke(app, ["--routine", str(routine), "--voice", "gmw/en-us", "--no-remote", "--quiet"])
    assert result.exit_code == 130
    assert result.stderr.strip() == "coach: stopped before the session started"
    assert read_captures(capture, opening=True) == [OPENING_SILENCE]  # and no cue played


@pytest.mark.parametrize("listening", [[], ["--listen"]], ids=["", "listening"])
def test_no_sound_device_is_one_line_with_alternatives(tmp_path: Path, listening: list[str]) -> None:
    """Listening, before the model loads, and not as the listening process's failure: the
    microphone's library (PortAudio) aborts its process where ALSA has no device at all."""
    empty = tmp_path / "no-card.conf"
    empty.write_text("# no devices at all\n")
    env = dict(os.environ, ALSA_CONFIG_PATH=str(empty))
    result = subprocess.run(
        [*COACH, "--only", "1", "--reps", "1", *listening],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert result.stderr.startswith("coach: error: no sound device")
    assert "--dry-run" in result.stderr and "ALSA_CONFIG_PATH=" in result.stderr


def test_no_voice_engine_says_what_to_install_and_dry_run_still_works(tmp_path: Path) -> None:
    """pyttsx3 hidden from the interpreter, as on a machine where it is not installed."""
    hide = (
        "import sys; sys.modules['pyttsx3'] = sys.modules['piper'] = None; "
        "from coach.cli.main import entry_point; entry_point()"
    )
    live = subprocess.run([sys.executable, "-c", hide, "--only", "1"], capture_output=True, text=True)
    assert live.returncode == 2
    assert live.stderr.count("\n") == 1
    assert "apt-get install espeak-ng" in live.stderr and "--dry-run" in live.stderr
    dry = subprocess.run([sys.executable, "-c", hide, "--dry-run", "--only", "1"], capture_output=True, text=True)
    assert dry.returncode == 0
    assert "times are ESTIMATES" in dry.stdout


def test_unwritable_timing_log_is_one_line(tmp_path: Path, capture: Path) -> None:
    result = subprocess.run(
        [*COACH, "--only", "1", "--timing-log", str(tmp_path / "missing" / "t.jsonl")],
        capture_output=True,
        text=True,
        env=dict(environment(capture), COACH_CACHE_DIR=str(tmp_path / "cache")),
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("coach: error: --timing-log") and result.stderr.count("\n") == 1
    assert read_captures(capture) == []  # refused before a sound was made
    assert not list(tmp_path.glob("cache/**/*.wav"))  # and before a voice was loaded to render one


def test_pelvic_tilts_two_reps_play_every_planned_cue_in_order(
    tmp_path: Path, capture: Path, private_history: Path
) -> None:
    """The acceptance run `coach --only pelvic-tilts --reps 2`, on a fake clock."""
    _plan, printed = run_on_a_fake_clock(["--only", "pelvic-tilts", "--reps", "2"], capture, tmp_path, private_history)
    assert "Number 2 out of 2." in printed
    [session] = History(private_history).sessions()
    assert (session.status, session.reps_done) == ("finished", {"pelvic-tilts": 2})


@pytest.mark.parametrize("countdown", ["tick", "off"])
def test_countdown_choice_reaches_the_speaker(
    countdown: str, tmp_path: Path, capture: Path, private_history: Path
) -> None:
    routine = tmp_path / "short.toml"
    routine.write_text(SHORT_ROUTINE.replace("reps = 2", "reps = 1").replace('sides = "alternate"', ""))
    routine.write_text(routine.read_text().replace("Reach {side}.", "Reach up."))
    run_on_a_fake_clock(["--routine", str(routine), "--countdown", countdown], capture, tmp_path, private_history)
    ticks = sum(1 for data in read_captures(capture) if data == load_chime("tick").frames)
    assert ticks == (3 if countdown == "tick" else 0)
