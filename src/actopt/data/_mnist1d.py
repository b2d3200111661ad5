"""MNIST-1D (Greydanus & Kobak 2024), generated locally with the ``mnist1d`` package.

The published defaults (5000 samples, 80% train, length 40, seed 42) give the canonical
4000 / 1000 split. Generation needs no download but takes seconds of CPU; the package seeds
numpy's and Python's global generators, so their states are saved and restored around it.

Every process of a bench (each worker of each runner) needs the same arrays, so they are
generated once per machine and kept in ``$ACTOPT_CACHE`` (default ``~/.cache/actopt``) as an
``.npz``: written atomically under a file lock (a second process waits, then reads), read back
bit for bit. An unwritable cache folder only means generating each time.
"""

from __future__ import annotations

import functools
import os
import random
from pathlib import Path

import numpy as np
import torch

__all__ = ["load_mnist1d"]


_KEYS = ("x", "y", "x_test", "y_test")


def _cache_dir() -> Path:
    return Path(os.environ.get("ACTOPT_CACHE") or Path.home() / ".cache" / "actopt")


@functools.lru_cache(maxsize=4)
def _generate(num_samples: int, length: int, seed: int) -> tuple[np.ndarray, ...]:
    """The arrays from the disk cache, else generated (and cached for the next process)."""
    from importlib.metadata import version

    name = f"mnist1d-{version('mnist1d')}-{num_samples}-{length}-{seed}.npz"
    path = _cache_dir() / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path.with_suffix(".lock"), "a")  # noqa: SIM115 (held while generating)
    except OSError:
        return _make(num_samples, length, seed)
    with lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)  # one process generates, the others wait
        except (ImportError, OSError):
            pass
        try:
            with np.load(path) as f:
                return tuple(f[k] for k in _KEYS)
        except (OSError, ValueError, KeyError):
            pass  # absent or unreadable: made again
        arrays = _make(num_samples, length, seed)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                np.savez(f, **dict(zip(_KEYS, arrays, strict=True)))
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)
        return arrays


def _make(num_samples: int, length: int, seed: int) -> tuple[np.ndarray, ...]:
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
