"""One page's state: its configuration, its one or two live models, and the messages it sees.

:class:`Session` is synchronous and does all the torch work; the server runs its methods on one
worker thread so the event loop never waits on training. Every picture message carries the
session's ``version``, which grows at each reset, so the page drops frames of a model it no
longer shows.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from ._config import Config, ModelConfig, config_to_json, parse_config
from ._data import FEATURES, feature_matrix, make_data
from ._trainer import Trainer, grid_points, neuron_points
from ._wire import pack

__all__ = ["Session", "default_config"]

# changing any of these starts the model again; anything else (optimizer, its
# hyper-parameters, batch size, L1/L2) is taken live by the running model
_STRUCTURAL = ("features", "layers", "init", "loss", "dropout")


def default_config() -> Config:
    """Close to TensorFlow Playground's opening picture: circles, two layers of 4 tanh units
    (theirs are 4 and 2; equal widths keep it expressible as ``actopt train``), SGD at 0.03."""
    return parse_config({"a": {"hyper": {"lr": 0.03}}})


class Session:
    """The models of one browser tab; not thread-safe (one worker thread calls it)."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or default_config()
        self.version = 0
        self.neurons = True  # send every neuron's picture with each frame
        self._build()

    def _build(self) -> None:
        d = self.config.data
        self.data = make_data(d.name, d.points, d.train_ratio, d.noise, d.seed)
        self.trainers = {
            k: Trainer(m, self.data, self.config.seed) for k, m in self.config.models().items()
        }
        self.version += 1

    # -- control ---------------------------------------------------------------------------

    def set_config(self, cfg: Config) -> bool:
        """Take a new configuration; True when the models started again (else taken live)."""
        old, self.config = self.config, cfg
        same_shape = (old.data, old.seed, set(old.models())) == (cfg.data, cfg.seed,
                                                                   set(cfg.models()))  # fmt: skip
        if not same_shape or any(
            _structural(old.models()[k]) != _structural(m) for k, m in cfg.models().items()
        ):
            self._build()
            return True
        for k, m in cfg.models().items():
            if m != old.models()[k]:
                self.trainers[k].retune(m)
        return False

    def reset(self) -> None:
        self._build()

    @property
    def status(self) -> str:
        bad = [t for t in self.trainers.values() if t.status != "ok"]
        return bad[0].status if bad else "ok"

    def advance(self, max_steps: int, budget_s: float = float("inf")) -> int:
        """Train every model the same number of steps, up to ``max_steps``, in about
        ``budget_s`` seconds: the first for its share of the time, the others to match it."""
        first, *others = self.trainers.values()
        steps = first.train(max_steps, time.perf_counter() + budget_s / len(self.trainers))
        for t in others:
            t.train(steps)
        return steps

    # -- messages to the page --------------------------------------------------------------

    def frame(self) -> bytes:
        header: dict[str, Any] = {"type": "frame", "version": self.version, "runs": {}}
        arrays: dict[str, np.ndarray] = {}
        for k, t in self.trainers.items():
            head, pics = t.snapshot(self.neurons)
            header["runs"][k] = head
            arrays.update({f"{k}.{name}": a for name, a in pics.items()})
        return pack(header, arrays)

    def structure(self) -> bytes:
        """What stays fixed until the next reset: the data, the networks' shapes, the pictures
        of the input features."""
        ds, info = self.data.dataset, self.data.info
        points = grid_points(self.data)
        feats = feature_matrix(points[neuron_points(self.data, points)], list(FEATURES))
        scale = feats.abs().amax(0).clamp_min(1e-6)
        arrays = {
            "train_x": ds.x_train.numpy(), "train_y": ds.y_train.float().numpy(),
            "test_x": ds.x_test.numpy(), "test_y": ds.y_test.float().numpy(),
            "features": (feats / scale * 127).round().to(torch.int8).T.contiguous().numpy(),
        }  # fmt: skip
        header = {
            "type": "structure",
            "version": self.version,
            "config": config_to_json(self.config),
            "data": {
                "name": info.name,
                "task": info.task,
                "dims": info.dims,
                "window": self.data.window,
                "n_train": len(ds.y_train),
                "n_test": len(ds.y_test),
                "features": list(FEATURES),
            },
            "runs": {k: t.structure() for k, t in self.trainers.items()},
        }
        return pack(header, arrays)


def _structural(m: ModelConfig) -> tuple:
    return tuple(getattr(m, f) for f in _STRUCTURAL)
