"""Strict JSON, the one way actopt writes it: NaN and ±inf become ``null``.

``json.dumps`` writes ``NaN`` and ``Infinity`` by default, which ``JSON.parse``, ``jq`` and most
other readers refuse. Every file and stream of JSON actopt writes for people or other programs
(``--json``, the search's files, the report page, the playground's messages) goes through here.

>>> dumps({"lo": float("nan"), "f(0)": float("inf"), "n": [1, 2.5]})
'{"lo": null, "f(0)": null, "n": [1, 2.5]}'
"""

from __future__ import annotations

import json
import math
import numbers
from typing import Any

__all__ = ["dumps", "strict"]


def strict(value: Any) -> Any:
    """``value`` with every non-finite real number (NaN, ±inf, numpy's too) replaced by None,
    through dicts, lists and tuples; ready for ``json.dumps(..., allow_nan=False)``."""
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` of :func:`strict` ``(value)``, refusing any non-finite number left."""
    return json.dumps(strict(value), allow_nan=False, **kwargs)
