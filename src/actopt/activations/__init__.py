"""The activation catalog: every classic activation as a spec, a closed form and a module.

>>> import actopt.activations as A
>>> A.names()[:4]
['identity', 'step', 'sigmoid', 'hard_sigmoid']
>>> A.spec("elu").text_grad
'1 if x > 0 else alpha * exp(x)'
>>> layer = A.get("swish", learnable=True)   # a torch.nn.Module with a trained β
>>> A.spec("x*tanh(softplus(x))").text_grad     # any formula, parsed and differentiated
'x*(1 - tanh(softplus(x))**2)*sigmoid(x) + tanh(softplus(x))'

Is a formula a good activation? ``actopt.audit`` (the layer above) judges it.
"""

# imported for their effect: the families register their specs, _persist makes specs picklable
from . import _classic, _persist, _rectifiers, _shrink, _smooth, _softmax  # noqa: F401
from ._describe import catalog_rows, details
from ._exact import overflow_safe
from ._formula import FormulaError, from_formula
from ._module import Activation, SpecFunction
from ._registry import get, names, register, resolve, spec
from ._spec import ActivationSpec, Fast, Param, Properties

__all__ = [
    "Activation",
    "ActivationSpec",
    "Fast",
    "FormulaError",
    "Param",
    "Properties",
    "SpecFunction",
    "catalog_rows",
    "details",
    "from_formula",
    "get",
    "names",
    "overflow_safe",
    "register",
    "resolve",
    "spec",
]
