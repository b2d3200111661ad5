"""The textbook picture of an activation: f and f' on the same axes, one PNG each, a grid of
all of them, and an index page linking the pictures with their formulas."""

from __future__ import annotations

import hashlib
import html
import math
from collections.abc import Sequence
from pathlib import Path

import torch

from .._resources import ResourceError, check_memory
from ..activations import ActivationSpec

__all__ = ["MAX_PICTURES", "check_gallery", "plot_activation", "write_gallery"]

_X = torch.linspace(-5, 5, 1001, dtype=torch.float64)
_COLS, _CARD_IN, _DPI = 6, (2.6, 2.1), 90  # the grid: cards per row, card size, resolution
MAX_PICTURES = 1000  # without --allow-large (the catalog is 27)


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


def _file_name(name: str) -> str:
    """``relu`` → ``relu``; a formula → its letters and a hash of the whole text, so that
    ``x*2`` and ``x+2`` get two files (``x_2-…``), never one."""
    keep = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:60]
    if keep == name:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{keep or 'formula'}-{digest}"


def _grid_shape(n: int) -> tuple[int, int]:
    cols = max(1, min(_COLS, n))
    return cols, math.ceil(n / cols)


def check_gallery(n: int, allow_large: bool = False) -> None:
    """``ResourceError`` for more than MAX_PICTURES activations (minutes of drawing, a grid
    no one reads) or a grid picture beyond half this machine's memory (the canvas and the PNG
    encoder's copy, RGBA), unless ``allow_large``."""
    if n > MAX_PICTURES and not allow_large:
        raise ResourceError(f"a gallery of {n:,} activations is more than {MAX_PICTURES:,} "
                            "pictures; draw fewer, or pass --allow-large")  # fmt: skip
    cols, rows = _grid_shape(n)
    pixels = (_CARD_IN[0] * cols * _DPI) * (_CARD_IN[1] * rows * _DPI)
    check_memory(pixels * 4 * 3, f"a gallery of {n} activations",
                 f"a {cols}×{rows} grid picture", allow_large)  # fmt: skip


def write_gallery(specs: Sequence[ActivationSpec], out: str | Path) -> dict[str, Path]:
    """``out/<name>.png`` per activation, ``out/gallery.png`` (all on one grid) and
    ``out/index.html``; returns the paths written."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    first: dict[str, ActivationSpec] = {}
    for s in specs:  # one picture per activation, in the order given
        first.setdefault(s.name, s)
    unique = list(first.values())
    pictures = [(s, plot_activation(s, out / f"{_file_name(s.name)}.png")) for s in unique]
    written: dict[str, Path] = {s.name: p for s, p in pictures}
    cols, rows = _grid_shape(len(unique))
    fig = Figure(figsize=(_CARD_IN[0] * cols, _CARD_IN[1] * rows), dpi=_DPI)
    FigureCanvasAgg(fig)
    for i, s in enumerate(unique):
        _draw(fig.add_subplot(rows, cols, i + 1), s, small=True)
    fig.suptitle("f (solid) and f' (dashed) on [-5, 5]")
    fig.tight_layout()
    fig.savefig(out / "gallery.png")
    written["gallery"] = out / "gallery.png"
    cards = "\n".join(
        f'<figure><img src="{html.escape(p.name)}" alt="{html.escape(s.name)}"><figcaption>'
        f"<b>{html.escape(s.name)}</b><br><code>f(x) = {html.escape(s.text)}</code><br>"
        f"<code>f'(x) = {html.escape(s.text_grad)}</code></figcaption></figure>"
        for s, p in pictures
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
