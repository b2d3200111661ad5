"""Readable ticks for values on a log scale (gradient norms, learning rates).

Left to itself plotly labels a log axis spanning under a decade with every digit (``2 3 4 5 6
7 8 9 1``: is the 9 0.9 or 9?) and a wide one with exponent strings. Here the ticks are set:
1-2-3-5 within one decade, 1-2-5 within three, powers of ten beyond (at most about eight), each
written short: ``0.002``, ``50``, ``10⁻⁶``, ``2×10⁵``.

>>> log_ticks([0.15, 0.9])
([0.1, 0.2, 0.3, 0.5, 1.0], ['0.1', '0.2', '0.3', '0.5', '1'])
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["fmt_tick", "log_axis", "log_ticks"]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt_tick(value: float) -> str:
    """A tick label: plain from 0.001 to 9999, else ``10⁻⁶`` or ``2.5×10⁵``."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    exp = math.floor(math.log10(abs(value)))
    if -3 <= exp <= 3:
        return f"{value:.3g}"
    mantissa = f"{value / 10**exp:.3g}"
    power = f"10{str(exp).translate(_SUPERSCRIPT)}"
    return power if mantissa == "1" else f"{mantissa}×{power}"


def log_ticks(values: Iterable[float | None]) -> tuple[list[float], list[str]]:
    """Tick values and labels covering the positive finite ``values`` (others are ignored)."""
    v = [float(x) for x in values if x is not None and math.isfinite(x) and x > 0]
    if not v:
        return [], []
    lo = math.floor(math.log10(min(v)))
    hi = max(lo + 1, math.ceil(math.log10(max(v))))
    decades = hi - lo
    mantissas = (1, 2, 3, 5) if decades == 1 else (1, 2, 5) if decades <= 3 else (1,)
    step = max(1, math.ceil(decades / 8))
    top = lo + math.ceil(decades / step) * step  # the first power at or above the largest
    ticks = [float(f"{m}e{e}") for e in range(lo, top + 1, step) for m in mantissas]
    ticks = [t for t in ticks if t <= 10**top]
    return ticks, [fmt_tick(t) for t in ticks]


def log_axis(values: Iterable[float | None]) -> dict[str, Any]:
    """A plotly axis (without title) on a log scale, its ticks set by ``log_ticks``."""
    ticks, text = log_ticks(values)
    if not ticks:
        return {"type": "log"}
    return {"type": "log", "tickmode": "array", "tickvals": ticks, "ticktext": text}
