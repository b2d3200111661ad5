"""Specs pickle by recipe: a spec travels as how to rebuild it, never as its functions.

An :class:`ActivationSpec` holds closed forms (lambdas, compiled formula closures) that pickle
cannot store by reference. Registered with :mod:`copyreg`, a spec reduces to its catalog name
or its formula text plus its bound values, and is rebuilt from the catalog or by
:func:`from_formula` when loaded. ``copy.deepcopy``, ``pickle``, ``torch.save(model)`` and
multiprocessing's ``spawn`` all take this path, so an :class:`Activation` module (whose tensors
pickle as usual) survives each of them with its trained parameters.

A spec that is neither registered nor a formula cannot be rebuilt elsewhere and is refused with
``pickle.PicklingError``; a custom activation pickles once registered, and loads in any process
that registers it again (at import of the module defining it).

>>> import pickle, actopt.activations as A
>>> pickle.loads(pickle.dumps(A.spec("elu", alpha=0.5))).describe()
'elu(alpha=0.5)'
"""

from __future__ import annotations

import copyreg
import pickle
from typing import Any

from ._catalog import CATALOG
from ._formula import FormulaError, from_formula
from ._spec import ActivationSpec

__all__: list[str] = []


def _from_catalog(name: str, values: dict[str, Any]) -> ActivationSpec:
    return CATALOG[name].bind(**values)


def _from_formula(text: str, values: dict[str, Any]) -> ActivationSpec:
    return from_formula(text, **values)


def _registered(s: ActivationSpec) -> bool:
    try:
        return CATALOG[s.name].fn is s.fn  # bind keeps fn: the same entry, not a namesake
    except KeyError:
        return False


def _is_formula(s: ActivationSpec, values: dict[str, Any]) -> bool:
    try:
        return _from_formula(s.name, values).text == s.text
    except (FormulaError, ValueError):
        return False


def _reduce(s: ActivationSpec) -> tuple[Any, tuple[str, dict[str, Any]]]:
    values = dict(s.values)
    if _registered(s):
        return _from_catalog, (s.name, values)
    if _is_formula(s, values):
        return _from_formula, (s.name, values)
    raise pickle.PicklingError(
        f"activation {s.name!r} is neither registered nor a formula, so it cannot be rebuilt "
        "when loaded: register it with actopt.activations.register (in every process that "
        "loads it)"
    )


copyreg.pickle(ActivationSpec, _reduce)
