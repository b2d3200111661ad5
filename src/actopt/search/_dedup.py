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

from ..activations import ActivationSpec

__all__ = ["PROBES", "Seen", "fingerprint", "finite_on_probes", "swish_distance"]

# the points f and f' are compared on: a grid over [-5, 5] that avoids 0 and the integers
# (where kinks of max/abs/round-offs sit) plus a few far points for the tails
PROBES = np.concatenate([np.linspace(-4.97, 5.03, 41), [-12.3, -8.1, 8.3, 12.1]])
_DECIMALS = 4


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


def swish_distance(s: ActivationSpec) -> tuple[float, float]:
    """(max |f(x) − x·σ(βx)| on [−5, 5], the best β): how close ``s`` is to Swish, β on a grid
    from 0.1 to 10 (β → ∞ is relu, so a relu-like function is close for large β)."""
    x = torch.linspace(-5, 5, 201, dtype=torch.float64)
    with torch.no_grad():
        f = s.forward(x)
        betas = torch.logspace(-1, 1, 81, dtype=torch.float64)
        swish = x * torch.sigmoid(betas[:, None] * x)
        err = (f - swish).abs().amax(dim=1)
    err = torch.nan_to_num(err, nan=float("inf"))
    i = int(torch.argmin(err))
    return float(err[i]), float(betas[i])


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
