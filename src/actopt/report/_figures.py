"""The report's charts, drawn from the runs DataFrame with matplotlib's object API (Agg)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["FIGURES"]


def _fig(w: float = 8, h: float = 4.5) -> Figure:
    fig = Figure(figsize=(w, h), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _ok(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["status"] == "ok"]


def learning_curves(df: pd.DataFrame, board: pd.DataFrame) -> Figure | None:
    """Test accuracy per epoch: mean over seeds with a ±1 std band, one line per config."""
    ok = _ok(df)
    if ok.empty:
        return None
    fig = _fig()
    ax = fig.add_subplot()
    for config, g in ok.groupby("config", sort=False):
        curves = [[r["test_acc"] for r in h] for h in g["history"] if h]
        if not curves:
            continue
        n = min(len(c) for c in curves)
        a = np.array([c[:n] for c in curves])
        epochs = np.arange(1, n + 1)
        mean, std = a.mean(0), a.std(0)
        (line,) = ax.plot(epochs, mean, lw=1.8, label=config)
        ax.fill_between(epochs, mean - std, mean + std, color=line.get_color(), alpha=0.15)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.set_title("Learning curves (mean ± std over seeds)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def heatmap(df: pd.DataFrame, board: pd.DataFrame) -> Figure | None:
    """Mean test accuracy for every activation × optimizer pair."""
    ok = _ok(df)
    if ok.empty:
        return None
    table = ok.pivot_table(index="act", columns="opt_label", values="test_acc", aggfunc="mean")
    fig = _fig(max(4.0, 1.6 * table.shape[1] + 3), max(3.0, 0.45 * table.shape[0] + 1.5))
    ax = fig.add_subplot()
    im = ax.imshow(table.to_numpy(), cmap="viridis", aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=30, ha="right")
    ax.set_yticks(range(table.shape[0]), table.index)
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            v = table.iat[i, j]
            if not math.isnan(v):
                ax.text(j, i, f"{v:.1%}", ha="center", va="center", color="w", fontsize=8)
    fig.colorbar(im, ax=ax, label="test accuracy")
    ax.set_title("Activation × optimizer: mean test accuracy")
    fig.tight_layout()
    return fig


def _bars(board: pd.DataFrame, column: str, title: str, xlabel: str, fmt: str) -> Figure | None:
    b = board.dropna(subset=[column])
    if b.empty:
        return None
    fig = _fig(8, max(2.5, 0.35 * len(b) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(b))
    ax.barh(y, b[column], color="tab:blue")
    ax.set_yticks(y, b["config"])
    ax.invert_yaxis()
    for i, v in enumerate(b[column]):
        ax.text(v, i, " " + format(v, fmt), va="center", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


def convergence(df: pd.DataFrame, board: pd.DataFrame) -> Figure | None:
    return _bars(board, "epochs_to_target", "Convergence speed: epochs to the target accuracy",
                 "epochs (mean over seeds that reached it)", ".1f")  # fmt: skip


def generalisation(df: pd.DataFrame, board: pd.DataFrame) -> Figure | None:
    return _bars(board, "gen_gap", "Generalisation gap (train − test accuracy)", "gap", ".3f")


def dead_units(df: pd.DataFrame, board: pd.DataFrame) -> Figure | None:
    return _bars(board, "dead_fraction", "Dead units at the end of training (probe batch)",
                 "fraction of hidden units with f' = 0 for every example", ".1%")  # fmt: skip


def grad_norms(df: pd.DataFrame, board: pd.DataFrame) -> Figure | None:
    """Per-layer gradient norm at the last diagnostics record, mean over seeds (log scale)."""
    ok = _ok(df)
    ok = ok[ok["diagnostics"].map(bool)]
    if ok.empty:
        return None
    fig = _fig()
    ax = fig.add_subplot()
    for config, g in ok.groupby("config", sort=False):
        layers = list(g["diagnostics"].iloc[0][-1]["grad_norm"])
        values = np.array([[d[-1]["grad_norm"].get(k, np.nan) for k in layers]
                           for d in g["diagnostics"]])  # fmt: skip
        ax.plot(layers, np.nanmean(values, 0), marker="o", label=config)
    ax.set_yscale("log")
    ax.set_ylabel("‖∂L/∂W‖ (probe batch)")
    ax.set_title("Per-layer gradient norm at the end of training")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


FIGURES = {
    "learning_curves": learning_curves,
    "heatmap": heatmap,
    "convergence": convergence,
    "generalisation_gap": generalisation,
    "dead_units": dead_units,
    "grad_norms": grad_norms,
}
