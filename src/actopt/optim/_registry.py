"""The optimizer registry: one frozen spec per optimizer, registered next to its class."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from .._numbers import as_finite
from .._registry import Registry

__all__ = ["OptimizerSpec", "catalog_rows", "get", "names", "register", "registered", "spec"]

# arguments that choose how an optimizer runs, not what it computes: accepted, never filled in
_PATHS = ("maximize", "foreach", "fused")


@dataclass(frozen=True, kw_only=True)
class OptimizerSpec:
    """An optimizer: its class, update rule, the state it keeps and what it is checked against.

    The class describes itself (``rule``, ``state_names``, ``reference``, ``adaptive``), and
    ``defaults`` (every hyper-parameter's default) and ``fused`` (whether it takes
    ``fused=True``) are read off its constructor: the spec carries them all, so nothing can
    drift from the class. :meth:`validate` checks hyper-parameters without building anything;
    :meth:`make` is the one place an optimizer is built from its name.
    """

    name: str
    cls: type[torch.optim.Optimizer]
    summary: str
    # the torch.optim class and arguments that compute the same update (parity tests); None
    # where torch.optim has none
    torch_equivalent: tuple[type, dict[str, Any]] | None
    aliases: tuple[str, ...] = ()
    rule: str = field(init=False)  # the update in one line, for the catalog
    state_names: tuple[str, ...] = field(init=False)  # per parameter
    reference: str = field(init=False)
    adaptive: bool = field(init=False)  # an effective per-coordinate lr (AdaGrad's η/(√s+ε), …)
    defaults: dict[str, Any] = field(init=False)
    fused: bool = field(init=False)

    def __post_init__(self) -> None:
        params = inspect.signature(self.cls.__init__).parameters
        found = {
            k: p.default
            for k, p in params.items()
            if p.default is not inspect.Parameter.empty and k not in _PATHS
        }
        object.__setattr__(self, "defaults", found)
        object.__setattr__(self, "fused", "fused" in params)
        for name, default in (
            ("rule", ""),
            ("state_names", ()),
            ("reference", ""),
            ("adaptive", False),
        ):
            object.__setattr__(self, name, getattr(self.cls, name, default))

    @property
    def memory(self) -> str:
        """Optimizer state as a multiple of the parameter memory (optional buffers in [ ])."""
        sized = [s for s in self.state_names if not s.endswith("(scalar)")]
        always = sum(1 for s in sized if not s.startswith("["))
        optional = len(sized) - always
        text = f"{always}×" if always else "0"
        return text + (f" (+{optional}× optional)" if optional else "")

    @property
    def paths(self) -> list[str]:
        """How it can run: single-tensor and foreach always, fused where it has a kernel."""
        return ["single-tensor", "foreach"] + (["fused"] if self.fused else [])

    @property
    def update(self) -> str:
        return inspect.cleandoc(self.cls.__doc__ or "")

    def validate(self, hyper: Mapping[str, Any]) -> dict[str, Any]:
        """``hyper`` checked and completed, without building an optimizer.

        Unknown names and bad values raise ``ValueError`` (the same checks, and messages, as
        the constructor); ``lr=None`` means the default. Returns every hyper-parameter with the
        defaults filled in, integers given for float ones as floats (``lr=1`` is ``lr=1.0``).

        >>> import actopt.optim as O
        >>> O.spec("momentum").validate({"lr": 1})
        {'lr': 1.0, 'momentum': 0.9, 'dampening': 0.0, 'weight_decay': 0.0}
        """
        allowed = [*self.defaults, *(p for p in _PATHS if self._takes(p))]
        unknown = sorted(set(hyper) - set(allowed))
        if unknown:
            raise ValueError(
                f"unknown hyper-parameter(s) for {self.name}: {', '.join(unknown)}; "
                f"allowed: {', '.join(allowed)}"
            )
        full = dict(self.defaults)
        for key, value in hyper.items():
            if key == "lr" and value is None:
                continue
            default = self.defaults.get(key)
            as_float = isinstance(default, float) and as_finite(value) is not None
            full[key] = float(value) if as_float else value  # else: the checks refuse it
        self.cls.check_hyper(full)
        return full

    def make(self, params, **hyper: Any) -> torch.optim.Optimizer:
        """The optimizer over ``params`` (``lr=None``: the default); the constructor checks
        ``hyper`` as :meth:`validate` does.

        >>> import torch, actopt.optim as O
        >>> O.spec("adam").make([torch.nn.Parameter(torch.zeros(2))], lr=None).defaults["lr"]
        0.001
        """
        if "lr" in hyper and hyper["lr"] is None:
            del hyper["lr"]
        return self.cls(params, **hyper)

    def _takes(self, argument: str) -> bool:
        return argument in inspect.signature(self.cls.__init__).parameters


_REGISTRY: Registry[OptimizerSpec] = Registry("optimizer", "actopt.optim.names()")


def register(s: OptimizerSpec) -> OptimizerSpec:
    """Add a spec under its name and aliases (each optimizer module registers its own)."""
    return _REGISTRY.register(s.name, s.aliases, s)


def registered(
    name: str,
    summary: str,
    torch_equivalent: tuple[type, dict[str, Any]] | None,
    *,
    aliases: tuple[str, ...] = (),
) -> Callable[[type[torch.optim.Optimizer]], type[torch.optim.Optimizer]]:
    """A class decorator: register the class it decorates as ``name`` (next to its class).

    >>> @registered("mysgd", "My SGD.", (torch.optim.SGD, {}))     # doctest: +SKIP
    ... class MySGD(ActoptOptimizer): ...
    """

    def decorate(cls: type[torch.optim.Optimizer]) -> type[torch.optim.Optimizer]:
        register(OptimizerSpec(name=name, cls=cls, summary=summary,
                               torch_equivalent=torch_equivalent, aliases=aliases))  # fmt: skip
        return cls

    return decorate


def names(aliases: bool = False) -> list[str]:
    """Registered optimizer names, in catalog order."""
    return _REGISTRY.names(aliases)


def spec(name: str) -> OptimizerSpec:
    """The spec for ``name`` (or an alias); ``KeyError`` listing the closest names."""
    return _REGISTRY[name]


def get(name: str) -> type[torch.optim.Optimizer]:
    """The optimizer class registered as ``name``: ``get("nag")(model.parameters(), lr=0.1)``."""
    return spec(name).cls


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def catalog_rows() -> list[dict[str, Any]]:
    """One row per optimizer: the ``actopt optimizers`` table."""
    return [
        {
            "name": s.name,
            "rule": s.rule,
            "defaults": {k: _fmt(v) for k, v in s.defaults.items()},
            "state": list(s.state_names),
            "memory": s.memory,
            "paths": s.paths,
            "torch": s.torch_equivalent[0].__name__ if s.torch_equivalent else "",
            "reference": s.reference,
        }
        for s in (_REGISTRY[n] for n in names())
    ]
