"""Piper's voice catalogue: list what it offers, and install a voice, checked, into the voices folder.

The catalogue is Piper's own `voices.json` (each voice's files, with their sizes and MD5
digests), at the address piper-tts's `download_voices` module names, or at a mirror of
it (`--from URL`, or $COACH_VOICES_URL). Files are fetched by the catalogue's own paths
under that address, Piper's layout. piper-tts's helper writes straight to the final
path and checks nothing, so the transfer is coach's: each file goes to a hidden part
file, is checked against the catalogue's size and digest, and only a voice whose every
file checked out is moved into place. A failure, an interruption or a full disk leaves
nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.common.errors import CoachError
from coach.common.paths import describe_os_error

URL_VARIABLE = "COACH_VOICES_URL"
# One clear voice per language of the phrase tables: what the dry-run suggests where a
# routine's language has no Piper voice installed.
SUGGESTED = {
    "en": "en_US-joe-medium",
    "de": "de_DE-thorsten-medium",
    "es": "es_ES-davefx-medium",
    "fr": "fr_FR-siwis-medium",
}
CATALOGUE = "voices.json"
TIMEOUT = 30  # seconds without a byte before a transfer counts as lost
BLOCK = 1 << 16


class CatalogueError(CoachError):
    """The catalogue or a voice's files could not be had, or did not check out."""


@dataclass(frozen=True)
class CatalogueFile:
    path: str  # relative to the catalogue's address: "de/de_DE/thorsten/medium/de_DE-thorsten-medium.onnx"
    size: int
    md5: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class CatalogueVoice:
    key: str  # "de_DE-thorsten-medium"
    language: str  # "de-de"
    language_name: str  # "German"
    quality: str
    files: tuple[CatalogueFile, ...]  # the model and its config: what coach installs

    @property
    def size(self) -> int:
        return sum(file.size for file in self.files)


def catalogue_address(given: str | None = None) -> str:
    """The mirror asked for, or Piper's own catalogue (from piper-tts, not a copy of its address)."""
    address = given or os.environ.get(URL_VARIABLE)
    if not address:
        try:
            from piper.download_voices import VOICES_JSON
        except ImportError:
            raise CatalogueError(
                "Piper's voice catalogue needs piper-tts (pip install 'coach[piper]'), or a mirror: --from URL"
            ) from None
        address = VOICES_JSON.split("?", 1)[0].rsplit("/", 1)[0]
    return address.rstrip("/") + "/"


def _open(url: str) -> Any:
    try:
        return urllib.request.urlopen(url, timeout=TIMEOUT)  # http(s) addresses the user gave
    except urllib.error.HTTPError as error:
        raise CatalogueError(f"{url}: the server answered {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise CatalogueError(f"cannot reach {url} ({reason}); are you offline? A mirror: --from URL") from None


def read_catalogue(address: str) -> dict[str, CatalogueVoice]:
    url = address + CATALOGUE
    with _open(url) as response:
        try:
            data = json.loads(response.read())
        except (ValueError, OSError) as error:
            raise CatalogueError(f"{url}: not a voice catalogue ({error})") from None
    if not isinstance(data, dict):
        raise CatalogueError(f"{url}: not a voice catalogue (no table of voices)")
    voices = {}
    for key, entry in data.items():
        try:
            files = tuple(
                CatalogueFile(path, int(info["size_bytes"]), str(info["md5_digest"]))
                for path, info in entry["files"].items()
                if path.endswith((".onnx", ".onnx.json"))
            )
            language = entry.get("language", {})
            voices[key] = CatalogueVoice(
                key,
                str(language.get("code", "")).lower().replace("_", "-"),
                str(language.get("name_english", "")),
                str(entry.get("quality", "")),
                files,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # an entry this coach cannot read is not offered
    return voices


def find_voice(catalogue: dict[str, CatalogueVoice], name: str) -> CatalogueVoice:
    voice = catalogue.get(name)
    if voice is not None and len(voice.files) == 2:
        return voice
    import difflib

    close = difflib.get_close_matches(name, list(catalogue), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise CatalogueError(f"no voice '{name}' in the catalogue{hint} (`coach voices --available` lists them)")


def install(
    voice: CatalogueVoice,
    address: str,
    folder: Path,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Download, check and move a voice's files into `folder`; all of them, or none."""
    targets = [folder / file.name for file in voice.files]
    if not force and any(target.exists() for target in targets):
        raise CatalogueError(f"the voice {voice.key} is installed already in {folder}; add --force to fetch it again")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CatalogueError(f"the voices folder {folder}: {describe_os_error(error, folder)}") from None
    parts = [folder / f".{file.name}.{os.getpid()}.part" for file in voice.files]
    done = 0
    try:
        for file, part in zip(voice.files, parts, strict=True):
            done = _fetch(address + file.path, file, part, done, voice.size, progress)
        for part, target in zip(parts, targets, strict=True):
            part.replace(target)
    except OSError as error:
        for target in targets:  # a half-moved voice is no voice
            target.unlink(missing_ok=True)
        raise CatalogueError(f"the voice {voice.key} could not be saved ({describe_os_error(error, folder)})") from None
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    return targets


def _fetch(
    url: str, file: CatalogueFile, part: Path, done: int, total: int, progress: Callable[[int, int], None] | None
) -> int:
    digest = hashlib.md5(usedforsecurity=False)
    received = 0
    with _open(url) as response, part.open("wb") as out:
        for block in _blocks(response, url):
            out.write(block)
            digest.update(block)
            received += len(block)
            if received > file.size:
                break
            if progress is not None:
                progress(done + received, total)
    if received != file.size:
        raise CatalogueError(
            f"{url}: the transfer ended at {received:,} of {file.size:,} bytes; nothing was kept: try again"
        )
    if digest.hexdigest() != file.md5:
        raise CatalogueError(
            f"{url}: its MD5 digest {digest.hexdigest()} is not the catalogue's {file.md5}; nothing was kept"
        )
    return done + received


def _blocks(response: Any, url: str) -> Iterator[bytes]:
    while True:
        try:
            block = response.read(BLOCK)
        except (OSError, ValueError) as error:  # a dropped connection: IncompleteRead, reset, timeout
            with contextlib.suppress(Exception):
                response.close()
            raise CatalogueError(f"{url}: the transfer broke off ({type(error).__name__}); nothing was kept") from None
        if not block:
            return
        yield block


def remove(name: str, folder: Path) -> list[Path]:
    targets = [folder / f"{name}.onnx", folder / f"{name}.onnx.json"]
    present = [target for target in targets if target.exists()]
    if not present:
        raise CatalogueError(f"no voice '{name}' in {folder} (`coach voices` lists the installed ones)")
    for target in present:
        try:
            target.unlink()
        except OSError as error:
            raise CatalogueError(f"{target}: could not be removed ({describe_os_error(error)})") from None
    return present


def free_space_for(voice: CatalogueVoice, folder: Path) -> None:
    """Say so before fetching 60 MB into a disk with room for less."""
    probe = next((p for p in (folder, *folder.parents) if p.exists()), folder)
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return
    if free < voice.size:
        from coach.common.paths import mount_point

        raise CatalogueError(
            f"the voice {voice.key} needs {voice.size / 1e6:.0f} MB and {mount_point(probe)} has "
            f"{free / 1e6:.1f} MB free; nothing was fetched"
        )
