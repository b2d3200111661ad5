"""The auditor: is this a good activation? Checks with evidence, a verdict with reasons, and the
textbook pictures of f and f'. A layer above ``actopt.activations``: it judges catalog entries
and user formulas alike, with the measurements the catalog's declared properties are tested
against.

>>> import actopt
>>> actopt.audit("sign(x)*sqrt(abs(x))").verdict        # the package itself is callable
'bad'
>>> from actopt.audit import audit, write_gallery
>>> audit("relu", timing=False).reasons[:1]              # doctest: +SKIP
['dead for x < 0: ...']
"""

import sys
import types
from typing import Any

from ._audit import RISK, AuditReport, audit
from ._checks import Check, run_checks
from ._gallery import check_gallery, plot_activation, write_gallery
from ._signal import SignalReport, init_for, propagate

__all__ = [
    "RISK",
    "AuditReport",
    "Check",
    "SignalReport",
    "audit",
    "check_gallery",
    "init_for",
    "plot_activation",
    "propagate",
    "run_checks",
    "write_gallery",
]


class _CallableModule(types.ModuleType):
    """``actopt.audit(target)`` calls ``actopt.audit.audit(target)``: the function came first,
    and importing the package puts the package where the function was."""

    def __call__(self, target: Any, **kwargs: Any) -> AuditReport:
        return audit(target, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
