"""`coach --version`: the package's version, and which of its extras are installed.

Found without importing them: the natural voice and the listener load hundreds of
megabytes, and a version line must answer at once.
"""

from __future__ import annotations

import importlib.util

import coach


def version_line() -> str:
    def present(module: str) -> bool:
        return importlib.util.find_spec(module) is not None

    voice = "Piper (natural voice)" if present("piper") else "eSpeak NG only (no Piper: pip install 'coach[piper]')"
    if not present("faster_whisper"):
        listening = "not installed (pip install 'coach[listen]')"
    elif present("pywebrtc_audio"):
        listening = "installed, with echo cancelling"
    else:
        listening = "installed, without echo cancelling (pip install pywebrtc-audio)"
    return f"coach {coach.__version__}; voice: {voice}; listening (--listen): {listening}"
