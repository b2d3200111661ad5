"""Claims 20–21, momentum: it speeds descent along ravines and damps oscillation across them,
and Nesterov's look-ahead improves on it."""

from __future__ import annotations

import math
from itertools import pairwise

from ._claim import Claim, Evidence, Experiment, Number, Part, Setting, Verdict, measure, png
from ._claim import register as _register
from ._common import M1D, figure, seeded, spec
from ._measure import Context
from ._stats import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED, combine, decide, mean_ci, ratio_ci

__all__: list[str] = []

OPT = "optimizers"
_KAPPAS = (10.0, 100.0, 1000.0)
_NET_LRS = (0.01, 0.1)


def _path(function: str, params: dict, opt: str, lr: float, steps: int):
    from .. import landscapes

    return landscapes.run_optimizer(
        landscapes.function(function, **params), opt, lr=lr, steps=steps
    )


def _summary(t, steps: int, angle: float | None) -> dict:
    """Steps to f − f* < 1e-3 (steps + 1: never), loss increases, and the distance travelled
    across the valley in the first 200 steps over the starting offset (Σ|Δv| / |v₀|)."""
    loss = t.losses
    out = {
        "lr": t.lr,
        "diverged": t.diverged,
        "steps_to_tol": t.steps_to_loss_tol if t.steps_to_loss_tol is not None else steps + 1,
        "increases": sum(b > a for a, b in pairwise(loss)),
        "curve": [round(v, 6) for v in loss[: min(len(loss), 400)]],
    }
    if angle is not None:  # v: the coordinate across the ravine's floor
        c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        v = [-s * x + c * y for x, y in t.points[:201]]
        out["across"] = sum(abs(b - a) for a, b in pairwise(v)) / abs(v[0])
    return out


def _tuned(ctx: Context, function: str, params: dict, opt: str, steps: int) -> dict:
    """The lr of the landscapes' grid that reaches the tolerance in the fewest steps (then the
    lowest final loss); diverged runs never win."""
    from .. import landscapes

    angle = 25.0 if function == "ravine" else None
    runs = [_path(function, params, opt, lr, steps) for lr in landscapes.DEFAULT_LR_GRID]
    best = min(
        (t for t in runs if not t.diverged),
        key=lambda t: (
            t.steps_to_loss_tol if t.steps_to_loss_tol is not None else math.inf,
            t.final_loss,
        ),
    )
    return _summary(best, steps, angle)


def _oscillation(ctx: Context, kappa: float, steps: int) -> dict:
    """How far SGD (at its best lr) and momentum (at that same lr) travel across the ravine's
    floor in their first 200 steps, over the starting offset."""
    params = {"kappa": kappa, "angle": 25.0}
    sgd = _tuned(ctx, "ravine", params, "sgd", steps)
    mom = _summary(_path("ravine", params, "momentum", sgd["lr"], steps), steps, 25.0)
    return {"lr": sgd["lr"], "sgd": sgd["across"], "momentum": mom["across"]}


def _net_specs(s: Setting) -> dict[tuple[str, float], list]:
    base = spec(M1D, epochs=s.pick(2, 5))
    return {
        (o, lr): seeded(base.replace(opt=o, lr=lr), s.seeds)
        for o in ("sgd", "momentum", "nag")
        for lr in _NET_LRS
    }


def _or_inf(v: float) -> float:
    return math.inf if math.isnan(v) else v


def _best_of(ev: Evidence, groups: dict, opt: str) -> tuple[float, list[float]]:
    """An optimizer's lr with the lowest mean train loss, and that lr's losses per seed."""
    losses = {lr: ev.final(groups[(opt, lr)], "train_loss") for lr in _NET_LRS}
    lr = min(_NET_LRS, key=lambda x: _or_inf(mean_ci(losses[x]).mean))
    return lr, losses[lr]


def _net_part(ev: Evidence, slow: str, fast: str) -> tuple[Part, Number]:
    groups = _net_specs(ev.setting)
    (lr_s, ls), (lr_f, lf) = _best_of(ev, groups, slow), _best_of(ev, groups, fast)
    r = ratio_ci(ls, lf)
    return (
        Part(
            f"MNIST-1D: {fast} ahead of {slow}",
            decide(r, above=1.0, margin=0.05),
            f"train loss {slow} (lr {lr_s:g}) / {fast} (lr {lr_f:g}) {Number('', r, 'x').text()}",
        ),
        Number(f"MNIST-1D train loss {slow} / {fast}", r, "x"),
    )


def _fewer(a: float, b: float) -> str:
    return SUPPORTED if a < b else NOT_SUPPORTED


# -- 20. momentum-accelerates ------------------------------------------------------------------


def _mom_measurements(s: Setting) -> dict:
    steps = s.pick(300, 1000)
    out = {}
    for k in _KAPPAS:
        p = {"kappa": k, "angle": 25.0}
        for opt in ("sgd", "momentum"):
            out[(k, opt)] = measure(_tuned, function="ravine", params=p, opt=opt, steps=steps)
        out[(k, "flips")] = measure(_oscillation, kappa=k, steps=steps)
    return out


def _mom_experiment(s: Setting) -> Experiment:
    ms = _mom_measurements(s)
    steps = next(iter(ms.values())).params["steps"]
    groups = _net_specs(s)
    setup = (
        f"The ravine landscape (condition number κ = {', '.join(f'{k:g}' for k in _KAPPAS)}) "
        f"with SGD and momentum (μ 0.9), each at the lr of the landscapes' grid that reaches "
        f"f − f* < 1e-3 first ({steps} steps at most); the across-valley travel of both "
        f"at SGD's lr (the distance travelled across the valley in the first 200 steps over the "
        f"starting offset); MNIST-1D 2 × 128 MLP, each at its better lr of "
        f"{', '.join(map(str, _NET_LRS))}, {groups[('sgd', 0.01)][0].epochs} epochs, "
        f"{s.seeds} seeds."
    )
    runs = [x for (o, _), g in groups.items() if o != "nag" for x in g]
    return Experiment(setup, runs, list(ms.values()))


def _mom_analyse(ev: Evidence) -> Verdict:
    ms = _mom_measurements(ev.setting)
    steps = next(iter(ms.values())).params["steps"]
    t = {k: ev.value(m) for k, m in ms.items()}
    speed, flips, words, flip_words = [], [], [], []
    for k in _KAPPAS:
        a, b = t[(k, "sgd")], t[(k, "momentum")]
        speed.append(_fewer(b["steps_to_tol"], a["steps_to_tol"]))
        words.append(f"κ {k:g}: {a['steps_to_tol']} vs {b['steps_to_tol']}")
        osc = t[(k, "flips")]
        flips.append(_fewer(osc["momentum"], osc["sgd"]))
        flip_words.append(f"κ {k:g}: {osc['sgd']:.3g} vs {osc['momentum']:.3g}")
    net_part, net_number = _net_part(ev, "sgd", "momentum")
    parts = [
        Part(
            "fewer steps on the ravine",
            combine(speed),
            "steps to tolerance SGD vs momentum (" + "; ".join(words) + ")",
        ),
        Part(
            "less oscillation across it",
            combine(flips),
            "distance across the valley / start offset, SGD vs momentum at SGD's lr ("
            + "; ".join(flip_words)
            + ")",
        ),
        net_part,
    ]
    fig, (ax1, ax2) = figure(9, 3.3, cols=2)
    ax1.plot(_KAPPAS, [t[(k, "sgd")]["steps_to_tol"] for k in _KAPPAS], "o-", label="sgd")
    ax1.plot(_KAPPAS, [t[(k, "momentum")]["steps_to_tol"] for k in _KAPPAS], "o-", label="momentum")
    ax1.axhline(steps + 1, color="0.6", ls=":", lw=1)
    ax1.set(
        xscale="log",
        yscale="log",
        xlabel="condition number κ",
        ylabel=f"steps to tolerance ({steps + 1}: never)",
    )
    ax1.legend(fontsize=8)
    for opt in ("sgd", "momentum"):
        ax2.plot(t[(100.0, opt)]["curve"], label=f"{opt} (lr {t[(100.0, opt)]['lr']:.2g})")
    ax2.set(yscale="log", xlabel="step", ylabel="f (ravine, κ 100)")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    ratio = t[(_KAPPAS[-1], "sgd")]["steps_to_tol"] / t[(_KAPPAS[-1], "momentum")]["steps_to_tol"]
    return Verdict(
        combine(p.verdict for p in parts),
        f"At κ {_KAPPAS[-1]:g} momentum needs {ratio:.3g}× fewer steps than SGD (each at its "
        f"best lr); on MNIST-1D SGD's train loss is {net_number.text()} momentum's.",
        [net_number, Number(f"steps SGD / momentum at κ {_KAPPAS[-1]:g}", mean_ci([ratio]), "x")],
        parts,
        png(fig),
    )


_register(
    Claim(
        "momentum-accelerates",
        20,
        OPT,
        "Momentum speeds up descent where the curvature differs by direction and damps the "
        "oscillation across a ravine.",
        "textbook",
        "Ravine: at every κ momentum reaches f − f* < 1e-3 in fewer steps than SGD (each at its "
        "best lr); at SGD's lr momentum's path travels less far across the valley in its first 200 "
        "steps (Σ|Δv| over the starting offset; each κ a yes or a no, combined). MNIST-1D: the "
        "train-loss ratio SGD / momentum (each at its better lr) has a 95% CI above 1 (below "
        "1.05: against). Three parts, combined.",
        _mom_experiment,
        _mom_analyse,
    )
)

# -- 21. nesterov-improves-momentum ------------------------------------------------------------

_NAG_FUNCTIONS = {
    **{f"ravine κ {k:g}": ("ravine", {"kappa": k, "angle": 25.0}) for k in _KAPPAS},
    "rosenbrock": ("rosenbrock", {}),
}


def _nag_measurements(s: Setting) -> dict:
    steps = s.pick(300, 1000)
    return {
        (name, opt): measure(_tuned, function=f, params=p, opt=opt, steps=steps)
        for name, (f, p) in _NAG_FUNCTIONS.items()
        for opt in ("momentum", "nag")
    }


def _nag_experiment(s: Setting) -> Experiment:
    ms = _nag_measurements(s)
    groups = _net_specs(s)
    steps = next(iter(ms.values())).params["steps"]
    setup = (
        f"Momentum and NAG (μ 0.9) on {', '.join(_NAG_FUNCTIONS)}, each at the lr of the "
        f"landscapes' grid that reaches f − f* < 1e-3 first ({steps} steps at most); "
        f"overshoot = steps where the loss rises. MNIST-1D 2 × 128 MLP, each at its better "
        f"lr of {', '.join(map(str, _NET_LRS))}, {groups[('nag', 0.01)][0].epochs} epochs, "
        f"{s.seeds} seeds."
    )
    runs = [x for (o, _), g in groups.items() if o != "sgd" for x in g]
    return Experiment(setup, runs, list(ms.values()))


def _nag_analyse(ev: Evidence) -> Verdict:
    ms = _nag_measurements(ev.setting)
    t = {k: ev.value(m) for k, m in ms.items()}
    faster, calmer, words = [], [], []
    for name in _NAG_FUNCTIONS:
        m, n = t[(name, "momentum")], t[(name, "nag")]
        faster.append(_fewer(n["steps_to_tol"], m["steps_to_tol"]))
        calmer.append(_fewer(n["increases"], m["increases"]))
        words.append(
            f"{name}: steps {m['steps_to_tol']} vs {n['steps_to_tol']}, rises "
            f"{m['increases']} vs {n['increases']}"
        )
    net_part, net_number = _net_part(ev, "momentum", "nag")
    parts = [
        Part("fewer steps", combine(faster), "; ".join(words)),
        Part("less overshoot", combine(calmer), "loss rises, momentum vs NAG"),
        net_part,
    ]
    fig, axes = figure(10, 3.0, cols=len(_NAG_FUNCTIONS))
    for ax, name in zip(axes, _NAG_FUNCTIONS, strict=True):
        for opt in ("momentum", "nag"):
            ax.plot(t[(name, opt)]["curve"], label=f"{opt} (lr {t[(name, opt)]['lr']:.2g})")
        ax.set(yscale="log", title=name, xlabel="step")
        ax.legend(fontsize=6)
    fig.tight_layout()
    wins = sum(v == SUPPORTED for v in faster)
    return Verdict(
        combine(p.verdict for p in parts) if parts else INCONCLUSIVE,
        f"NAG needs fewer steps than momentum on {wins} of {len(faster)} landscapes and rises "
        f"less on {sum(v == SUPPORTED for v in calmer)}; on MNIST-1D momentum's train loss is "
        f"{net_number.text()} NAG's.",
        [net_number],
        parts,
        png(fig),
    )


_register(
    Claim(
        "nesterov-improves-momentum",
        21,
        OPT,
        "Nesterov's accelerated gradient converges faster and overshoots less than classical "
        "momentum.",
        "textbook",
        "On each landscape (ravine at three κ, Rosenbrock), NAG must reach f − f* < 1e-3 in fewer "
        "steps and have fewer loss rises than momentum (each at its best lr; yes or no per "
        "landscape, combined). MNIST-1D: the train-loss ratio momentum / NAG has a 95% CI above 1 "
        "(below 1.05: against). Three parts, combined.",
        _nag_experiment,
        _nag_analyse,
    )
)
