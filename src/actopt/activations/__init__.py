"""The activation catalog: every classic activation as a spec, a closed form and a module.

>>> import actopt.activations as A
>>> A.names()[:4]
['identity', 'step', 'sigmoid', 'hard_sigmoid']
>>> A.spec("elu").text_grad
'1 if x > 0 else alpha * exp(x)'
>>> layer = A.get("swish", learnable=True)   # a torch.nn.Module with a trained β
>>> A.audit("sign(x)*sqrt(abs(x))").verdict       # any formula, parsed and differentiated
'bad'
"""

# imported for their effect: the families register their specs, _persist makes specs picklable
from . import _classic, _persist, _rectifiers, _shrink, _smooth, _softmax  # noqa: F401
from ._audit import AuditReport, Check, audit
from ._describe import catalog_rows, details
from ._formula import FormulaError, from_formula
from ._gallery import plot_activation, write_gallery
from ._module import Activation, SpecFunction
from ._registry import get, names, register, resolve, spec
from ._spec import ActivationSpec, Param, Properties

__all__ = [
    "Activation",
    "ActivationSpec",
    "AuditReport",
    "Check",
    "FormulaError",
    "Param",
    "Properties",
    "SpecFunction",
    "audit",
    "catalog_rows",
    "details",
    "from_formula",
    "get",
    "names",
    "plot_activation",
    "register",
    "resolve",
    "spec",
    "write_gallery",
]
