"""The report's plotly building blocks: one palette, one page look (font, margins, white
background), axes and null-safe values (plotly.js takes null, never NaN).

>>> colours(["relu/adam", "tanh/adam"])["tanh/adam"]
'#E69F00'
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["PALETTE", "axis", "base_layout", "colours", "nan_none"]

# Okabe–Ito then Tableau: distinguishable, colour-blind safe first
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000", "#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#76B7B2", "#EDC948",
           "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC")  # fmt: skip
_FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12}


def colours(configs: list[str]) -> dict[str, str]:
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(configs)}


def base_layout(title: str, height: int = 380, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
            "height": height, "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "font": _FONT,
            "template": None, "plot_bgcolor": "#fff", "paper_bgcolor": "#fff",
            "hoverlabel": {"namelength": -1}, **extra}  # fmt: skip


def axis(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "gridcolor": "#e5e5e5", "zeroline": False,
            "linecolor": "#999", "automargin": True, **extra}  # fmt: skip


def nan_none(values: Any) -> list:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
            for v in values]  # fmt: skip
