"""``RunSpec``: everything one training run depends on, as frozen, hashable, serialisable data."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field, fields
from typing import Any

import torch

__all__ = ["LOSSES", "SCHEDULES", "RunSpec"]

LOSSES = ("ce", "mse")
SCHEDULES = ("none", "cosine", "step", "exponential", "onecycle")


@dataclass(frozen=True)
class RunSpec:
    """One run: data × model × activation × optimizer × budget × seed.

    Validated on construction (a bad value raises ``ValueError`` naming the field), so a grid
    fails before anything trains. ``run_id`` is a hash of the canonical JSON: equal specs, equal
    ids, on any machine.

    >>> RunSpec(data="moons", act="tanh", opt="sgd", lr=0.1).run_id    # doctest: +SKIP
    '3f0c…'
    """

    data: str = "mnist1d"
    data_options: dict = field(default_factory=dict)  # e.g. {"noise": 0.2} for a toy
    val_fraction: float = 0.1
    model: str = "mlp"
    depth: int = 2  # hidden layers (mlp)
    width: int = 256
    act: str | tuple[str, ...] = "relu"  # one activation, or one per hidden layer
    act_params: dict = field(default_factory=dict)
    init: str = "he"
    norm: str = "none"
    dropout: float = 0.0
    opt: str = "adam"
    lr: float | None = None  # None: the optimizer's own default
    opt_params: dict = field(default_factory=dict)
    batch_size: int | str = 128  # "full" = batch gradient descent, 1 = stochastic
    epochs: int = 5
    steps: int | None = None  # a step budget instead of whole epochs
    schedule: str = "none"
    schedule_params: dict = field(default_factory=dict)
    loss: str = "ce"
    seed: int = 0
    device: str = "auto"
    diagnostics: bool = False
    diag_every: int = 0  # also record diagnostics every N steps (0: once per epoch)

    def __post_init__(self) -> None:
        if not isinstance(self.act, str):
            object.__setattr__(self, "act", tuple(self.act))
        for name in ("data_options", "act_params", "opt_params", "schedule_params"):
            object.__setattr__(self, name, dict(sorted(dict(getattr(self, name)).items())))
        self._validate()

    # -- identity -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["act"] = self.act if isinstance(self.act, str) else list(self.act)
        return d

    def canonical_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def run_id(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def __hash__(self) -> int:
        return hash(self.run_id)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunSpec:
        allowed = [f.name for f in fields(cls)]
        unknown = sorted(set(d) - set(allowed))
        if unknown:
            raise ValueError(
                f"unknown run field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
            )
        return cls(**d)

    def replace(self, **changes: Any) -> RunSpec:
        return dataclasses.replace(self, **changes)

    # -- validation -----------------------------------------------------------------------

    def _validate(self) -> None:
        from .. import activations, data, models, optim

        def bad(name: str, value: Any, allowed: str) -> ValueError:
            return ValueError(f"{name} must be {allowed}, got {value!r}")

        def whole(name: str, value: Any, low: int) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise bad(name, value, f"an integer >= {low}")

        if self.data not in data.names():
            raise bad("data", self.data, f"one of {', '.join(data.names())}")
        if self.model not in models.names():
            raise bad("model", self.model, f"one of {', '.join(models.names())}")
        whole("depth", self.depth, 1)
        whole("width", self.width, 1)
        whole("epochs", self.epochs, 1)
        whole("seed", self.seed, 0)
        whole("diag_every", self.diag_every, 0)
        if self.steps is not None:
            whole("steps", self.steps, 1)
        if self.batch_size != "full":
            whole("batch_size", self.batch_size, 1)
        if not 0 <= self.val_fraction < 1:
            raise bad("val_fraction", self.val_fraction, "in [0, 1)")
        if not 0 <= self.dropout < 1:
            raise bad("dropout", self.dropout, "in [0, 1)")
        if self.init not in models.INITS:
            raise bad("init", self.init, f"one of {', '.join(models.INITS)}")
        if self.norm not in ("none", "batch", "layer"):
            raise bad("norm", self.norm, "none, batch or layer")
        if self.loss not in LOSSES:
            raise bad("loss", self.loss, f"one of {', '.join(LOSSES)}")
        if self.schedule not in SCHEDULES:
            raise bad("schedule", self.schedule, f"one of {', '.join(SCHEDULES)}")
        if self.device not in ("auto", "cpu", "cuda", "mps") and not self.device.startswith(
            "cuda:"
        ):
            raise bad("device", self.device, "auto, cpu, cuda, cuda:N or mps")
        for a in [self.act] if isinstance(self.act, str) else self.act:
            try:
                activations.spec(a, **self.act_params)  # unknown name or bad parameter → here
            except KeyError as e:
                raise ValueError(f"act: {e.args[0]}") from None
        n_acts = 1 if isinstance(self.act, str) else len(self.act)
        if self.model == "mlp" and n_acts not in (1, self.depth):
            raise bad("act", list(self.act), f"one activation or {self.depth} (one per layer)")
        # the optimizer validates its own hyper-parameters; try them on a dummy parameter
        hyper = dict(self.opt_params)
        if self.lr is not None:
            hyper["lr"] = self.lr
        try:
            optim.get(self.opt)([torch.nn.Parameter(torch.zeros(1))], **hyper)
        except KeyError as e:
            raise ValueError(f"opt: {e.args[0]}") from None
        except TypeError as e:
            raise ValueError(f"opt_params for {self.opt}: {e}") from None
