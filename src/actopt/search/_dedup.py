"""Duplicates: one function, however it is written, is trained once.

Two keys: the canonical text (sympy's printing of the parsed expression, which already merges
``x*sigmoid(x)`` and ``sigmoid(x)*x``) and a numerical fingerprint, f and f' on fixed probe
points rounded to 4 decimals, which merges forms sympy does not (``x/(1+exp(-x))``).

>>> from actopt.activations import from_formula
>>> a = fingerprint(from_formula("x*sigmoid(x)"))
>>> a == fingerprint(from_formula("x/(1 + exp(-x))"))
True
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch
from scipy import optimize

from ..activations import ActivationSpec

__all__ = ["BETA_RANGE", "PROBES", "Seen", "fingerprint", "finite_on_probes", "swish_distance"]

# the points f and f' are compared on: a grid over [-5, 5] that avoids 0 and the integers
# (where kinks of max/abs/round-offs sit) plus a few far points for the tails
PROBES = np.concatenate([np.linspace(-4.97, 5.03, 41), [-12.3, -8.1, 8.3, 12.1]])
_DECIMALS = 4
BETA_RANGE = (0.1, 2.5)  # the β of x·σ(βx) that count as Swish (see swish_distance)
_SWISH_X = torch.linspace(-5, 5, 1001, dtype=torch.float64)


def _values(s: ActivationSpec) -> tuple[np.ndarray, np.ndarray]:
    x = torch.tensor(PROBES, dtype=torch.float64)
    with torch.no_grad():
        return s.forward(x).numpy(), s.derivative(x).numpy()


def finite_on_probes(s: ActivationSpec) -> bool:
    """f and f' are finite at every probe point."""
    f, g = _values(s)
    return bool(np.isfinite(f).all() and np.isfinite(g).all())


def fingerprint(s: ActivationSpec) -> str:
    """A short hash of f and f' at ``PROBES``, rounded: equal for the same function."""
    f, g = _values(s)
    v = np.round(np.concatenate([f, g]), _DECIMALS) + 0.0  # + 0.0: -0.0 and 0.0 agree
    v = np.nan_to_num(v, nan=1e300, posinf=1e301, neginf=-1e301)
    return hashlib.sha256(v.tobytes()).hexdigest()[:16]


def _swish_error(f: torch.Tensor, betas: torch.Tensor) -> torch.Tensor:
    """max |f − x·σ(βx)| on ``_SWISH_X`` for each β (NaN counts as infinitely far)."""
    swish = _SWISH_X * torch.sigmoid(betas[:, None] * _SWISH_X)
    return torch.nan_to_num((f - swish).abs().amax(dim=1), nan=float("inf"))


def swish_distance(s: ActivationSpec) -> tuple[float, float]:
    """(min over β in ``BETA_RANGE`` of max |f(x) − x·σ(βx)| on [−5, 5], that β): how close
    ``s`` is to Swish. A grid of β finds the basin, a bounded 1-D search refines it (the grid
    alone misses by up to ~1e-2 between its points). β stops at 2.5: relu is the β → ∞ limit,
    within 0.028 of x·σ(10x), and would pass for Swish; at β ≤ 2.5 it is ≥ 0.11 away.

    >>> from actopt.activations import from_formula
    >>> d, beta = swish_distance(from_formula("x*sigmoid(1.7*x)"))
    >>> d < 1e-6, round(beta, 3)
    (True, 1.7)
    """
    with torch.no_grad():
        f = s.forward(_SWISH_X)
        grid = torch.logspace(*np.log10(BETA_RANGE), 61, dtype=torch.float64)
        err = _swish_error(f, grid)
        i = int(torch.argmin(err))
        if not np.isfinite(float(err[i])):
            return float("inf"), float(grid[i])
        lo, hi = float(grid[max(i - 1, 0)]), float(grid[min(i + 1, len(grid) - 1)])
        fine = optimize.minimize_scalar(
            lambda b: float(_swish_error(f, torch.tensor([b], dtype=torch.float64))[0]),
            bounds=(lo, hi), method="bounded", options={"xatol": 1e-9},
        )  # fmt: skip
    if fine.fun < float(err[i]):
        return float(fine.fun), float(fine.x)
    return float(err[i]), float(grid[i])


class Seen:
    """The canonical texts and fingerprints met so far: ``first(text, fp)`` answers the
    formula they were first met as, or None (and remembers it)."""

    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}

    def first(self, formula: str, text: str, fp: str) -> str | None:
        for key in ("t:" + text, "f:" + fp):
            if key in self._by_key:
                return self._by_key[key]
        self._by_key["t:" + text] = self._by_key["f:" + fp] = formula
        return None
