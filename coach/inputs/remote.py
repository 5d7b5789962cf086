"""Steering from afar: coach as an MPRIS media player on the D-Bus session bus.

Earbud buttons, keyboard media keys, the desktop's media widget, KDE Connect and
`playerctl` all speak MPRIS. While a live session runs, coach publishes
`org.mpris.MediaPlayer2.coach` (the root and Player interfaces) and turns their calls
into the same commands the keys give, on the same stream the player waits on.

All bus traffic is on one thread of its own, with jeepney (pure Python, blocking I/O:
it fits a player built on threads, and needs no event loop): it connects (never
delaying the first sound), answers calls, and every tenth of a second compares the
session's state with what it last announced and sends PropertiesChanged. A bus that
goes away ends the thread quietly; the keys keep working.

The contract: https://specifications.freedesktop.org/mpris-spec/latest/
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from coach.common.threads import worker
from coach.sound.player import Command

BUS_NAME = "org.mpris.MediaPlayer2.coach"
OBJECT_PATH = "/org/mpris/MediaPlayer2"
ROOT = "org.mpris.MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"
PROPERTIES = "org.freedesktop.DBus.Properties"
INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
NOT_SUPPORTED = "org.mpris.MediaPlayer2.coach.Error.NotSupported"
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class State:
    """What a remote shows: from the live session, read by the bus thread."""

    status: str  # "Playing", "Paused", "Stopped"
    title: str  # the current exercise and rep
    artist: str  # the routine
    track: int  # which exercise of the session, from 1 (0 before the first)
    length: float  # seconds: the session's planned length
    position: float  # seconds into the plan


INTROSPECTION = f"""<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
 <interface name="{INTROSPECTABLE}"><method name="Introspect"><arg type="s" direction="out"/></method></interface>
 <interface name="{PROPERTIES}">
  <method name="Get">
   <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="out"/>
  </method>
  <method name="GetAll"><arg type="s" direction="in"/><arg type="a{{sv}}" direction="out"/></method>
  <method name="Set"><arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="in"/></method>
  <signal name="PropertiesChanged"><arg type="s"/><arg type="a{{sv}}"/><arg type="as"/></signal>
 </interface>
 <interface name="{ROOT}">
  <method name="Raise"/><method name="Quit"/>
  <property name="CanQuit" type="b" access="read"/><property name="CanRaise" type="b" access="read"/>
  <property name="HasTrackList" type="b" access="read"/><property name="Identity" type="s" access="read"/>
  <property name="SupportedUriSchemes" type="as" access="read"/>
  <property name="SupportedMimeTypes" type="as" access="read"/>
 </interface>
 <interface name="{PLAYER}">
  <method name="Next"/><method name="Previous"/><method name="Pause"/><method name="PlayPause"/>
  <method name="Stop"/><method name="Play"/>
  <method name="Seek"><arg type="x" direction="in"/></method>
  <method name="SetPosition"><arg type="o" direction="in"/><arg type="x" direction="in"/></method>
  <method name="OpenUri"><arg type="s" direction="in"/></method>
  <signal name="Seeked"><arg type="x"/></signal>
  <property name="PlaybackStatus" type="s" access="read"/><property name="Rate" type="d" access="read"/>
  <property name="Metadata" type="a{{sv}}" access="read"/><property name="Volume" type="d" access="read"/>
  <property name="Position" type="x" access="read"/><property name="MinimumRate" type="d" access="read"/>
  <property name="MaximumRate" type="d" access="read"/><property name="CanGoNext" type="b" access="read"/>
  <property name="CanGoPrevious" type="b" access="read"/><property name="CanPlay" type="b" access="read"/>
  <property name="CanPause" type="b" access="read"/><property name="CanSeek" type="b" access="read"/>
  <property name="CanControl" type="b" access="read"/>
 </interface>
</node>
"""


def root_properties() -> dict[str, tuple[str, Any]]:
    return {
        "CanQuit": ("b", False),
        "CanRaise": ("b", False),
        "HasTrackList": ("b", False),
        "Identity": ("s", "coach"),
        "SupportedUriSchemes": ("as", []),
        "SupportedMimeTypes": ("as", []),
    }


def player_properties(state: State) -> dict[str, tuple[str, Any]]:
    """The Player interface's properties as D-Bus variants (signature, value)."""
    running = state.status != "Stopped"
    return {
        "PlaybackStatus": ("s", state.status),
        "Rate": ("d", 1.0),
        "Metadata": ("a{sv}", metadata(state)),
        "Volume": ("d", 1.0),
        "Position": ("x", int(state.position * 1_000_000)),
        "MinimumRate": ("d", 1.0),
        "MaximumRate": ("d", 1.0),
        "CanGoNext": ("b", running),
        "CanGoPrevious": ("b", running),
        "CanPlay": ("b", running),
        "CanPause": ("b", running),
        "CanSeek": ("b", False),
        "CanControl": ("b", True),
    }


def metadata(state: State) -> dict[str, tuple[str, Any]]:
    return {
        "mpris:trackid": ("o", f"/org/coach/exercise/{state.track}"),
        "mpris:length": ("x", int(state.length * 1_000_000)),
        "xesam:title": ("s", state.title),
        "xesam:artist": ("as", [state.artist]),
    }


class Remote:
    """The MPRIS player for one live session; `start()` returns at once, `stop()` releases the name."""

    def __init__(
        self,
        put: Callable[[Command], bool],
        state: Callable[[], State],
        note: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.put = put  # into the command stream; False when no session is running
        self.state = state
        self.note = note  # says why there is no remote (--verbose)
        self.bus_name: str | None = None
        self._stopping = threading.Event()
        self._thread = worker(self._serve, "coach-mpris")

    @staticmethod
    def unavailable_reason() -> str | None:
        """Why no remote can be offered here, before trying (no bus address, no jeepney)."""
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and not os.path.exists(f"/run/user/{os.getuid()}/bus"):
            return "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
        try:
            import jeepney  # noqa: F401
        except ImportError:
            return "jeepney is not installed"
        return None

    def start(self) -> Remote:
        """Connect and serve on the bus thread; the caller has checked `unavailable_reason()`."""
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _serve(self) -> None:
        from jeepney.io.blocking import open_dbus_connection

        try:
            connection = open_dbus_connection(bus="SESSION")
        except Exception as error:  # no daemon at that address, refused, ...
            self.note(f"coach: no remote control: the session bus could not be reached ({error}); the keys still work")
            return
        try:
            self.bus_name = self._claim_name(connection)
            announced = player_properties(self.state())
            while not self._stopping.is_set():
                try:
                    message = connection.receive(timeout=POLL_SECONDS)
                except TimeoutError:
                    message = None
                if message is not None:
                    self._answer(connection, message)
                announced = self._announce_changes(connection, announced)
            with contextlib.suppress(Exception):  # the bus may be gone already
                self._announce_changes(connection, announced)
                self._release_name(connection)
        except (OSError, ConnectionError, EOFError) as error:
            self.note(f"coach: the remote control stopped: the session bus went away ({error}); the keys still work")
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def _claim_name(self, connection: Any) -> str:
        from jeepney.bus_messages import message_bus

        for name in (BUS_NAME, f"{BUS_NAME}.instance{os.getpid()}"):  # a second coach: the spec's suffix
            reply = connection.send_and_get_reply(message_bus.RequestName(name, 4))  # 4: do not queue
            if reply.body[0] in (1, 4):  # primary owner, or already
                return name
        raise ConnectionError("the MPRIS name is taken")

    def _release_name(self, connection: Any) -> None:
        from jeepney.bus_messages import message_bus

        if self.bus_name is not None:
            connection.send_and_get_reply(message_bus.ReleaseName(self.bus_name), timeout=1)

    def _announce_changes(self, connection: Any, announced: dict[str, tuple[str, Any]]) -> dict[str, tuple[str, Any]]:
        from jeepney import DBusAddress, new_signal

        current = player_properties(self.state())
        # Position changes continuously: clients ask for it, it is not announced (spec).
        changed = {key: value for key, value in current.items() if key != "Position" and announced.get(key) != value}
        if changed:
            address = DBusAddress(OBJECT_PATH, interface=PROPERTIES)
            connection.send(new_signal(address, "PropertiesChanged", "sa{sv}as", (PLAYER, changed, [])))
        return current

    def _answer(self, connection: Any, message: Any) -> None:
        from jeepney import HeaderFields, MessageType, new_error, new_method_return

        header = message.header
        if header.message_type is not MessageType.method_call:
            return
        interface = header.fields.get(HeaderFields.interface, "")
        member = header.fields.get(HeaderFields.member, "")
        if header.fields.get(HeaderFields.path) != OBJECT_PATH:
            connection.send(new_error(message, "org.freedesktop.DBus.Error.UnknownObject", "s", ("no such object",)))
            return
        if interface == INTROSPECTABLE and member == "Introspect":
            connection.send(new_method_return(message, "s", (INTROSPECTION,)))
        elif interface == PROPERTIES:
            self._answer_properties(connection, message, member)
        elif interface in (PLAYER, "") and member in ("Next", "Previous", "Pause", "PlayPause", "Stop", "Play"):
            self._command(member)
            connection.send(new_method_return(message))
        elif interface in (PLAYER, "") and member in ("Seek", "SetPosition", "OpenUri"):
            connection.send(
                new_error(message, NOT_SUPPORTED, "s", ("coach keeps to the plan: use Next and Previous instead",))
            )
        elif interface in (ROOT, "") and member in ("Raise", "Quit"):
            connection.send(new_method_return(message))  # CanRaise and CanQuit are false: nothing to do
        else:
            connection.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", (member,)))

    def _answer_properties(self, connection: Any, message: Any, member: str) -> None:
        from jeepney import new_error, new_method_return

        tables = {ROOT: root_properties(), PLAYER: player_properties(self.state())}
        if member == "GetAll":
            connection.send(new_method_return(message, "a{sv}", (tables.get(message.body[0], {}),)))
        elif member == "Get":
            interface, name = message.body
            if name in tables.get(interface, {}):
                connection.send(new_method_return(message, "v", (tables[interface][name],)))
            else:
                connection.send(new_error(message, "org.freedesktop.DBus.Error.InvalidArgs", "s", (name,)))
        else:  # Set: every property here is read-only
            connection.send(new_error(message, "org.freedesktop.DBus.Error.PropertyReadOnly", "s", ("read-only",)))

    def _command(self, member: str) -> None:
        paused = self.state().status == "Paused"
        if member == "PlayPause" or (member == "Pause" and not paused) or (member == "Play" and paused):
            self.put(Command.PAUSE)
        elif member == "Next":
            self.put(Command.NEXT)
        elif member == "Previous":
            self.put(Command.BACK)
        elif member == "Stop":
            self.put(Command.QUIT)
