"""Claims 7, 8 and 12, how sigmoid and tanh pass gradients back: vanishing gradients, the sign
pattern of sigmoid's weight gradients, and saturation."""

from __future__ import annotations

import math

from ._claim import Claim, Evidence, Experiment, Number, Part, Setting, Verdict, measure, png
from ._claim import register as _register
from ._common import M1D, ci_of, figure, fit_spec, flat, seeded, spec
from ._measure import Context
from ._stats import NOT_SUPPORTED, SUPPORTED, combine, decide, mean_ci, paired_ci, ratio_ci

__all__ = ["deep_spec", "grad_ratio"]

AB = "activation behaviour"
_INIT = {"relu": "he", "sigmoid": "xavier", "tanh": "xavier"}

# -- 7. vanishing-gradients --------------------------------------------------------------------

_DEPTHS = (5, 10, 20)


def deep_spec(act: str, depth: int, s: Setting):
    """A deep, narrow MNIST-1D MLP trained by plain SGD (lr 0.05), diagnostics every epoch."""
    return spec(
        data="mnist1d",
        depth=depth,
        width=64,
        act=act,
        init=_INIT[act],
        opt="sgd",
        lr=0.05,
        epochs=s.pick(2, 5),
        diagnostics=True,
    )


def grad_ratio(record: dict, depth: int) -> float:
    """‖∇W₁‖ / ‖∇W_out‖ in one diagnostics record (the first layer over the output layer)."""
    g = record["grad_norm"]
    first, last = g.get("linear1"), g.get(f"linear{depth + 1}")
    return first / last if first is not None and last else math.nan


def _init_ratios(ctx: Context, act: str, depth: int, seeds: int) -> list[float]:
    """First/last gradient-norm ratio of freshly initialised nets on 512 training examples."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    from .. import data, models

    ds = data.load("mnist1d")
    x, y = ds.x_train[:512], ds.y_train[:512]
    out = []
    for seed in range(seeds):
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            net = models.build(
                "mlp", ds.input_shape, 10, depth=depth, width=64, act=act, init=_INIT[act]
            )
        F.cross_entropy(net(x), y).backward()
        lin = [m for m in net.modules() if isinstance(m, nn.Linear)]
        out.append(float(lin[0].weight.grad.norm() / lin[-1].weight.grad.norm()))
    return out


def _vanish_specs(s: Setting) -> dict[tuple[str, int], list]:
    return {(a, d): seeded(deep_spec(a, d, s), s.seeds) for a in _INIT for d in _DEPTHS}


def _vanish_experiment(s: Setting) -> Experiment:
    groups = _vanish_specs(s)
    inits = [measure(_init_ratios, act=a, depth=d, seeds=s.seeds) for a, d in groups]
    setup = (
        f"MNIST-1D, MLPs of width 64 and depth {', '.join(map(str, _DEPTHS))}: sigmoid and "
        f"tanh (Xavier init), relu (He init); plain SGD (lr 0.05), batch 128, "
        f"{groups[('relu', 5)][0].epochs} epochs, {s.seeds} seeds. Gradient norms of the "
        "first and the output layer's weights on a fixed batch, at initialisation and at "
        "the end of training."
    )
    return Experiment(setup, flat(groups), inits)


def _vanish_analyse(ev: Evidence) -> Verdict:
    groups = _vanish_specs(ev.setting)
    inits = dict(zip(groups, _vanish_experiment(ev.setting).measurements, strict=True))
    at_init = {k: mean_ci(ev.value(m)) for k, m in inits.items()}
    at_end = {
        k: mean_ci(ev.last_record(groups[k], lambda d, k=k: grad_ratio(d, k[1]))) for k in groups
    }
    deep = [d for d in _DEPTHS if d >= 10]
    vanish_init = [decide(at_init[(a, d)], below=0.1) for a in ("sigmoid", "tanh") for d in deep]
    vanish_end = [decide(at_end[(a, d)], below=0.1) for a in ("sigmoid", "tanh") for d in deep]
    relu_keeps = [decide(at_init[("relu", d)], above=0.1) for d in deep]
    stalls = [decide(ci_of(ev, groups[("sigmoid", d)]), below=0.2) for d in deep]
    trains = [decide(ci_of(ev, groups[("relu", d)]), above=0.3) for d in deep]

    def words(table: dict, acts: tuple) -> str:
        return ", ".join(f"{a} {d}: {table[(a, d)].mean:.2g}" for a in acts for d in deep)

    parts = [
        Part(
            "sigmoid/tanh vanish at init",
            combine(vanish_init),
            "first/last ratio " + words(at_init, ("sigmoid", "tanh")),
        ),
        Part(
            "… and after training",
            combine(vanish_end),
            "first/last ratio " + words(at_end, ("sigmoid", "tanh")),
        ),
        Part(
            "relu + He does not",
            combine(relu_keeps),
            "first/last ratio " + words(at_init, ("relu",)),
        ),
        Part(
            "deep sigmoid + SGD stalls",
            combine(stalls),
            ", ".join(f"depth {d}: {ci_of(ev, groups[('sigmoid', d)]).mean:.0%}" for d in deep),
        ),
        Part(
            "deep relu + He trains",
            combine(trains),
            ", ".join(f"depth {d}: {ci_of(ev, groups[('relu', d)]).mean:.0%}" for d in deep),
        ),
    ]
    fig, (ax1, ax2) = figure(9, 3.4, cols=2)
    for a in _INIT:
        (line,) = ax1.plot(
            _DEPTHS, [at_init[(a, d)].mean for d in _DEPTHS], "o-", label=f"{a} init"
        )
        ax1.plot(
            _DEPTHS,
            [at_end[(a, d)].mean for d in _DEPTHS],
            "s--",
            color=line.get_color(),
            label=f"{a} end",
        )
        ax2.plot(_DEPTHS, [ci_of(ev, groups[(a, d)]).mean * 100 for d in _DEPTHS], "o-", label=a)
    ax1.set(yscale="log", xlabel="depth", ylabel="‖∇W first‖ / ‖∇W output‖")
    ax2.set(xlabel="depth", ylabel="test accuracy (%)")
    ax2.axhline(10, color="0.6", lw=0.8, ls=":")
    ax1.legend(fontsize=6)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    numbers = [
        Number(f"{a} depth 20: first/last at init", at_init[(a, 20)])
        for a in ("sigmoid", "relu", "tanh")
    ]
    numbers += [
        Number(f"{a} depth 20 test acc", ci_of(ev, groups[(a, 20)]), "%")
        for a in ("sigmoid", "relu")
    ]
    return Verdict(
        combine(p.verdict for p in parts),
        f"At depth 20 the first layer gets {at_init[('sigmoid', 20)].mean:.1e} (sigmoid) and "
        f"{at_init[('tanh', 20)].mean:.1e} (tanh) of the output layer's gradient norm at "
        f"initialisation, relu with He init {at_init[('relu', 20)].mean:.2g}.",
        numbers,
        parts,
        png(fig),
    )


_register(
    Claim(
        "vanishing-gradients",
        7,
        AB,
        "In deep sigmoid and tanh networks the gradient vanishes towards the input, so deep "
        "sigmoid nets trained by SGD stall, while ReLU with He initialisation trains.",
        "textbook",
        "At depths 10 and 20: the first/output gradient-norm ratio's 95% CI must lie below 0.1 for "
        "sigmoid and tanh, at initialisation and after training; for relu (He) above 0.1. "
        "Sigmoid's test-accuracy CI must lie below 20% (chance is 10%) and relu's above 30%. Five "
        "parts, combined (all supported → supported; some not → mixed).",
        _vanish_experiment,
        _vanish_analyse,
    )
)

# -- 8. tanh-zero-centred ----------------------------------------------------------------------


def _sign_fractions(model, x, y) -> dict:
    """Of the second hidden layer's neurons, the fraction whose weight-gradient row has one sign:
    per example (δᵢ aⱼ over j), and over the whole batch (Σ_b δ_bi a_bj)."""
    import torch.nn.functional as F

    layers = list(model)  # Flatten, Linear, act, Linear, act, Linear
    a = layers[2](layers[1](layers[0](x))).detach()  # (B, in): the first layer's outputs
    z = layers[3](a)
    z.retain_grad()
    out = z
    for m in layers[4:]:
        out = m(out)
    F.cross_entropy(out, y, reduction="sum").backward()
    delta = z.grad  # (B, out)
    one_sign = (a >= 0).all(1) | (a <= 0).all(1)  # (B,)
    per_example = ((delta != 0) & one_sign[:, None]).double().mean()
    g = delta.T @ a  # (out, in)
    batch = ((g >= 0).all(1) | (g <= 0).all(1)).double().mean()
    model.zero_grad(set_to_none=True)
    return {"per_example": float(per_example), "batch": float(batch)}


def _zigzag(ctx: Context, spec: dict) -> dict:
    """Sign fractions at initialisation and after training, on 128 training examples."""
    from .. import data

    ds = data.load("mnist1d")
    x, y = ds.x_train[:128], ds.y_train[:128]
    import torch

    seen: dict = {}

    def at_init(model) -> None:  # fit calls this under no_grad: the gradients need it back
        with torch.enable_grad():
            seen["init"] = _sign_fractions(model, x, y)

    fitted = fit_spec(ctx, spec, prepare=at_init)
    return {"init": seen["init"], "end": _sign_fractions(fitted.model, x, y)}


def _centred_specs(s: Setting) -> dict[str, list]:
    base = spec(M1D, opt="momentum", lr=0.01, init="xavier", epochs=s.pick(3, 8))
    return {a: seeded(base.replace(act=a), s.seeds) for a in ("sigmoid", "tanh")}


def _centred_experiment(s: Setting) -> Experiment:
    groups = _centred_specs(s)
    ms = [measure(_zigzag, spec=x.to_dict()) for g in groups.values() for x in g]
    setup = (
        f"MNIST-1D, 2 × 128 MLPs with sigmoid and tanh (Xavier init), SGD-momentum (lr 0.01, "
        f"μ 0.9), {groups['tanh'][0].epochs} epochs, {s.seeds} seeds. Sign pattern of the "
        "second layer's weight gradients on 128 training examples, per example and summed "
        "over the batch, at initialisation and after training."
    )
    return Experiment(setup, flat(groups), ms)


def _centred_analyse(ev: Evidence) -> Verdict:
    groups = _centred_specs(ev.setting)
    ms = iter(_centred_experiment(ev.setting).measurements)
    signs = {a: [ev.value(next(ms)) for _ in g] for a, g in groups.items()}

    def frac(a: str, when: str, kind: str) -> list[float]:
        return [v[when][kind] for v in signs[a]]

    lowest_sig = min(frac("sigmoid", w, "per_example") for w in ("init", "end"))
    highest_tanh = max(frac("tanh", w, "per_example") for w in ("init", "end"))
    mech = SUPPORTED if min(lowest_sig) >= 0.99 and max(highest_tanh) <= 0.05 else NOT_SUPPORTED
    batch = paired_ci(frac("sigmoid", "end", "batch"), frac("tanh", "end", "batch"))
    slower = ratio_ci(
        ev.final(groups["sigmoid"], "train_loss"), ev.final(groups["tanh"], "train_loss")
    )
    parts = [
        Part(
            "per example: sigmoid one-signed, tanh not",
            mech,
            f"sigmoid ≥ {min(lowest_sig):.1%}, tanh ≤ {max(highest_tanh):.1%} of neurons",
        ),
        Part(
            "over a batch of 128, sigmoid more often",
            decide(batch, above=0.0, margin=0.05),
            f"sigmoid − tanh {Number('', batch, 'pt').text()} (after training)",
        ),
        Part(
            "sigmoid converges slower",
            decide(slower, above=1.0, margin=0.05),
            f"train loss sigmoid / tanh {Number('', slower, 'x').text()}",
        ),
    ]
    fig, (ax1, ax2) = figure(9, 3.3, cols=2)
    for a, g in groups.items():
        curves = [[h["train_loss"] for h in ev.result(x).history] for x in g if ev.result(x)]
        for i, c in enumerate(curves):
            ax1.plot(
                range(1, len(c) + 1),
                c,
                color="tab:red" if a == "sigmoid" else "tab:blue",
                alpha=0.6,
                label=a if i == 0 else None,
            )
    ax1.set(xlabel="epoch", ylabel="train loss", yscale="log")
    ax1.legend(fontsize=8)
    labels = [
        f"{a}\n{w} {k}" for a in groups for w in ("init", "end") for k in ("per_example", "batch")
    ]
    vals = [
        mean_ci(frac(a, w, k)).mean * 100
        for a in groups
        for w in ("init", "end")
        for k in ("per_example", "batch")
    ]
    ax2.bar(range(len(vals)), vals, color=["tab:red"] * 4 + ["tab:blue"] * 4)
    ax2.set_xticks(range(len(vals)), labels, fontsize=6)
    ax2.set_ylabel("one-signed gradient rows (%)")
    fig.tight_layout()
    return Verdict(
        combine(p.verdict for p in parts),
        f"Per example every sigmoid neuron's weight-gradient row has one sign "
        f"({min(lowest_sig):.1%}) and almost no tanh neuron's does ({max(highest_tanh):.1%}); "
        f"sigmoid's train loss ends {Number('', slower, 'x').text()} tanh's.",
        [
            Number("one-signed, sigmoid − tanh (batch)", batch, "pt"),
            Number("train loss sigmoid / tanh", slower, "x"),
        ],
        parts,
        png(fig),
    )


_register(
    Claim(
        "tanh-zero-centred",
        8,
        AB,
        "Sigmoid's outputs are all positive, so all incoming weight gradients of a neuron share "
        "one sign (zig-zag updates); tanh's are zero-centred and do not, which speeds convergence.",
        "textbook (LeCun et al., Efficient BackProp)",
        "Mechanism: per example, ≥ 99% of sigmoid neurons and ≤ 5% of tanh neurons have a "
        "one-signed weight-gradient row (at init and after training), else not supported. Batch: "
        "the paired (sigmoid − tanh) one-signed fraction's CI above 0 (below +5 points: against). "
        "Convergence: the train-loss ratio sigmoid / tanh CI above 1 (below 1.05: against). Parts "
        "combine.",
        _centred_experiment,
        _centred_analyse,
    )
)
