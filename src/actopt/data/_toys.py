"""2-D toy problems: the "linear vs non-linear" picture.

``blobs`` is linearly separable; ``moons``, ``circles``, ``xor`` and ``spirals`` are not, so a
linear model (or an MLP without activations) fails on them while one hidden non-linearity wins.
Each draws ``n`` points per split from its own seeded generator; ``noise`` is a Gaussian std.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = ["TOYS", "make_toy"]


def _moons(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    y = torch.randint(0, 2, (n,), generator=g)
    t = torch.rand(n, generator=g) * math.pi
    upper = torch.stack([torch.cos(t), torch.sin(t)], 1)
    lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1)
    return torch.where(y[:, None] == 0, upper, lower), y


def _circles(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    y = torch.randint(0, 2, (n,), generator=g)
    t = torch.rand(n, generator=g) * 2 * math.pi
    r = torch.where(y == 0, 1.0, 0.5)
    return torch.stack([r * torch.cos(t), r * torch.sin(t)], 1), y


def _xor(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.rand(n, 2, generator=g) * 2 - 1
    return x, ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long()


def _spirals(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    y = torch.randint(0, 2, (n,), generator=g)
    t = torch.rand(n, generator=g).sqrt() * 3 * math.pi  # sqrt: even density along the arm
    angle = t + math.pi * y
    return torch.stack([t * torch.cos(angle), t * torch.sin(angle)], 1) / (3 * math.pi), y


def _blobs(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    y = torch.randint(0, 2, (n,), generator=g)
    centres = torch.tensor([[-1.0, -1.0], [1.0, 1.0]])
    return centres[y] + 0.4 * torch.randn(n, 2, generator=g), y


TOYS: dict[str, tuple[Callable, float]] = {  # name → (sampler, default noise)
    "moons": (_moons, 0.1),
    "circles": (_circles, 0.05),
    "xor": (_xor, 0.0),
    "spirals": (_spirals, 0.02),
    "blobs": (_blobs, 0.0),
}


def make_toy(
    name: str, n: int = 1000, n_test: int | None = None, noise: float | None = None, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_train, y_train, x_test, y_test)`` of toy ``name``: points (N, 2), labels in {0, 1}."""
    sampler, default_noise = TOYS[name]
    noise = default_noise if noise is None else float(noise)
    if n < 2 or noise < 0:
        raise ValueError(f"{name}: need n >= 2 and noise >= 0, got n={n}, noise={noise}")
    g = torch.Generator().manual_seed(seed)
    out = []
    for size in (n, n if n_test is None else n_test):
        x, y = sampler(size, g)
        out += [x + noise * torch.randn(x.shape, generator=g), y]
    return out[0], out[1], out[2], out[3]
