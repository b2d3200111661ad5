"""The dataset registry: name → how to make it, and ``load`` that returns a split ``Dataset``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._registry import Registry
from ._dataset import Dataset, split_and_standardize
from ._mnist1d import load_mnist1d
from ._toys import TOYS, make_toy
from ._vision import load_idx_dataset

__all__ = ["FILE_OPTIONS", "DatasetSpec", "load", "names", "spec"]

# where a file-backed dataset's files are and how they are fetched: never part of what a run is
FILE_OPTIONS = ("data_dir", "download", "mirrors", "quiet")


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    summary: str
    make: Callable[..., tuple]  # options → (x_train, y_train, x_test, y_test)
    num_classes: int
    standardize: str  # default standardisation
    # read from files (``data_dir``/``download``/``quiet`` options), which may be missing;
    # False for the generated ones (mnist1d, the toys), which cannot be
    needs_files: bool = False
    options: dict[str, Any] = field(default_factory=dict)  # keyword options of ``make``, defaults

    def __post_init__(self) -> None:
        sig = inspect.signature(self.make)
        found = {
            k: p.default
            for k, p in sig.parameters.items()
            if p.default is not inspect.Parameter.empty
        }
        object.__setattr__(self, "options", found)

    @property
    def run_options(self) -> dict[str, Any]:
        """The options that change the data itself, with their defaults (not where files are)."""
        return {k: v for k, v in self.options.items() if k not in FILE_OPTIONS}


_REGISTRY: Registry[DatasetSpec] = Registry("dataset", "actopt.data.names()")


def _register(s: DatasetSpec) -> None:
    _REGISTRY.register(s.name, (), s)


def _idx_maker(name: str) -> Callable[..., tuple]:
    # n_train: a seeded subset of the 60 000 training images (None: all of them)
    def make(*, n_train=None, data_dir=None, download=True, mirrors=None, quiet=False):
        return load_idx_dataset(
            name, data_dir, download=download, mirrors=mirrors, quiet=quiet, n_train=n_train
        )

    return make


def _toy_maker(name: str) -> Callable[..., tuple]:
    def make(*, n=1000, n_test=None, noise=None, seed=0):
        return make_toy(name, n, n_test, noise, seed)

    return make


def _mnist1d(*, num_samples=5000, length=40, seed=42) -> tuple:
    return load_mnist1d(num_samples, length, seed)


_register(DatasetSpec("mnist", "Handwritten digits, 28×28, 60k/10k (LeCun et al.).",
                      _idx_maker("mnist"), 10, "global", needs_files=True))  # fmt: skip
_register(DatasetSpec("fashion-mnist", "Zalando clothing, 28×28, 60k/10k (Xiao et al. 2017).",
                      _idx_maker("fashion-mnist"), 10, "global", needs_files=True))  # fmt: skip
_register(DatasetSpec("mnist1d", "MNIST-1D signals, length 40, 4000/1000, generated locally.",
                      _mnist1d, 10, "feature"))  # fmt: skip
_TOY_SUMMARY = {
    "moons": "two interleaved half circles",
    "circles": "a ring around a disc",
    "xor": "the four quadrants, XOR-labelled",
    "spirals": "two interleaved spiral arms",
    "blobs": "two Gaussian blobs (linearly separable)",
}
for _name in TOYS:
    _register(
        DatasetSpec(_name, f"2-D toy: {_TOY_SUMMARY[_name]}.", _toy_maker(_name), 2, "feature")
    )


def names() -> list[str]:
    """Registered dataset names."""
    return _REGISTRY.names()


def spec(name: str) -> DatasetSpec:
    return _REGISTRY[name]


def load(
    name: str,
    *,
    val_fraction: float = 0.1,
    split_seed: int = 0,
    standardize: str | None = None,
    **options: Any,
) -> Dataset:
    """Dataset ``name`` split into train / val / test and standardised with train statistics.

    ``options`` go to the dataset's maker: ``n_train`` (a seeded subset of the training images)
    and ``data_dir``/``download``/``mirrors`` for the image sets, ``num_samples``/``length``/
    ``seed`` for mnist1d, ``n``/``noise``/``seed`` for the toys.

    >>> import actopt.data as D
    >>> D.load("moons", n=200)
    Dataset('moons', train=180, val=20, test=200, input_shape=(2,), classes=2)
    """
    s = _REGISTRY[name]
    unknown = sorted(set(options) - set(s.options))
    if unknown:
        raise ValueError(
            f"{s.name}: unknown option(s) {', '.join(unknown)}; allowed: {', '.join(s.options)}"
        )
    x, y, xt, yt = s.make(**options)
    info = {k: v for k, v in options.items() if k in s.run_options or k == "download"}
    return split_and_standardize(
        s.name, x, y, xt, yt,
        num_classes=s.num_classes,
        val_fraction=val_fraction,
        split_seed=split_seed,
        standardize=standardize or s.standardize,
        info=info,
    )  # fmt: skip
