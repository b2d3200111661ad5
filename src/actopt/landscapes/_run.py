"""Run any registered optimizer on a test function through the ordinary ``torch.optim`` API.

The parameter is one 2-element float64 tensor; each step sets its ``.grad`` from the function's
analytic gradient (plus optional Gaussian noise, the picture of a stochastic gradient) and calls
``optimizer.step()``, exactly as in training.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch

from .. import optim
from .._numbers import as_finite
from .._resources import check_memory
from ._functions import TestFunction

__all__ = ["BYTES_PER_STEP", "DEFAULT_LR_GRID", "Trajectory", "check_race", "run_optimizer",
           "tune"]  # fmt: skip

DEFAULT_LR_GRID = tuple(10 ** (k / 2) for k in range(-8, 4))  # 1e-4 … 31.6, half-decades
_ESCAPE = 1e6  # a coordinate beyond this counts as diverged
BYTES_PER_STEP = 700  # one step of a kept path (point, loss, distance as Python floats), measured


def check_race(
    steps: int, paths: int = 1, *, noise: float = 0.0, tol: float = 1e-3,
    allow_large: bool = False,
) -> None:  # fmt: skip
    """``ValueError`` naming a bad value, or ``ResourceError`` when ``paths`` kept paths of
    ``steps`` steps would take more than half this machine's memory (unless
    ``allow_large``): ``--steps 100000000`` grew without end."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    if as_finite(noise) is None or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    if as_finite(tol) is None or tol <= 0:
        raise ValueError(f"tol must be a finite number > 0, got {tol!r}")
    check_memory(steps * paths * BYTES_PER_STEP, f"{paths} path(s) of {steps:,} steps",
                 f"{BYTES_PER_STEP} B per step kept", allow_large)  # fmt: skip


@dataclass
class Trajectory:
    """One optimizer's path: points (steps + 1, 2), losses, distances to the nearest minimum."""

    function: str
    optimizer: str
    lr: float
    hyper: dict[str, Any]
    points: list[tuple[float, float]]
    losses: list[float]
    distances: list[float]
    steps_to_loss_tol: int | None  # first step with f − f* < tol
    steps_to_dist_tol: int | None  # first step within tol of a minimum
    diverged: bool
    tuned: bool = False
    escape_below: float | None = None  # the function's (unbounded below: where escape starts)

    @property
    def final_loss(self) -> float:
        return self.losses[-1]

    @property
    def final_distance(self) -> float:
        return self.distances[-1]

    @property
    def status(self) -> str:
        """``diverged``; ``stalled`` when it ends far from the minimum: it never came within
        the loss tolerance nor the distance tolerance of it; else ``ok``. On a function with no
        minimum to reach (the saddle) a path either ``escaped`` (its loss fell below the
        critical point's) or is ``stuck`` near where it started."""
        if self.diverged:
            return "diverged"
        if self.escape_below is not None:
            return "escaped" if self.final_loss < self.escape_below else "stuck"
        reached = self.steps_to_loss_tol is not None or self.steps_to_dist_tol is not None
        return "ok" if reached else "stalled"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(final_loss=self.final_loss, final_distance=self.final_distance, status=self.status)
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()
        }


def _first_below(values: Sequence[float], tol: float) -> int | None:
    return next((i for i, v in enumerate(values) if v < tol), None)


def run_optimizer(
    fn: TestFunction,
    opt: str,
    *,
    steps: int = 500,
    lr: float | None = None,
    start: tuple[float, float] | None = None,
    noise: float = 0.0,
    seed: int = 0,
    tol: float = 1e-3,
    **hyper: Any,
) -> Trajectory:
    """``steps`` steps of optimizer ``opt`` on ``fn`` from ``start`` (default: the function's).

    ``lr=None`` uses the optimizer's default. A path hitting a non-finite value stops and is
    marked diverged (its loss and distance become inf). One leaving ±1e6 stops there too: on a
    function with a minimum it diverged; on one unbounded below it escaped for good, and keeps
    its last point and (very negative) loss.
    """
    start = fn.start if start is None else tuple(start)
    if not fn.contains(start):
        raise ValueError(f"{fn.name}: start {start} is outside the window {fn.window}")
    check_race(steps, noise=noise, tol=tol, allow_large=True)  # the caller decides on memory
    spec = optim.spec(opt)
    w = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    optimizer = spec.make([w], lr=lr, **hyper)  # lr=None: the optimizer's default
    noise_gen = torch.Generator().manual_seed(seed)
    f_star = fn.min_value if fn.min_value is not None else -math.inf
    points, losses, distances = [start], [float(fn(w.detach()))], []
    distances.append(float(fn.distance_to_minimum(w.detach())))
    diverged = False
    for _ in range(steps):
        g = fn.gradient(w.detach())
        if noise:
            g = g + noise * torch.randn(2, generator=noise_gen, dtype=torch.float64)
        w.grad = g
        optimizer.step()
        p = w.detach()
        finite = bool(torch.isfinite(p).all())
        gone = finite and float(p.abs().max()) > _ESCAPE
        if not finite or (gone and fn.escape_below is None):
            diverged = True
            losses.append(math.inf)
            distances.append(math.inf)
            break
        points.append((float(p[0]), float(p[1])))
        losses.append(float(fn(p)))
        distances.append(float(fn.distance_to_minimum(p)))
        if gone:
            break
    gaps = [v - f_star for v in losses]
    return Trajectory(
        function=fn.name,
        optimizer=spec.name,
        lr=optimizer.param_groups[0]["lr"],
        hyper=dict(hyper),
        points=points,
        losses=losses,
        distances=distances,
        steps_to_loss_tol=_first_below(gaps, tol) if fn.min_value is not None else None,
        steps_to_dist_tol=_first_below(distances, tol) if fn.minima else None,
        diverged=diverged,
        escape_below=fn.escape_below,
    )


def tune(
    fn: TestFunction, opt: str, *, grid: Sequence[float] = DEFAULT_LR_GRID, **kwargs: Any
) -> Trajectory:
    """The run with the best lr from ``grid`` for *this* function: the smallest final distance
    to a minimum (final loss where the function has none); diverged runs never win."""

    def score(t: Trajectory) -> tuple:
        primary = t.final_distance if fn.minima else t.final_loss
        return (t.diverged, primary if math.isfinite(primary) else math.inf, t.final_loss)

    best = None
    for lr in grid:  # one path kept at a time: the best so far
        t = run_optimizer(fn, opt, lr=lr, **kwargs)
        if best is None or score(t) < score(best):
            best = t
    assert best is not None, "an empty lr grid"
    best.tuned = True
    return best
