"""``ReplicaModel``: K replicas of one ``actopt.models`` network trained as one computation.

The model is assembled from the K solo networks (each built exactly as its solo run builds it,
under its own seed), position by position, from the batched layers of ``_replica_layers``. The
output is ``[K, N, classes]``: replica k's logits for its own batch (training) or for the batch
every replica shares (evaluation, ``shared=True``).

>>> from actopt.train import RunSpec
>>> specs = [RunSpec(data="moons", width=8, seed=s) for s in (0, 1, 2)]
>>> model, _ = build_replicas(specs, (2,), 2)
>>> model(torch.zeros(5, 2), shared=True).shape
torch.Size([3, 5, 2])
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import models
from ._loop import build_model
from ._replica_layers import (
    PLANES,
    ROWS,
    SIGNAL,
    ReplicaActivation,
    ReplicaConv,
    ReplicaConv1d,
    ReplicaDropout,
    ReplicaLinear,
    ReplicaNorm,
)
from ._spec import RunSpec

__all__ = ["ReplicaModel", "act_keys", "build_replicas"]

_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)


def act_keys(spec: RunSpec, layers: int) -> list[Hashable]:
    """Replica identity of each activated layer's function: name (or formula) and parameters."""
    acts = [spec.act] if isinstance(spec.act, str) else list(spec.act)
    acts = acts * layers if len(acts) == 1 else acts
    params = tuple(sorted(spec.act_params.items()))
    return [(a, params) for a in acts]


def build_replicas(
    specs: Sequence[RunSpec], input_shape: Sequence[int], num_classes: int
) -> tuple[ReplicaModel, nn.Module]:
    """The group's batched model, and the first replica's solo network (what one replica is).

    Each replica's network is built under ``torch.manual_seed(spec.seed)`` (the caller's RNG
    state is restored), so its initial weights are its solo run's; the RNG state right after is
    where its solo run draws dropout masks from, and becomes that replica's dropout generator.
    """
    solos, generators = [], []
    for spec in specs:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(spec.seed)
            solos.append(build_model(spec, input_shape, num_classes))
            g = torch.Generator()
            g.set_state(torch.get_rng_state())
            generators.append(g)
    n_acts = sum(1 for m in solos[0] if isinstance(m, models.ACTIVATION_TYPES))
    keys = [act_keys(spec, n_acts) for spec in specs]
    return ReplicaModel(solos, keys, generators), solos[0]


class ReplicaModel(nn.Module):
    """K ``nn.Sequential`` networks of one architecture as one network with stacked parameters.

    ``keys[k][j]`` identifies replica k's j-th activation (replicas may differ there);
    ``generators[k]`` draws replica k's dropout masks.
    """

    def __init__(
        self,
        solos: Sequence[nn.Sequential],
        keys: Sequence[Sequence[Hashable]],
        generators: list[torch.Generator],
    ) -> None:
        super().__init__()
        self.replicas = len(solos)
        self.layers = nn.ModuleList()
        self.kinds: list[str] = []
        self.pools: dict[int, int] = {}  # position → max-pool kernel
        act = 0
        for i, column in enumerate(zip(*solos, strict=True)):
            m = column[0]
            if any(type(c) is not type(m) for c in column):
                raise ValueError(f"replicas differ in layer {i}: {type(m).__name__} and others")
            if isinstance(m, nn.Linear):
                layer, kind = ReplicaLinear(column), "weighted"
            elif isinstance(m, nn.Conv1d):
                layer, kind = ReplicaConv1d(column), "weighted"
            elif isinstance(m, nn.Conv2d):
                layer, kind = ReplicaConv(column), "weighted"
            elif isinstance(m, _NORMS):
                layer, kind = ReplicaNorm(column), "norm"
            elif isinstance(m, models.ACTIVATION_TYPES):
                layer, kind = ReplicaActivation(column, [k[act] for k in keys]), "act"
                act += 1
            elif isinstance(m, nn.Dropout):
                layer, kind = ReplicaDropout(m.p, generators), "dropout"
            elif isinstance(m, nn.Flatten):
                layer, kind = nn.Identity(), "flatten"
            elif isinstance(m, nn.MaxPool2d):
                layer, kind = nn.Identity(), "pool"
                self.pools[i] = m.kernel_size
            else:
                raise TypeError(f"no batched form of {type(m).__name__} (layer {i})")
            self.layers.append(layer)
            self.kinds.append(kind)
        first = self.layers[self.kinds.index("weighted")]
        self.input_layout = {ReplicaConv1d: SIGNAL, ReplicaConv: PLANES}.get(type(first), ROWS)
        # a planes network's layers up to its flatten run replica by replica (see _trunk)
        self.trunk = self.kinds.index("flatten") if self.input_layout == PLANES else 0

    # -- data --------------------------------------------------------------------------------

    def gather(self, x: Tensor, idx: Tensor) -> Tensor:
        """The training batch, replica k's examples ``x[idx[k]]``, in the first layer's layout:
        every replica's rows in one ``index_select`` (half the time of indexing by ``[K, B]``)."""
        rows = x.index_select(0, idx.reshape(-1)).view(*idx.shape, *x.shape[1:])
        if self.input_layout == ROWS:
            return rows.flatten(2)  # [K, B, F]
        if self.input_layout == SIGNAL:
            return rows.transpose(2, 3)  # [K, B, L, C]
        return rows  # [K, B, C, H, W]

    def forward(
        self, x: Tensor, shared: bool = False, capture: dict[int, tuple] | None = None
    ) -> Tensor:
        """Logits ``[K, N, classes]``. ``x`` comes from :meth:`gather`, or with ``shared=True``
        it is one batch ``[N, *input_shape]`` that every replica sees. ``capture`` collects
        each activation's (input, output) by layer position, for diagnostics."""
        layout = self.input_layout
        h = x.flatten(1) if shared and layout == ROWS else x
        first = shared
        if self.trunk:
            h, layout, first = self._trunk(h, shared, capture), ROWS, False
        for i, (kind, m) in enumerate(zip(self.kinds, self.layers, strict=True)):
            if i < self.trunk:
                continue
            if kind == "weighted":
                h = m.forward_shared(h) if first else m(h)
                first = False
            elif kind == "act":
                # a weighted or norm layer's output is read by nothing else (their backward
                # reads their inputs), unless the diagnostics capture it
                fresh = capture is None and i > 0 and self.kinds[i - 1] in ("weighted", "norm")
                y = m(h, layout, fresh=fresh)
                if capture is not None:
                    capture[i] = (h, y)
                h = y
            elif kind == "norm":
                h = m(h, layout)
            elif kind == "dropout":
                h = m(h)
            elif kind == "flatten" and layout != ROWS:  # → [K, N, C·positions], the solo order
                h = (h.transpose(2, 3) if layout == SIGNAL else h).flatten(2)
                layout = ROWS
        return h

    def _trunk(self, x: Tensor, shared: bool, capture: dict[int, tuple] | None) -> Tensor:
        """The layers before the flatten, replica after replica, each on its own tensors (each
        layer's output is still in cache for the next, as in a solo network); ``[K, N, F]``.
        Captured activations are stacked ``[K, N, C, H, W]``."""
        features, seen = [], {i: ([], []) for i in range(self.trunk) if self.kinds[i] == "act"}
        for k in range(self.replicas):
            h = x if shared else x[k]
            for i in range(self.trunk):
                kind, m = self.kinds[i], self.layers[i]
                if kind == "pool":
                    h = F.max_pool2d(h, self.pools[i])
                else:
                    y = m.one(k, h)
                    if kind == "act" and capture is not None:
                        seen[i][0].append(h)
                        seen[i][1].append(y)
                    h = y
            features.append(h.flatten(1))
        if capture is not None:
            capture.update({i: (torch.stack(a), torch.stack(b)) for i, (a, b) in seen.items()})
        return torch.stack(features)

    # -- replicas ------------------------------------------------------------------------------

    def select(self, keep: Tensor) -> dict[Tensor, Tensor]:
        """Keep only the replicas at positions ``keep`` (a 1-d index tensor); returns each
        replaced parameter's successor (gradients come along)."""
        swapped = {}
        for m in self.layers:
            if hasattr(m, "select"):
                swapped.update(m.select(keep))
        self.replicas = len(keep)
        return swapped

    def solo_state_dict(self, k: int) -> dict[str, Tensor]:
        """Replica k's weights under its solo network's ``state_dict`` names and layouts."""
        return {
            f"{i}.{name}": t
            for i, m in enumerate(self.layers)
            if hasattr(m, "solo_state")
            for name, t in m.solo_state(k).items()
        }

    def layout_at(self, position: int) -> str:
        """The layout the layer at ``position`` sees: rows once a flatten has passed."""
        if "flatten" in self.kinds[:position]:
            return ROWS
        return self.input_layout

    def layer_names(self) -> tuple[dict[int, str], dict[int, str]]:
        """Names in depth order as the solo diagnostics give them: ``linear1``, ``conv2``, … and
        ``act1``, … (each replica adds its activation's name)."""
        weighted, acts, counts = {}, {}, {"linear": 0, "conv": 0}
        for i, (kind, m) in enumerate(zip(self.kinds, self.layers, strict=True)):
            if kind == "weighted":
                base = "linear" if isinstance(m, ReplicaLinear) else "conv"
                counts[base] += 1
                weighted[i] = f"{base}{counts[base]}"
            elif kind == "act":
                acts[i] = f"act{len(acts) + 1}"
        return weighted, acts
