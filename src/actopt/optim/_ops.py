"""Executions of the same list operations: a loop of per-tensor kernels, or ``_foreach``.

Update rules are written once against this interface (``ops.mul_(xs, 0.9)``), where ``xs`` is a
list of tensors and a scalar argument is either one number or one number per tensor. ``LOOP`` is
the readable single-tensor path; ``FOREACH`` the vectorised multi-tensor path, whose ``_foreach_*``
kernels do the same arithmetic per element, so both give the same iterates. ``_replica``'s
``ReplicaOps`` runs K replicas stacked along dim 0 of every tensor, where a scalar may also be a
``[K]`` tensor: one value per replica, broadcast as ``[K, 1, …]``.

A rule's own scalar arithmetic (``1 - beta``, ``-lr / c``) is plain Python on numbers and torch
on per-replica tensors; the few places where the two differ (a square root, a branch on a value)
go through the scalar helpers below, so a tensor hyper-parameter flows through the same rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = [
    "FOREACH",
    "LOOP",
    "Ops",
    "ScratchOps",
    "all_true",
    "any_true",
    "full_like",
    "is_zero",
    "sqrt",
    "times",
    "value",
    "where",
]

Scalars = float | Sequence[float]
Scalar = float | Tensor  # one number, or one per replica (a [K] tensor)


def _each(s: Scalars, n: int) -> Sequence[float]:
    return [s] * n if isinstance(s, (int, float)) else s


# -- scalar helpers: the same rule on numbers and on per-replica tensors ---------------------------


def is_zero(s: Scalar) -> bool:
    """Whether a hyper-parameter switches its term off. A per-replica tensor never does: replicas
    are grouped so that a value whose zero picks another branch (momentum) is zero for all or
    none, and a zero weight decay in a tensor is an exact no-op (g + 0·w = g)."""
    return not isinstance(s, Tensor) and s == 0


def sqrt(s: Scalar) -> Scalar:
    return s.sqrt() if isinstance(s, Tensor) else math.sqrt(s)


def where(condition: bool | Tensor, a: Scalar, b: Scalar) -> Scalar:
    """``a if condition else b``, per replica when ``condition`` is a tensor."""
    if isinstance(condition, Tensor):
        as64 = lambda v: torch.as_tensor(v, dtype=torch.float64)  # noqa: E731
        return torch.where(condition, as64(a), as64(b))
    return a if condition else b


def any_true(condition: bool | Tensor) -> bool:
    return bool(condition.any()) if isinstance(condition, Tensor) else bool(condition)


def all_true(condition: bool | Tensor) -> bool:
    return bool(condition.all()) if isinstance(condition, Tensor) else bool(condition)


def full_like(x: Tensor, s: Scalar) -> Tensor:
    """A tensor like x filled with s (per replica along dim 0 when s is a [K] tensor)."""
    if isinstance(s, Tensor):
        return s.to(x.dtype).view(-1, *(1,) * (x.dim() - 1)).expand_as(x).clone()
    return torch.full_like(x, s)


def times(t: Tensor, s: Scalar) -> Tensor:
    """t · s, with s rounded to t's dtype first, as torch's kernels round a Python number (so a
    float32 scalar state keeps its rounding); a per-replica s gives one product per replica."""
    return t * (s.to(t.dtype) if isinstance(s, Tensor) else s)


def value(t: Tensor) -> Scalar:
    """A scalar state tensor as a Python number; a per-replica one ([K]) as float64 values.
    Under ``torch.compile`` the tensor itself, kept in the graph (see ``_count_steps``)."""
    if torch.compiler.is_compiling():
        return t
    return t.item() if t.dim() == 0 else t.double()


class Ops:
    """The single-tensor path: each operation is a Python loop over per-tensor kernels."""

    name = "single-tensor"

    @staticmethod
    def neg(xs: list[Tensor]) -> list[Tensor]:
        return [-x for x in xs]

    @staticmethod
    def add(xs: list[Tensor], ys: list[Tensor], alpha: float = 1.0) -> list[Tensor]:
        return [x.add(y, alpha=alpha) for x, y in zip(xs, ys, strict=True)]

    @staticmethod
    def add_(xs: list[Tensor], ys: list[Tensor], alpha: float = 1.0) -> None:
        for x, y in zip(xs, ys, strict=True):
            x.add_(y, alpha=alpha)

    @staticmethod
    def add_scalar_(xs: list[Tensor], s: float) -> None:
        for x in xs:
            x.add_(s)

    @staticmethod
    def add_scalar(xs: list[Tensor], s: float) -> list[Tensor]:
        return [x.add(s) for x in xs]

    @staticmethod
    def mul_(xs: list[Tensor], s: Scalars) -> None:
        for x, v in zip(xs, _each(s, len(xs)), strict=True):
            x.mul_(v)

    @staticmethod
    def mul_tensors_(xs: list[Tensor], ys: list[Tensor]) -> None:
        for x, y in zip(xs, ys, strict=True):
            x.mul_(y)

    @staticmethod
    def div_scalar_(xs: list[Tensor], s: Scalars) -> None:
        for x, v in zip(xs, _each(s, len(xs)), strict=True):
            x.div_(v)

    @staticmethod
    def mul(xs: list[Tensor], s: Scalars) -> list[Tensor]:
        return [x * v for x, v in zip(xs, _each(s, len(xs)), strict=True)]

    @staticmethod
    def div_(xs: list[Tensor], ys: list[Tensor]) -> None:
        for x, y in zip(xs, ys, strict=True):
            x.div_(y)

    @staticmethod
    def div_scalar(xs: list[Tensor], s: Scalars) -> list[Tensor]:
        return [x / v for x, v in zip(xs, _each(s, len(xs)), strict=True)]

    @staticmethod
    def addcmul_(xs: list[Tensor], a: list[Tensor], b: list[Tensor], value: float = 1.0) -> None:
        for x, u, v in zip(xs, a, b, strict=True):
            x.addcmul_(u, v, value=value)

    @staticmethod
    def addcmul(xs: list[Tensor], a: list[Tensor], b: list[Tensor], value: float) -> list[Tensor]:
        return [x.addcmul(u, v, value=value) for x, u, v in zip(xs, a, b, strict=True)]

    @staticmethod
    def addcdiv_(xs: list[Tensor], a: list[Tensor], b: list[Tensor], value: Scalars) -> None:
        for x, u, v, s in zip(xs, a, b, _each(value, len(xs)), strict=True):
            x.addcdiv_(u, v, value=s)

    @staticmethod
    def lerp_(xs: list[Tensor], ys: list[Tensor], weight: float) -> None:
        for x, y in zip(xs, ys, strict=True):
            x.lerp_(y, weight)

    @staticmethod
    def lerp(xs: list[Tensor], ys: list[Tensor], weight: float) -> list[Tensor]:
        return [x.lerp(y, weight) for x, y in zip(xs, ys, strict=True)]

    @staticmethod
    def sqrt(xs: list[Tensor]) -> list[Tensor]:
        return [x.sqrt() for x in xs]

    @staticmethod
    def sqrt_(xs: list[Tensor]) -> None:
        for x in xs:
            x.sqrt_()

    @staticmethod
    def abs(xs: list[Tensor]) -> list[Tensor]:
        return [x.abs() for x in xs]

    @staticmethod
    def sign_(xs: list[Tensor]) -> None:
        for x in xs:
            x.sign_()

    @staticmethod
    def maximum_(xs: list[Tensor], ys: list[Tensor]) -> None:
        for x, y in zip(xs, ys, strict=True):
            torch.maximum(x, y, out=x)


class ForeachOps(Ops):
    """The vectorised path: each operation is one ``torch._foreach_*`` call over the list."""

    name = "foreach"

    @staticmethod
    def neg(xs):
        return torch._foreach_neg(xs)

    @staticmethod
    def add(xs, ys, alpha=1.0):
        return torch._foreach_add(xs, ys, alpha=alpha)

    @staticmethod
    def add_(xs, ys, alpha=1.0):
        torch._foreach_add_(xs, ys, alpha=alpha)

    @staticmethod
    def add_scalar_(xs, s):
        torch._foreach_add_(xs, s)

    @staticmethod
    def add_scalar(xs, s):
        return torch._foreach_add(xs, s)

    @staticmethod
    def mul_(xs, s):
        torch._foreach_mul_(xs, s if isinstance(s, (int, float)) else list(s))

    @staticmethod
    def mul_tensors_(xs, ys):
        torch._foreach_mul_(xs, ys)

    @staticmethod
    def div_scalar_(xs, s):
        torch._foreach_div_(xs, s if isinstance(s, (int, float)) else list(s))

    @staticmethod
    def mul(xs, s):
        return torch._foreach_mul(xs, s if isinstance(s, (int, float)) else list(s))

    @staticmethod
    def div_(xs, ys):
        torch._foreach_div_(xs, ys)

    @staticmethod
    def div_scalar(xs, s):
        return torch._foreach_div(xs, s if isinstance(s, (int, float)) else list(s))

    @staticmethod
    def addcmul_(xs, a, b, value=1.0):
        torch._foreach_addcmul_(xs, a, b, value=value)

    @staticmethod
    def addcmul(xs, a, b, value):
        return torch._foreach_addcmul(xs, a, b, value=value)

    @staticmethod
    def addcdiv_(xs, a, b, value):
        if isinstance(value, (int, float)):
            torch._foreach_addcdiv_(xs, a, b, value=value)
        elif any(isinstance(v, Tensor) for v in value):  # counts kept in a compiled graph
            # (fake-tensor tracing refuses a stacked scalars tensor here: scale a instead)
            torch._foreach_addcdiv_(xs, torch._foreach_mul(a, list(value)), b)
        else:
            torch._foreach_addcdiv_(xs, a, b, list(value))

    @staticmethod
    def lerp_(xs, ys, weight):
        torch._foreach_lerp_(xs, ys, weight)

    @staticmethod
    def lerp(xs, ys, weight):
        return torch._foreach_lerp(xs, ys, weight)

    @staticmethod
    def sqrt(xs):
        return torch._foreach_sqrt(xs)

    @staticmethod
    def sqrt_(xs):
        torch._foreach_sqrt_(xs)

    @staticmethod
    def abs(xs):
        return torch._foreach_abs(xs)

    @staticmethod
    def sign_(xs):
        torch._foreach_sign_(xs)

    @staticmethod
    def maximum_(xs, ys):
        torch._foreach_maximum_(xs, ys)


class ScratchOps(Ops):
    """The single-tensor path with reused temporaries.

    A rule's out-of-place results (√v, g + λw, …) are temporaries that die with the update, yet
    allocating them costs a page-faulting ``mmap`` per large tensor per step. Here the n-th
    temporary of an update is written into the n-th cached buffer of its shape, so the
    steady state allocates nothing. ``reset()`` before each update keeps the numbering
    aligned; the buffers are scratch only, never optimizer state.
    """

    def __init__(self) -> None:
        self._buffers: dict[tuple, Tensor] = {}
        self._slot = 0

    def reset(self) -> None:
        self._slot = 0

    def _out(self, x: Tensor, *others) -> Tensor | None:
        if any(
            isinstance(o, Tensor) and (o.dtype != x.dtype or o.shape != x.shape) for o in others
        ):
            return None  # type promotion or broadcasting: let torch allocate the right result
        key = (self._slot, x.shape, x.stride(), x.dtype, x.device)
        self._slot += 1
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = torch.empty_like(x)
        return buf

    def add(self, xs, ys, alpha=1.0):
        return [
            torch.add(x, y, alpha=alpha, out=self._out(x, y)) for x, y in zip(xs, ys, strict=True)
        ]

    def add_scalar(self, xs, s):
        return [torch.add(x, s, out=self._out(x)) for x in xs]

    def mul(self, xs, s):
        return [
            torch.mul(x, v, out=self._out(x)) for x, v in zip(xs, _each(s, len(xs)), strict=True)
        ]

    def div_scalar(self, xs, s):
        return [
            torch.div(x, v, out=self._out(x)) for x, v in zip(xs, _each(s, len(xs)), strict=True)
        ]

    def addcmul(self, xs, a, b, value):
        return [torch.addcmul(x, u, v, value=value, out=self._out(x, u, v))
                for x, u, v in zip(xs, a, b, strict=True)]  # fmt: skip

    def lerp(self, xs, ys, weight):
        return [torch.lerp(x, y, weight, out=self._out(x, y)) for x, y in zip(xs, ys, strict=True)]

    def sqrt(self, xs):
        return [torch.sqrt(x, out=self._out(x)) for x in xs]

    def abs(self, xs):
        return [torch.abs(x, out=self._out(x)) for x in xs]


LOOP = Ops()
FOREACH = ForeachOps()
