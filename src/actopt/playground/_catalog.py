"""What the page is told when it connects (every name it may choose, every limit) and the
pictures of one activation: f and f′ over [−5, 5]."""

from __future__ import annotations

from typing import Any

import torch

from .. import __version__, activations, optim
from ..activations import ActivationSpec
from ._config import INITS, LIMITS, LOSSES, REGULARIZERS, config_to_json
from ._data import DATASETS, FEATURES
from ._landscape import landscape_catalog
from ._protocol import MAX_LANDSCAPE_RUNS, MAX_MESSAGE_BYTES
from ._session import default_config

__all__ = ["act_plot", "hello"]

PLOT_X = (-5.0, 5.0)
PLOT_POINTS = 201


def _json(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def hello(store_dir: str) -> dict[str, Any]:
    acts = []
    for name in activations.names():
        s = activations.spec(name)
        if s.vector:  # softmax acts on a whole layer: no picture per neuron
            continue
        acts.append({
            "name": name, "f": s.text, "df": s.text_grad, "summary": s.summary,
            "params": [{"name": p.name, "default": _json(p.default), "range": p.valid_range,
                        "doc": p.doc} for p in s.params],
        })  # fmt: skip
    opts = [
        {"name": n, "summary": optim.spec(n).summary, "rule": optim.spec(n).rule,
         "defaults": {k: _json(v) for k, v in optim.spec(n).defaults.items()}}
        for n in optim.names()
    ]  # fmt: skip
    return {
        "type": "hello",
        "version": __version__,
        "activations": acts,
        "optimizers": opts,
        "datasets": [vars(d) for d in DATASETS.values()],
        "features": list(FEATURES),
        "inits": list(INITS),
        "losses": list(LOSSES),
        "regularizers": list(REGULARIZERS),
        "limits": {
            **LIMITS,
            "message_bytes": MAX_MESSAGE_BYTES,
            "landscape_runs": MAX_LANDSCAPE_RUNS,
        },
        "landscapes": landscape_catalog(),
        "default": config_to_json(default_config()),
        "store": store_dir,
    }


def act_plot(spec: ActivationSpec) -> dict[str, Any]:
    """f and its derivative (the hand-derived one, or sympy's for a formula) at 201 points."""
    x = torch.linspace(*PLOT_X, PLOT_POINTS, dtype=torch.float64)
    with torch.no_grad():
        f, df = spec.forward(x), spec.derivative(x)
    return {"name": spec.name, "f_text": spec.text, "df_text": spec.text_grad,
            "x": x.tolist(), "f": f.tolist(), "df": df.tolist()}  # fmt: skip
