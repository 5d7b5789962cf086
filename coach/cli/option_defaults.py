"""Options left at their defaults, or given as plain text, are not coerced: no pydantic.

typer 0.29 coerces every option's value through a pydantic TypeAdapter, built on first
use, and calls for it even when the option was not given and its value is the default
written in Python (already of its type) or None. Building the first adapter imports
pydantic: about 80 ms of a ~220 ms `coach --dry-run`, for options nobody typed. typer
itself marks the adapter as "lazy ... to avoid up-front costs"; this makes it so.

A value the user gave is still coerced and checked by typer as before, except the text
of a plain `str` option (`--voice joe`): pydantic's answer for text is that very text,
and asking for it cost a live session ~90 ms before its first sound. Only the typer
versions this was checked against are touched; any other is left as it is (correct,
only slower).
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import _TyperParameter

CHECKED_TYPER = ("0.29.",)


def _is_unset(parameter: _TyperParameter, value: Any) -> bool:
    return value is None or value is parameter.default


def _is_plain_text(parameter: _TyperParameter, value: Any) -> bool:
    described = parameter.type_descriptor
    return (
        isinstance(value, str)
        and described.annotation is str
        and parameter.nargs == 1
        and not parameter.multiple
        and not described.is_choice
        and described.parameter_info.parser is None
        and described.file_annotation is None
    )


def skip_coercing_defaults() -> bool:
    """Install the shortcut; False when this typer is not one it was checked against."""
    if not typer.__version__.startswith(CHECKED_TYPER) or getattr(_TyperParameter, "_coach_defaults", False):
        return False
    coerce = _TyperParameter.process_value

    def process_value(self: _TyperParameter, ctx: Any, value: Any) -> Any:
        if not _is_unset(self, value) and not _is_plain_text(self, value):
            return coerce(self, ctx, value)
        if value is None and (self.multiple or self.nargs == -1):
            value = ()  # as typer's coercion gives for an empty multiple option
        if self.required and self.value_is_missing(value):
            return coerce(self, ctx, value)  # typer says what is missing
        if self.callback is not None:
            value = self.callback(ctx, self, value)
        return value

    _TyperParameter.process_value = process_value  # type: ignore[method-assign]
    _TyperParameter._coach_defaults = True  # type: ignore[attr-defined]
    return True
