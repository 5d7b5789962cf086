"""When the machine misbehaves: a full disk, a file where a folder goes, a read-only folder,
a voice engine that never finishes, a bug deep inside. Each ends in one line naming the
path and the cause, exit 2, within a bound, and leaves what the user had alone."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli.main import app
from coach.common.audio import Clip
from coach.voice import engines
from coach.voice import voices as voice_module
from coach.voice.engines import VoiceInfo

COACH = [sys.executable, "-m", "coach"]
BOUND = 30  # seconds: every fault ends well within this


def run_coach(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    result = subprocess.run(
        [*COACH, *args], capture_output=True, text=True, env={**os.environ, **env}, stdin=subprocess.DEVNULL,
        timeout=BOUND,
    )  # fmt: skip
    assert time.monotonic() - started < BOUND
    return result


def one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_a_full_disk_under_the_voice_cache(tiny_disk: Path) -> None:
    only = ["--only", "knee-rolls", "--voice", "gmw/en-us"]  # eSpeak NG: it fills the disk at once
    result = run_coach(["--dry-run", *only], COACH_CACHE_DIR=str(tiny_disk / "cache"))
    one_line(result, "the voice cache", f"no space left on {tiny_disk}")


def test_a_full_disk_under_the_history(tiny_disk: Path, tmp_path: Path) -> None:
    (tiny_disk / "filler").write_bytes(b"\0" * 280_000)
    result = run_coach(["history"], COACH_DATA_DIR=str(tiny_disk / "data"))
    # Reading an empty history needs no space; starting one does, and says so.
    assert result.returncode == 0, result.stderr
    from coach.record.history import History, HistoryError

    with pytest.raises(HistoryError, match=f"no space left on {tiny_disk}"):
        History(tiny_disk / "data" / "history.sqlite3").start("lower-back", ["knee-rolls"])


@pytest.mark.slow(seconds=2)
def test_an_export_to_a_full_disk_leaves_nothing_behind(tiny_disk: Path) -> None:
    out = tiny_disk / "back.wav"
    result = run_coach(["export", str(out), "--only", "knee-rolls", "--voice", "gmw/en-us"])  # renders at once
    one_line(result, str(out), f"no space left on {tiny_disk}")
    assert list(tiny_disk.iterdir()) == []


def test_a_report_to_a_full_disk_leaves_nothing_behind(tiny_disk: Path) -> None:
    filler = tiny_disk / "filler"  # the user's own file fills the disk to its last block
    with contextlib.suppress(OSError), filler.open("wb") as out:
        while True:
            out.write(b"\0" * 4096)
            out.flush()
    out_path = tiny_disk / "report.html"
    result = run_coach(["report", str(out_path)])
    one_line(result, str(out_path), f"no space left on {tiny_disk}", "nothing was left behind")
    assert [path.name for path in tiny_disk.iterdir()] == ["filler"]


@pytest.mark.parametrize(
    ("args", "variable", "words"),
    [
        (["--dry-run", "--only", "knee-rolls"], "COACH_CACHE_DIR", ["is a file, not a folder"]),
        (["history"], "COACH_DATA_DIR", ["is a file, not a folder", "history"]),
    ],
)
def test_a_file_where_a_folder_goes(args: list[str], variable: str, words: list[str], tmp_path: Path) -> None:
    blocking = tmp_path / "f"
    blocking.write_text("x")
    result = run_coach(args, **{variable: str(blocking)})
    one_line(result, str(blocking), *words)
    assert blocking.read_text() == "x"


def test_a_read_only_cache_folder(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run coach as another user (root writes anywhere)")
    folder = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's own folders are closed to other users
    os.chmod(folder, 0o755)  # readable, not writable, by nobody
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    env = {**os.environ, "COACH_CACHE_DIR": str(folder / "cache"), "COACH_DATA_DIR": str(folder / "data")}
    (folder / "cache").mkdir(mode=0o755)
    result = subprocess.run(
        [*as_nobody, *COACH, "--dry-run", "--only", "1"], capture_output=True, text=True, env=env, timeout=BOUND
    )
    one_line(result, f"the voice cache {folder / 'cache' / 'speech'}", "not writable")
    (folder / "data").mkdir(mode=0o755)  # a session cannot be recorded there: said, not hidden
    record = "from coach.record.history import History; History().start('lower-back', ['knee-rolls'])"
    history = subprocess.run([*as_nobody, sys.executable, "-c", record], capture_output=True, text=True, env=env)
    assert f"the history file {folder / 'data' / 'history.sqlite3'} (not writable)" in history.stderr
    closed = folder / "closed"  # a folder above the cache that nobody may enter (no execute bit)
    closed.mkdir(mode=0o644)
    env["COACH_CACHE_DIR"] = str(closed / "cache")
    result = subprocess.run(
        [*as_nobody, *COACH, "--dry-run", "--only", "1"], capture_output=True, text=True, env=env, timeout=BOUND
    )
    one_line(result, f"the voice cache {closed / 'cache' / 'speech'}", f"the folder {closed} cannot be entered")
    shutil.rmtree(folder, ignore_errors=True)


class NeverFinishes:
    """A voice engine stuck inside its synthesiser."""

    name = "Stuck"
    install_hint = ""
    voice = VoiceInfo("stuck", "stuck-voice", "Stuck", "en", neural=False)

    def __init__(self) -> None:
        self.release = threading.Event()

    def voices(self) -> tuple[VoiceInfo, ...]:
        return (self.voice,)

    def find(self, wanted: str) -> VoiceInfo | None:
        return self.voice if wanted == self.voice.id else None

    def for_language(self, language: str) -> VoiceInfo | None:
        return None

    def fingerprint(self, voice: VoiceInfo) -> str:
        return "stuck 1"

    def render(self, text: str, voice: VoiceInfo, rate: int, volume: float) -> Clip:
        self.release.wait()
        return Clip(b"")


def test_a_voice_engine_that_never_finishes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stuck = NeverFinishes()
    monkeypatch.setitem(engines._engines, "stuck", stuck)  # type: ignore[arg-type]
    monkeypatch.setattr(engines, "ENGINE_MODULES", ("stuck", *engines.ENGINE_MODULES))
    monkeypatch.setattr(voice_module, "RENDER_TIMEOUT_START", 1.0)
    monkeypatch.setattr(voice_module, "RENDER_TIMEOUT_PER_WORD", 0.1)
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path))
    started = time.monotonic()
    result = CliRunner().invoke(app, ["--dry-run", "--only", "1", "--voice", "stuck-voice"])
    stuck.release.set()
    assert time.monotonic() - started < 10
    assert result.exit_code == 2
    assert result.stderr.startswith("coach: error: Stuck did not finish rendering") and result.stderr.count("\n") == 1
    assert not list(tmp_path.rglob("*.wav"))


def test_a_bug_deep_inside_is_one_line_and_debug_shows_where(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> str:
        raise KeyError("deep inside")

    monkeypatch.setattr("coach.plan.preview.render_text", broken)
    result = CliRunner().invoke(app, ["--dry-run", "--only", "1", "--voice", "gmw/en-us"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "internal error: KeyError: 'deep inside'" in result.stderr and "--debug" in result.stderr
    debug = CliRunner().invoke(app, ["--dry-run", "--only", "1", "--voice", "gmw/en-us", "--debug"])
    assert debug.exit_code == 2 and "Traceback" in debug.stderr and "broken" in debug.stderr


def test_ctrl_c_anywhere_says_it_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    """typer ends a Ctrl-C nothing else caught with exit 130 and no word: coach says one."""

    def interrupted(*_args: object, **_kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr("coach.plan.preview.render_text", interrupted)
    result = CliRunner().invoke(app, ["--dry-run", "--only", "1", "--voice", "gmw/en-us"])
    assert result.exit_code == 130
    assert result.stderr == "coach: stopped\n"


@pytest.mark.parametrize("option", ["--only", "--skip"])
def test_an_empty_selection_is_an_error_with_the_valid_names(option: str) -> None:
    result = CliRunner().invoke(app, ["--dry-run", option, ""])
    assert result.exit_code == 2
    assert result.stderr == (
        f"coach: error: {option} needs at least one exercise. "
        "Valid: 1 bottoms-to-heels, 2 knee-rolls, 3 back-extensions, 4 pelvic-tilts\n"
    )
