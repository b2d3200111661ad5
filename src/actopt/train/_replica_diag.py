"""Diagnostics for K stacked replicas: the records a solo run's ``Diagnostics`` makes, per replica.

One probe pass serves every replica (the probe batch is shared): the activations' inputs and
outputs are captured in the batched layout, f' is taken by autograd through the batched
activation, and the probe loss's weight gradients come back stacked. Each replica's slice then
goes through the same statistics as a solo run (``activation_stats``, ``lr_quantiles``), so a
replica's record has the keys and meaning of its solo run's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ..optim import _replica
from ._diagnostics import Record, activation_stats, lr_quantiles
from ._replica_layers import SIGNAL
from ._replica_model import ReplicaModel

__all__ = ["ReplicaDiagnostics"]


def _per_replica(t: Tensor, layout: str) -> Tensor:
    """A batched activation tensor as ``[K, N, units]`` (units in the solo flatten order)."""
    return (t.transpose(2, 3) if layout == SIGNAL else t).flatten(2)


class ReplicaDiagnostics:
    """Per-replica diagnostics of a :class:`ReplicaModel` and its replicated optimizer.

    ``arm()`` before the optimizer step to measure, ``after_step()`` after it, ``record()``
    for the list of per-replica records (dicts, in replica order).
    """

    def __init__(
        self,
        model: ReplicaModel,
        optimizer: torch.optim.Optimizer,
        x_probe: Tensor,
        y_probe: Tensor,
        losses: Callable[[Tensor, Tensor], Tensor],
    ) -> None:
        self.model, self.optimizer, self.losses = model, optimizer, losses
        self.x_probe, self.y_probe = x_probe, y_probe
        self.weighted, self.acts = model.layer_names()
        self._before: dict[int, Tensor] = {}
        self._step_stats: list[dict[str, Any]] | None = None

    def _weights(self) -> dict[int, Tensor]:
        return {i: self.model.layers[i].weight for i in self.weighted}

    def arm(self) -> None:
        self._before = {i: w.detach().clone() for i, w in self._weights().items()}

    @torch.no_grad()
    def after_step(self) -> None:
        if not self._before:
            return
        ratios = {}
        for i, w in self._weights().items():
            w0 = self._before[i]
            change = (w.detach() - w0).flatten(1).norm(dim=1)
            ratio = change / w0.flatten(1).norm(dim=1).clamp_min(1e-12)
            ratios[self.weighted[i]] = ratio.tolist()
        self._step_stats = [
            {
                "update_ratio": {name: r[k] for name, r in ratios.items()},
                "effective_lr": lr_quantiles(_replica.effective_lr(self.optimizer, k)),
            }
            for k in range(self.model.replicas)
        ]
        self._before = {}

    def select(self, keep: Tensor) -> None:
        """Follow the model's ``select``: forget the replicas that left."""
        self._before = {i: w.index_select(0, keep) for i, w in self._before.items()}
        if self._step_stats is not None:
            self._step_stats = [self._step_stats[k] for k in keep.tolist()]

    def record(self, epoch: int, step: int) -> list[dict[str, Any]]:
        """One record per replica on the probe batch (and the last armed step, if any)."""
        model, replicas = self.model, self.model.replicas
        stats = self._step_stats or [{} for _ in range(replicas)]
        self._step_stats = None
        records = [Record(epoch, step, **s) for s in stats]
        captured: dict[int, tuple[Tensor, Tensor]] = {}
        was_training = model.training
        model.eval()
        try:
            with torch.enable_grad():
                out = model(self.x_probe, shared=True, capture=captured)
                weights = self._weights()
                grads = torch.autograd.grad(
                    self.losses(out, self.y_probe).sum(), list(weights.values())
                )
            for i, g in zip(weights, grads, strict=True):
                norms = g.flatten(1).norm(dim=1).tolist()
                for rec, value in zip(records, norms, strict=True):
                    rec.grad_norm[self.weighted[i]] = value
            layers = []
            for i, (x, y) in captured.items():
                layout = model.layout_at(i)
                slope = _slope(model.layers[i], x, layout)
                layers.append((i, _per_replica(y.detach(), layout), slope))
            for k, rec in enumerate(records):
                names = [(f"{self.acts[i]} ({model.layers[i].names[k]})", y[k], s[k])
                         for i, y, s in layers]  # fmt: skip
                activation_stats(rec, names)
        finally:
            model.train(was_training)
        return [rec.to_dict() for rec in records]


def _slope(act: torch.nn.Module, x: Tensor, layout: str) -> Tensor:
    """|f'(x)| per replica as ``[K, N, units]``, by autograd through the batched activation."""
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(act(xg, layout).sum(), xg)
    return _per_replica(g.abs(), layout)
