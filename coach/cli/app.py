"""The typer application every command module registers on, and its one-line errors.

Every user mistake ends in one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from coach.cli.option_defaults import skip_coercing_defaults
from coach.common.errors import CoachError

DEBUG_VARIABLE = "COACH_DEBUG"


class StoppedByCtrlC(Exception):
    """A Ctrl-C no command caught: typer would end it with exit 130 and not a word."""


class OneLineErrors(TyperGroup):
    """Every mistake ends in one line on stderr and exit code 2, never a traceback.

    Wraps the whole command line, so it covers usage errors (a bad --reps value) as
    well as the project's own CoachError, for the installed script and CliRunner alike.
    Anything unexpected still ends in one line, naming the error, unless --debug (or
    $COACH_DEBUG=1) asks for the traceback. This handler uses nothing that can fail.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise StoppedByCtrlC from None

    def main(  # type: ignore[override]  # click's own keywords pass through **kwargs
        self, args: Sequence[str] | None = None, standalone_mode: bool = True, **kwargs: Any
    ) -> Any:
        arguments = list(args) if args is not None else sys.argv[1:]
        debug = "--debug" in arguments or os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")
        if "--debug" in arguments:
            arguments.remove("--debug")
        try:
            result = super().main(arguments, standalone_mode=False, **kwargs)
        except CoachError as error:
            return _fail(f"coach: error: {error}", error.exit_code, standalone_mode)
        except StoppedByCtrlC:
            return _fail("coach: stopped", 130, standalone_mode)
        except typer.Exit as done:
            return _fail("", done.exit_code, standalone_mode)
        except typer.Abort:
            return _fail("coach: stopped", 130, standalone_mode)
        except Exception as error:
            return _unexpected(error, debug, standalone_mode)
        code = result if isinstance(result, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _unexpected(error: Exception, debug: bool, standalone_mode: bool) -> int:
    """Usage errors from the parser, a closed pipe, or a bug: one line each."""
    name = type(error).__name__
    if name == "NoArgsIsHelpError":
        ctx = getattr(error, "ctx", None)
        return _fail(ctx.get_help() if ctx else "", 2, standalone_mode)
    if name in ("UsageError", "BadParameter", "NoSuchOption", "BadOptionUsage", "BadArgumentUsage", "MissingParameter"):
        ctx = getattr(error, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        return _fail(f"coach: error: {_format(error)}{hint}", 2, standalone_mode)
    if hasattr(error, "format_message") and hasattr(error, "exit_code"):  # click's ClickException
        return _fail(f"coach: error: {_format(error)}", int(error.exit_code), standalone_mode)
    if isinstance(error, BrokenPipeError):  # `coach voices | head`: the reader has what it wanted
        with contextlib.suppress(Exception):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - nothing more is printed to it
        return _fail("", 0, standalone_mode)
    if debug:
        with contextlib.suppress(Exception):
            traceback.print_exception(error)
    detail = " ".join(str(error).split())[:300]
    return _fail(
        f"coach: internal error: {name}{': ' + detail if detail else ''} "
        f"(a bug: run again with --debug or {DEBUG_VARIABLE}=1 to see where)",
        2,
        standalone_mode,
    )


def _format(error: Exception) -> str:
    try:
        message = str(error.format_message())  # type: ignore[attr-defined]
    except Exception:
        message = str(error)
    # typer checks a choice through pydantic, whose wording leads with "Value error, ":
    # "Invalid value for '--level': Value error, 'extreme' is not one of ...".
    return message.replace(": Value error, ", ": ")


def _fail(message: str, code: int, standalone_mode: bool) -> int:
    if message:
        with contextlib.suppress(Exception):  # stderr itself may be gone
            print(message, file=sys.stderr, flush=True)
    if standalone_mode:
        sys.exit(code)
    return code


skip_coercing_defaults()  # see coach/cli/option_defaults.py: ~80 ms off every command

app = typer.Typer(
    cls=OneLineErrors,
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="A hands-free, voice-guided exercise coach. With no command, runs the routine.",
)
