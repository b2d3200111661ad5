"""One live model: actopt's MLP, optimizer and diagnostics, trained a few steps at a time.

The steps are exactly the training engine's (``actopt.train.run``): the same seed builds the same
weights, the same shuffle generator draws the same mini-batches, and each step is zero_grad →
forward → loss → backward → optimizer step. So a configuration that ``actopt train`` can express
(see :mod:`._export`) gives the same numbers there as here, step for step.

Between chunks of steps, :meth:`Trainer.snapshot` draws the pictures: the output over a grid of the
plane and every hidden neuron's own output, all from one batched forward pass with hooks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .. import models
from ..data import Dataset
from ..train import Diagnostics
from ._config import ModelConfig
from ._data import PlayData, feature_matrix

__all__ = ["GRID", "Trainer", "grid_points"]

GRID = 64  # output picture: GRID × GRID points (a curve: 4 × GRID points)
_NEURON_STRIDE = 2  # neuron pictures take every 2nd grid point: 32 × 32


def grid_points(data: PlayData) -> torch.Tensor:
    """The picture's sample points (rows from the top, y falling; columns x rising)."""
    x0, x1, y0, y1 = data.window
    if data.info.dims == 1:
        xs = torch.linspace(x0, x1, 4 * GRID)
        return torch.stack([xs, torch.zeros_like(xs)], 1)
    xs = torch.linspace(x0, x1, GRID)
    ys = torch.linspace(y1, y0, GRID)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)


def neuron_points(data: PlayData, points: torch.Tensor) -> torch.Tensor:
    """Indices of the grid points the neuron pictures use."""
    if data.info.dims == 1:
        return torch.arange(0, len(points), _NEURON_STRIDE)
    idx = torch.arange(GRID * GRID).reshape(GRID, GRID)
    return idx[::_NEURON_STRIDE, ::_NEURON_STRIDE].reshape(-1)


def _loss_fn(cfg: ModelConfig, regression: bool) -> Callable[[torch.Tensor, torch.Tensor], Any]:
    if regression:
        return lambda out, y: F.mse_loss(out[:, 0], y)
    if cfg.loss == "ce":
        return F.cross_entropy
    return lambda out, y: F.mse_loss(out, F.one_hot(y, out.shape[1]).to(out.dtype))


class Trainer:
    """Model ``cfg`` on ``data``, seeded by ``seed``; not thread-safe (one worker calls it)."""

    def __init__(self, cfg: ModelConfig, data: PlayData, seed: int) -> None:
        self.cfg, self.data, self.seed = cfg, data, seed
        base = data.dataset
        xf, xt = (
            feature_matrix(base.x_train, cfg.features),
            feature_matrix(base.x_test, cfg.features),
        )
        self.ds = Dataset(base.name, xf, base.y_train, xf[:0], base.y_train[:0], xt, base.y_test,
                          base.num_classes)  # fmt: skip
        self.n_out = 1 if data.regression else base.num_classes
        with torch.random.fork_rng(devices=[]):  # the session's own RNG stream, as train.run's
            torch.manual_seed(seed)
            self.model = self._build()
            self.rng_state = torch.get_rng_state()
        self.linears = [m for m in self.model.modules() if isinstance(m, nn.Linear)]
        self.acts = [m for m in self.model.modules() if isinstance(m, models.ACTIVATION_TYPES)]
        self.shuffle = torch.Generator().manual_seed(seed)
        self.loss_fn = _loss_fn(cfg, data.regression)
        self.step = 0
        self.status = "ok"  # or "diverged"
        self.live_edits = False  # optimizer settings changed after step 0
        self._batches: Iterator | None = None
        self.opt = self._optimizer()
        points = grid_points(data)
        self._grid = feature_matrix(points, cfg.features)
        self._neuron_idx = neuron_points(data, points)

    # -- building --------------------------------------------------------------------------

    def _build(self) -> nn.Module:
        cfg = self.cfg
        n_in = len(cfg.features)
        if not cfg.layers:
            return models.build("linear", (n_in,), self.n_out)
        widths = {la.units for la in cfg.layers}
        if len(widths) == 1:  # models.mlp's own shape: the one `actopt train` builds
            return models.build("mlp", (n_in,), self.n_out, depth=len(cfg.layers),
                                width=widths.pop(), act=cfg.act_specs, init=cfg.init,
                                dropout=cfg.dropout)  # fmt: skip
        # layers of different widths: the same pieces as models.mlp, one width per layer
        layers: list[nn.Module] = [nn.Flatten()]
        for la in cfg.layers:
            layers += [nn.Linear(n_in, la.units), la.spec.module()]  # type: ignore[union-attr]
            if cfg.dropout:
                layers.append(nn.Dropout(cfg.dropout))
            n_in = la.units
        layers.append(nn.Linear(n_in, self.n_out))
        return models.initialize(nn.Sequential(*layers), cfg.init)

    def _optimizer(self) -> torch.optim.Optimizer:
        from .. import optim

        opt = optim.get(self.cfg.opt)(self.model.parameters(), **self.cfg.hyper)
        x, y = self.ds.x_train, self.ds.y_train
        self.diag = Diagnostics(self.model, opt, x, y, self.loss_fn, per_unit=True)
        return opt

    def retune(self, cfg: ModelConfig) -> None:
        """Take new optimizer settings (name, hyper-parameters, batch, regularisation) live:
        same weights; the optimizer's state is kept unless the optimizer itself changed."""
        old, self.cfg = self.cfg, cfg
        if self.step:
            self.live_edits = True
        if cfg.opt != old.opt:
            self.opt = self._optimizer()
        else:
            for group in self.opt.param_groups:
                group.update(cfg.hyper)
        if cfg.batch != old.batch:
            self._batches = None  # a fresh shuffled epoch with the new batch size

    # -- training --------------------------------------------------------------------------

    @property
    def batch_size(self) -> int:
        n = len(self.ds.y_train)
        return n if self.cfg.batch == "full" else min(int(self.cfg.batch), n)

    @property
    def epoch(self) -> float:
        return self.step / math.ceil(len(self.ds.y_train) / self.batch_size)

    def _next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        while True:
            if self._batches is None:
                self._batches = self.ds.batches(self.batch_size, self.shuffle)
            try:
                return next(self._batches)
            except StopIteration:
                self._batches = None

    def _penalty(self) -> torch.Tensor | None:
        if self.cfg.reg == "none" or not self.cfg.reg_rate:
            return None
        if self.cfg.reg == "l1":
            total = sum(m.weight.abs().sum() for m in self.linears)
        else:
            total = 0.5 * sum((m.weight**2).sum() for m in self.linears)
        return self.cfg.reg_rate * total

    def train(self, max_steps: int, deadline: float = math.inf) -> int:
        """Up to ``max_steps`` steps, stopping at ``deadline`` (perf_counter) or on divergence;
        the last step is measured by the diagnostics. Returns the steps taken."""
        if self.status != "ok" or max_steps < 1:
            return 0
        done = 0
        with torch.random.fork_rng(devices=[]):
            torch.set_rng_state(self.rng_state)
            self.model.train()
            for i in range(max_steps):
                last = i == max_steps - 1 or time.perf_counter() >= deadline
                xb, yb = self._next_batch()
                self.opt.zero_grad(set_to_none=True)
                loss = self.loss_fn(self.model(xb), yb)
                if not torch.isfinite(loss):
                    self.status = "diverged"
                    break
                penalty = self._penalty()
                (loss if penalty is None else loss + penalty).backward()
                if last:
                    self.diag.arm()
                self.opt.step()
                self.step += 1
                done += 1
                if last:
                    break
            self.rng_state = torch.get_rng_state()
        return done

    @torch.no_grad()
    def losses(self) -> dict[str, float | None]:
        """Loss (and accuracy, for classes) on the whole train and test sets; no penalty."""
        self.model.eval()
        out: dict[str, float | None] = {}
        for split in ("train", "test"):
            x, y = self.ds.split(split)
            pred = self.model(x)
            out[f"{split}_loss"] = float(self.loss_fn(pred, y))
            if not self.data.regression:
                out[f"{split}_acc"] = float((pred.argmax(1) == y).float().mean())
        return out

    # -- pictures --------------------------------------------------------------------------

    def snapshot(self, neurons: bool = True) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Numbers for the page (header) and its pictures (arrays), at the current weights."""
        captured: list[torch.Tensor] = []
        handles = [
            m.register_forward_hook(lambda _m, _i, o: captured.append(o)) for m in self.acts
        ] if neurons else []  # fmt: skip
        self.model.eval()
        try:
            with torch.no_grad():
                out = self.model(self._grid)
        finally:
            for h in handles:
                h.remove()
        arrays = {"out": _picture(out, self.data.regression, self.cfg.loss)}
        if captured:
            maps = torch.cat([c[self._neuron_idx] for c in captured], 1).T  # (units, points)
            scale = maps.abs().amax(1).clamp_min(1e-6)
            arrays["neurons"] = (maps / scale[:, None] * 127).round().to(torch.int8).numpy()
            arrays["scales"] = scale.numpy().astype(np.float32)
        for i, m in enumerate(self.linears):
            arrays[f"w{i}"] = m.weight.detach().numpy().astype(np.float32)
            arrays[f"b{i}"] = m.bias.detach().numpy().astype(np.float32)
        header = {
            "step": self.step,
            "epoch": self.epoch,
            "status": self.status,
            "lr": self.opt.param_groups[0]["lr"],
            **self.losses(),
            "diag": self._diagnostics() if self.status == "ok" else None,
        }
        return header, arrays

    def _diagnostics(self) -> dict[str, Any]:
        rec = self.diag.record(epoch=int(self.epoch), step=self.step)
        return {
            "grad_norm": list(rec.grad_norm.values()),
            "update_ratio": list(rec.update_ratio.values()),
            "dead": list(rec.dead_units.values()),
            "saturated": list(rec.saturated_units.values()),
            "dead_fraction": rec.dead_fraction,
            "saturated_fraction": rec.saturated_fraction,
            "effective_lr": rec.effective_lr,
        }

    def structure(self) -> dict[str, Any]:
        return {
            "features": list(self.cfg.features),
            "layers": [la.units for la in self.cfg.layers],
            "acts": [la.act for la in self.cfg.layers],
            "n_out": self.n_out,
            "parameters": models.count_parameters(self.model),
        }


def _picture(out: torch.Tensor, regression: bool, loss: str) -> np.ndarray:
    """The output as one number per point: the prediction, or for classes a score in [−1, 1]
    whose sign is the predicted class (2 p₁ − 1 under cross-entropy)."""
    if regression:
        value = out[:, 0]
    elif loss == "ce":
        value = out.softmax(1)[:, 1] * 2 - 1
    else:
        value = (out[:, 1] - out[:, 0]).clamp(-1, 1)
    return value.numpy().astype(np.float32)
