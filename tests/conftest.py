"""Shared set-up: a private speech cache for the whole run, and the capture sound device."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from coach.sound.player import Command
from coach.sound.speaker import OPENING_SILENCE
from coach.voice.voices import Voice, VoiceSettings

ALSA_CAPTURE_CONF = Path(__file__).resolve().parent.parent / "coach" / "sound" / "alsa-capture.conf"

# Every sound the tests play goes through the capture device: it writes what it is
# given to $COACH_AUDIO_CAPTURE, one file per play, and needs no sound card. Set before
# anything opens ALSA, which reads its configuration once.
os.environ["ALSA_CONFIG_PATH"] = str(ALSA_CAPTURE_CONF)
# Plays a test does not look at land in a folder of this process's, removed at its end
# (not /dev/null: the device would write /dev/null.0001, .0002, ... beside it).
_DISCARDED = Path(tempfile.mkdtemp(prefix="coach-test-plays-"))
atexit.register(shutil.rmtree, _DISCARDED, ignore_errors=True)
os.environ.setdefault("COACH_AUDIO_CAPTURE", str(_DISCARDED / "played.raw"))
# A shell that starts the tests in the background (`... &`) ignores SIGINT for them, and
# every coach they start would inherit that: the Ctrl-C tests would see it ignored (all
# three failed so, run with nohup ... &). A handled signal is reset to its default at exec.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def slow_seconds(item: pytest.Item) -> float | None:
    """About how long a test marked `slow(seconds=N)` takes on a 2-core machine; None if not slow."""
    marker = item.get_closest_marker("slow")
    if marker is None:
        return None
    if "seconds" not in marker.kwargs:  # the dealing needs it: say it, rather than have it guessed
        raise pytest.UsageError(f"{item.nodeid}: mark it slow(seconds=N), N about its seconds on 2 cores")
    return float(marker.kwargs["seconds"])


SESSION_SECONDS = 15  # a slow test this long is a session in real time, mostly waiting on the clock


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The sessions in real time spread over all workers but one, longest first; the last
    worker starts on the shorter slow tests, which keep a core busy, while the sessions
    wait on the clock.

    pytest-xdist's worksteal hands each of its W workers one contiguous W-th of this list,
    and an idle worker later steals from the ends of the others'. So each session goes to
    the head of the W-th of the worker with the fewest seconds of sessions so far; the last
    W-th starts with the shorter slow tests; the quick tests fill every W-th up, and the
    last worker, done first, takes over the others' quick ones. Measured on 2 cores, the
    longest first to every worker left the cores idle for the first minute and crowded
    the quick tests at the end: 127-130 s with 6 workers, against 101.7-106.3 s this way
    with 7."""
    timed = sorted(
        ((seconds, item) for item in items if (seconds := slow_seconds(item)) is not None),
        key=lambda pair: pair[0],
        reverse=True,
    )
    fast = [item for item in items if item.get_closest_marker("slow") is None]
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    shares: list[list[pytest.Item]] = [[] for _ in range(workers)]
    loads = [0.0] * max(workers - 1, 1)
    for seconds, item in timed:
        if seconds >= SESSION_SECONDS:
            lightest = loads.index(min(loads))
            shares[lightest].append(item)
            loads[lightest] += seconds
        else:
            shares[-1].append(item)
    ordered: list[pytest.Item] = []
    for worker, share in enumerate(shares):
        size = (worker + 1) * len(items) // workers - worker * len(items) // workers
        room = max(size - len(share), 0)
        ordered += share + fast[:room]
        del fast[:room]
    items[:] = ordered + fast


def read_captures(first: Path, opening: bool = False) -> list[bytes]:
    """What the device was given, one entry per play, in order: first, first.0001, ...

    A live session opens the device with a moment of silence before its clock starts;
    that is not a cue, and is left out unless `opening` asks for it.
    """
    files = [first] if first.exists() else []
    files += sorted(first.parent.glob(first.name + ".[0-9][0-9][0-9][0-9]"))
    played = [path.read_bytes() for path in files]
    if not opening and played and played[0] == OPENING_SILENCE:
        return played[1:]
    return played


def settled_captures(first: Path, expected: list[bytes], seconds: float = 30) -> list[bytes]:
    """The captures once the device has taken in as much as `expected` holds (or the time is up).

    On a fake clock a session ends as its last clips start; the device writes them at the
    speed a loaded machine allows, so a test reads them once they are all there.
    """
    deadline = time.monotonic() + seconds
    captured = read_captures(first)
    while [len(data) for data in captured] != [len(want) for want in expected] and time.monotonic() < deadline:
        time.sleep(0.02)
        captured = read_captures(first)
    return captured


class FakeClock:
    """Time that moves only when waited through: to the deadline, plus `oversleep`.

    `press` schedules keys: (seconds after the start, command); a key pressed before a
    deadline ends that wait early, as the keyboard does.
    """

    def __init__(self, oversleep: float = 0.0, press: list[tuple[float, Command]] | None = None) -> None:
        self.start = self.now = 1000.0
        self.oversleep = oversleep
        self.waits: list[float | None] = []
        self.stall_at: dict[int, float] = {}  # wait number -> extra seconds lost there
        self.keys = sorted(press or [])

    def clock(self) -> float:
        return self.now

    def wait(self, deadline: float | None) -> Command | None:
        self.waits.append(deadline)
        if self.keys and (deadline is None or self.start + self.keys[0][0] <= deadline):
            at, command = self.keys.pop(0)
            self.now = max(self.now, self.start + at)
            return command
        assert deadline is not None, "waiting for a key that never comes"
        self.now = max(self.now, deadline) + self.oversleep + self.stall_at.get(len(self.waits) - 1, 0.0)
        return None


# Real-time scheduling, as a desktop's server gets it (through rtkit): with the suite's seven
# (now nine) workers on two cores, an ordinary-priority server was once heard 37 ms late.
REAL_TIME = ("--realtime=yes", "--high-priority=yes")


@contextlib.contextmanager
def private_pulseaudio(home: Path, setup: str, alsa: str) -> Iterator[dict[str, str]]:
    """A PulseAudio server of this test's own, in `home`: `setup` is its script (the native
    socket is added), `alsa` the ALSA configuration ({socket} stands for the socket's path).
    Yields the environment that routes ALSA and PulseAudio clients to it."""
    home.mkdir()
    socket = home / "native"
    (home / "server.pa").write_text(
        f"{setup}load-module module-native-protocol-unix auth-anonymous=1 socket={socket}\n"
    )
    (home / "asound.conf").write_text(alsa.replace("{socket}", str(socket)))
    env = dict(os.environ, HOME=str(home), XDG_RUNTIME_DIR=str(home), PULSE_SERVER=f"unix:{socket}")
    env["ALSA_CONFIG_PATH"] = str(home / "asound.conf")
    server = subprocess.Popen(
        ["pulseaudio", "-n", "-F", str(home / "server.pa"), "--daemonize=no", "--exit-idle-time=-1", *REAL_TIME],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        assert server.poll() is None and time.monotonic() < deadline, "PulseAudio did not start"
        time.sleep(0.1)
    try:
        yield env
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_until(condition: Callable[[], bool], seconds: float = 60) -> None:
    """For tests that watch a real-time session: poll until the condition holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def ctrl_c(process: subprocess.Popen[str], seconds: float) -> str:
    """Press Ctrl-C on a coach started with PYTHONFAULTHANDLER=1; its stderr once it has ended.
    Not ended within `seconds`: it is sent SIGABRT and the test fails with where each thread was."""
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=seconds)[1]
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        pytest.fail(f"coach did not end in {seconds} s of Ctrl-C:\n" + process.communicate(timeout=10)[1])


@pytest.fixture
def capture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Route this test's playback into tmp_path/played.raw (and .0001, .0002, ...)."""
    first = tmp_path / "capture" / "played.raw"
    first.parent.mkdir()
    monkeypatch.setenv("COACH_AUDIO_CAPTURE", str(first))
    return first


@pytest.fixture(autouse=True)
def private_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test records its sessions in a history of its own, never the user's."""
    folder = tmp_path_factory.mktemp("coach-data")
    monkeypatch.setenv("COACH_DATA_DIR", str(folder))
    return folder / "history.sqlite3"


@pytest.fixture(scope="session", autouse=True)
def private_speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Clips rendered by the tests go to a temporary cache, never the user's own.

    One cache for the whole run, shared by pytest-xdist's workers (the cache is safe for
    concurrent writers: each clip lands by an atomic rename), so each phrase renders once.
    """
    run_folder = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_folder = run_folder.parent  # the folder all workers of this run share
    cache = run_folder / "coach-cache"
    cache.mkdir(exist_ok=True)
    previous = os.environ.get("COACH_CACHE_DIR")
    os.environ["COACH_CACHE_DIR"] = str(cache)
    yield cache
    if previous is None:
        del os.environ["COACH_CACHE_DIR"]
    else:
        os.environ["COACH_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def voice(private_speech_cache: Path) -> Voice:
    """The real default voice (Piper where installed), rendering into the private cache."""
    return Voice(VoiceSettings())


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    """A 300 kB tmpfs: a disk that fills up at once."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    folder = Path(tempfile.mkdtemp(prefix="coach-tiny-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"this machine cannot mount a tmpfs here ({mounted.stderr.decode().strip()})")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)
    shutil.rmtree(folder, ignore_errors=True)
