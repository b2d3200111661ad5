"""The landscapes tab: optimizers on a 2-D test function, computed by ``actopt.landscapes``.

One request gives the function's height field (for the page to colour and contour) and every
optimizer's whole trajectory; the page animates the paths as they are drawn, Distill style, and
asks again as a slider moves (a few hundred steps of a 2-D problem take milliseconds).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import landscapes
from ._wire import pack

__all__ = ["HEIGHT_GRID", "landscape_catalog", "landscape_message"]

HEIGHT_GRID = 240  # rows and columns of the height field


def landscape_catalog() -> list[dict[str, Any]]:
    """Every test function, for the page's menu."""
    out = []
    for name in landscapes.names():
        fn = landscapes.function(name)
        out.append({"name": name, "summary": fn.summary, "formula": fn.formula,
                    "params": fn.params, "start": fn.start, "window": fn.window,
                    "minima": fn.minima})  # fmt: skip
    return out


def _height(fn: landscapes.TestFunction) -> np.ndarray:
    """f over the window as 0–255 (log-scaled above the minimum where the function says so);
    row 0 is the top of the picture (largest y)."""
    (x0, x1), (y0, y1) = fn.window
    xs = torch.linspace(x0, x1, HEIGHT_GRID, dtype=torch.float64)
    ys = torch.linspace(y1, y0, HEIGHT_GRID, dtype=torch.float64)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    z = fn(torch.stack([gx, gy], -1))
    if fn.log_levels:
        z = torch.log(z - z.min() + 1e-3 * (z.max() - z.min() + 1e-12))
    z = (z - z.min()) / (z.max() - z.min()).clamp_min(1e-12)
    return (z * 255).round().to(torch.uint8).numpy()


def landscape_message(body: dict[str, Any], request: Any = None) -> bytes:
    """The answer to a checked ``landscape`` message (see :mod:`._protocol`)."""
    fn = body["fn"]
    runs, arrays = [], {"height": _height(fn)}
    kw = {"steps": body["steps"], "start": body["start"], "noise": body["noise"]}
    for i, r in enumerate(body["runs"]):
        if body["tune"]:
            hyper = {k: v for k, v in r["hyper"].items() if k != "lr"}
            t = landscapes.tune(fn, r["opt"], **kw, **hyper)
        else:
            t = landscapes.run_optimizer(fn, r["opt"], **kw, **r["hyper"])
        arrays[f"path{i}"] = np.asarray(t.points, dtype=np.float32)
        arrays[f"loss{i}"] = np.asarray(t.losses, dtype=np.float32)
        runs.append({"opt": t.optimizer, "lr": t.lr, "hyper": {**r["hyper"], "lr": t.lr},
                     "diverged": t.diverged,
                     "steps_to_loss_tol": t.steps_to_loss_tol,
                     "steps_to_dist_tol": t.steps_to_dist_tol, "final_loss": t.final_loss,
                     "final_distance": t.final_distance})  # fmt: skip
    header = {
        "type": "landscape", "id": request, "function": fn.name, "formula": fn.formula,
        "summary": fn.summary, "params": fn.params, "window": fn.window, "minima": fn.minima,
        "start": body["start"] or fn.start, "steps": body["steps"], "runs": runs,
        "tuned": body["tune"],
    }  # fmt: skip
    return pack(header, arrays)
