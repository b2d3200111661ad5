"""A dataset as whole tensors in memory: train / val / test splits, batched by index.

Keeping every split as one tensor on the training device means a mini-batch is one gather
``x[idx]``: no per-sample Python, no DataLoader workers, and the same code on CPU and GPU.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import torch

__all__ = ["Dataset", "split_and_standardize"]


@dataclass(frozen=True)
class Dataset:
    """Splits as tensors: ``x_*`` float32 (N, *input_shape), ``y_*`` int64 (N,)."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    info: dict = field(default_factory=dict)  # options it was made with, standardisation used

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def split(self, which: str) -> tuple[torch.Tensor, torch.Tensor]:
        if which not in ("train", "val", "test"):
            raise ValueError(f"split must be train, val or test, got {which!r}")
        return getattr(self, f"x_{which}"), getattr(self, f"y_{which}")

    def to(self, device: torch.device | str) -> Dataset:
        moved = {
            f"{k}_{s}": getattr(self, f"{k}_{s}").to(device)
            for k in "xy"
            for s in ("train", "val", "test")
        }
        return replace(self, **moved)

    def batches(
        self, batch_size: int, generator: torch.Generator | None = None, split: str = "train"
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Mini-batches of ``split``, shuffled by ``generator`` (None: in order)."""
        x, y = self.split(split)
        n = len(y)
        order = (
            torch.randperm(n, generator=generator).to(x.device)
            if generator is not None
            else torch.arange(n, device=x.device)
        )
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            yield x[idx], y[idx]

    def __repr__(self) -> str:
        sizes = f"train={len(self.y_train)}, val={len(self.y_val)}, test={len(self.y_test)}"
        shape = f"input_shape={self.input_shape}, classes={self.num_classes}"
        return f"Dataset({self.name!r}, {sizes}, {shape})"


def split_and_standardize(
    name: str,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    *,
    num_classes: int,
    val_fraction: float,
    split_seed: int,
    standardize: str,
    info: dict,
) -> Dataset:
    """Carve a seeded validation split from train, then standardise with *train* statistics only.

    ``standardize``: ``"global"`` (one mean and std, right for pixels, where many features are
    constant), ``"feature"`` (per input feature) or ``"none"``.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    n_val = round(len(y_train) * val_fraction)
    perm = torch.randperm(len(y_train), generator=torch.Generator().manual_seed(split_seed))
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    x_val, y_val = x_train[val_idx], y_train[val_idx]
    x_train, y_train = x_train[train_idx], y_train[train_idx]
    if standardize == "global":
        mean, std = x_train.mean(), x_train.std()
    elif standardize == "feature":
        mean, std = x_train.mean(0), x_train.std(0)
        std = torch.where(std > 0, std, torch.ones_like(std))  # constant features stay as they are
    elif standardize == "none":
        mean, std = torch.tensor(0.0), torch.tensor(1.0)
    else:
        raise ValueError(f"standardize must be global, feature or none, got {standardize!r}")

    def norm(x: torch.Tensor) -> torch.Tensor:
        return ((x - mean) / std).float().contiguous()

    info = {
        **info,
        "val_fraction": val_fraction,
        "split_seed": split_seed,
        "standardize": standardize,
    }
    return Dataset(
        name,
        norm(x_train),
        y_train.long(),
        norm(x_val),
        y_val.long(),
        norm(x_test),
        y_test.long(),
        num_classes,
        info,
    )
