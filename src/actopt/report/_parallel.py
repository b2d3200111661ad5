"""The parallel-coordinates chart: one line per run from its hyper-parameters to its test
accuracy, coloured by it; drag along an axis to filter."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ._chart import base_layout, nan_none
from ._ticks import fmt_tick, log_ticks

__all__ = ["parallel"]

_LABELS = {"act": "activation", "opt_label": "optimizer", "batch_size": "batch"}
_TICK_CHARS = 24  # a category label longer than this is cut (the leaderboard has it whole)
_CHAR_PX = 6  # about one character of an 11 px tick label


def parallel(runs: pd.DataFrame) -> dict[str, Any] | None:
    """One line per run: its hyper-parameters (those that vary, plus activation, optimizer
    and lr) → its test accuracy. Drag along an axis to filter.

    Readable at the page's width: short axis titles, category labels cut to ``_TICK_CHARS``,
    a left margin as wide as the first axis's labels (they sit left of it), a tick per value
    on small integer axes (seeds 0, 1, 2, not 0.2 … 0.8), and room under the title."""
    ok = runs[runs["status"] == "ok"]
    if len(ok) < 2:
        return None
    dims: list[dict[str, Any]] = []
    for name in ("act", "opt_label", "lr", "seed", "width", "depth", "epochs", "batch_size",
                 "dropout", "norm", "init"):  # fmt: skip
        if name not in ok or (name not in ("act", "opt_label", "lr")
                              and ok[name].astype(str).nunique() < 2):  # fmt: skip
            continue
        values = ok[name]
        label = _LABELS.get(name, name)
        if name == "lr":
            dims.append(_lr_dimension(values))
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            dims.append({"label": label, "values": nan_none(values), **_integer_ticks(values)})
        else:
            cats = list(dict.fromkeys(values.astype(str)))
            dims.append({"label": label, "values": [cats.index(v) for v in values.astype(str)],
                         "tickvals": list(range(len(cats))),
                         "ticktext": [_cut(c) for c in cats]})  # fmt: skip
    dims.append({"label": "test acc", "values": nan_none(ok["test_acc"]), "tickformat": ".1~%"})
    first = max((len(t) for t in dims[0].get("ticktext", [])), default=4)
    return {
        "data": [
            {
                "type": "parcoords",
                "dimensions": dims,
                "line": {"color": nan_none(ok["test_acc"]), "colorscale": "Viridis"},
            }
        ],
        "layout": base_layout(
            "Hyper-parameters → test accuracy, one line per run coloured by it (drag on an "
            "axis to filter)",
            440,
            margin={"l": _CHAR_PX * first + 20, "r": 50, "t": 100, "b": 30},
        ),
    }


def _cut(text: str) -> str:
    return text if len(text) <= _TICK_CHARS else text[: _TICK_CHARS - 1] + "…"


def _integer_ticks(values: pd.Series) -> dict[str, Any]:
    """A tick at each value of an axis of a few whole numbers (seeds, widths)."""
    used = sorted({float(v) for v in values if v == v})
    if len(used) > 10 or any(not v.is_integer() for v in used):
        return {}
    return {"tickvals": used, "ticktext": [f"{v:.0f}" for v in used]}


def _lr_dimension(lrs: pd.Series) -> dict[str, Any]:
    """The lr axis on a log scale, a tick at each lr used (at most eight, else 1-2-5 ticks).
    An lr of 0 (valid, as in torch.optim) sits a decade below the smallest positive lr,
    labelled 0, rather than at log10(0) = −inf."""
    lr = [float(x) for x in lrs]
    positive = [x for x in lr if math.isfinite(x) and x > 0]
    zero_at = math.log10(min(positive)) - 1 if positive else 0.0

    def place(x: float) -> float | None:
        return math.log10(x) if math.isfinite(x) and x > 0 else zero_at if x == 0 else None

    used = sorted({x for x in lr if place(x) is not None})
    if len(used) > 8:
        used = [0.0] * (0.0 in used) + log_ticks(positive)[0]
    ticks = [place(x) for x in used]
    text = [fmt_tick(x) for x in used]
    return {"label": "lr", "values": [place(x) for x in lr], "tickvals": ticks, "ticktext": text}
