"""A time budget on symbolic steps: sympy may take minutes on an innocent-looking formula.

``with budget(5.0):`` runs its block with a trace function that checks the clock at every
Python call in this thread and raises :class:`OutOfTime` once the budget is spent. sympy is
pure Python, so it is stopped within milliseconds; nothing else is touched (other threads keep
running, a debugger's or coverage's own trace function keeps being called). What only C code
does (Python's integer power) is bounded before sympy sees it (``_formula``'s exponent limits).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["OutOfTime", "budget"]


class OutOfTime(Exception):
    """A symbolic step ran past its time budget."""


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Run the block for at most about ``seconds`` of wall time, else raise ``OutOfTime``.

    >>> import sympy as sp
    >>> with budget(5.0):
    ...     sp.diff(sp.sin(sp.Symbol("x")) ** 2)
    2*sin(x)*cos(x)
    """
    deadline = time.monotonic() + seconds
    previous = sys.gettrace()

    def tracer(frame, event, arg):
        if time.monotonic() > deadline:
            raise OutOfTime(f"over the {seconds:g} s budget")
        return previous(frame, event, arg) if previous is not None else None

    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(previous)
