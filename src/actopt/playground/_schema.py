"""Small checks for values arriving from the page: each failure names the field it is about.

Every message is plain JSON; these helpers turn one JSON value into a checked Python value or
raise :class:`ProtocolError` with the field's path (``a.layers.1.units``), which the page uses to
show the message next to the control that sent it.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

__all__ = ["ProtocolError", "check_keys", "choice", "flag", "number", "obj", "text"]


class ProtocolError(ValueError):
    """A message the server refuses: ``field`` is the path of the offending value (or None)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.request: str | int | None = None  # the id of the message it answers

    @property
    def message(self) -> str:
        return str(self)


def obj(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProtocolError(
            f"{field or 'message'} must be an object, got {_kind(value)}", field or None
        )
    return value


def check_keys(
    value: Mapping[str, Any], field: str, allowed: Collection[str], required: Collection[str] = ()
) -> None:
    """Refuse unknown keys (listing the allowed ones) and missing required keys."""
    unknown = sorted(set(value) - set(allowed))
    where = f" in {field}" if field else ""
    if unknown:
        raise ProtocolError(
            f"unknown field(s) {', '.join(unknown)}{where}; allowed: {', '.join(sorted(allowed))}",
            _join(field, unknown[0]),
        )
    missing = [k for k in required if k not in value]
    if missing:
        raise ProtocolError(
            f"missing field(s) {', '.join(missing)}{where}", _join(field, missing[0])
        )


def number(
    value: Any,
    field: str,
    low: float,
    high: float,
    *,
    integer: bool = False,
    low_open: bool = False,
) -> Any:
    """A finite number in [low, high] (``(low, high]`` with ``low_open``); an int if ``integer``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProtocolError(f"{_shown(field)} must be a finite number, got {_kind(value)}", field)
    if integer and value != int(value):
        raise ProtocolError(f"{_shown(field)} must be a whole number, got {value!r}", field)
    left = "(" if low_open else "["
    if value < low or value > high or (low_open and value == low):
        raise ProtocolError(
            f"{_shown(field)} must be in {left}{low:g}, {high:g}], got {value!r}", field
        )
    return int(value) if integer else float(value)


def flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ProtocolError(f"{_shown(field)} must be true or false, got {_kind(value)}", field)
    return value


def text(value: Any, field: str, max_len: int) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"{_shown(field)} must be a string, got {_kind(value)}", field)
    if len(value) > max_len:
        raise ProtocolError(
            f"{_shown(field)} is too long ({len(value)} characters, limit {max_len})", field
        )
    return value


def choice(value: Any, field: str, choices: Collection[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ProtocolError(
            f"{_shown(field)} must be one of {', '.join(choices)}, got {value!r}", field
        )
    return value


def _shown(field: str) -> str:
    """A field as the page's user knows it: ``a.hyper.lr`` → ``lr``, ``a.layers.0.units`` →
    ``layer 1 units`` (the message's ``field`` keeps the full path, for the page to point at)."""
    parts = field.split(".")
    parts = parts[1:] if parts[0] in ("a", "b") and len(parts) > 1 else parts
    shown = []
    for i, part in enumerate(parts):
        if part in ("hyper", "params", "data") and i < len(parts) - 1:
            continue
        shown.append(
            "layer" if part == "layers" else str(int(part) + 1) if part.isdigit() else part
        )
    return " ".join(shown)


def _join(field: str, key: Any) -> str:
    return f"{field}.{key}" if field else str(key)


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return repr(value[:40])
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return type(value).__name__.replace("dict", "an object").replace("list", "a list")
