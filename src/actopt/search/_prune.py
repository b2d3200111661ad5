"""Screening a candidate before any training: parse, analyse, audit.

A candidate is pruned, with the reason kept, when (in this order):

1. the formula language refuses it or sympy takes longer than ``ANALYSIS_S`` CPU seconds to
   parse, differentiate and audit it (sympy's equation solver can run for minutes on nested
   max/min of transcendental functions);
2. f or f' is not finite at a probe point in [−12, 12] (a pole, a log of 0, an overflow);
3. ``actopt.audit`` says ``bad`` (any failed check: undefined, infinite gradient, even,
   linear, constant, exploding…). The audit's signal-propagation test is left out of the
   screen: it costs ~4 s a candidate on this machine against 0.5 s for the rest, and it only
   warns, so it would prune nothing.
"""

from __future__ import annotations

import ast
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..activations import ActivationSpec, from_formula
from ..audit import audit
from ._dedup import fingerprint, finite_on_probes

__all__ = ["ANALYSIS_S", "Screen", "screen"]

ANALYSIS_S = 5.0
T = TypeVar("T")


class _Slow(BaseException):  # not an Exception: sympy's own ``except Exception`` lets it by
    pass


def _limited(seconds: float, fn: Callable[[], T]) -> T:
    """``fn()``, stopped after ``seconds`` of this process's CPU time (SIGVTALRM: the same
    limit on a busy machine as on an idle one; sympy is pure Python, so it is interrupted
    between bytecodes, and the alarm repeats in case some code swallows it). Off the main
    thread there is no alarm: no limit."""
    if threading.current_thread() is not threading.main_thread():
        return fn()

    def alarm(signum: int, frame: Any) -> None:
        raise _Slow

    old = signal.signal(signal.SIGVTALRM, alarm)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds, 0.25)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, old)


def _cost(text: str) -> int:
    """Nodes in f'(x)'s printed expression (parsed by ``ast``, never run): how much work the
    backward pass does per element, without timing it on a noisy machine."""
    try:
        return sum(1 for _ in ast.walk(ast.parse(text, mode="eval")))
    except SyntaxError:  # a printing ast cannot read (e.g. relu'(x)): its length instead
        return len(text) // 4


@dataclass
class Screen:
    """What the screen found: ``spec`` is None when the candidate was pruned."""

    formula: str
    pruned: bool
    reasons: list[str] = field(default_factory=list)
    spec: ActivationSpec | None = None
    text: str = ""  # sympy's canonical printing
    fp: str = ""  # numerical fingerprint (see _dedup)
    cost: int = 0  # nodes in f'(x): the backprop cost axis


def screen(formula: str) -> Screen:
    """Parse, differentiate and audit ``formula``; pruned (with reasons) or a spec to train.

    >>> screen("x*sigmoid(x)").pruned
    False
    >>> screen("abs(x)").reasons
    ['even function: opposite inputs give the same output, so no later layer can tell x from -x']
    """
    try:
        s = _limited(ANALYSIS_S, lambda: from_formula(formula))
        if not finite_on_probes(s):
            return Screen(formula, True, ["f or f' is not finite on [-12, 12]"])
        report = _limited(ANALYSIS_S, lambda: audit(s, timing=False, signal=False))
    except _Slow:
        return Screen(formula, True, [f"analysis took over {ANALYSIS_S:g} CPU s (sympy)"])
    except (ValueError, ZeroDivisionError, OverflowError, RuntimeError) as e:
        return Screen(formula, True, [f"not a valid formula: {e}"])
    if report.verdict == "bad":
        return Screen(formula, True, report.reasons, text=s.text)
    return Screen(formula, False, [], s, s.text, fingerprint(s), _cost(s.text_grad))
