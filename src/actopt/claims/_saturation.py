"""Claim 12, saturation: sigmoid and tanh flatten out for large inputs, and learn slowly there."""

from __future__ import annotations

import math
from itertools import pairwise

from ._claim import Claim, Evidence, Experiment, Number, Part, Setting, Verdict, measure, png
from ._claim import register as _register
from ._common import M1D, figure, fit_spec, seeded, spec
from ._measure import Context
from ._stats import NOT_SUPPORTED, SUPPORTED, combine, decide, mean_ci, ratio_ci

__all__: list[str] = []

AB = "activation behaviour"

# -- 12. sigmoid-saturation --------------------------------------------------------------------

_GAINS = (0.5, 1.0, 2.0, 4.0, 8.0)


def _saturated(ctx: Context, act: str, gain: float, seeds: int) -> float:
    """Fraction of hidden pre-activations where |f'| < 1e-3, in 3 × 128 nets at init whose
    Xavier weights are scaled by ``gain`` (512 training examples; mean over seeds)."""
    import torch

    from .. import data, models
    from ..train import SATURATION_THRESHOLD

    ds = data.load("mnist1d")
    x = ds.x_train[:512]
    fractions = []
    for seed in range(seeds):
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            net = models.build(
                "mlp", ds.input_shape, 10, depth=3, width=128, act=act, init="xavier"
            )
        sat = total = 0
        with torch.no_grad():
            h = x.flatten(1)
            for m in net[1:-1]:
                if isinstance(m, torch.nn.Linear):
                    h = m(h) * gain
                else:
                    z = h.detach().requires_grad_(True)
                    with torch.enable_grad():
                        (d,) = torch.autograd.grad(m(z).sum(), z)
                    sat, total = (
                        sat + int((d.abs() < SATURATION_THRESHOLD).sum()),
                        total + d.numel(),
                    )
                    h = m(h)
        fractions.append(sat / total)
    return sum(fractions) / len(fractions)


def _gained(ctx: Context, spec: dict, gain: float) -> dict:
    """Train with every weight matrix scaled by ``gain`` after Xavier init; the loss curve."""

    def scale(model) -> None:
        for p in model.parameters():
            if p.dim() > 1:
                p.mul_(gain)

    r = fit_spec(ctx, spec, prepare=scale).result
    return {
        "status": r.status,
        "train_loss": r.final.get("train_loss", math.nan),
        "curve": [h["train_loss"] for h in r.history],
    }


def _saturation_measurements(s: Setting) -> tuple[dict, dict]:
    sat = {
        (a, g): measure(_saturated, act=a, gain=g, seeds=s.seeds)
        for a in ("sigmoid", "tanh")
        for g in _GAINS
    }
    base = spec(M1D, opt="momentum", lr=0.01, depth=3, init="xavier", epochs=s.pick(3, 6))
    trained = {
        (a, g): [
            measure(_gained, spec=x.to_dict(), gain=g) for x in seeded(base.replace(act=a), s.seeds)
        ]
        for a in ("sigmoid", "tanh")
        for g in (1.0, 4.0)
    }
    return sat, trained


def _saturation_experiment(s: Setting) -> Experiment:
    sat, trained = _saturation_measurements(s)
    e = trained[("tanh", 1.0)][0].params["spec"]["epochs"]
    setup = (
        f"MNIST-1D, 3 × 128 MLPs with sigmoid and tanh, Xavier weights scaled by a gain "
        f"({', '.join(f'{g:g}' for g in _GAINS)}): the saturated fraction (|f'| < 1e-3) at "
        f"initialisation; then training at gain 1 and 4 (SGD-momentum, lr 0.01, {e} epochs, "
        f"{s.seeds} seeds)."
    )
    return Experiment(setup, (), [*sat.values(), *(m for g in trained.values() for m in g)])


def _saturation_analyse(ev: Evidence) -> Verdict:
    sat, trained = _saturation_measurements(ev.setting)
    parts, numbers = [], []
    fig, (ax1, ax2) = figure(9, 3.3, cols=2)
    for a in ("sigmoid", "tanh"):
        curve = [ev.value(sat[(a, g)]) for g in _GAINS]
        grows = all(y >= x for x, y in pairwise(curve))
        rises = curve[-1] - curve[1] > 0.1
        parts.append(
            Part(
                f"{a} saturates with scale",
                SUPPORTED if grows and rises else NOT_SUPPORTED,
                "saturated "
                + ", ".join(f"gain {g:g}: {v:.0%}" for g, v in zip(_GAINS, curve, strict=True)),
            )
        )
        ax1.plot(_GAINS, [v * 100 for v in curve], "o-", label=a)
        loss = {g: [ev.value(m)["train_loss"] for m in trained[(a, g)]] for g in (1.0, 4.0)}
        r = ratio_ci(loss[4.0], loss[1.0])
        parts.append(
            Part(
                f"{a} learns slower when saturated",
                decide(r, above=1.0, margin=0.05),
                f"train loss gain 4 / gain 1 {Number('', r, 'x').text()}",
            )
        )
        numbers += [
            Number(f"{a}: saturated at gain 4", mean_ci([ev.value(sat[(a, 4.0)])]), "%"),
            Number(f"{a}: train loss gain 4 / gain 1", r, "x"),
        ]
        for g, style in ((1.0, "-"), (4.0, "--")):
            c = ev.value(trained[(a, g)][0])["curve"]
            ax2.plot(range(1, len(c) + 1), c, style, label=f"{a} gain {g:g}")
    ax1.set(xscale="log", xlabel="weight gain", ylabel="saturated pre-activations (%)")
    ax2.set(xlabel="epoch", ylabel="train loss (seed 0)")
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    return Verdict(
        combine(p.verdict for p in parts),
        f"Scaling the weights ×4 saturates {numbers[0].ci.mean:.0%} of sigmoid and "
        f"{numbers[2].ci.mean:.0%} of tanh pre-activations; the train loss then ends "
        f"{numbers[1].text()} (sigmoid) and {numbers[3].text()} (tanh) of the unscaled nets'.",
        [numbers[1], numbers[3], numbers[0], numbers[2]],
        parts,
        png(fig),
    )


_register(
    Claim(
        "sigmoid-saturation",
        12,
        AB,
        "Sigmoid and tanh saturate for large inputs (their gradient all but vanishes), and "
        "saturated units learn slowly.",
        "textbook",
        "Per activation: the saturated fraction (|f'| < 1e-3) at initialisation must never fall as "
        "the weight gain grows and must rise by more than 10 points from gain 1 to 8, else not "
        "supported; "
        "and the train-loss ratio gain 4 / gain 1 must have a CI above 1 (below 1.05: against). "
        "Four parts, combined.",
        _saturation_experiment,
        _saturation_analyse,
    )
)
