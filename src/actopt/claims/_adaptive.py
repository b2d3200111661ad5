"""Claims 22–23, AdaGrad: larger steps for rare features, and a step size that decays to 0."""

from __future__ import annotations

import math

from ._claim import Claim, Evidence, Experiment, Number, Part, Setting, Verdict, measure, png
from ._claim import register as _register
from ._common import M1D, figure, flat, seeded, spec
from ._measure import Context
from ._stats import NOT_SUPPORTED, SUPPORTED, combine, decide, mean_ci, paired_ci, ratio_ci

__all__: list[str] = []

OPT = "optimizers"

# -- 22. adagrad-sparse-features ---------------------------------------------------------------

_FEATURES, _EXAMPLES = 300, 8000
_LR_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)


def _zipf_problem():
    """Binary features with Zipf frequencies (feature j in a share 0.5 / j of the examples), a
    random linear teacher, labels = the teacher's score above its median. Fixed (seed 0)."""
    import torch

    g = torch.Generator().manual_seed(0)
    freq = 0.5 / torch.arange(1, _FEATURES + 1, dtype=torch.float64)
    x = (torch.rand(_EXAMPLES, _FEATURES, generator=g, dtype=torch.float64) < freq).float()
    w = torch.randn(_FEATURES, generator=g, dtype=torch.float64).float()
    score = x @ w
    y = (score > score.median()).long()
    rare = torch.arange(_FEATURES) >= _FEATURES // 2  # the rarer half of the features
    by_rare = (x[:, rare] @ w[rare]).abs() > (x[:, ~rare] @ w[~rare]).abs()
    half = _EXAMPLES // 2
    return (x[:half], y[:half]), (x[half:], y[half:], by_rare[half:]), freq


def _train_linear(opt_name: str, lr: float, seed: int, epochs: int, train, val):
    import torch
    import torch.nn.functional as F

    from .. import models, optim

    x, y = train
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = models.linear((_FEATURES,), 2)
    opt = optim.spec(opt_name).make(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=order)
        for i in range(0, len(y), 32):
            idx = perm[i : i + 32]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    with torch.no_grad():
        val_acc = float((model(val[0]).argmax(1) == val[1]).float().mean())
    return model, opt, val_acc


def _sparse_fit(ctx: Context, opt: str, seed: int, epochs: int) -> dict:
    """Logistic regression with ``opt`` at its best lr of a small grid (validation accuracy on
    the last 500 training examples): per-feature effective lr and test accuracies."""
    import torch

    (x, y), (xt, yt, by_rare), freq = _zipf_problem()
    train, val = (x[:-500], y[:-500]), (x[-500:], y[-500:])
    best = max(
        ((*_train_linear(opt, lr, seed, epochs, train, val), lr) for lr in _LR_GRID),
        key=lambda r: r[2],
    )
    model, optimizer, _, lr = best
    eff = optimizer.effective_lr()
    if eff is None:  # one global step size
        per_feature = [lr] * _FEATURES
    else:
        per_feature = eff[: 2 * _FEATURES].reshape(2, _FEATURES).mean(0).tolist()
    seen = (train[0].sum(0) > 0).tolist()
    with torch.no_grad():
        right = model(xt).argmax(1) == yt
    return {
        "lr": lr,
        "effective_lr": [v if s else None for v, s in zip(per_feature, seen, strict=True)],
        "freq": freq.tolist(),
        "test_acc": float(right.float().mean()),
        "rare_acc": float(right[by_rare].float().mean()),
        "rare_examples": int(by_rare.sum()),
    }


def _sparse_measurements(s: Setting) -> dict[str, list]:
    epochs = s.pick(2, 5)
    return {
        o: [measure(_sparse_fit, opt=o, seed=i, epochs=epochs) for i in range(s.seeds)]
        for o in ("sgd", "adagrad")
    }


def _sparse_experiment(s: Setting) -> Experiment:
    ms = _sparse_measurements(s)
    e = ms["sgd"][0].params["epochs"]
    setup = (
        f"A synthetic sparse problem: {_FEATURES} binary features, feature j present in a "
        f"share 0.5/j of {_EXAMPLES:,} examples (Zipf), labels from a random linear teacher "
        f"(half train, half test). Logistic regression by SGD and by AdaGrad, each at its "
        f"best lr of {', '.join(map(str, _LR_GRID))} on validation; batch 32, {e} epochs, "
        f"{s.seeds} seeds. Rare-feature examples: test examples whose teacher score comes "
        "more from the rarer half of the features than from the frequent half."
    )
    return Experiment(setup, (), flat(ms))


def _sparse_analyse(ev: Evidence) -> Verdict:
    from ._stats import spearman

    ms = _sparse_measurements(ev.setting)
    v = {o: [ev.value(m) for m in g] for o, g in ms.items()}
    rhos = []
    for run in v["adagrad"]:
        pairs = [
            (f, e) for f, e in zip(run["freq"], run["effective_lr"], strict=True) if e is not None
        ]
        rhos.append(spearman([p[0] for p in pairs], [p[1] for p in pairs]))
    rho = mean_ci(rhos)
    rare = paired_ci([r["rare_acc"] for r in v["adagrad"]], [r["rare_acc"] for r in v["sgd"]])
    overall = paired_ci([r["test_acc"] for r in v["adagrad"]], [r["test_acc"] for r in v["sgd"]])
    parts = [
        Part(
            "larger steps for rarer features",
            SUPPORTED if rhos and max(rhos) <= -0.5 else NOT_SUPPORTED,
            f"Spearman ρ(frequency, AdaGrad's effective lr) {Number('', rho).text()}",
        ),
        Part(
            "better on rare-feature examples",
            decide(rare, above=0.0, margin=0.01),
            f"AdaGrad − SGD {Number('', rare, 'pt').text()} (all test examples "
            f"{Number('', overall, 'pt').text()})",
        ),
    ]
    fig, (ax1, ax2) = figure(9, 3.3, cols=2)
    run = v["adagrad"][0]
    pts = [(f, e) for f, e in zip(run["freq"], run["effective_lr"], strict=True) if e is not None]
    ax1.scatter([p[0] for p in pts], [p[1] for p in pts], s=6, label="AdaGrad")
    ax1.axhline(v["sgd"][0]["lr"], color="tab:orange", label="SGD (one lr)")
    ax1.set(xscale="log", yscale="log", xlabel="feature frequency", ylabel="effective lr (end)")
    ax1.legend(fontsize=8)
    for i, o in enumerate(("sgd", "adagrad")):
        for j, key in enumerate(("test_acc", "rare_acc")):
            c = mean_ci([r[key] for r in v[o]])
            ax2.bar(
                j * 3 + i,
                c.mean * 100,
                color=("tab:orange", "tab:blue")[i],
                label=o if j == 0 else None,
            )
    ax2.set_xticks([0.5, 3.5], ["all test examples", "rare-feature examples"])
    ax2.set_ylabel("test accuracy (%)")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return Verdict(
        combine(p.verdict for p in parts),
        f"AdaGrad's effective lr falls with a feature's frequency (ρ = {rho.mean:.2f}); on the "
        f"rare-feature examples it scores {Number('', rare, 'pt').text()} against SGD.",
        [
            Number("AdaGrad − SGD on rare-feature examples", rare, "pt"),
            Number("ρ(frequency, effective lr)", rho),
        ],
        parts,
        png(fig),
    )


_register(
    Claim(
        "adagrad-sparse-features",
        22,
        OPT,
        "AdaGrad makes larger updates for rare features, which helps on sparse data.",
        "textbook (after Duchi et al. 2011)",
        "Every seed's Spearman correlation between a feature's frequency and AdaGrad's effective "
        "lr at the end must be ≤ −0.5 (else not supported); and on the rare-feature test examples "
        "the paired accuracy difference AdaGrad − SGD must have a 95% CI above 0 (below +1 point: "
        "against). The two parts combine.",
        _sparse_experiment,
        _sparse_analyse,
    )
)

# -- 23. adagrad-lr-vanishes -------------------------------------------------------------------

_ADAPTIVE = {"adagrad": 1e-2, "adadelta": 1.0, "rmsprop": 1e-3}


def _vanish_specs(s: Setting) -> dict[str, list]:
    base = spec(M1D, epochs=s.pick(4, 20), diagnostics=True)
    return {o: seeded(base.replace(opt=o, lr=lr), s.seeds) for o, lr in _ADAPTIVE.items()}


def _vanish_experiment(s: Setting) -> Experiment:
    groups = _vanish_specs(s)
    setup = (
        f"MNIST-1D, 2 × 128 relu MLP, {groups['adagrad'][0].epochs} epochs, {s.seeds} "
        f"seeds: AdaGrad (lr 1e-2), AdaDelta (lr 1), RMSProp (lr 1e-3). Effective lr: the "
        "median over all weights, after the last step of each epoch."
    )
    return Experiment(setup, flat(groups))


def _eff(ev: Evidence, specs: list) -> tuple[list[float], list[float], list[list[float]]]:
    first, last, curves = [], [], []
    for s in specs:
        r = ev.result(s)
        curve = [
            d["effective_lr"]["q50"]
            for d in (r.diagnostics if r and r.status == "ok" else [])
            if d.get("effective_lr")
        ]
        curves.append(curve)
        first.append(curve[0] if curve else math.nan)
        last.append(curve[-1] if curve else math.nan)
    return first, last, curves


def _lr_vanish_analyse(ev: Evidence) -> Verdict:
    groups = _vanish_specs(ev.setting)
    eff = {o: _eff(ev, g) for o, g in groups.items()}
    decay = {o: ratio_ci(eff[o][1], eff[o][0]) for o in groups}
    parts = [
        Part(
            "AdaGrad's effective lr decays",
            decide(decay["adagrad"], below=0.5),
            f"end / first epoch {Number('', decay['adagrad'], 'x').text()}",
        )
    ]
    for o in ("adadelta", "rmsprop"):
        parts.append(
            Part(
                f"{o}'s stays up",
                decide(decay[o], above=0.5),
                f"end / first epoch {Number('', decay[o], 'x').text()}",
            )
        )
    stall = []
    for o in ("adadelta", "rmsprop"):
        r = ratio_ci(ev.final(groups["adagrad"], "train_loss"), ev.final(groups[o], "train_loss"))
        stall.append(r)
        parts.append(
            Part(
                f"AdaGrad stalls behind {o}",
                decide(r, above=1.0, margin=0.05),
                f"final train loss AdaGrad / {o} {Number('', r, 'x').text()}",
            )
        )
    fig, (ax1, ax2) = figure(9, 3.3, cols=2)
    for o, g in groups.items():
        curves = eff[o][2]
        if curves and curves[0]:
            ax1.plot(range(1, len(curves[0]) + 1), curves[0], label=o)
        r = ev.result(g[0])
        if r and r.history:
            ax2.plot([h["epoch"] for h in r.history], [h["train_loss"] for h in r.history], label=o)
    ax1.set(yscale="log", xlabel="epoch", ylabel="median effective lr (seed 0)")
    ax2.set(yscale="log", xlabel="epoch", ylabel="train loss (seed 0)")
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return Verdict(
        combine(p.verdict for p in parts),
        f"AdaGrad's median effective lr ends at {decay['adagrad'].mean:.2g}× its first-epoch "
        f"value (AdaDelta {decay['adadelta'].mean:.2g}×, RMSProp {decay['rmsprop'].mean:.2g}×); "
        f"its final train loss is {Number('', stall[1], 'x').text()} RMSProp's.",
        [
            Number("AdaGrad effective lr, end / start", decay["adagrad"], "x"),
            Number("train loss AdaGrad / RMSProp", stall[1], "x"),
            Number("train loss AdaGrad / AdaDelta", stall[0], "x"),
        ],
        parts,
        png(fig),
    )


_register(
    Claim(
        "adagrad-lr-vanishes",
        23,
        OPT,
        "AdaGrad's effective learning rate decays towards 0, so learning stalls on long runs, "
        "while AdaDelta and RMSProp keep theirs bounded away from 0.",
        "textbook (after Zeiler 2012)",
        "The median effective lr at the end over the first epoch's (geometric mean over seeds, 95% "
        "CI) must lie below 0.5 for AdaGrad and above 0.5 for AdaDelta and RMSProp; AdaGrad's "
        "final train loss over each other's must have a CI above 1 (below 1.05: against). Five "
        "parts, combined.",
        _vanish_experiment,
        _lr_vanish_analyse,
    )
)
