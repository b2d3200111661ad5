"""Static figures for papers, per (dataset, model): matplotlib's object API (Agg), written as
PNG, SVG or PDF at any dpi (``actopt report OUT --format png,svg,pdf --dpi 300``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._chart import colours
from ._plots import heat_table

if TYPE_CHECKING:  # matplotlib loads when a figure is drawn: the HTML report does not need it
    from matplotlib.figure import Figure

__all__ = ["FIGURES", "FORMATS", "write_figures"]

FORMATS = ("png", "svg", "pdf")


def _fig(w: float, h: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def accuracy(runs: pd.DataFrame, board: pd.DataFrame) -> Figure | None:
    """Mean test accuracy per config (bar), its 95% CI (whisker) and every seed (point)."""
    b = board[board["ok"] > 0].reset_index(drop=True)
    if b.empty:
        return None
    col = colours(list(board["config"]))
    fig = _fig(7, max(2.4, 0.42 * len(b) + 1.0))
    ax = fig.add_subplot()
    y = np.arange(len(b))
    lo = (b["test_acc"] - b["ci_low"]).fillna(0).clip(lower=0)
    hi = (b["ci_high"] - b["test_acc"]).fillna(0).clip(lower=0)
    ax.barh(y, b["test_acc"], color=[col[c] for c in b["config"]], alpha=0.6,
            xerr=[lo, hi], error_kw={"ecolor": "#333", "capsize": 3, "lw": 1})  # fmt: skip
    for i, accs in enumerate(b["seed_accs"]):
        ax.plot(accs, [i] * len(accs), "o", mfc="none", mec="#111", ms=5)
    ax.set_yticks(y, b["config"])
    ax.invert_yaxis()
    ax.set_xlabel("test accuracy (bar: mean; whisker: 95% CI; points: seeds)")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.grid(alpha=0.3, axis="x")
    return fig


def learning_curves(runs: pd.DataFrame, board: pd.DataFrame) -> Figure | None:
    """Train and test loss and accuracy per epoch, mean ± 1 std over seeds."""
    ok = runs[(runs["status"] == "ok") & runs["history"].map(bool)]
    if ok.empty:
        return None
    order = list(board["config"])
    col = colours(order)
    fig = _fig(9, 6.5)
    axes = fig.subplots(2, 2, sharex=True)
    for ax, metric in zip(axes.flat, ("train_loss", "test_loss", "train_acc", "test_acc"),
                          strict=True):  # fmt: skip
        for config in order:
            g = ok[ok["config"] == config]
            if g.empty:
                continue
            n = min(len(h) for h in g["history"])
            a = np.array([[e.get(metric, math.nan) for e in h[:n]] for h in g["history"]],
                         dtype=float)  # fmt: skip
            epochs = np.arange(1, n + 1)
            mean, std = np.nanmean(a, 0), np.nanstd(a, 0)
            ax.plot(epochs, mean, lw=1.6, color=col[config], label=config)
            ax.fill_between(epochs, mean - std, mean + std, color=col[config], alpha=0.15, lw=0)
        ax.set_ylabel(metric.replace("_", " "))
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("epoch")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)),
               fontsize=8, frameon=False)  # fmt: skip
    return fig


def heatmap(runs: pd.DataFrame, board: pd.DataFrame) -> Figure | None:
    """Mean test accuracy per activation × optimizer, rows and columns best first."""
    if (board["ok"] > 0).sum() == 0:
        return None
    acts, opts, z = heat_table(board)
    fig = _fig(max(4.0, 1.5 * len(opts) + 2.5), max(2.6, 0.45 * len(acts) + 1.4))
    ax = fig.add_subplot()
    im = ax.imshow(z, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(opts)), opts, rotation=20, ha="right")
    ax.set_yticks(range(len(acts)), acts)
    span = np.nanmax(z) - np.nanmin(z) if np.isfinite(z).any() else 0
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            if not math.isnan(z[i, j]):
                light = span and (z[i, j] - np.nanmin(z)) / span > 0.6
                ax.text(j, i, f"{z[i, j]:.1%}", ha="center", va="center", fontsize=8,
                        color="black" if light else "white")  # fmt: skip
    fig.colorbar(im, ax=ax, label="mean test accuracy", format=lambda v, _: f"{v:.0%}")
    return fig


FIGURES: dict[str, Callable[[pd.DataFrame, pd.DataFrame], Figure | None]] = {
    "accuracy": accuracy,
    "learning_curves": learning_curves,
    "heatmap": heatmap,
}


def write_figures(sections: Sequence[tuple[str, pd.DataFrame, pd.DataFrame]], folder: Path,
                  formats: Sequence[str], dpi: int) -> list[Path]:  # fmt: skip
    """Every figure of every section (``(name, runs, board)``) in every format: the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, runs, board in sections:
        for kind, draw in FIGURES.items():
            fig = draw(runs, board)
            if fig is None:
                continue
            fig.suptitle(f"{name}: {kind.replace('_', ' ')}", fontsize=10)
            for fmt in formats:
                path = folder / f"{name}-{kind}.{fmt}"
                fig.savefig(path, format=fmt, dpi=dpi, metadata=_metadata(fmt))
                written.append(path)
    return written


def _metadata(fmt: str) -> dict | None:
    """No creation dates in SVG/PDF: the same bench gives byte-identical figures."""
    return {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)
