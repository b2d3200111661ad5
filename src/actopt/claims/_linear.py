"""Claims 1–2, what a network without a nonlinearity can and cannot do: it collapses into
one linear map, and it cannot separate circles, XOR or spirals."""

from __future__ import annotations

import math

from ._claim import Claim, Evidence, Experiment, Number, Part, Setting, Verdict, measure, png
from ._claim import register as _register
from ._common import bars, ci_of, figure, fit_spec, flat, image_data, paired_of, seeded, spec
from ._measure import Context
from ._stats import (
    INCONCLUSIVE,
    NOT_SUPPORTED,
    SUPPORTED,
    Interval,
    combine,
    decide,
    ratio_ci,
)

__all__: list[str] = []  # claims register themselves

NL = "nonlinearity"

# -- 1. linear-collapse ------------------------------------------------------------------------


def _collapse_specs(s: Setting) -> dict[str, list]:
    base = spec(
        **image_data("mnist", s),
        depth=3,
        width=128,
        opt="adam",
        lr=1e-3,
        epochs=s.pick(2, 8),
    )
    return {
        "logistic regression": seeded(base.replace(model="linear"), s.seeds),
        "identity MLP": seeded(base.replace(act="identity"), s.seeds),
        "relu MLP": seeded(base, s.seeds),
    }


def _collapse_exact(ctx: Context, spec: dict) -> dict:
    """Multiply a trained identity MLP out into one W, b (float64) and compare the logits."""
    import torch
    from torch import nn

    fitted = fit_spec(ctx, spec)
    model = fitted.model.double().eval()
    x = fitted.dataset.x_test.double()
    y = fitted.dataset.y_test
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    w = torch.eye(layers[0].in_features, dtype=torch.float64)
    b = torch.zeros(layers[0].in_features, dtype=torch.float64)
    with torch.no_grad():
        for lin in layers:  # x ↦ W_k(… W_1 x + b_1 …) + b_k
            w, b = lin.weight @ w, lin.weight @ b + lin.bias
        net = model(x)
        flat = x.flatten(1) @ w.T + b
    rel = float((net - flat).abs().max() / net.abs().max())
    return {
        "max_rel_diff": rel,
        "layers": len(layers),
        "acc_net": float((net.argmax(1) == y).double().mean()),
        "acc_collapsed": float((flat.argmax(1) == y).double().mean()),
    }


def _collapse_experiment(s: Setting) -> Experiment:
    groups = _collapse_specs(s)
    exact = measure(_collapse_exact, spec=groups["identity MLP"][0].to_dict())
    n = groups["relu MLP"][0].data_options["n_train"]
    setup = (
        f"MNIST ({n:,} training images, the full test set). Logistic regression, and 3 × 128 "
        f"MLPs with identity and with relu activations; Adam (lr 1e-3), batch 128, "
        f"{groups['relu MLP'][0].epochs} epochs, {s.seeds} seeds. Exact check: the seed-0 "
        "identity MLP multiplied out into one W, b in float64."
    )
    return Experiment(setup, flat(groups), [exact])


def _within(ci: Interval, bound: float) -> str:
    """Is θ within ±bound? (supported: the interval inside; not: the interval outside)"""
    if math.isnan(ci.low):
        return INCONCLUSIVE
    if -bound < ci.low and ci.high < bound:
        return SUPPORTED
    return NOT_SUPPORTED if ci.low > bound or ci.high < -bound else INCONCLUSIVE


def _collapse_analyse(ev: Evidence) -> Verdict:
    groups = _collapse_specs(ev.setting)
    lin, ident, relu = groups.values()
    exact = ev.value(_collapse_experiment(ev.setting).measurements[0])
    same = paired_of(ev, ident, lin)
    gap = paired_of(ev, relu, ident)
    loss_ratio = ratio_ci(ev.final(ident, "train_loss"), ev.final(lin, "train_loss"))
    parts = [
        Part(
            "exact",
            SUPPORTED if exact["max_rel_diff"] <= 1e-5 else NOT_SUPPORTED,
            f"max relative logit difference {exact['max_rel_diff']:.1e} over "
            f"{exact['layers']} layers",
        ),
        Part(
            "identity ≈ logistic",
            _within(same, 0.015),
            f"identity − logistic {Number('', same, 'pt').text()}",
        ),
        Part(
            "relu ≥ 5 pt higher",
            decide(gap, above=0.05),
            f"relu − identity {Number('', gap, 'pt').text()}",
        ),
        Part(
            "linear net trained",
            decide(loss_ratio, below=1.05),
            f"train loss identity / logistic {Number('', loss_ratio, 'x').text()}",
        ),
    ]
    verdict = combine(p.verdict for p in parts)
    fig, (ax1, ax2) = figure(8, 3.2, cols=2)
    labels = list(groups)
    bars(
        ax1, labels, [ci_of(ev, g) for g in groups.values()], scale=100, ylabel="test accuracy (%)"
    )
    bars(
        ax2,
        labels,
        [ci_of(ev, g, "train_loss") for g in groups.values()],
        color="tab:orange",
        ylabel="final train loss",
    )
    ax1.set_ylim(80, 100)
    fig.tight_layout()
    return Verdict(
        verdict,
        f"The identity MLP is one linear map (logits equal to {exact['max_rel_diff']:.0e}) and "
        f"scores {Number('', same, 'pt').text()} against logistic regression, while relu adds "
        f"{Number('', gap, 'pt').text()}.",
        [Number("identity − logistic", same, "pt"), Number("relu − identity", gap, "pt")],
        parts,
        png(fig),
    )


_register(
    Claim(
        "linear-collapse",
        1,
        NL,
        "A deep network without activations computes exactly what one linear layer computes.",
        "textbook",
        "Supported when all four hold: the multiplied-out W, b give the identity MLP's logits to a "
        "max relative difference ≤ 1e-5; the paired (identity − logistic) test-accuracy 95% CI "
        "lies within ±1.5 points; the (relu − identity) CI lies above 5 points; and the identity "
        "MLP's train loss is no more than 5% above logistic regression's (ratio CI below 1.05), so "
        "it trained. A part whose CI is on the wrong side fails it; any other part is "
        "inconclusive.",
        _collapse_experiment,
        _collapse_analyse,
    )
)

# -- 2. nonlinear-problems ---------------------------------------------------------------------

_PROBLEMS = ("circles", "xor", "spirals")
_HIDDEN = ("relu", "tanh", "sigmoid", "swish")


def _problems_specs(s: Setting) -> dict[tuple[str, str], list]:
    out = {}
    for data in _PROBLEMS:
        base = spec(data=data, depth=1, width=64, opt="adam", lr=1e-2, epochs=s.pick(15, 100))
        out[(data, "linear")] = seeded(base.replace(model="linear"), s.seeds)
        for act in ("identity", *_HIDDEN):
            out[(data, act)] = seeded(base.replace(act=act), s.seeds)
    return out


def _boundary(ctx: Context, spec: dict, grid: int = 60) -> dict:
    """A trained model's class over a grid covering the data, and 200 test points."""
    import torch

    fitted = fit_spec(ctx, spec)
    ds, model = fitted.dataset, fitted.model.eval()
    pts = torch.cat([ds.x_train, ds.x_test])
    lo, hi = pts.min(0).values - 0.3, pts.max(0).values + 0.3
    gx, gy = (torch.linspace(float(lo[i]), float(hi[i]), grid) for i in (0, 1))
    mesh = torch.stack(torch.meshgrid(gx, gy, indexing="xy"), -1).reshape(-1, 2)
    with torch.no_grad():
        pred = model(mesh).argmax(1)
    test = [
        [round(float(a), 3), round(float(b), 3), int(c)]
        for (a, b), c in zip(ds.x_test[:200], ds.y_test[:200], strict=True)
    ]
    return {
        "extent": [float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])],
        "grid": grid,
        "pred": "".join(str(int(p)) for p in pred),
        "test": test,
    }


def _problems_experiment(s: Setting) -> Experiment:
    groups = _problems_specs(s)
    shown = [measure(_boundary, spec=g[0].to_dict()) for g in groups.values()]
    e = next(iter(groups.values()))[0].epochs
    setup = (
        f"2-D toys {', '.join(_PROBLEMS)} (1000 train / 1000 test points). Logistic "
        f"regression, a 1 × 64 identity MLP, and 1 × 64 MLPs with {', '.join(_HIDDEN)}; "
        f"Adam (lr 1e-2), {e} epochs, {s.seeds} seeds; decision boundaries of seed 0."
    )
    return Experiment(setup, flat(groups), shown)


def _problems_analyse(ev: Evidence) -> Verdict:
    groups = _problems_specs(ev.setting)
    boundaries = _problems_experiment(ev.setting).measurements
    parts, linear_best, hidden_worst = [], None, None
    for data in _PROBLEMS:
        found, words = [], []
        for model in ("linear", "identity", *_HIDDEN):
            ci = ci_of(ev, groups[(data, model)])
            linear = model in ("linear", "identity")
            found.append(decide(ci, below=0.95) if linear else decide(ci, above=0.95))
            words.append(f"{model} {ci.mean:.0%}")
            if linear and (linear_best is None or ci.mean > linear_best.mean):
                linear_best = ci
            if not linear and (hidden_worst is None or ci.mean < hidden_worst.mean):
                hidden_worst = ci
        failing = [
            m
            for m, v in zip(("linear", "identity", *_HIDDEN), found, strict=True)
            if v == NOT_SUPPORTED
        ]
        detail = ", ".join(words) + (
            f" (against the claim: {', '.join(failing)})" if failing else ""
        )
        parts.append(Part(data, combine(found), detail))
    fig, axes = figure(11, 5.6, cols=6, rows=3)
    for ax, ((data, model), _), m in zip(axes, groups.items(), boundaries, strict=True):
        b = ev.value(m)
        g = b["grid"]
        img = [[int(b["pred"][r * g + c]) for c in range(g)] for r in range(g)]
        ax.imshow(
            img,
            origin="lower",
            extent=b["extent"],
            cmap="coolwarm",
            alpha=0.35,
            aspect="auto",
            vmin=0,
            vmax=1,
        )
        xs, ys, cs = zip(*b["test"], strict=True)
        ax.scatter(xs, ys, c=cs, cmap="coolwarm", s=3, vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{data} · {model}", fontsize=7)
    fig.tight_layout()
    verdict = combine(p.verdict for p in parts)
    return Verdict(
        verdict,
        f"Linear models reach at most {linear_best.mean:.0%} on a problem; the weakest "
        f"one-hidden-layer network still reaches {hidden_worst.mean:.0%}.",
        [
            Number("best linear", linear_best, "%"),
            Number("worst 1-hidden-layer", hidden_worst, "%"),
        ],
        parts,
        png(fig),
    )


_register(
    Claim(
        "nonlinear-problems",
        2,
        NL,
        "Linear models cannot separate circles, XOR or spirals; one hidden layer with any "
        "nonlinearity can.",
        "textbook",
        "Per problem, the test-accuracy 95% CI of logistic regression and of the identity MLP must "
        "lie below 95%, and that of each one-hidden-layer MLP (relu, tanh, sigmoid, swish) above "
        "95%. A problem is supported when every model does as claimed; the verdicts combine over "
        "problems (supported somewhere and not elsewhere is mixed).",
        _problems_experiment,
        _problems_analyse,
    )
)
