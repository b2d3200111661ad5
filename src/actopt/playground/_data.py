"""The playground's data: actopt's 2-D toys for classification, three small regression sets,
and the input features (x₁, x₂, x₁², x₂², x₁x₂, sin x₁, sin x₂) computed from the points.

The classification sets come from :func:`actopt.data.load` with no validation split, exactly as
``actopt train --data spirals -d n=… -d n_test=… -d noise=… -d seed=… --val-fraction 0`` loads
them, so a playground run can be replayed by the training engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from .. import data as data_lib
from ..data import Dataset

__all__ = [
    "DATASETS",
    "FEATURES",
    "DataInfo",
    "PlayData",
    "feature_matrix",
    "make_data",
    "split_sizes",
]


@dataclass(frozen=True)
class DataInfo:
    name: str
    task: str  # "classification" or "regression"
    dims: int  # 1: a curve y(x₁); 2: points in the plane
    default_noise: float
    summary: str


def _plane(x: torch.Tensor) -> torch.Tensor:
    return (x[:, 0] + x[:, 1]) / 2


def _gauss(x: torch.Tensor) -> torch.Tensor:
    def bump(cx: float, cy: float) -> torch.Tensor:
        return torch.exp(-((x[:, 0] - cx) ** 2 + (x[:, 1] - cy) ** 2) / 0.18)

    return bump(0.45, 0.45) - bump(-0.45, -0.45)


def _sine(x: torch.Tensor) -> torch.Tensor:
    return torch.sin(4.5 * x[:, 0])


_REGRESSION: dict[str, tuple[Callable[[torch.Tensor], torch.Tensor], int, str]] = {
    "plane": (_plane, 2, "regression: a tilted plane (x₁ + x₂)/2"),
    "gauss": (_gauss, 2, "regression: a hill and a pit"),
    "sine": (_sine, 1, "regression: one curve y = sin(4.5 x₁)"),
}

DATASETS: dict[str, DataInfo] = {
    name: DataInfo(name, "classification", 2, noise, data_lib.spec(name).summary)
    for name, (_, noise) in data_lib.TOYS.items()
}
DATASETS.update(
    {name: DataInfo(name, "regression", dims, 0.05, text)
     for name, (_, dims, text) in _REGRESSION.items()}
)  # fmt: skip

FEATURES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "x1": lambda p: p[:, 0],
    "x2": lambda p: p[:, 1],
    "x1^2": lambda p: p[:, 0] ** 2,
    "x2^2": lambda p: p[:, 1] ** 2,
    "x1x2": lambda p: p[:, 0] * p[:, 1],
    "sin_x1": lambda p: torch.sin(p[:, 0]),
    "sin_x2": lambda p: torch.sin(p[:, 1]),
}


def feature_matrix(points: torch.Tensor, features: Sequence[str]) -> torch.Tensor:
    """(N, 2) points → (N, len(features)) network inputs."""
    return torch.stack([FEATURES[f](points) for f in features], 1).contiguous()


@dataclass(frozen=True)
class PlayData:
    """Points (N, 2) in standardised coordinates, labels (long) or targets (float)."""

    info: DataInfo
    dataset: Dataset  # x_* are the 2-D points; no validation split
    window: tuple[float, float, float, float]  # x0, x1, y0, y1 of the pictures

    @property
    def regression(self) -> bool:
        return self.info.task == "regression"


def _window(points: torch.Tensor, dims: int) -> tuple[float, float, float, float]:
    """A square around 0 holding every point, in half units (a curve: y from −1.5 to 1.5)."""
    r = max(1.0, math.ceil(float(points[:, :dims].abs().max()) * 1.1 * 2) / 2)
    return (-r, r, -1.5, 1.5) if dims == 1 else (-r, r, -r, r)


def split_sizes(points: int, train_ratio: float) -> tuple[int, int]:
    """(train, test) sizes: ``train_ratio`` of ``points`` for training, at least 2 each."""
    n_train = max(2, round(points * train_ratio))
    return n_train, max(2, points - n_train)


def make_data(name: str, points: int, train_ratio: float, noise: float, seed: int) -> PlayData:
    """``points`` points of set ``name``, ``train_ratio`` of them for training."""
    info = DATASETS[name]
    n_train, n_test = split_sizes(points, train_ratio)
    if info.task == "classification":
        ds = data_lib.load(name, n=n_train, n_test=n_test, noise=noise, seed=seed, val_fraction=0.0)
    else:
        fn, dims, _ = _REGRESSION[name]
        g = torch.Generator().manual_seed(seed)
        splits = []
        for n in (n_train, n_test):
            x = torch.rand(n, 2, generator=g) * 2 - 1
            if dims == 1:
                x[:, 1] = 0.0
            splits += [x, fn(x) + noise * torch.randn(n, generator=g)]
        mean, std = splits[0].mean(0), splits[0].std(0)
        std = torch.where(std > 0, std, torch.ones_like(std))
        xs = [((x - mean) / std).float() for x in (splits[0], splits[2])]
        ys = [splits[1].float(), splits[3].float()]
        empty = xs[0][:0]
        ds = Dataset(name, xs[0], ys[0], empty, ys[0][:0], xs[1], ys[1], 1, {"seed": seed})
    both = torch.cat([ds.x_train, ds.x_test])
    return PlayData(info, ds, _window(both, info.dims))
