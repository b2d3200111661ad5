"""The anatomy every actopt optimizer shares, following torch.optim.

Subclasses declare the check of each of their own hyper-parameters in ``checks`` (merged along
the class hierarchy; the constructor runs them, raising a ``ValueError`` naming the value, and
``OptimizerSpec.validate`` runs the same ones without building anything), their per-parameter
state in ``_init_state``, and write the update once in ``_update(ops, group, params, grads,
states)``; ``step`` collects the parameters that have gradients, initialises state lazily and
runs the update on the single-tensor or the vectorised path (``foreach=``). Those with a kernel
in ``_fused.c`` also take ``fused=True`` and implement ``_fused_update``. A group marked
``replicas`` (see ``_replica``) runs the same ``_update`` on stacked replicas.

A complex parameter is optimised as its real view (``torch.view_as_real`` of the parameter, its
gradient and its state), as torch.optim does: each rule sees the real and imaginary parts as two
real coordinates, while the state stays complex like its parameter.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import torch
from torch import Tensor

from .._numbers import as_finite, shown
from . import _fused
from ._ops import FOREACH, Ops, ScratchOps
from ._replica import ReplicaOps

__all__ = [
    "ActoptOptimizer",
    "Check",
    "check_beta",
    "check_betas",
    "check_lr",
    "check_nonneg",
    "check_path",
    "check_positive",
    "check_unit",
]

Check = Callable[[str, Any], None]  # check(name, value): raises ValueError naming the value


def _check(name: str, value: Any, ok: bool, rule: str) -> None:
    if as_finite(value) is None:  # nan, inf, a bool, a string, an integer beyond float64
        raise ValueError(f"{name} must be a finite number {rule}, got {shown(value)}")
    if not ok:
        raise ValueError(f"{name} must be {rule}, got {value!r}")


def check_nonneg(name: str, value: float) -> None:
    _check(name, value, isinstance(value, (int, float)) and value >= 0, ">= 0")


def check_positive(name: str, value: float) -> None:
    _check(name, value, isinstance(value, (int, float)) and value > 0, "> 0")


def check_lr(name: str, value: float | Tensor) -> None:
    """A number >= 0, or (as torch.optim takes it) a one-element real tensor holding one: the
    step reads its value then, so a scheduler may change it in place."""
    if isinstance(value, Tensor):
        if value.numel() != 1 or value.is_complex() or value.dtype == torch.bool:
            raise ValueError(
                f"{name} as a tensor must hold one real number, got a {tuple(value.shape)} "
                f"{value.dtype} tensor"
            )
        value = value.item()
    check_nonneg(name, value)


def check_beta(name: str, value: float) -> None:
    """A decay rate in [0, 1)."""
    _check(name, value, isinstance(value, (int, float)) and 0 <= value < 1, "in [0, 1)")


def check_unit(name: str, value: float) -> None:
    """A fraction in [0, 1] (AdaDelta's ρ, SGD's dampening)."""
    _check(name, value, isinstance(value, (int, float)) and 0 <= value <= 1, "in [0, 1]")


def check_betas(name: str, value: Any) -> None:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(
            f"{name} must be a pair (beta1, beta2) such as (0.9, 0.999) (in a label or an "
            f"option: {name}=[0.9, 0.999] or {name}=0.9,0.999), got {shown(value)}"
        )
    check_beta(f"{name}[0]", value[0])
    check_beta(f"{name}[1]", value[1])


def check_path(name: str, value: Any) -> None:
    """``foreach`` / ``fused``: None (automatic), True or False."""
    if value not in (None, True, False):
        raise ValueError(f"{name} must be None, True or False, got {value!r}")


def _real(v: Any) -> Any:
    return torch.view_as_real(v) if isinstance(v, Tensor) and v.is_complex() else v


@functools.cache
def _switches(cls: type) -> tuple[str, ...]:
    """The constructor's arguments whose default is a bool: on/off switches."""
    params = inspect.signature(cls.__init__).parameters.values()
    return tuple(p.name for p in params if isinstance(p.default, bool))


class ActoptOptimizer(torch.optim.Optimizer):
    """Base class: lazy state, closures, grads-None skipping, sparse refusal, ``foreach``."""

    #: one-line update rule, per-parameter state ("[x]": optional, "x (scalar)": one number) and
    #: reference, for the catalog (subclasses set); adaptive: it has an effective
    #: per-coordinate learning rate (``_effective_lr``)
    rule: str = ""
    state_names: tuple[str, ...] = ()
    reference: str = ""
    adaptive: bool = False
    #: hyper-parameter → its check; each class declares its own, merged along the hierarchy
    checks: ClassVar[dict[str, Check]] = {
        "lr": check_lr,
        "weight_decay": check_nonneg,
        "foreach": check_path,
        "fused": check_path,
    }
    #: values a subclass fixes for its base class (NAG: nesterov=True), seen by the checks
    fixed: ClassVar[dict[str, Any]] = {}

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        type(self).check_hyper(defaults)
        if "betas" in defaults:  # a list (from JSON or TOML) kept as the tuple torch.optim keeps
            defaults["betas"] = tuple(defaults["betas"])
        defaults.setdefault("maximize", False)
        super().__init__(params, defaults)
        if defaults.get("fused"):
            _fused.library()  # build now: a missing compiler fails here, not mid-training
            for group in self.param_groups:
                _fused.check_tensors(group["params"])

    @classmethod
    def check_hyper(cls, hyper: Mapping[str, Any]) -> None:
        """Run every check that applies to ``hyper`` (a ``ValueError`` names the first bad
        value): the one set of checks the constructor and ``OptimizerSpec.validate`` share."""
        full = {**cls.fixed, **hyper}
        for klass in reversed(cls.__mro__):
            for name, check in vars(klass).get("checks", {}).items():
                if name in full:
                    check(name, full[name])
        for name in _switches(cls):  # amsgrad, nesterov, maximize, …: True or False only
            if name in full and not isinstance(full[name], bool):
                raise ValueError(f"{name} must be True or False, got {shown(full[name])}")
        cls._check_together(full)

    @classmethod
    def _check_together(cls, hyper: Mapping[str, Any]) -> None:
        """Rules that tie hyper-parameters together (subclasses extend)."""
        if hyper.get("fused") and hyper.get("foreach"):
            raise ValueError("fused=True and foreach=True are two different paths: choose one")

    # -- what subclasses provide ------------------------------------------------------------

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        state["step"] = torch.tensor(0.0)  # a float32 tensor, as torch.optim keeps it

    def _update(self, ops: Ops, group: dict, params: list, grads: list, states: list) -> None:
        raise NotImplementedError

    def _fused_update(self, group: dict, params: list, grads: list, states: list) -> None:
        """The update as one kernel of ``_fused.c`` (only optimizers that take ``fused``)."""
        raise NotImplementedError

    def _effective_lr(self, group: dict, state: dict) -> Tensor | None:
        """The per-coordinate step size η_eff applied to the (moving-average) gradient, or None."""
        return None

    @torch.no_grad()
    def effective_lr(self) -> Tensor | None:
        """Every coordinate's current effective learning rate, flattened into one tensor.

        For adaptive optimizers this is the preconditioned step size (AdaGrad's η/(√s+ε), Adam's
        η/(√v̂+ε), …), the quantity that differs per parameter; None for optimizers with one
        global step size (SGD, momentum, NAG, Lion) or before the first step.
        """
        parts = []
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state.get(p)
                if state and p.is_complex():  # the rule's own coordinates: re and im
                    state = {k: _real(v) for k, v in state.items()}
                if state and (eff := self._effective_lr(group, state)) is not None:
                    parts.append(eff.reshape(-1))
        return torch.cat(parts) if parts else None

    # -- the shared step --------------------------------------------------------------------

    def _ops(self, group: dict, params: list[Tensor]) -> Ops:
        if group.get("replicas"):  # stacked replicas (see _replica): per-replica scalars
            if "_replica_ops" not in self.__dict__:
                self._replica_ops = ReplicaOps()
            return self._replica_ops
        foreach = group.get("foreach")
        if foreach is None:
            # torch.optim's rule: vectorised on accelerators. On CPU the single-tensor path wins:
            # it runs the whole rule on one tensor while it is in cache, where _foreach runs each
            # op over every tensor in turn and streams all the state through memory once per op
            foreach = all(p.device.type != "cpu" for p in params)
        if foreach:
            return FOREACH
        if "_scratch" not in self.__dict__:  # created lazily: also after unpickling
            self._scratch = ScratchOps()
        return self._scratch

    @staticmethod
    def _count_steps(states: list[dict], numbers: bool = False) -> list[float] | list[Tensor]:
        """Advance each parameter's step count; returns the new counts.

        Read, add, fill: a third of the time of ``add_`` on many 0-d tensors, which matters
        to the fused path, whose whole step is one kernel call. Under ``torch.compile`` the
        counts stay tensors in the graph, as torch.optim keeps them (``_get_value``), unless
        ``numbers`` (a kernel call, which runs outside the graph): a count read with ``.item()``
        breaks the graph and comes back into the next one as a Python float, which dynamo makes
        a dynamic input once it has changed twice, and whose arithmetic then went wrong (Adam's
        iterates from the third step) or crashed (AdamW's decoupled decay).
        """
        if torch.compiler.is_compiling() and not numbers:
            for state in states:
                state["step"].add_(1)
            return [state["step"] for state in states]
        steps = [s["step"].item() + 1 for s in states]
        for state, t in zip(states, steps, strict=True):
            state["step"].fill_(t)
        return steps

    @staticmethod
    def _real_views(params: list, grads: list, states: list) -> tuple[list, list, list, list]:
        """Complex parameters, gradients and state tensors as their real views (torch.optim's
        semantics: |z|² is re² + im², not z²); also the (state, view) pairs to write back."""
        views, pairs = [], []
        for i, (p, state) in enumerate(zip(params, states, strict=True)):
            if not p.is_complex():
                views.append(state)
                continue
            params[i], grads[i] = torch.view_as_real(p), torch.view_as_real(grads[i])
            view = {k: _real(v) for k, v in state.items()}
            views.append(view)
            pairs.append((state, view, dict(view), params[i].shape))
        return params, grads, views, pairs

    @staticmethod
    def _write_back(pairs: list) -> None:
        """State a rule replaced in a real view (SGD's first momentum buffer, NAdam's μ product)
        goes back into the parameter's state, complex again where it is a view-shaped tensor."""
        for state, view, before, shape in pairs:
            for key, v in view.items():
                if v is not before.get(key):
                    like_p = isinstance(v, Tensor) and v.shape == shape
                    state[key] = torch.view_as_complex(v.contiguous()) if like_p else v

    def load_state_dict(self, state_dict: dict) -> None:
        """As torch.optim, except that ``foreach`` and ``fused`` stay as this optimizer was
        built: they choose how it runs, not what it computes, so a state saved on one path
        continues on another (e.g. a checkpoint from a GPU run resumed with fused CPU kernels).
        """
        paths = [{k: g[k] for k in ("foreach", "fused") if k in g} for g in self.param_groups]
        super().load_state_dict(state_dict)
        for group, path in zip(self.param_groups, paths, strict=True):
            group.update(path)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()`` if given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, states, pairs = [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(
                        f"{type(self).__name__} does not support sparse gradients; use a dense "
                        "embedding (sparse=False) or torch.optim.SparseAdam"
                    )
                state = self.state[p]
                if not state:
                    self._init_state(p, state, group)
                params.append(p)
                grads.append(p.grad)
                states.append(state)
            if not params:
                continue
            if isinstance(group["lr"], Tensor) and not group.get("replicas"):
                group = {**group, "lr": group["lr"].item()}  # the rules compute with numbers
            if any(p.is_complex() for p in params):
                params, grads, states, pairs = self._real_views(params, grads, states)
            if group.get("fused"):  # maximize, too, is the kernel's business
                self._fused_update(group, params, grads, states)
                self._write_back(pairs)
                continue
            ops = self._ops(group, params)
            if group["maximize"]:
                grads = ops.neg(grads)
            if ops is FOREACH:
                self._update(ops, group, params, grads, states)
            else:  # the same rule, one tensor at a time (tensor-major, cache-friendly)
                for p, g, state in zip(params, grads, states, strict=True):
                    ops.reset()
                    self._update(ops, group, [p], [g], [state])
            self._write_back(pairs)
        return loss
