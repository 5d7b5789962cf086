"""Worker threads that leave the process's signals to the main thread.

Ctrl-C, SIGTERM and SIGHUP are handled in Python's main thread, but the kernel hands a
process-directed signal to any thread that does not block it. When it lands on a worker
(or on one of the onnxruntime threads a worker starts, which inherit its signal mask),
the main thread's blocking wait is not interrupted and the session stops only at its
next deadline, or not at all. So every thread coach starts blocks them first.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

MAIN_THREAD_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def worker(
    target: Callable[..., Any], name: str, *, daemon: bool = True, args: tuple[Any, ...] = ()
) -> threading.Thread:
    """A thread (not started) running `target(*args)` with the stop signals blocked."""

    def run() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, MAIN_THREAD_SIGNALS)
        target(*args)

    return threading.Thread(target=run, name=name, daemon=daemon)
