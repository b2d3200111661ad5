"""Plain-data descriptions of activations for tables, JSON and the command line."""

from __future__ import annotations

from typing import Any

import torch

from ._registry import names, spec
from ._spec import ActivationSpec

__all__ = ["catalog_rows", "details"]

SAMPLE_X = (-3.0, -1.0, 0.0, 0.5, 1.0, 3.0)


def _learnable(s: ActivationSpec) -> str:
    if s.trainable:
        return "yes"
    return "option" if any(p.trainable for p in s.params) else "no"


def catalog_rows() -> list[dict[str, Any]]:
    """One row per registered activation: the catalog table."""
    rows = []
    for name in names():
        s = spec(name)
        p = s.properties
        rows.append(
            {
                "name": name,
                "f": s.text,
                "range": p.output_range,
                "monotonic": p.monotonic,
                "smooth": p.smooth,
                "zero_centered": p.zero_centered,
                "saturates": p.saturates,
                "learnable": _learnable(s),
                "torch": s.torch_name,
                "aliases": list(s.aliases),
            }
        )
    return rows


def details(s: ActivationSpec) -> dict[str, Any]:
    """Everything about one activation, with f and f' evaluated at a few points."""
    if s.vector:
        x = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
        samples = {
            "x": x[0].tolist(),
            "f(x)": s.forward(x)[0].tolist(),
            "J(x) e_0": s.jvp(x, torch.tensor([[1.0, 0.0, 0.0]], dtype=x.dtype))[0].tolist(),
        }
    else:
        x = torch.tensor(SAMPLE_X, dtype=torch.float64)
        samples = {
            "x": x.tolist(),
            "f(x)": s.forward(x).tolist(),
            "f'(x)": s.derivative(x).tolist(),
        }
    return {
        "name": s.name,
        "aliases": list(s.aliases),
        "summary": s.summary,
        "reference": s.reference,
        "f": s.text,
        "df": s.text_grad,
        "latex": s.latex,
        "latex_df": s.latex_grad,
        "params": [
            {"name": p.name, "value": s.values[p.name], "valid": p.valid_range, "doc": p.doc}
            for p in s.params
        ],
        "properties": dict(vars(s.properties)),
        "learnable": _learnable(s),
        "kinks": list(s.kink_points()),
        "torch": s.torch_name,
        "samples": samples,
    }
