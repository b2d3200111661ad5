"""Train the same small model with several activations over seeds, for a quick comparison."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from ..train import RunSpec, load_data, run

__all__ = ["compare_activations"]


def compare_activations(
    acts: Sequence[str], *, seeds: Sequence[int] = (0, 1, 2), act_params: dict | None = None,
    **fields: Any,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Test accuracy per activation (mean, std, per seed) for one spec varied only in ``act``.

    Default: an MLP (2 × 256) on MNIST-1D with Adam 1e-2 for 20 epochs; ``fields`` override
    any RunSpec field. ``act_params`` apply to the first activation (the candidate) only.
    """
    base = RunSpec(**{"data": "mnist1d", "opt": "adam", "lr": 1e-2, "epochs": 20, **fields})
    data = load_data(base)
    out: dict[str, dict[str, Any]] = {}
    for i, act in enumerate(acts):
        spec = base.replace(act=act, act_params=dict(act_params or {}) if i == 0 else {})
        accs, statuses = [], []
        for seed in seeds:
            r = run(spec.replace(seed=seed), dataset=data)
            statuses.append(r.status)
            accs.append(r.final.get("test_acc", float("nan")) if r.status == "ok" else float("nan"))
        ok = [a for a in accs if a == a]
        out[act] = {
            "test_acc_mean": statistics.fmean(ok) if ok else None,
            "test_acc_std": statistics.stdev(ok) if len(ok) > 1 else 0.0,
            "test_acc": accs,
            "status": statuses,
        }
    return out
