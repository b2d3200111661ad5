"""The interactive report's charts as plotly figure specs (plain dicts: data + layout), one set
per (dataset, model). Built from the runs DataFrame and its leaderboard; plotly.js draws them
in the page (hover values, legend toggling, zoom), so nothing here imports plotly.

Every config keeps one colour across a section's charts, and the charts list configs in the
leaderboard's rank order.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ._chart import axis, base_layout, colours, nan_none
from ._columns import fmt_pct
from ._parallel import parallel
from ._ticks import log_axis

__all__ = ["heat_table", "section_plots", "tuning_plot"]


def accuracy_bars(board: pd.DataFrame, col: dict[str, str]) -> dict[str, Any]:
    """Mean test accuracy per config with its 95% CI and every seed as a point."""
    b = board[board["ok"] > 0]
    labels = list(b["config"])
    err_hi = (b["ci_high"] - b["test_acc"]).fillna(0)
    err_lo = (b["test_acc"] - b["ci_low"]).fillna(0)
    data: list[dict[str, Any]] = [{
        "type": "bar", "orientation": "h", "y": labels, "x": nan_none(b["test_acc"]),
        "marker": {"color": [col[c] for c in labels], "opacity": 0.55}, "name": "mean",
        "error_x": {"type": "data", "symmetric": False, "array": nan_none(err_hi),
                    "arrayminus": nan_none(err_lo), "color": "#333", "thickness": 1.2},
        "text": [fmt_pct(v) for v in b["test_acc"]], "textposition": "inside",
        "insidetextanchor": "start",  # dark: plotly picks white for the full colour, but the
        "insidetextfont": {"color": "#111"},  # bar is drawn see-through, so white read faintly
        "customdata": [[r["vs_baseline"] or "—", r["ok"], r["seeds"]] for _, r in b.iterrows()],
        "hovertemplate": "%{y}<br>mean %{x:.2%}<br>%{customdata[0]}"
                         "<br>%{customdata[1]}/%{customdata[2]} ok<extra></extra>",
    }]  # fmt: skip
    xs, ys = [], []
    for _, r in b.iterrows():
        xs += r["seed_accs"]
        ys += [r["config"]] * len(r["seed_accs"])
    data.append({"type": "scatter", "mode": "markers", "x": xs, "y": ys, "name": "seeds",
                 "marker": {"color": "#111", "size": 7, "symbol": "circle-open",
                            "line": {"width": 1.5}},
                 "hovertemplate": "%{y}<br>seed: %{x:.2%}<extra></extra>"})  # fmt: skip
    height = max(260, 34 * len(labels) + 110)
    return {"data": data, "layout": base_layout(
        "Test accuracy: mean, 95% CI and every seed", height, showlegend=False,
        xaxis=axis("test accuracy", tickformat=".0%"),
        yaxis=axis("", autorange="reversed", type="category"), bargap=0.35)}  # fmt: skip


def learning_curves(runs: pd.DataFrame, order: list[str], col: dict[str, str]) -> dict[str, Any]:
    """Train and test loss and accuracy per epoch: mean over seeds (lines) with a ±1 std band;
    one legend entry per config toggles it in all four panels."""
    ok = runs[(runs["status"] == "ok") & runs["history"].map(bool)]
    panels = [("train_loss", 1, 1), ("test_loss", 1, 2), ("train_acc", 2, 1), ("test_acc", 2, 2)]
    data: list[dict[str, Any]] = []
    epochs: list[int] = []
    for config in order:
        g = ok[ok["config"] == config]
        if g.empty:
            continue
        n = min(len(h) for h in g["history"])
        epochs = [h["epoch"] for h in g["history"].iloc[0][:n]]
        for p, (metric, _, _) in enumerate(panels):
            a = np.array([[nan_none([e.get(metric)])[0] for e in h[:n]] for h in g["history"]],
                         dtype=float)  # fmt: skip
            if np.isnan(a).all():
                continue
            mean, std = np.nanmean(a, 0), np.nanstd(a, 0)
            ax = "" if p == 0 else str(p + 1)
            common = {"xaxis": f"x{ax}", "yaxis": f"y{ax}", "legendgroup": config}
            data.append({"type": "scatter", "mode": "lines", "x": epochs + epochs[::-1],
                         "y": nan_none(np.concatenate([mean + std, (mean - std)[::-1]])),
                         "fill": "toself", "fillcolor": col[config], "opacity": 0.15,
                         "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False,
                         **common})  # fmt: skip
            data.append({"type": "scatter", "mode": "lines+markers", "x": epochs,
                         "y": nan_none(mean), "name": config, "showlegend": p == 0,
                         "line": {"color": col[config], "width": 2}, "marker": {"size": 4},
                         "hovertemplate": f"{config}<br>epoch %{{x}}<br>{metric} "
                                          f"%{{y:.4g}}<extra></extra>", **common})  # fmt: skip
    layout = base_layout("Learning curves (mean ± 1 std over seeds; click a legend entry to hide "
                     "it, double-click to isolate)", 620, showlegend=True,
                     legend={"orientation": "h", "y": -0.12}, hovermode="closest",
                     grid={"rows": 2, "columns": 2, "pattern": "independent"})  # fmt: skip
    for p, (metric, _, _) in enumerate(panels):
        suffix = "" if p == 0 else str(p + 1)
        fmt = {"tickformat": ".0%"} if metric.endswith("acc") else {}
        layout[f"xaxis{suffix}"] = axis(
            "epoch" if p >= 2 else "", tick0=1, dtick=max(1, math.ceil(len(epochs) / 10))
        )
        layout[f"yaxis{suffix}"] = axis(metric.replace("_", " "), **fmt)
    return {"data": data, "layout": layout}


def heat_table(board: pd.DataFrame) -> tuple[list[str], list[str], np.ndarray]:
    """(activations, optimizers, mean test accuracy) with rows and columns best first."""
    b = board[board["ok"] > 0]
    acts = list(b.groupby("act", sort=False)["test_acc"].max().sort_values(ascending=False).index)
    opts = list(b.groupby("opt_label", sort=False)["test_acc"].max()
                .sort_values(ascending=False).index)  # fmt: skip
    table = b.pivot_table(index="act", columns="opt_label", values="test_acc", aggfunc="mean")
    z = table.reindex(index=acts, columns=opts).to_numpy()
    return acts, opts, z


def heatmap(board: pd.DataFrame) -> dict[str, Any] | None:
    """Mean test accuracy per activation × optimizer, rows and columns ordered by rank."""
    if (board["ok"] > 0).sum() == 0:
        return None
    acts, opts, z = heat_table(board)
    text = [[fmt_pct(v) if not math.isnan(v) else "" for v in row] for row in z]
    height = max(260, 44 * len(acts) + 140)
    return {"data": [{
        "type": "heatmap", "z": [nan_none(row) for row in z], "x": opts, "y": acts,
        "text": text, "texttemplate": "%{text}", "colorscale": "Viridis",
        "colorbar": {"title": {"text": "test acc"}, "tickformat": ".0%"},
        "hovertemplate": "%{y} × %{x}<br>mean test accuracy %{z:.2%}<extra></extra>",
    }], "layout": base_layout("Activation × optimizer: mean test accuracy (best first)", height,
                          xaxis=axis("optimizer", type="category", side="bottom"),
                          yaxis=axis("activation", type="category",
                                      autorange="reversed"))}  # fmt: skip


# shown in %, as the leaderboard shows them (a gap of 0.12 is 12 points of accuracy)
_FRACTIONS = ("gen_gap", "dead_fraction")


def _hover(metric: str) -> str:
    return ".1%" if metric in _FRACTIONS else ".3g"


def diagnostics(board: pd.DataFrame, runs: pd.DataFrame, col: dict[str, str],
                target: float | None = None) -> dict | None:  # fmt: skip
    """Epochs to the target accuracy, generalisation gap and dead units per config: the mean
    as a bar, each seed as a point. The epochs panel is always there: when no config reached
    the target it says so in the panel, and a config that never did reads ``not reached``."""
    goal = "target" if target is None else f"{target * 100:.4g}% test acc"
    panels = [("epochs_to_target", f"epochs to {goal}"), ("gen_gap", "gen gap (train − test)"),
              ("dead_fraction", "dead units")]  # fmt: skip
    ok = runs[runs["status"] == "ok"]
    panels = [(m, t) for m, t in panels if m == "epochs_to_target" or board[m].notna().any()]
    order = list(board["config"])
    data = []
    for p, (metric, _) in enumerate(panels):
        ax = "" if p == 0 else str(p + 1)
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": order,
                "x": nan_none(board[metric]),
                "xaxis": f"x{ax}",
                "yaxis": f"y{ax}",
                "marker": {"color": [col[c] for c in order], "opacity": 0.55},
                "showlegend": False,
                "hovertemplate": f"%{{y}}<br>{metric} %{{x:{_hover(metric)}}}<extra>mean</extra>",
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "y": list(ok["config"]),
                "x": nan_none(ok[metric]),
                "xaxis": f"x{ax}",
                "yaxis": f"y{ax}",
                "marker": {"color": "#111", "size": 6, "symbol": "circle-open"},
                "showlegend": False,
                "hovertemplate": f"%{{y}}<br>seed: {metric} %{{x:{_hover(metric)}}}<extra></extra>",
            }
        )
    data[0]["customdata"] = board[["reached_target", "ok"]].astype(int).to_numpy().tolist()
    data[0]["hovertemplate"] = ("%{y}<br>epochs to target %{x:.3g}<br>(mean of the "
                                "%{customdata[0]} of %{customdata[1]} seeds that reached it)"
                                "<extra></extra>")  # fmt: skip
    height = max(260, 30 * len(order) + 120)
    layout = base_layout(
        "Convergence, generalisation and dead units (bars: mean; points: seeds)",
        height,
        grid={"rows": 1, "columns": len(panels), "pattern": "independent"},
    )
    for p, (metric, title) in enumerate(panels):
        suffix = "" if p == 0 else str(p + 1)
        # "~%": 0.05% where the units dead are few (".0%" read 0% on every tick), 20% not 20.0%
        fmt = {"tickformat": "~%"} if metric in _FRACTIONS else {}
        floor = {} if metric == "gen_gap" else {"rangemode": "nonnegative"}
        layout[f"xaxis{suffix}"] = axis(title, **fmt, **floor)
        layout[f"yaxis{suffix}"] = axis("", type="category", autorange="reversed",
                                        showticklabels=p == 0)  # fmt: skip
    missed = [c for c, e in zip(order, board["epochs_to_target"], strict=True) if e != e]
    if len(missed) == len(order):  # an empty panel would say nothing: say why
        why = ("no target accuracy set (--target-acc)" if target is None else
               f"no config reached {target * 100:.4g}%<br>test accuracy")  # fmt: skip
        layout["xaxis"].update(range=[0, 1], showticklabels=False, showgrid=False)
        layout["annotations"] = [{"text": why, "xref": "x domain", "yref": "y domain",
                                  "x": 0.5, "y": 0.5, "showarrow": False,
                                  "font": {"color": "#667085", "size": 13}}]  # fmt: skip
    elif missed:
        data.append({"type": "scatter", "mode": "text", "x": [0] * len(missed), "y": missed,
                     "text": ["not reached"] * len(missed), "textposition": "middle right",
                     "textfont": {"color": "#667085"}, "hoverinfo": "skip",
                     "showlegend": False, "xaxis": "x", "yaxis": "y"})  # fmt: skip
    return {"data": data, "layout": layout}


def grad_norms(runs: pd.DataFrame, order: list[str], col: dict[str, str]) -> dict | None:
    """Per-layer gradient norm at the last diagnostics record, mean over seeds (log scale)."""
    ok = runs[(runs["status"] == "ok") & runs["diagnostics"].map(bool)]
    if ok.empty:
        return None
    data = []
    for config in order:
        g = ok[ok["config"] == config]
        if g.empty or "grad_norm" not in g["diagnostics"].iloc[0][-1]:
            continue
        layers = list(g["diagnostics"].iloc[0][-1]["grad_norm"])
        values = np.array([[d[-1]["grad_norm"].get(k, np.nan) for k in layers]
                           for d in g["diagnostics"]], dtype=float)  # fmt: skip
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": layers,
                "y": nan_none(np.nanmean(values, 0)),
                "name": config,
                "line": {"color": col[config]},
                "hovertemplate": f"{config}<br>%{{x}}: %{{y:.3g}}<extra></extra>",
            }
        )
    if not data:
        return None
    return {
        "data": data,
        "layout": base_layout(
            "Per-layer gradient norm at the end of training (probe batch, mean over seeds)",
            360,
            xaxis=axis("layer", type="category"),
            yaxis=axis("‖∂L/∂W‖", **log_axis(y for trace in data for y in trace["y"])),
        ),
    }


def section_plots(runs: pd.DataFrame, board: pd.DataFrame,
                  target: float | None = None) -> list[tuple[str, dict[str, Any]]]:  # fmt: skip
    """(name, figure) for one (dataset, model): every chart that has data; ``target`` is the
    grid's target accuracy (for the epochs-to-target panel)."""
    order = list(board["config"])
    col = colours(order)
    figures = [
        ("accuracy", accuracy_bars(board, col)),
        ("heatmap", heatmap(board)),
        ("learning_curves", learning_curves(runs, order, col)),
        ("diagnostics", diagnostics(board, runs, col, target)),
        ("parallel", parallel(runs)),
        ("grad_norms", grad_norms(runs, order, col)),
    ]
    return [(name, fig) for name, fig in figures if fig is not None and fig["data"]]


def tuning_plot(tuning: dict[str, Any]) -> dict[str, Any] | None:
    """Validation accuracy against lr for every tuned config, the chosen lr ringed."""
    data = []
    keys = list(tuning)
    col = colours(keys)
    for key in keys:
        cands = sorted((c for c in tuning[key]["candidates"] if c["val_acc"] is not None),
                       key=lambda c: c["lr"])  # fmt: skip
        if not cands:
            continue
        data.append({"type": "scatter", "mode": "lines+markers", "name": key,
                     "x": [c["lr"] for c in cands], "y": [c["val_acc"] for c in cands],
                     "line": {"color": col[key]}, "legendgroup": key,
                     "hovertemplate": f"{key}<br>lr %{{x:.3g}}<br>val acc %{{y:.2%}}"
                                      "<extra></extra>"})  # fmt: skip
        best = tuning[key]["lr"]
        chosen = [c for c in cands if best is not None and c["lr"] == best]
        data.append({"type": "scatter", "mode": "markers", "x": [c["lr"] for c in chosen],
                     "y": [c["val_acc"] for c in chosen], "legendgroup": key,
                     "showlegend": False, "hoverinfo": "skip",
                     "marker": {"size": 14, "color": "rgba(0,0,0,0)",
                                "line": {"color": col[key], "width": 2.5}}})  # fmt: skip
    if not data:
        return None
    return {"data": data, "layout": base_layout(
        "Learning-rate search: validation accuracy per lr (ringed: chosen)", 420,
        xaxis=axis("lr", **log_axis(x for trace in data for x in trace["x"])),
        yaxis=axis("validation accuracy", tickformat=".0%"),
        legend={"orientation": "h", "y": -0.2})}  # fmt: skip
