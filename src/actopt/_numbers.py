"""What counts as a number a user may give, shared by every component that checks values.

``inf``, ``nan``, ``True`` and integers too large for a float are not numbers here: a value is
checked once where it enters (an activation's ``Param``, an optimizer's checks, a landscape's
parameters, a run spec), and each of those says "a finite number" the same way.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["FLOAT32_MAX", "as_finite", "counted", "parse_plain", "shown"]

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


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and its noun, singular for one: ``1 seed``, ``3 seeds``, ``0 runs``.

    >>> counted(1, "claim"), counted(24, "claim"), counted(2, "formula", "formulas")
    ('1 claim', '24 claims', '2 formulas')
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def shown(value: Any) -> str:
    """``repr(value)`` for a message, with a long one cut: a 400-digit integer is shown as its
    first digits and its length, so the error stays one readable line."""
    text = repr(value)
    if len(text) <= 40:
        return text
    kind = "digits" if isinstance(value, int) and not isinstance(value, bool) else "characters"
    return f"{text[:12]}… ({len(text)} {kind})"


def parse_plain(text: str) -> Any:
    """A value typed as text (a flag, a ``key=value`` pair) as bool, int, float or str: parsed,
    never evaluated. The one reading shared by the command line and the bench's grid strings.

    >>> parse_plain("true"), parse_plain("3"), parse_plain("1e-3"), parse_plain("adam")
    (True, 3, 0.001, 'adam')
    """
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
