"""How signals and gradients survive a deep MLP at initialisation.

A 50-layer, width-256 MLP without biases is built from the activation (its own module, so a
formula works exactly like a catalog entry), weights N(0, gain²/fan_in). A random input goes
forward; a random vector is back-propagated from the last layer. Per layer we keep the forward
std and the gradient norm; the gradient ratio to the last layer tells where it vanishes
(< 1e-3) or explodes (> 1e3). An inf or NaN on the way is the float32 module overflowing, not
a gradient that explodes: it is reported as such (``overflow_layer``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from ..activations import ActivationSpec
from ._check import training_module

__all__ = ["SignalReport", "init_for", "propagate"]

VANISH, EXPLODE = 1e-3, 1e3
_LECUN = {"selu"}  # self-normalising: LeCun init by design


def init_for(spec: ActivationSpec) -> tuple[str, float]:
    """The init each family is designed for: LeCun for SELU; Xavier/Glorot (gain 1, the edge of
    chaos) for odd functions with f'(0) = 1 such as tanh; otherwise He's rule generalised — the
    gain 1/√E[f(z)²], z ~ N(0, 1), that keeps the second moment layer to layer (√2 for ReLU)."""
    if spec.name in _LECUN:
        return "lecun", 1.0
    with torch.no_grad():
        x = torch.linspace(0.05, 3, 60, dtype=torch.float64)
        odd = bool(torch.allclose(spec.forward(-x), -spec.forward(x), atol=1e-9))
        slope0 = float(spec.derivative(torch.zeros(1, dtype=torch.float64))[0])
        if odd and abs(slope0 - 1) < 1e-6:
            return "xavier", 1.0
        z = torch.special.ndtri((torch.arange(20_001, dtype=torch.float64) + 0.5) / 20_001)
        second = float(torch.nanmean(spec.forward(z) ** 2))
    if not math.isfinite(second) or second <= 0:
        return "xavier", 1.0
    return "he", 1 / math.sqrt(second)


@dataclass
class SignalReport:
    init: str
    gain: float
    forward_std: list[float]  # per layer, input first
    grad_norm: list[float]  # per layer, ‖∂L/∂h_l‖
    vanish_depth: int | None  # layers back from the output where the gradient ratio < 1e-3
    explode_depth: int | None  # … > 1e3
    first_layer_ratio: float  # gradient at the first layer / at the last
    overflow_layer: int | None = None  # the layer (1-based) where an inf/NaN first appears

    def to_dict(self) -> dict:
        return asdict(self)


@torch.no_grad()
def _weights(depth: int, width: int, gain: float, g: torch.Generator) -> list[torch.Tensor]:
    std = gain / math.sqrt(width)
    return [torch.randn(width, width, generator=g) * std for _ in range(depth)]


def propagate(
    spec: ActivationSpec, depth: int = 50, width: int = 256, batch: int = 256, seed: int = 0
) -> SignalReport:
    init, gain = init_for(spec)
    g = torch.Generator().manual_seed(seed)
    ws = _weights(depth, width, gain, g)
    act = training_module(spec)
    act.eval()
    h = torch.randn(batch, width, generator=g).requires_grad_(True)
    stds = [float(h.detach().std())]
    hs = []
    with torch.enable_grad():
        for w in ws:
            h = act(h @ w.T)
            h.retain_grad()
            hs.append(h)
            stds.append(float(h.detach().std()))
        probe = torch.randn(batch, width, generator=g)
        (h * probe).sum().backward()
    norms = [float(t.grad.norm()) if t.grad is not None else 0.0 for t in hs]
    # where it starts: the first layer whose output is not finite, else the deepest layer whose
    # gradient is not (a NaN born in one layer's backward reaches every layer below it)
    forward = [k for k, s in enumerate(stds) if not math.isfinite(s)]
    backward = [k + 1 for k, n in enumerate(norms) if not math.isfinite(n)]
    overflow = forward[0] if forward else backward[-1] if backward else None
    last = norms[-1] if norms[-1] > 0 and math.isfinite(norms[-1]) else float("nan")
    ratios = [n / last for n in norms]
    vanish = explode = None
    for back, r in enumerate(reversed(ratios if overflow is None else [])):
        if vanish is None and (r < VANISH or r == 0):
            vanish = back
        if explode is None and (r > EXPLODE or not math.isfinite(r)):
            explode = back
    return SignalReport(init, gain, stds, norms, vanish, explode, ratios[0], overflow)
