"""The textbook picture of an activation: f and f' on the same axes, one PNG each, a grid of
all of them, and an index page linking the pictures with their formulas."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

import torch

from ..activations import ActivationSpec

__all__ = ["plot_activation", "write_gallery"]

_X = torch.linspace(-5, 5, 1001, dtype=torch.float64)


def _curves(spec: ActivationSpec) -> tuple[list[float], list[float] | None]:
    with torch.no_grad():
        if spec.vector:  # softmax-like: the first of two logits (x, 0), a sigmoid-like curve
            pair = torch.stack([_X, torch.zeros_like(_X)], 1)
            y = spec.fn(pair, **{**spec.values, "dim": 1})[:, 0]
            return y.tolist(), None
        return spec.forward(_X).tolist(), spec.derivative(_X).tolist()


def _draw(ax, spec: ActivationSpec, small: bool = False) -> None:
    y, dy = _curves(spec)
    xs = _X.tolist()
    ax.axhline(0, color="0.75", lw=0.8)
    ax.axvline(0, color="0.75", lw=0.8)
    ax.plot(xs, y, color="tab:blue", lw=2, label="f(x)")
    if dy is not None:
        ax.plot(xs, dy, color="tab:orange", lw=1.6, ls="--", label="f'(x)")
    finite = [v for v in y + (dy or []) if math.isfinite(v)]
    if finite:
        lo, hi = max(min(finite), -6.0), min(max(finite), 6.0)
        pad = 0.1 * (hi - lo + 1e-9)
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(-5, 5)
    ax.set_title(
        spec.name if len(spec.name) < 40 else spec.name[:37] + "…", fontsize=9 if small else 11
    )
    if not small:
        ax.set_xlabel("x")
        ax.legend(loc="upper left", fontsize=9)
        ax.grid(alpha=0.3)


def plot_activation(spec: ActivationSpec, path: str | Path) -> Path:
    """One PNG: f (solid) and f' (dashed) on [-5, 5]."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    _draw(fig.add_subplot(), spec)
    fig.tight_layout()
    fig.savefig(path)
    return Path(path)


def _safe(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return keep[:60] or "activation"


def write_gallery(specs: Sequence[ActivationSpec], out: str | Path) -> dict[str, Path]:
    """``out/<name>.png`` per activation, ``out/gallery.png`` (all on one grid) and
    ``out/index.html``; returns the paths written."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = {s.name: plot_activation(s, out / f"{_safe(s.name)}.png") for s in specs}
    cols = min(6, len(specs))
    rows = math.ceil(len(specs) / cols)
    fig = Figure(figsize=(2.6 * cols, 2.1 * rows), dpi=90)
    FigureCanvasAgg(fig)
    for i, s in enumerate(specs):
        _draw(fig.add_subplot(rows, cols, i + 1), s, small=True)
    fig.suptitle("f (solid) and f' (dashed) on [-5, 5]")
    fig.tight_layout()
    fig.savefig(out / "gallery.png")
    written["gallery"] = out / "gallery.png"
    cards = "\n".join(
        f'<figure><img src="{html.escape(p.name)}" alt="{html.escape(n)}"><figcaption>'
        f"<b>{html.escape(n)}</b><br><code>f(x) = {html.escape(s.text)}</code><br>"
        f"<code>f'(x) = {html.escape(s.text_grad)}</code></figcaption></figure>"
        for s, (n, p) in zip(specs, written.items(), strict=False)
    )
    page = f"""<!doctype html><meta charset="utf-8"><title>actopt activation gallery</title>
<style>body{{font-family:sans-serif;margin:2em}}figure{{display:inline-block;width:420px;
margin:8px;vertical-align:top}}img{{width:100%}}code{{font-size:12px}}</style>
<h1>Activation gallery</h1><p>f (solid) and its hand-derived or symbolic derivative f'
(dashed) on [-5, 5]. <a href="gallery.png">All on one grid</a>.</p>
{cards}
"""
    (out / "index.html").write_text(page, encoding="utf-8")
    written["index"] = out / "index.html"
    return written
