"""Claims 9–11, what rectifier units do: die, centre their outputs, make activations sparse."""

from __future__ import annotations

import math

from ._claim import Claim, Evidence, Experiment, Number, Part, Setting, Verdict, measure, png
from ._claim import register as _register
from ._common import (
    M1D,
    bars,
    ci_of,
    figure,
    fit_spec,
    flat,
    gap_figure,
    image_data,
    paired_of,
    seeded,
    spec,
)
from ._measure import Context
from ._stats import NOT_SUPPORTED, SUPPORTED, combine, decide, mean_ci, paired_ci

__all__: list[str] = []

AB = "activation behaviour"

# -- 9. dying-relu -----------------------------------------------------------------------------

_LRS = (1e-3, 1e-2, 5e-2)
_VARIANTS = ("leaky_relu", "prelu", "elu")
_BIASES = (0.0, -0.5, -1.0, -2.0)


def _dying_specs(s: Setting) -> dict[tuple[str, float], list]:
    base = spec(M1D, depth=3, epochs=s.pick(2, 4), diagnostics=True)
    return {
        (a, lr): seeded(base.replace(act=a, lr=lr), s.seeds)
        for a in ("relu", *_VARIANTS)
        for lr in _LRS
    }


def _dead_with(
    ctx: Context, spec: dict, bias: float | None = None, weight_std: float | None = None
) -> float:
    """Dead fraction after training from a changed initialisation: every hidden bias set to
    ``bias``, or every weight drawn from N(0, weight_std²)."""
    import torch

    def prepare(model) -> None:
        linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
        for lin in linears:
            if weight_std is not None:
                lin.weight.normal_(0.0, weight_std)
        for lin in linears[:-1]:  # the hidden layers (the output layer has no activation)
            if bias is not None:
                lin.bias.fill_(bias)

    r = fit_spec(ctx, spec, prepare=prepare).result
    return r.final.get("dead_fraction", math.nan) if r.status == "ok" else math.nan


def _dying_measurements(s: Setting) -> dict[str, list]:
    groups = _dying_specs(s)
    low, mid = groups[("relu", _LRS[0])], groups[("relu", _LRS[1])]
    out = {
        f"bias {b:g}": [measure(_dead_with, spec=x.to_dict(), bias=b) for x in low]
        for b in _BIASES[1:]
    }
    out["weights N(0, 1)"] = [measure(_dead_with, spec=x.to_dict(), weight_std=1.0) for x in mid]
    return out


def _dying_experiment(s: Setting) -> Experiment:
    groups = _dying_specs(s)
    ms = _dying_measurements(s)
    setup = (
        f"MNIST-1D, 3 × 128 MLPs, Adam at lr {', '.join(f'{x:g}' for x in _LRS)}, relu and "
        f"{', '.join(_VARIANTS)} (He init), {groups[('relu', 1e-3)][0].epochs} epochs, "
        f"{s.seeds} seeds; dead = f' = 0 on every one of 512 validation examples. Relu "
        f"again with hidden biases set to {', '.join(f'{b:g}' for b in _BIASES[1:])} "
        "(lr 1e-3), and with N(0, 1) weights instead of He (lr 1e-2)."
    )
    return Experiment(setup, flat(groups), flat(ms))


def _dying_analyse(ev: Evidence) -> Verdict:
    groups = _dying_specs(ev.setting)
    ms = _dying_measurements(ev.setting)
    dead = {k: ev.final(g, "dead_fraction") for k, g in groups.items()}
    by_lr = paired_ci(dead[("relu", _LRS[-1])], dead[("relu", _LRS[0])])
    variant_max = max(
        (v for a in _VARIANTS for lr in _LRS for v in dead[(a, lr)] if not math.isnan(v)),
        default=math.nan,
    )
    biased = [ev.value(m) for m in ms[f"bias {_BIASES[-1]:g}"]]
    by_bias = paired_ci(biased, dead[("relu", _LRS[0])])
    poor = [ev.value(m) for m in ms["weights N(0, 1)"]]
    by_init = paired_ci(poor, dead[("relu", _LRS[1])])
    parts = [
        Part(
            "more die at a larger lr",
            decide(by_lr, above=0.0, margin=0.01),
            f"dead at lr {_LRS[-1]:g} − lr {_LRS[0]:g} {Number('', by_lr, 'pt').text()}",
        ),
        Part(
            "leaky relu, prelu, elu have none",
            NOT_SUPPORTED if math.isnan(variant_max) or variant_max > 0.001 else SUPPORTED,
            f"largest dead fraction {variant_max:.2%}",
        ),
        Part(
            "a negative bias kills units",
            decide(by_bias, above=0.0, margin=0.05),
            f"dead with bias {_BIASES[-1]:g} − bias 0 {Number('', by_bias, 'pt').text()}",
        ),
        Part(
            "He init avoids what a poor init causes",
            decide(by_init, above=0.0, margin=0.02),
            f"dead with N(0, 1) weights − He {Number('', by_init, 'pt').text()}",
        ),
    ]
    fig, (ax1, ax2) = figure(9, 3.3, cols=2)
    for a in ("relu", *_VARIANTS):
        ax1.plot(_LRS, [mean_ci(dead[(a, lr)]).mean * 100 for lr in _LRS], "o-", label=a)
    ax1.set(xscale="log", xlabel="Adam lr", ylabel="dead units (%)")
    ax1.legend(fontsize=7)
    labels = ["bias 0", *ms]
    cis = [mean_ci(dead[("relu", _LRS[0])])] + [
        mean_ci([ev.value(m) for m in g]) for g in ms.values()
    ]
    bars(ax2, labels, cis, scale=100, ylabel="dead relu units (%)", color="tab:red")
    fig.tight_layout()
    return Verdict(
        combine(p.verdict for p in parts),
        f"Relu's dead fraction changes by {Number('', by_lr, 'pt').text()} from lr "
        f"{_LRS[0]:g} to {_LRS[-1]:g}, by {Number('', by_bias, 'pt').text()} with hidden biases "
        f"{_BIASES[-1]:g}; leaky relu, prelu and elu reach at most {variant_max:.2%}.",
        [
            Number("dead, bias −2 − bias 0", by_bias, "pt"),
            Number(f"dead, lr {_LRS[-1]:g} − lr {_LRS[0]:g}", by_lr, "pt"),
            Number("dead, N(0,1) − He init", by_init, "pt"),
        ],
        parts,
        png(fig),
    )


_register(
    Claim(
        "dying-relu",
        9,
        AB,
        "A large learning rate or a negative bias kills ReLU units for good; leaky ReLU, PReLU and "
        "ELU have no dead units; a better weight initialisation avoids them.",
        "textbook (cs231n-style notes)",
        "Four parts, each a paired (by seed) difference of the dead fraction with its 95% CI: "
        "lr 0.05 − lr 0.001 above 0 (below +1 point: against); bias −2 − bias 0 above 0 (below +5 "
        "points: against); N(0, 1) weights − He init above 0 (below +2 points: against). The "
        "variants part is supported when no run of leaky relu, prelu or elu has more than 0.1% "
        "dead units. Parts combine.",
        _dying_experiment,
        _dying_analyse,
    )
)

# -- 10. leaky-relu-zero-centred ---------------------------------------------------------------

_CENTRED = ("relu", "leaky_relu", "elu", "tanh")


def _standard_normal_moments(ctx: Context, acts: list) -> dict:
    """Mean and std of f(x) for x ~ N(0, 1) (2²⁰ seeded samples, float64)."""
    import torch

    from .. import activations

    x = torch.randn(1 << 20, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = {}
    with torch.no_grad():
        for a in acts:
            y = activations.get(a)(x)
            out[a] = {"mean": float(y.mean()), "std": float(y.std())}
    return out


def _centred_specs(s: Setting) -> dict[str, list]:
    base = spec(M1D, epochs=s.pick(3, 6), diagnostics=True)
    return {a: seeded(base.replace(act=a), s.seeds) for a in _CENTRED}


def _centring(record: dict) -> float:
    """The mean over hidden layers of |activation mean| / activation std."""
    m, sd = record["act_mean"], record["act_std"]
    vals = [abs(m[k]) / sd[k] for k in m if sd[k]]
    return sum(vals) / len(vals) if vals else math.nan


def _leaky_experiment(s: Setting) -> Experiment:
    groups = _centred_specs(s)
    setup = (
        f"f(x) for x ~ N(0, 1) (2²⁰ samples), and inside trained MNIST-1D 2 × 128 MLPs "
        f"(Adam lr 1e-3, {groups['relu'][0].epochs} epochs, {s.seeds} seeds; the hidden "
        f"layers' outputs on 512 validation examples) for {', '.join(_CENTRED)}; leaky relu's "
        "slope is 0.01."
    )
    return Experiment(
        setup,
        flat(groups),
        [measure(_standard_normal_moments, acts=list(_CENTRED))],
    )


def _leaky_analyse(ev: Evidence) -> Verdict:
    groups = _centred_specs(ev.setting)
    moments = ev.value(_leaky_experiment(ev.setting).measurements[0])
    normal = {a: abs(m["mean"]) / m["std"] for a, m in moments.items()}
    in_net = {a: mean_ci(ev.last_record(g, _centring)) for a, g in groups.items()}
    parts = [
        Part(
            "on N(0, 1) inputs",
            SUPPORTED if normal["leaky_relu"] <= 0.1 else NOT_SUPPORTED,
            "|mean| / std: " + ", ".join(f"{a} {v:.2f}" for a, v in normal.items()),
        ),
        Part(
            "inside trained nets",
            decide(in_net["leaky_relu"], below=0.1),
            "|mean| / std: " + ", ".join(f"{a} {v.mean:.2f}" for a, v in in_net.items()),
        ),
    ]
    fig, (ax,) = figure(6, 3.2)
    width = 0.38
    ax.bar(
        [i - width / 2 for i in range(len(_CENTRED))],
        [normal[a] for a in _CENTRED],
        width,
        label="x ~ N(0, 1)",
    )
    ax.bar(
        [i + width / 2 for i in range(len(_CENTRED))],
        [in_net[a].mean for a in _CENTRED],
        width,
        label="trained net (hidden layers)",
    )
    ax.axhline(0.1, color="0.5", ls=":", lw=1)
    ax.set_xticks(range(len(_CENTRED)), _CENTRED)
    ax.set_ylabel("|mean| / std of outputs")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return Verdict(
        combine(p.verdict for p in parts),
        f"On standard-normal inputs leaky relu's outputs have |mean|/std "
        f"{normal['leaky_relu']:.2f} (relu {normal['relu']:.2f}, elu {normal['elu']:.2f}, tanh "
        f"{normal['tanh']:.2f}); inside trained nets {in_net['leaky_relu'].mean:.2f}.",
        [
            Number("leaky relu |mean|/std in nets", in_net["leaky_relu"]),
            Number("relu |mean|/std in nets", in_net["relu"]),
            Number("tanh |mean|/std in nets", in_net["tanh"]),
        ],
        parts,
        png(fig),
    )


_register(
    Claim(
        "leaky-relu-zero-centred",
        10,
        AB,
        "Leaky ReLU produces nearly zero-centred outputs.",
        "textbook (popular summaries of activation functions)",
        "'Nearly zero-centred' means |mean| / std of the outputs ≤ 0.1. On N(0, 1) inputs leaky "
        "relu's value must be ≤ 0.1 (else not supported); inside trained nets the 95% CI over "
        "seeds must lie below 0.1 (above it: not supported). The two parts combine.",
        _leaky_experiment,
        _leaky_analyse,
    )
)

# -- 11. relu-sparsity-regularises -------------------------------------------------------------

_SPARSE = ("relu", "leaky_relu", "gelu", "tanh")


def _sparsity_specs(s: Setting) -> dict[str, list]:
    base = spec(
        **image_data("fashion-mnist", s, full=1000, quick=500),
        depth=2,
        width=256,
        opt="adam",
        lr=1e-3,
        epochs=s.pick(3, 10),
        diagnostics=True,
    )
    return {a: seeded(base.replace(act=a), s.seeds) for a in _SPARSE}


def _sparsity_experiment(s: Setting) -> Experiment:
    groups = _sparsity_specs(s)
    e = groups["relu"][0]
    setup = (
        f"Fashion-MNIST with {e.data_options['n_train']:,} training images (the full test "
        f"set), 2 × 256 MLPs, Adam (lr 1e-3), {e.epochs} epochs, {s.seeds} seeds, "
        f"{', '.join(_SPARSE)}. Sparsity: the fraction of hidden outputs that are exactly 0 "
        "(relu's f' = 0 entries; the others have none)."
    )
    return Experiment(setup, flat(groups))


def _sparsity_analyse(ev: Evidence) -> Verdict:
    groups = _sparsity_specs(ev.setting)
    parts, numbers = [], []
    for other in _SPARSE[1:]:
        d = paired_of(ev, groups[other], groups["relu"], "gen_gap")
        parts.append(
            Part(
                f"relu's gap below {other}'s",
                decide(d, above=0.0, margin=0.01),
                f"gap {other} − relu {Number('', d, 'pt').text()}",
            )
        )
        numbers.append(Number(f"gap {other} − relu", d, "pt"))
    sparsity = ci_of(ev, groups["relu"], "saturated_fraction")
    gaps = [ci_of(ev, g, "gen_gap") for g in groups.values()]
    fig = gap_figure(list(_SPARSE), gaps, [ci_of(ev, g) for g in groups.values()])
    return Verdict(
        combine(p.verdict for p in parts),
        f"Relu's hidden outputs are {sparsity.mean:.0%} exact zeros, yet its generalisation gap "
        f"is {gaps[0].mean:.1%} against "
        + ", ".join(f"{a} {g.mean:.1%}" for a, g in zip(_SPARSE[1:], gaps[1:], strict=True))
        + ".",
        [*numbers, Number("relu sparsity", sparsity, "%")],
        parts,
        fig,
    )


_register(
    Claim(
        "relu-sparsity-regularises",
        11,
        AB,
        "ReLU's exact zeros make activations sparse, which regularises the network and reduces "
        "overfitting.",
        "textbook (after Glorot et al. 2011)",
        "On a small training set, for each of leaky relu, gelu and tanh, the paired generalisation "
        "gap (train − test accuracy) difference other − relu must have a 95% CI above 0; a CI "
        "below +1 point counts against the claim. The three parts combine.",
        _sparsity_experiment,
        _sparsity_analyse,
    )
)
