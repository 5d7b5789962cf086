"""One stream of commands for the player: the keyboard's keys and any remote's calls.

The player waits on a single `wait(deadline)`, as in player.Wait. Keys arrive on the
terminal; remote commands (MPRIS, from another thread) are queued and a byte is
written to a pipe, so one `select` wakes for whichever comes first, at once, and
otherwise sleeps until the deadline. A remote command is as punctual as a key.

Commands put while the stream is closed (during the check-in, after the session) are
dropped: only a running session is steered.

The same pipe is the process's signal wake-up (`signal.set_wakeup_fd`). The kernel hands
SIGTERM to any thread that does not block it, and the sound library's own threads do not:
taken there, it reached Python's handler only when the main thread next woke, which a paused
session (waiting with no deadline) never did. A laptop lid closed on a session paused after
"ouch" left the coach running until killed.
"""

from __future__ import annotations

import collections
import contextlib
import os
import select
import signal
import threading
import time
from collections.abc import Callable

from coach.inputs.keys import Keyboard
from coach.sound.player import Command

SELECT_SLICE_SECONDS = 0.05


class CommandStream:
    def __init__(self, keyboard: Keyboard | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.keyboard = keyboard
        self.clock = clock
        self._queue: collections.deque[Command] = collections.deque()
        self._lock = threading.Lock()
        self._read_end, self._write_end = os.pipe()
        os.set_blocking(self._write_end, False)
        self.open = False  # accepting remote commands
        # Only the main thread may set it; a stream made elsewhere (a test's) goes without.
        self._woken_by_signals = threading.current_thread() is threading.main_thread()
        if self._woken_by_signals:
            self._previous_wakeup = signal.set_wakeup_fd(self._write_end, warn_on_full_buffer=False)

    def put(self, command: Command) -> bool:
        """From any thread: queue a command for the player; False when the session is not running."""
        with self._lock:
            if not self.open:
                return False
            self._queue.append(command)
        with contextlib.suppress(OSError):  # a pipe full of wake-ups already, or closed at the very end
            os.write(self._write_end, b"!")
        return True

    def wait(self, deadline: float | None) -> Command | None:
        """Until the deadline (None: until a command), or the first key or remote command."""
        sources = [self._read_end] + ([self.keyboard.fd] if self.keyboard is not None else [])
        while True:
            with self._lock:
                if self._queue:
                    return self._queue.popleft()
            timeout = None if deadline is None else deadline - self.clock()
            if timeout is not None and timeout <= 0:
                return None
            if timeout is not None:
                # Linux lets a select() wake up to 0.1% of its timeout late (0.2% at a nice above 0:
                # select_estimate_accuracy), so a cue 9 s away came 9 ms late. Short waits keep it
                # under 0.05 ms; they cost twenty wake-ups a second.
                timeout = min(timeout, SELECT_SLICE_SECONDS)
            ready, _, _ = select.select(sources, [], [], timeout)
            if self._read_end in ready:
                # The commands themselves are in the queue; a signal's handler runs on the way round.
                os.read(self._read_end, 512)
            if self.keyboard is not None and self.keyboard.fd in ready:
                command = self.keyboard.read_key()
                if command is not None:
                    return command

    def close(self) -> None:
        with self._lock:
            self.open = False
            self._queue.clear()
        if self._woken_by_signals:
            signal.set_wakeup_fd(self._previous_wakeup)
            self._woken_by_signals = False
        for end in (self._read_end, self._write_end):
            with contextlib.suppress(OSError):
                os.close(end)
