"""Single keys from the terminal: no Enter, no root, works over SSH.

The terminal goes into cbreak mode (keys arrive one by one, not echoed; Ctrl-C still
interrupts) for as long as the session runs, and is put back exactly as it was. The
player waits on `select` for a key or its next deadline, whichever comes first, so
it sleeps between cues and wakes at once for a key.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import termios
import time
import tty
from collections.abc import Callable
from typing import Any, TextIO

from coach.sound.player import Command

KEYS = {" ": Command.PAUSE, "n": Command.NEXT, "b": Command.BACK, "r": Command.REPEAT, "q": Command.QUIT}
HELP = "space pause/resume · n next exercise · b restart exercise · r repeat · q quit"


class Keyboard:
    """The terminal's keys as player commands, while in a `with` block."""

    def __init__(
        self,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_help: Callable[[], None] | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stdin
        self.clock = clock
        self.on_help = on_help
        self._saved: list[Any] | None = None
        self.fd = -1

    @staticmethod
    def available(stream: TextIO | None = None) -> bool:
        """Keys only from a real terminal: piped input and CI run straight through."""
        stream = stream if stream is not None else sys.stdin
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    def __enter__(self) -> Keyboard:
        self.fd = self.stream.fileno()
        self._saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd, termios.TCSANOW)
        return self

    def __exit__(self, *_: object) -> None:
        self.restore()

    def restore(self) -> None:
        if self._saved is not None:
            with contextlib.suppress(termios.error):  # a closed terminal has nothing to restore
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def wait(self, deadline: float | None) -> Command | None:
        """Until the deadline (None: until a key), or a command key, whichever is first."""
        while True:
            timeout = None if deadline is None else deadline - self.clock()
            if timeout is not None and timeout <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                continue  # woke a little early: wait out the rest
            command = self.read_key()
            if command is not None:
                return command

    def read_key(self) -> Command | None:
        """The key that is waiting, as a command (None for any other key; `?` shows help)."""
        data = os.read(self.fd, 1)
        if not data:  # end of input: the terminal went away
            raise EOFError
        key = data.decode("utf-8", "ignore").lower()
        if key == "?" and self.on_help is not None:
            self.on_help()
        return KEYS.get(key)

    def read_choice(self, allowed: str, seconds: float | None = None) -> str | None:
        """One key from `allowed` (for the pain check-in), waiting as long as it takes, or
        at most `seconds` (None when none came: the answer may come by voice instead)."""
        deadline = None if seconds is None else self.clock() + seconds
        while True:
            if deadline is not None:
                ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - self.clock()))
                if not ready:
                    return None
            key = os.read(self.fd, 1).decode("utf-8", "ignore").lower()
            if not key:
                raise EOFError
            if key in allowed:
                return key
