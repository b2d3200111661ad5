"""Pictures of trajectories: a contour PNG, an animated GIF and an optional 3-D surface.

Figures are built on matplotlib's object API with the Agg canvas (no pyplot, no global state, no
display needed); the GIF is written with Pillow. The function is drawn in greys and the paths in
saturated colours with a white edge, so a path never melts into the contours; the contour PNG
gives each optimizer (with its options) a panel of its own, over the same map and axes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ._functions import TestFunction
from ._run import Trajectory

__all__ = ["plot_contour", "plot_gif", "plot_surface"]

_GRID = 240  # contour resolution per axis
_MAP = "Greys"  # the function in greys (light valleys): the paths keep every colour to themselves
_MAX_FRAMES = 80  # GIF frames (steps are subsampled beyond this)


def _surface(fn: TestFunction, n: int = _GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    (x0, x1), (y0, y1) = fn.window
    xs = torch.linspace(x0, x1, n, dtype=torch.float64)
    ys = torch.linspace(y0, y1, n, dtype=torch.float64)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    z = fn(torch.stack([gx, gy], dim=-1))
    return gx.numpy(), gy.numpy(), z.numpy()


def _draw_background(ax, fn: TestFunction) -> None:
    gx, gy, z = _surface(fn)
    if fn.log_levels:
        shifted = z - z.min() + 1e-3 * (z.max() - z.min() + 1e-12)
        levels = np.geomspace(shifted.min(), shifted.max(), 30)
        ax.contourf(gx, gy, shifted, levels=levels, norm=LogNorm(), cmap=_MAP, alpha=0.9)
        ax.contour(gx, gy, shifted, levels=levels, norm=LogNorm(), colors="w", linewidths=0.3)
    else:
        ax.contourf(gx, gy, z, levels=30, cmap=_MAP, alpha=0.9)
        ax.contour(gx, gy, z, levels=30, colors="w", linewidths=0.3)
    for mx, my in fn.minima:
        ax.plot(mx, my, marker="*", color="gold", markersize=16, markeredgecolor="k", zorder=5)
    (x0, x1), (y0, y1) = fn.window
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x")
    ax.set_ylabel("y")


_GOOD = ("ok", "escaped")  # what each function asks of a path


def _label(t: Trajectory) -> str:
    tag = "" if t.status in _GOOD else f" ({t.status})"
    extra = "".join(f", {k}={v:g}" if isinstance(v, float) else f", {k}={v}"
                    for k, v in sorted(t.hyper.items()) if k != "lr")  # fmt: skip
    return f"{t.optimizer} lr={t.lr:.3g}{extra}{tag}"


def _stroke() -> list:
    from matplotlib import patheffects

    return [patheffects.Stroke(linewidth=3.4, foreground="white"), patheffects.Normal()]


def _title(fn: TestFunction, trajectories: Sequence[Trajectory]) -> str:
    steps = max(len(t.points) for t in trajectories) - 1
    tuned = " · lr tuned per optimizer on this function" if trajectories[0].tuned else ""
    return f"{fn.name}: {fn.formula}  ({steps} steps{tuned})"


def _colors(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def plot_contour(fn: TestFunction, trajectories: Sequence[Trajectory], path: Path) -> Path:
    """One panel per trajectory (an optimizer with its options) over the function's contours,
    minima starred, the start ringed, the end dotted; the panel's title gives its lr and its
    status (ok, stalled, diverged; on the saddle escaped or stuck)."""
    n = len(trajectories)
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(3.6 * cols + 0.4, 3.4 * rows + 0.7), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, t, color in zip(axes, trajectories, _colors(n), strict=False):
        _draw_background(ax, fn)
        pts = np.asarray(t.points)
        ax.plot(pts[:, 0], pts[:, 1], "-", color=color, lw=2, path_effects=_stroke())
        ax.plot(pts[-1, 0], pts[-1, 1], "o", color=color, markersize=7, markeredgecolor="k",
                zorder=6)  # fmt: skip
        sx, sy = t.points[0]
        ax.plot(sx, sy, "o", color="white", markersize=8, markeredgecolor="k", zorder=6)
        ax.set_title(_label(t), fontsize=9, color="black" if t.status in _GOOD else "#b42318")
        ax.label_outer()
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(_title(fn, trajectories), fontsize=10)
    fig.savefig(path)
    return Path(path)


def plot_gif(
    fn: TestFunction, trajectories: Sequence[Trajectory], path: Path, fps: int = 15
) -> Path:
    """The same picture, animated: every optimizer moving in lockstep, step by step."""
    fig = Figure(figsize=(7, 5.5), dpi=80)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    _draw_background(ax, fn)
    steps = max(len(t.points) for t in trajectories)
    frames = np.unique(np.linspace(1, steps, min(steps, _MAX_FRAMES)).astype(int))
    lines, heads = [], []
    for t, color in zip(trajectories, _colors(len(trajectories)), strict=True):
        (line,) = ax.plot([], [], "-", color=color, lw=1.8, label=_label(t),
                          path_effects=_stroke())  # fmt: skip
        (head,) = ax.plot([], [], "o", color=color, markersize=6, markeredgecolor="k")
        lines.append(line)
        heads.append(head)
    ax.legend(loc="upper right", fontsize=7, framealpha=0.85)
    title = ax.set_title("", fontsize=9)

    def update(k: int):
        for t, line, head in zip(trajectories, lines, heads, strict=True):
            pts = np.asarray(t.points[:k])
            line.set_data(pts[:, 0], pts[:, 1])
            head.set_data(pts[-1:, 0], pts[-1:, 1])
        title.set_text(f"{fn.name} · step {k - 1}")
        return [*lines, *heads, title]

    FuncAnimation(fig, update, frames=frames, blit=False).save(path, writer=PillowWriter(fps=fps))
    return Path(path)


def plot_surface(fn: TestFunction, trajectories: Sequence[Trajectory], path: Path) -> Path:
    """A 3-D view of the surface (log-scaled height where the valley is steep) with the paths."""
    fig = Figure(figsize=(9, 7), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(projection="3d")
    gx, gy, z = _surface(fn, 120)
    lift = -z.min() + 1e-3 * (z.max() - z.min() + 1e-12)

    def height(v):
        return np.log10(np.asarray(v) + lift) if fn.log_levels else np.asarray(v)

    ax.plot_surface(gx, gy, height(z), cmap=_MAP, alpha=0.6, linewidth=0)
    for t, color in zip(trajectories, _colors(len(trajectories)), strict=True):
        pts = np.asarray(t.points)
        finite = [v if math.isfinite(v) else np.nan for v in t.losses[: len(pts)]]
        ax.plot(pts[:, 0], pts[:, 1], height(finite), color=color, lw=2, label=_label(t))
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("log10 f (shifted)" if fn.log_levels else "f")
    ax.set_title(_title(fn, trajectories), fontsize=9)
    ax.legend(fontsize=7)
    fig.savefig(path)
    return Path(path)
