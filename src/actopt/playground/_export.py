"""A playground model as the training engine sees it: a ``RunSpec``, an ``actopt train``
command line, and a run saved to a bench store.

The trainer takes the engine's steps (see :mod:`._trainer`), so the command trains the very same
numbers, as long as the configuration is one ``actopt train`` can say. What it cannot say (the
extra input features, L1/L2 penalties, layers of different widths, the regression sets) is named,
never silently dropped.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from ..train import RunSpec, run
from ._config import Config
from ._data import split_sizes

__all__ = ["NotExpressible", "command", "save_run", "to_runspec"]


class NotExpressible(ValueError):
    """The configuration uses something ``actopt train`` has no flag for."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("actopt train cannot express: " + "; ".join(reasons))
        self.reasons = reasons


def to_runspec(cfg: Config, which: str = "a", steps: int = 0) -> RunSpec:
    """Model ``which`` of ``cfg`` trained for ``steps`` steps (at least one), as a RunSpec."""
    m = cfg.models()[which]
    d = cfg.data
    reasons = []
    if d.name in ("plane", "gauss", "sine"):
        reasons.append(f"the regression set {d.name!r} (actopt train has the classification toys)")
    if m.features != ("x1", "x2"):
        reasons.append(
            "input features other than x1, x2 (actopt train feeds the points as they are)"
        )
    if m.reg != "none" and m.reg_rate:
        reasons.append(f"the {m.reg.upper()} penalty (actopt train has weight_decay instead)")
    if len({la.units for la in m.layers}) > 1:
        reasons.append("hidden layers of different widths")
    if len({tuple(sorted(la.params.items())) for la in m.layers}) > 1:
        reasons.append("different activation parameters per layer")
    if reasons:
        raise NotExpressible(reasons)
    n_train, n_test = split_sizes(d.points, d.train_ratio)
    acts = [la.act for la in m.layers]
    opt_defaults = _opt_defaults(m.opt)
    options = {"n": n_train, "n_test": n_test, "noise": d.noise, "seed": d.seed}
    fields: dict[str, Any] = dict(
        data=d.name, data_options=options,
        val_fraction=0.0, model="mlp" if m.layers else "linear", init=m.init, dropout=m.dropout,
        opt=m.opt, lr=m.hyper["lr"],
        opt_params={k: v for k, v in m.hyper.items() if k != "lr" and v != opt_defaults[k]},
        batch_size=m.batch, epochs=1, steps=max(1, steps), loss=m.loss, seed=cfg.seed,
        device="cpu", diagnostics=True,
    )  # fmt: skip
    if m.layers:
        fields.update(depth=len(acts), width=m.layers[0].units,
                      act=acts[0] if len(set(acts)) == 1 else tuple(acts),
                      act_params=dict(m.layers[0].params))  # fmt: skip
    try:
        return RunSpec(**fields)
    except ValueError as e:
        raise NotExpressible([str(e)]) from None


def _opt_defaults(name: str) -> dict[str, Any]:
    from .. import optim

    return optim.spec(name).defaults


def _same(value: Any, default: Any) -> bool:
    as_tuple = lambda v: tuple(v) if isinstance(v, (tuple, list)) else v  # noqa: E731
    return as_tuple(value) == as_tuple(default)


def _fmt(v: Any) -> str:
    return repr(v) if isinstance(v, float) else str(v)


def command(spec: RunSpec) -> tuple[str, list[str]]:
    """``actopt train …`` for ``spec``, and notes on anything the flags cannot carry."""
    notes: list[str] = []
    p = ["actopt", "train", "--data", spec.data]
    for k, v in spec.data_options.items():
        p += ["-d", f"{k}={_fmt(v)}"]
    p += ["--val-fraction", "0", "--model", spec.model]
    if spec.model == "mlp":
        act = spec.act if isinstance(spec.act, str) else ",".join(spec.act)
        p += ["--depth", str(spec.depth), "--width", str(spec.width), "--act", act]
        for k, v in spec.act_params.items():
            p += ["-p", f"{k}={_fmt(v)}"]
    p += ["--init", spec.init]
    if spec.dropout:
        p += ["--dropout", _fmt(spec.dropout)]
    p += ["--opt", spec.opt, "--lr", _fmt(spec.lr)]
    defaults = _opt_defaults(spec.opt)
    for k, v in spec.opt_params.items():
        if _same(v, defaults.get(k)):
            continue  # the canonical spec spells out every default; the command need not
        if isinstance(v, (tuple, list)):
            notes.append(f"{k}={tuple(v)} has no command-line form; 'save' keeps it")
            continue
        p += ["-o", f"{k}={_fmt(v)}"]
    p += ["--batch-size", str(spec.batch_size), "--steps", str(spec.steps), "--loss", spec.loss,
          "--seed", str(spec.seed), "--device", "cpu", "--diagnostics"]  # fmt: skip
    return " ".join(shlex.quote(x) for x in p), notes


def save_run(spec: RunSpec, store_dir: str | Path) -> dict[str, Any]:
    """Train ``spec`` with the engine and write it to the bench store in ``store_dir``."""
    from ..bench import Store

    result = run(spec)
    with Store(store_dir) as store:
        store.put(result)
        path = str(store.path)
    final = result.final
    return {"path": path, "run_id": result.run_id, "status": result.status,
            "test_acc": final.get("test_acc"), "test_loss": final.get("test_loss")}  # fmt: skip
