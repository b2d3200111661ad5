"""What counts as a number a user may give, shared by every component that checks values.

``inf``, ``nan``, ``True`` and integers too large for a float are not numbers here: a value is
checked once where it enters (an activation's ``Param``, an optimizer's checks, a landscape's
parameters, a run spec), and each of those says "a finite number" the same way.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["FLOAT32_MAX", "as_finite", "parse_plain", "shown", "split_outside_brackets"]

FLOAT32_MAX = 3.4028234663852886e38  # the largest float32: what a float32 model can hold


def as_finite(value: Any, limit: float = math.inf) -> float | None:
    """``value`` as a float when it is a real number (not a bool) that is finite and at most
    ``limit`` in magnitude; None otherwise (an integer beyond float64 included).

    >>> as_finite(3), as_finite(float("inf")), as_finite(True), as_finite(10**400)
    (3.0, None, None, None)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        v = float(value)
    except OverflowError:
        return None
    return v if math.isfinite(v) and abs(v) <= limit else None


def shown(value: Any) -> str:
    """``repr(value)`` for a message, with a long one cut: a 400-digit integer is shown as its
    first digits and its length, so the error stays one readable line."""
    text = repr(value)
    if len(text) <= 40:
        return text
    kind = "digits" if isinstance(value, int) and not isinstance(value, bool) else "characters"
    return f"{text[:12]}… ({len(text)} {kind})"


def split_outside_brackets(text: str) -> list[str]:
    """``text`` split on the commas outside ``( )`` and ``[ ]``, each part stripped.

    >>> split_outside_brackets("betas=[0.8, 0.99], eps=1e-6")
    ['betas=[0.8, 0.99]', 'eps=1e-6']
    """
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return [*parts, text[start:].strip()]


def _numbers(text: str) -> list[Any] | None:
    """``0.8,0.99``, ``(0.8, 0.99)`` or ``[0.8,0.99]`` as a list of two or more numbers; None
    if it is not that."""
    inner = text.strip()
    if inner[:1] + inner[-1:] in ("()", "[]"):
        inner = inner[1:-1]
    elif "," not in inner:
        return None
    items = [parse_plain(x) for x in inner.split(",")]
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items)
    return items if numeric and len(items) > 1 else None


def parse_plain(text: str) -> Any:
    """A value typed as text (a flag, a ``key=value`` pair) as bool, int, float, a list of
    numbers (``0.9,0.999``, ``(0.9, 0.999)`` or ``[0.9, 0.999]``: a pair such as ``betas``) or
    str: parsed, never evaluated. The one reading shared by the command line and the bench's
    grid strings.

    >>> parse_plain("true"), parse_plain("3"), parse_plain("1e-3"), parse_plain("adam")
    (True, 3, 0.001, 'adam')
    >>> parse_plain("0.8,0.99"), parse_plain("[0.8, 0.99]"), parse_plain("max(x, 0)")
    ([0.8, 0.99], [0.8, 0.99], 'max(x, 0)')
    """
    numbers = _numbers(text)
    if numbers is not None:
        return numbers
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
