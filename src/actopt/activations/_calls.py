"""Catalog activations as functions inside formulas: ``relu(x) + 0.1*x``, ``gelu(2*x)``.

Each call becomes a sympy function carrying the catalog spec (with its parameters bound). Its
derivative is a second sympy function that evaluates the catalog's hand-derived f', so sympy's
chain rule gives ``d/dx relu(2*x) = 2*relu'(2*x)`` and the formula's backward uses the same f'
the catalog is tested with. Vector-valued entries (softmax) act on a whole dim and are refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar

import sympy as sp
import torch

from ._catalog import CATALOG
from ._spec import ActivationSpec

__all__ = ["CatalogCall", "catalog_function", "catalog_names", "catalog_op", "is_catalog_name"]


class _Catalog(sp.Function):
    """f or f' of one bound catalog spec, of one argument (subclassed per spec)."""

    nargs = 1
    spec: ClassVar[ActivationSpec]
    mark: ClassVar[str] = ""  # "'" on the derivative

    def _eval_evalf(self, prec: int) -> None:
        return None  # stays symbolic, even of a number: torch evaluates it, like any call

    def _sympystr(self, printer) -> str:
        inner = [printer._print(self.args[0])]
        inner += [f"{k}={v!r}" for k, v in _changed(self.spec)]
        return f"{self.spec.name}{self.mark}({', '.join(inner)})"

    def _latex(self, printer, exp: str | None = None) -> str:
        """``exp``: sympy's LaTeX printer passes a power's exponent to the function it raises."""
        name = self.spec.name.replace("_", r"\_")
        args = [printer._print(self.args[0])]
        for k, v in _changed(self.spec):
            value = rf"\text{{{v}}}" if isinstance(v, str) else str(v)
            args.append(rf"\text{{{k}}}={value}".replace("_", r"\_"))
        inner = r";\ ".join(args)
        call = rf"\operatorname{{{name}}}{self.mark}\left({inner}\right)"
        return call if exp is None else rf"\left({call}\right)^{{{exp}}}"


class CatalogCall(_Catalog):
    """A catalog activation applied inside a formula; ``fdiff`` is its hand-derived f'."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return _derivative(type(self))(self.args[0])


class _CatalogGrad(_Catalog):
    mark = "'"


def _changed(s: ActivationSpec) -> list[tuple[str, Any]]:
    return [(p.name, s.values[p.name]) for p in s.params if s.values[p.name] != p.default]


def catalog_names() -> list[str]:
    """Names (and aliases) a formula may call."""
    return [n for n in CATALOG.names(aliases=True) if not CATALOG[n].vector]


def is_catalog_name(name: str) -> bool:
    """Whether ``name`` (or its case/dash variant) is registered, vector-valued or not."""
    try:
        CATALOG.resolve(name)
    except KeyError:
        return False
    return True


@functools.lru_cache(maxsize=256)
def _function(name: str, items: tuple[tuple[str, Any], ...]) -> type[CatalogCall]:
    s = CATALOG[name].bind(**dict(items))
    # one class per (name, values), so equal calls are equal sympy terms and cancel
    return type(s.describe(), (CatalogCall,), {"spec": s})


@functools.lru_cache(maxsize=256)
def _derivative(call: type[CatalogCall]) -> type[_CatalogGrad]:
    return type(call.__name__ + "'", (_CatalogGrad,), {"spec": call.spec})


def catalog_function(name: str, values: dict[str, Any]) -> type[CatalogCall]:
    """The sympy function for catalog activation ``name`` with ``values`` bound.

    ``KeyError`` for an unknown name, ``ValueError`` for a bad parameter or a vector-valued one.
    """
    canonical = CATALOG.resolve(name)
    if CATALOG[canonical].vector:
        raise ValueError(
            f"{canonical} is vector-valued (it normalises over a whole dim); a formula is "
            "element-wise, so it cannot call it"
        )
    return _function(canonical, tuple(sorted(values.items())))


def catalog_op(e: sp.Basic) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """The torch function of a catalog call or its derivative; None for any other node."""
    if isinstance(e, _CatalogGrad):
        return e.spec.derivative
    if isinstance(e, CatalogCall):
        return e.spec.forward
    return None
