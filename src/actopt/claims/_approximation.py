"""Claims 3–4, the nonlinearity's power: approximating a curve as the width grows, and
mixing activations across layers."""

from __future__ import annotations

import math

from ._claim import Claim, Evidence, Experiment, Number, Part, Setting, Verdict, measure, png
from ._claim import register as _register
from ._common import M1D, bars, ci_of, figure, flat, image_data, seeded, spec
from ._measure import Context
from ._stats import (
    INCONCLUSIVE,
    NOT_SUPPORTED,
    SUPPORTED,
    combine,
    decide,
    mean_ci,
    paired_ci,
    ratio_ci,
)

__all__: list[str] = []  # claims register themselves

NL = "nonlinearity"

# -- 3. universal-approximation ----------------------------------------------------------------

_APPROX_ACTS = ("identity", "relu", "tanh", "swish")
_WIDTHS = (4, 16, 64, 256)


def _approx_fit(ctx: Context, act: str, width: int, seed: int, steps: int) -> dict:
    """Fit sin(3x) + 0.3x² on [-3, 3] (256 seeded points) with one hidden layer, full-batch
    Adam (lr 1e-2); the test MSE on a 1000-point grid and the fit on 100 points."""
    import torch
    import torch.nn.functional as F

    from .. import optim
    from ..models import mlp

    def target(x: torch.Tensor) -> torch.Tensor:
        return torch.sin(3 * x) + 0.3 * x**2

    x = torch.rand(256, 1, generator=torch.Generator().manual_seed(1234)) * 6 - 3
    xt = torch.linspace(-3, 3, 1000).unsqueeze(1)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = mlp((1,), 1, depth=1, width=width, act=act)
    opt = optim.spec("adam").make(model.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        F.mse_loss(model(x), target(x)).backward()
        opt.step()
    with torch.no_grad():
        mse = float(F.mse_loss(model(xt), target(xt)))
        shown = model(xt[::10]).squeeze(1).tolist()
    return {"test_mse": mse, "fit": [round(v, 4) for v in shown]}


def _approx_measurements(s: Setting) -> dict[tuple[str, int], list]:
    steps = s.pick(400, 600)
    return {
        (a, w): [measure(_approx_fit, act=a, width=w, seed=i, steps=steps) for i in range(s.seeds)]
        for a in _APPROX_ACTS
        for w in _WIDTHS
    }


def _approx_experiment(s: Setting) -> Experiment:
    ms = _approx_measurements(s)
    steps = next(iter(ms.values()))[0].params["steps"]
    setup = (
        f"Regression of sin(3x) + 0.3x² on [-3, 3] (256 training points, 1000-point test "
        f"grid) with one hidden layer of width {', '.join(map(str, _WIDTHS))} and "
        f"{', '.join(_APPROX_ACTS)}; full-batch Adam (lr 1e-2), {steps} steps, {s.seeds} "
        "seeds."
    )
    return Experiment(setup, (), flat(ms))


def _approx_analyse(ev: Evidence) -> Verdict:
    ms = _approx_measurements(ev.setting)
    mse = {k: [ev.value(m)["test_mse"] for m in g] for k, g in ms.items()}
    narrow, wide = _WIDTHS[0], _WIDTHS[-1]
    parts, numbers = [], []
    for act in _APPROX_ACTS:
        drop = ratio_ci(mse[(act, narrow)], mse[(act, wide)])  # > 1: the error falls
        if act == "identity":
            flat = (
                INCONCLUSIVE
                if math.isnan(drop.low)
                else (
                    SUPPORTED
                    if drop.low > 0.8 and drop.high < 1.25
                    else NOT_SUPPORTED
                    if drop.low > 1.25 or drop.high < 0.8
                    else INCONCLUSIVE
                )
            )
            parts.append(
                Part(
                    "identity stays flat",
                    flat,
                    f"MSE width {narrow} / width {wide} {Number('', drop, 'x').text()}",
                )
            )
        else:
            parts.append(
                Part(
                    f"{act} improves with width",
                    decide(drop, above=2.0),
                    f"MSE width {narrow} / width {wide} {Number('', drop, 'x').text()}",
                )
            )
        numbers.append(Number(f"{act}: MSE at width {wide}", mean_ci(mse[(act, wide)])))
    fig, (ax1, ax2) = figure(9, 3.4, cols=2)
    for act in _APPROX_ACTS:
        cis = [mean_ci(mse[(act, w)]) for w in _WIDTHS]
        ax1.errorbar(
            _WIDTHS,
            [c.mean for c in cis],
            marker="o",
            label=act,
            yerr=[
                [0 if math.isnan(c.low) else c.mean - c.low for c in cis],
                [0 if math.isnan(c.high) else c.high - c.mean for c in cis],
            ],
        )
        ax2.plot(
            [-3 + 0.06 * i for i in range(100)], ev.value(ms[(act, wide)][0])["fit"], label=act
        )
    xs = [-3 + 0.06 * i for i in range(100)]
    ax2.plot(xs, [math.sin(3 * x) + 0.3 * x * x for x in xs], "k--", lw=1, label="target")
    ax1.set(xscale="log", yscale="log", xlabel="hidden width", ylabel="test MSE")
    ax2.set(xlabel="x", title=f"fits at width {wide} (seed 0)")
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    ident = mean_ci(mse[("identity", wide)])
    best = min((mean_ci(mse[(a, wide)]) for a in _APPROX_ACTS[1:]), key=lambda c: c.mean)
    return Verdict(
        combine(p.verdict for p in parts),
        f"At width {wide} the identity network's test MSE is {ident.mean:.3g} (the best straight "
        f"line), the best nonlinear one's {best.mean:.2g}.",
        numbers,
        parts,
        png(fig),
    )


_register(
    Claim(
        "universal-approximation",
        3,
        NL,
        "Without a nonlinearity a network loses its approximation power: widening it does not "
        "help.",
        "textbook",
        "For relu, tanh and swish the ratio test-MSE(width 4) / test-MSE(width 256) (geometric "
        "mean over seeds, 95% CI) must lie above 2; for identity it must lie within [0.8, 1.25]. "
        "Each activation is a part; the parts combine (all supported → supported).",
        _approx_experiment,
        _approx_analyse,
    )
)

# -- 4. combine-activations --------------------------------------------------------------------

_UNIFORM = ("tanh", "relu", "swish")
_MIXES = (("tanh", "relu"), ("relu", "swish"))


def _combine_specs(s: Setting) -> dict[tuple[str, tuple[str, ...]], list]:
    out = {}
    for data, fields in (
        ("fashion-mnist", image_data("fashion-mnist", s)),
        ("mnist1d", {"data": "mnist1d"}),
    ):
        base = spec({**M1D, **fields}, epochs=s.pick(2, 8) if data != "mnist1d" else s.pick(3, 15))
        for act in [(a, a) for a in _UNIFORM] + list(_MIXES):
            out[(data, act)] = seeded(base.replace(act=act), s.seeds)
    return out


def _combine_experiment(s: Setting) -> Experiment:
    groups = _combine_specs(s)
    first = groups[("fashion-mnist", ("relu", "relu"))][0]
    setup = (
        f"Fashion-MNIST ({first.data_options['n_train']:,} training images, "
        f"{first.epochs} epochs) and MNIST-1D "
        f"({groups[('mnist1d', ('relu', 'relu'))][0].epochs} epochs): 2 × 128 MLPs, "
        "uniform tanh, relu, swish and the per-layer mixes tanh→relu and relu→swish; "
        f"Adam (lr 1e-3), {s.seeds} seeds."
    )
    return Experiment(setup, flat(groups))


def _combine_analyse(ev: Evidence) -> Verdict:
    groups = _combine_specs(ev.setting)
    k = 2 * len(_MIXES)
    parts, numbers = [], []
    for data in ("fashion-mnist", "mnist1d"):
        for mix in _MIXES:
            uniform = [groups[(data, (a, a))] for a in mix]
            better = max(uniform, key=lambda g: ci_of(ev, g).mean)
            d = paired_ci(
                ev.final(groups[(data, mix)], "test_acc"),
                ev.final(better, "test_acc"),
                level=1 - 0.05 / k,
            )
            name = f"{data}: {mix[0]}→{mix[1]}"
            parts.append(
                Part(
                    name,
                    decide(d, above=0.0, margin=0.005),
                    f"mix − best of its uniform parts ({better[0].act[0]}) "
                    f"{Number('', d, 'pt').text()}",
                )
            )
            numbers.append(Number(name + " vs uniform", d, "pt"))
    kinds = {p.verdict for p in parts}
    verdict = (
        SUPPORTED
        if SUPPORTED in kinds
        else NOT_SUPPORTED
        if kinds == {NOT_SUPPORTED}
        else INCONCLUSIVE
    )
    fig, axes = figure(9, 3.4, cols=2)
    for ax, data in zip(axes, ("fashion-mnist", "mnist1d"), strict=True):
        keys = [key for key in groups if key[0] == data]
        bars(
            ax,
            ["→".join(a) for _, a in keys],
            [ci_of(ev, groups[key]) for key in keys],
            scale=100,
            ylabel="test accuracy (%)",
            color=["tab:blue"] * len(_UNIFORM) + ["tab:green"] * len(_MIXES),
            zoom=True,
        )
        ax.set_title(data, fontsize=9)
    fig.tight_layout()
    wins = [p.name for p in parts if p.verdict == SUPPORTED]
    return Verdict(
        verdict,
        (
            f"A mix beats both of its uniform parts in {', '.join(wins)}."
            if wins
            else "No mix beats the better of its two uniform parts."
        ),
        numbers,
        parts,
        png(fig),
    )


_register(
    Claim(
        "combine-activations",
        4,
        NL,
        "Mixing activations across layers can beat using one activation everywhere.",
        "textbook",
        "For each dataset and mix (a→b), the paired test-accuracy difference mix − (the better of "
        "uniform a and uniform b) gets a Bonferroni-adjusted CI (4 comparisons, 98.75%). The claim "
        "is existential: supported if any mix's CI lies above 0; not supported if every CI lies "
        "below +0.5 points; otherwise inconclusive.",
        _combine_experiment,
        _combine_analyse,
    )
)
