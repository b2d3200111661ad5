"""The checks of a model's options, in one place: the builders run them, and so does a run spec
when it is created, so a bad value fails before anything is built."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["INITS", "NORMS", "check_options"]

INITS = ("he", "xavier", "lecun", "orthogonal", "torch")
NORMS = ("none", "batch", "layer")


def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _fraction(v: Any) -> bool:
    number = isinstance(v, (int, float)) and not isinstance(v, bool)
    return number and not math.isnan(v) and 0 <= v < 1


# option → (is it valid?, what it must be)
_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "depth": (_count, "an integer >= 1"),
    "width": (_count, "an integer >= 1"),
    "norm": (lambda v: v in NORMS, f"one of {', '.join(NORMS)}"),
    "dropout": (_fraction, "in [0, 1)"),
    "init": (lambda v: v in INITS, f"one of {', '.join(INITS)}"),
}


def check_options(**options: Any) -> None:
    """``ValueError`` naming the first bad value among depth, width, norm, dropout and init.

    >>> check_options(depth=0)
    Traceback (most recent call last):
    ValueError: depth must be an integer >= 1, got 0
    """
    for name, value in options.items():
        ok, rule = _CHECKS[name]
        if not ok(value):
            raise ValueError(f"{name} must be {rule}, got {value!r}")
