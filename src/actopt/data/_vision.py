"""MNIST and Fashion-MNIST from their original IDX files, downloaded and verified if missing."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ._download import fetch
from ._idx import parse_idx, read_bytes

__all__ = ["MIRRORS", "SHA256", "data_dir", "load_idx_dataset"]

_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
          "t10k-labels-idx1-ubyte")  # fmt: skip

# sha256 of the decompressed content, as published with the datasets
SHA256 = {
    "mnist": dict(zip(_FILES, (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ), strict=True)),
    "fashion-mnist": dict(zip(_FILES, (
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ), strict=True)),
}  # fmt: skip

# canonical public mirrors, tried in turn
MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
}


def data_dir(path: str | Path | None = None) -> Path:
    """Where datasets live: ``path``, else ``$ACTOPT_DATA``, else ``~/.cache/actopt``."""
    if path:
        return Path(path).expanduser()
    if env := os.environ.get("ACTOPT_DATA"):
        return Path(env).expanduser()
    return Path.home() / ".cache" / "actopt"


@functools.lru_cache(maxsize=8)
def _read(path: Path) -> np.ndarray:
    # parsed arrays are kept per process: a bench trains many runs on the same files
    return parse_idx(read_bytes(path), str(path))


def check_n_train(n_train: object) -> None:
    """``ValueError`` unless ``n_train`` is None or a whole number of training images in
    [10, 60000]: the one rule, checked where a subset is asked for and again when it loads."""
    if n_train is not None and (
        isinstance(n_train, bool) or not isinstance(n_train, int) or not 10 <= n_train <= 60_000
    ):
        raise ValueError(f"n_train must be an integer in [10, 60000] or None, got {n_train!r}")


def load_idx_dataset(
    name: str,
    root: str | Path | None = None,
    *,
    download: bool = True,
    mirrors: Sequence[str] | None = None,
    quiet: bool = False,
    n_train: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_train, y_train, x_test, y_test)``: float32 images in [0, 1] of shape (N, 1, 28, 28).

    ``n_train`` keeps that many training images (a fixed seeded draw, the same on every machine,
    taken before the validation split); the test set is always the full 10 000.
    """
    check_n_train(n_train)
    folder = data_dir(root) / name
    files = SHA256[name]
    if download:
        fetch(folder, files, MIRRORS[name] if mirrors is None else mirrors, quiet=quiet)
    else:
        fetch(folder, files, (), quiet=True)  # verifies what is there, errors on what is missing

    def array(file: str) -> np.ndarray:
        path = next(p for p in (folder / f"{file}.gz", folder / file) if p.exists())
        return _read(path)

    out = []
    for split in ("train", "t10k"):
        images = array(f"{split}-images-idx3-ubyte")
        labels = array(f"{split}-labels-idx1-ubyte")
        if split == "train" and n_train is not None:
            keep = np.sort(np.random.default_rng(0).permutation(len(labels))[:n_train])
            images, labels = images[keep], labels[keep]  # before the float copy: cheap
        x = torch.from_numpy(images).float().div_(255.0).unsqueeze(1)
        out += [x, torch.from_numpy(labels.astype(np.int64))]
    return out[0], out[1], out[2], out[3]
