"""The immutable description of one activation function.

An :class:`ActivationSpec` holds the closed-form forward ``fn`` and its hand-derived derivative
``grad`` side by side, as small pure functions of a tensor and keyword parameters. Everything else
(the torch module, the audit, the bench) is built from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import torch

from .._numbers import FLOAT32_MAX, as_finite, shown

__all__ = ["ActivationSpec", "Fast", "Param", "Properties"]

Fn = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class Param:
    """One hyper-parameter of an activation: its default and the values it may take.

    ``low``/``high`` bound numeric values (``*_open`` makes the bound exclusive); ``choices`` lists
    the allowed values of a categorical one. ``trainable`` marks a parameter that becomes an
    ``nn.Parameter`` of the module (always, or only when the spec's ``learnable`` flag is set).
    """

    name: str
    default: Any
    doc: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[Any, ...] | None = None
    trainable: bool = False

    @property
    def valid_range(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if isinstance(self.default, bool):
            return "True or False"
        lo = "-∞" if self.low is None else f"{self.low:g}"
        hi = "∞" if self.high is None else f"{self.high:g}"
        left = "(" if self.low is None or self.low_open else "["
        right = ")" if self.high is None or self.high_open else "]"
        kind = "an integer in " if isinstance(self.default, int) else "in "
        return f"{kind}{left}{lo}, {hi}{right}"

    def validate(self, owner: str, value: Any) -> Any:
        """Return ``value`` coerced to the parameter's type, or raise ``ValueError`` naming it."""

        def bad(what: str = "") -> ValueError:
            rule = what or self.valid_range
            return ValueError(f"{owner}: {self.name} must be {rule}, got {shown(value)}")

        if self.choices is not None:
            if value not in self.choices:
                raise bad()
            return value
        if isinstance(self.default, bool):
            if not isinstance(value, bool):
                raise bad()
            return value
        # a finite number a float32 model can hold: inf, nan and 1e100 make no activation
        number = as_finite(value, FLOAT32_MAX)
        if number is None:
            raise bad(f"a finite number {self.valid_range} (|value| ≤ 3.4e38, float32's range)")
        if isinstance(self.default, int) and number != int(number):
            raise bad()
        v = int(value) if isinstance(self.default, int) else number
        if self.low is not None and (v < self.low or (self.low_open and v == self.low)):
            raise bad()
        if self.high is not None and (v > self.high or (self.high_open and v == self.high)):
            raise bad()
        return v


@dataclass(frozen=True, kw_only=True)
class Properties:
    """What the textbook says about an activation, at its default parameters.

    Each claim is checked numerically against ``fn``/``grad`` by the test-suite, with the
    measurements the auditor uses (:mod:`actopt.audit`).
    """

    output_range: str
    monotonic: bool
    smooth: bool  # continuously differentiable (C1) everywhere
    zero_centered: bool  # f(0) = 0 and outputs on N(0, 1) inputs average near zero
    bounded_above: bool
    bounded_below: bool
    saturates: str  # where |f'| vanishes for large |x|: "none", "left", "right" or "both"


@dataclass(frozen=True)
class Fast:
    """How an activation's module runs fast; none of it changes what it computes.

    Without any of these the module runs the generic custom autograd Function: ``fn`` forward,
    the hand-derived ``grad`` backward.
    """

    # the fastest correct torch implementation, kernel(x, **params), used by the module
    kernel: Fn | None = None
    applies: Callable[[Mapping[str, Any]], bool] | None = None  # kernel fits these values?
    takes_tensors: bool = False  # kernel accepts trainable params as tensors (prelu)
    train_kernel: Fn | None = None  # a different kernel in training mode (rrelu's random slope)
    # a forward with no autograd that the custom Function may use instead of fn
    forward: Fn | None = None
    # f' and every ∂f/∂p from one shared computation, grads(x, **params) -> (f'(x), {p: ∂f/∂p});
    # backward uses it to evaluate shared terms once (it may work in place on its own
    # temporaries: double backward uses grad/param_grads instead)
    grads: Callable[..., tuple[torch.Tensor, dict[str, torch.Tensor]]] | None = None
    # the kernels also take inplace=True and then overwrite x (torch's in-place kernels, which
    # autograd differentiates): what Activation(spec, inplace=True) uses
    inplace: bool = False


@dataclass(frozen=True)
class ActivationSpec:
    """An activation function: closed-form forward, hand-derived derivative and what it is.

    Build a usable module with :meth:`module`; evaluate the function and its derivative directly
    with :meth:`forward` and :meth:`derivative` (elementwise activations) or :meth:`jvp` /
    :meth:`vjp` (vector-valued ones such as softmax). Parameters are bound with :meth:`bind`,
    which validates them.
    """

    name: str
    fn: Fn  # fn(x, **params): the closed form
    grad: Fn  # grad(x, **params) = f'(x), elementwise; for vector kinds grad(x, v, **params) = J v
    latex: str
    latex_grad: str
    text: str  # f in plain text, for terminals
    text_grad: str
    properties: Properties
    summary: str = ""
    reference: str = ""
    aliases: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)  # bound values, filled by __post_init__
    # ∂f/∂p for every trainable parameter p, elementwise: param_grads[p](x, **params)
    param_grads: Mapping[str, Fn] = field(default_factory=dict)
    fast: Fast = Fast()  # how the module runs fast (torch's kernel, a fused backward, …)
    # an independent torch implementation for the tests, and its name for the catalog table
    torch_ref: Fn | None = None
    torch_name: str = ""
    kinks: Callable[..., tuple[float, ...]] = lambda **_: ()  # where f' does not exist
    vector: bool = False  # True for functions of a whole dim (softmax): use jvp/vjp
    vjp_fn: Fn | None = None  # vjp_fn(x, g, **params) = Jᵀ g, vector kinds only
    cross_check: Callable[[Mapping[str, Any]], str | None] | None = None  # joint validation
    # the properties that move with the parameters, at the bound values ({"output_range": …}):
    # ``properties`` is what they are at the defaults until bound
    properties_at: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None

    def __post_init__(self) -> None:
        bound = {p.name: p.default for p in self.params}
        unknown = set(self.values) - set(bound)
        if unknown:
            allowed = ", ".join(bound) or "none"
            raise ValueError(
                f"{self.name}: unknown parameter(s) {', '.join(sorted(unknown))}; "
                f"parameters: {allowed}"
            )
        owner = self.name
        for p in self.params:
            if p.name in self.values:
                bound[p.name] = p.validate(owner, self.values[p.name])
        if self.cross_check is not None and (problem := self.cross_check(bound)):
            raise ValueError(f"{owner}: {problem}")
        object.__setattr__(self, "values", MappingProxyType(bound))
        if self.properties_at is not None:
            moved = replace(self.properties, **self.properties_at(bound))
            object.__setattr__(self, "properties", moved)

    # -- parameters -------------------------------------------------------------------------

    def bind(self, **params: Any) -> ActivationSpec:
        """A copy with some parameters changed (validated; ``ValueError`` on a bad value)."""
        return replace(self, values={**self.values, **params})

    @property
    def trainable(self) -> tuple[str, ...]:
        """Names of the parameters the module trains, given the bound values."""
        if not self.values.get("learnable", True):
            return ()
        return tuple(p.name for p in self.params if p.trainable)

    @property
    def learnable(self) -> bool:
        return bool(self.trainable)

    # -- evaluation -------------------------------------------------------------------------

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """f(x) by the closed form, with the bound parameters."""
        return self.fn(x, **self.values)

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        """f'(x), elementwise, by the hand-derived formula (never autograd)."""
        if self.vector:
            raise TypeError(
                f"{self.name} is vector-valued; its derivative is a Jacobian: use jvp(x, v) "
                "or vjp(x, g)"
            )
        return self.grad(x, **self.values)

    def jvp(self, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Jacobian-vector product J(x) v."""
        if self.vector:
            return self.grad(x, v, **self.values)
        return self.grad(x, **self.values) * v

    def vjp(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """Vector-Jacobian product Jᵀ(x) g: what back-propagation needs."""
        if self.vector:
            assert self.vjp_fn is not None
            return self.vjp_fn(x, g, **self.values)
        return self.grad(x, **self.values) * g

    def kink_points(self) -> tuple[float, ...]:
        return tuple(self.kinks(**self.values))

    def module(self) -> torch.nn.Module:
        """A ``torch.nn.Module`` computing this activation (fastest kernel available)."""
        from ._module import Activation

        return Activation(self)

    def _shown(self) -> list[str]:
        """``param=value`` for the values that say which function this is: the non-default
        ones, and a formula's own parameters (their defaults are the values it was given)."""
        formula = getattr(self.fn, "expr", None) is not None
        return [
            f"{p.name}={self.values[p.name]!r}"
            for p in self.params
            if self.values[p.name] != p.default or (formula and p.name != "learnable")
        ]

    def describe(self) -> str:
        """``name(param=value, ...)`` with non-default values only (a formula: ``text; b=1.5``).

        >>> from actopt.activations import spec
        >>> spec("elu", alpha=0.5).describe(), spec("x*sigmoid(b*x)", b=1.5).describe()
        ('elu(alpha=0.5)', 'x*sigmoid(b*x); b=1.5')
        """
        shown = self._shown()
        if not shown:
            return self.name
        if getattr(self.fn, "expr", None) is not None:
            return f"{self.name}; {', '.join(shown)}"
        return f"{self.name}({', '.join(shown)})"

    def __repr__(self) -> str:
        """``ActivationSpec('elu', alpha=0.5)``: the name and the values that differ."""
        return f"ActivationSpec({', '.join([repr(self.name), *self._shown()])})"

    def __hash__(self) -> int:
        """Equal specs have equal names and values (hashable: a spec may key a dict)."""
        return hash((self.name, tuple(self.values.items())))
