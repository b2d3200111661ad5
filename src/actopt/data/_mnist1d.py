"""MNIST-1D (Greydanus & Kobak 2024), generated locally with the ``mnist1d`` package.

The published defaults (5000 samples, 80% train, length 40, seed 42) give the canonical
4000 / 1000 split. Generation needs no download and takes about a second; the package seeds
numpy's and Python's global generators, so their states are saved and restored around it.
"""

from __future__ import annotations

import functools
import random

import numpy as np
import torch

__all__ = ["load_mnist1d"]


@functools.lru_cache(maxsize=4)
def _generate(num_samples: int, length: int, seed: int) -> tuple[np.ndarray, ...]:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.final_seq_length, args.seed = num_samples, length, seed
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        d = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return d["x"], d["y"], d["x_test"], d["y_test"]


def load_mnist1d(
    num_samples: int = 5000, length: int = 40, seed: int = 42
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_train, y_train, x_test, y_test)``: signals (N, 1, length) float32, labels int64."""
    if num_samples < 10 or length < 1:
        raise ValueError(
            f"mnist1d needs num_samples >= 10 and length >= 1, got {num_samples}, {length}"
        )
    x, y, xt, yt = _generate(int(num_samples), int(length), int(seed))

    def signals(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.asarray(a, dtype=np.float32)).unsqueeze(1)

    return signals(x), torch.from_numpy(y).long(), signals(xt), torch.from_numpy(yt).long()
