"""What the claim modules share: run-spec shorthands, fitting a spec for a measurement, and the
figure helpers (matplotlib's object API on Agg: no display, no global state)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ._claim import Evidence, Setting
from ._measure import Context
from ._stats import Interval, mean_ci, paired_ci

__all__ = [
    "M1D",
    "bars",
    "ci_of",
    "figure",
    "fit_spec",
    "flat",
    "gap_figure",
    "image_data",
    "paired_of",
    "seeded",
    "spec",
    "variants",
]

# the workhorse: MNIST-1D (generated, 3600/400/1000), a 2 × 128 MLP, Adam at its default lr
M1D: dict[str, Any] = {
    "data": "mnist1d",
    "model": "mlp",
    "depth": 2,
    "width": 128,
    "opt": "adam",
    "lr": 1e-3,
}


def spec(base: dict | None = None, **fields: Any):
    """A canonical ``RunSpec`` of ``base`` with ``fields`` on top (``RunSpec`` is imported here,
    so that listing claims needs no torch)."""
    from ..train import RunSpec

    return RunSpec(**{**(base or {}), **fields})


def seeded(base, n: int) -> list:
    """``base`` at seeds 0 … n−1."""
    return [base.replace(seed=i) for i in range(n)]


def variants(base, changes: dict[str, dict], n: int) -> dict[str, list]:
    """``base`` as it is ("none") and with each named change, each at seeds 0 … n−1."""
    out = {"none": seeded(base, n)}
    out.update({name: seeded(base.replace(**c), n) for name, c in changes.items()})
    return out


def flat(groups: dict[Any, list]) -> list:
    """The runs of every group, in order."""
    return [x for g in groups.values() for x in g]


def image_data(name: str, setting: Setting, full: int = 4_000, quick: int = 1_000) -> dict:
    """An image set (mnist, fashion-mnist) on a seeded subset of its training images."""
    return {"data": name, "data_options": {"n_train": setting.pick(quick, full)}}


def fit_spec(ctx: Context, spec_dict: dict, prepare: Callable | None = None):
    """Train a canonical spec (a stored run's ``to_dict``) and keep the model: ``Fitted``."""
    from ..train import RunSpec, fit

    return fit(
        RunSpec.from_canonical(spec_dict),
        data_dir=ctx.data_dir,
        download=ctx.download,
        prepare=prepare,
    )


def ci_of(ev: Evidence, specs: Sequence, metric: str = "test_acc") -> Interval:
    """The mean of ``metric`` over ``specs``' runs with its 95% interval."""
    return mean_ci(ev.final(specs, metric))


def paired_of(
    ev: Evidence, a: Sequence, b: Sequence, metric: str = "test_acc", level: float = 0.95
) -> Interval:
    """The paired (by seed) difference a − b of ``metric``."""
    return paired_ci(ev.final(a, metric), ev.final(b, metric), level)


# -- figures ---------------------------------------------------------------------------------


def figure(w: float = 8.0, h: float = 3.6, cols: int = 1, rows: int = 1):
    """A matplotlib Figure on Agg and its axes (a flat list)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=80)
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(rows, cols, i + 1) for i in range(rows * cols)]
    return fig, axes


def bars(
    ax,
    labels: Sequence[str],
    cis: Sequence[Interval],
    *,
    scale: float = 1.0,
    color: str | Sequence[str] = "tab:blue",
    ylabel: str = "",
    zoom: bool = False,
) -> None:
    """Bars of means with their 95% intervals as error bars (NaN bounds draw none); ``zoom``
    starts the axis just below the lowest mean (accuracies that differ by points)."""
    means = [c.mean * scale for c in cis]
    err = [
        [0.0 if math.isnan(c.low) else (c.mean - c.low) * scale for c in cis],
        [0.0 if math.isnan(c.high) else (c.high - c.mean) * scale for c in cis],
    ]
    ax.bar(
        range(len(cis)),
        [0 if math.isnan(m) else m for m in means],
        yerr=err,
        capsize=3,
        color=color,
    )
    ax.set_xticks(range(len(cis)), labels, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    finite = [m for m in means if not math.isnan(m)]
    if zoom and finite:
        ax.set_ylim(min(finite) - 5 * scale / 100, max(finite) + 3 * scale / 100)


def gap_figure(labels: Sequence[str], gaps: Sequence[Interval], accs: Sequence[Interval]) -> bytes:
    """Two panels of bars: the generalisation gap (train − test accuracy) and the test accuracy
    of each group, as PNG bytes."""
    from ._claim import png

    fig, (ax1, ax2) = figure(9, 3.2, cols=2)
    bars(ax1, labels, gaps, scale=100, ylabel="train − test accuracy (pt)")
    bars(ax2, labels, accs, scale=100, ylabel="test accuracy (%)", color="tab:green", zoom=True)
    fig.tight_layout()
    return png(fig)
