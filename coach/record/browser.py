"""A headless Chromium, driven over its DevTools pipe: the report page as PNG or PDF.

Only a browser draws the HTML page exactly as the reader's browser will, so the picture
and the printed page come from one. `--remote-debugging-pipe` makes Chromium read
DevTools commands on fd 3 and answer on fd 4, as NUL-separated JSON: a full-page
screenshot and a printed PDF without a WebSocket library. It starts with a throwaway
profile and no background networking, so it fetches nothing, and ends with the `with`.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from coach.common.errors import CoachError

BROWSER_VARIABLE = "COACH_BROWSER"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",  # run as root in containers; the page is our own, with no script
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
)


class BrowserUnavailable(CoachError):
    """No Chromium to draw the page, or it failed while drawing."""


def find_browser() -> str:
    named = os.environ.get(BROWSER_VARIABLE)
    found = shutil.which(named) if named else next(filter(None, map(shutil.which, CANDIDATES)), None)
    if found is None:
        where = f"${BROWSER_VARIABLE} names '{named}', which is not a program" if named else "no Chromium found"
        raise BrowserUnavailable(
            f"{where}: a .png or .pdf report is drawn by Chromium (Debian: apt install chromium); "
            "the .html report needs nothing"
        )
    return found


class Browser:
    """One headless Chromium for the length of a `with` block; `open` loads a page in it."""

    def __init__(self, executable: str | None = None, timeout: float = 60) -> None:
        self.executable = executable or find_browser()
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._buffer = b""
        self._next_id = 0

    def __enter__(self) -> Browser:
        self._profile = tempfile.TemporaryDirectory(prefix="coach-browser-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def give_pipes() -> None:  # in the child: its fd 3 reads our commands, fd 4 writes answers
            read_end = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        try:
            self._process = subprocess.Popen(
                [self.executable, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self._profile.name}"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=give_pipes,  # nothing but two dup2 calls, before exec
                close_fds=False,
            )
        except OSError as error:
            self._close_pipes()
            raise BrowserUnavailable(f"{self.executable} could not start ({error.strerror})") from None
        finally:
            os.close(to_browser_read)
            os.close(from_browser_write)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        with contextlib.suppress(OSError, BrowserUnavailable):
            self._send("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._close_pipes()
        self._profile.cleanup()

    def _close_pipes(self) -> None:
        for end in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(end)

    def _send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _messages(self, deadline: float) -> Any:
        """Each message from the browser as it comes, until the deadline."""
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                yield json.loads(raw)
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                raise BrowserUnavailable(f"{self.executable} did not answer within {self.timeout:.0f} s")
            data = os.read(self._from_browser, 1 << 20)
            if not data:
                raise BrowserUnavailable(f"{self.executable} ended while drawing the page")
            self._buffer += data

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send one DevTools command and wait for its answer; events meanwhile are kept."""
        sent = self._send(method, params, session)
        for message in self._messages(time.monotonic() + self.timeout):
            if message.get("id") != sent:
                self.events.append(message)
                continue
            if "error" in message:
                raise BrowserUnavailable(f"{self.executable}: {method} failed ({message['error'].get('message')})")
            return dict(message.get("result", {}))
        raise AssertionError("unreachable")

    def wait_for(self, event: str, session: str) -> None:
        if any(e.get("method") == event and e.get("sessionId") == session for e in self.events):
            return
        for message in self._messages(time.monotonic() + self.timeout):
            self.events.append(message)
            if message.get("method") == event and message.get("sessionId") == session:
                return

    def open(self, page: Path, width: int, height: int = 800, mobile: bool = False) -> str:
        """Load a file at a window width (CSS pixels); returns its DevTools session, loaded."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = str(self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"])
        for domain in ("Page", "Runtime", "Log", "Network"):  # what the page says and asks for, kept in events
            self.call(f"{domain}.enable", session=session)
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
        self.call("Emulation.setDeviceMetricsOverride", metrics, session)
        self.call("Page.navigate", {"url": page.resolve().as_uri()}, session)
        self.wait_for("Page.loadEventFired", session)
        return session

    def screenshot(self, session: str) -> bytes:
        """The whole page, however long, at the window's width."""
        result = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session)
        return base64.b64decode(result["data"])

    def pdf(self, session: str) -> bytes:
        """The page printed on A4, as the page's print style lays it out."""
        options = {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True, "preferCSSPageSize": True}
        return base64.b64decode(self.call("Page.printToPDF", options, session)["data"])
