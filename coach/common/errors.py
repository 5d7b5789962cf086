"""The one exception family the CLI turns into a single line and exit code 2."""

from __future__ import annotations


class CoachError(Exception):
    """A problem the user can fix: the message is the whole story, no traceback."""

    exit_code = 2


class RoutineError(CoachError):
    """A routine file that does not follow the format.

    Carries the file, the line (when the format tells it) and the field path, so the
    user can go straight to the mistake.
    """

    def __init__(self, message: str, *, source: str, line: int | None = None, field: str = "") -> None:
        self.source = source
        self.line = line
        self.field = field
        self.detail = message
        where = source if line is None else f"{source}:{line}"
        what = f"{field}: {message}" if field else message
        super().__init__(f"{where}: {what}")


class SelectionError(CoachError):
    """An exercise name, id or number that is not in the routine."""


class OptionError(CoachError):
    """A number or choice outside what makes sense (reps, hold, rate, ...)."""


class VoiceUnavailable(CoachError):
    """No speech engine: pyttsx3 or eSpeak NG is missing or broken."""


class NoVoiceEngine(VoiceUnavailable):
    """No voice engine is installed at all: a dry-run can still estimate the times."""


class AudioUnavailable(CoachError):
    """No sound device that simpleaudio can open."""


class StorageError(CoachError):
    """A folder or file coach keeps things in cannot be used: full, read-only, a file where a folder should be."""
