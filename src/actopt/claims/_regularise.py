"""Claims 13 and 24, what regularisation fixes: vanishing gradients, and overfitting."""

from __future__ import annotations

from ._claim import Claim, Evidence, Experiment, Number, Part, Setting, Verdict, png
from ._claim import register as _register
from ._common import bars, ci_of, figure, flat, gap_figure, image_data, paired_of, spec, variants
from ._gradients import deep_spec, grad_ratio
from ._stats import combine, decide, mean_ci, ratio_ci

__all__: list[str] = []

# -- 13. vanishing-fixed-by-regularisation -----------------------------------------------------

_DEPTH = 10
_FIXES = {
    "L2 (weight decay 1e-3)": {"opt_params": {"weight_decay": 1e-3}},
    "dropout 0.1": {"dropout": 0.1},
    "batch norm": {"norm": "batch"},
}


def _fix_specs(s: Setting) -> dict[str, list]:
    # the stalled net of vanishing-gradients, as it is and with each fix
    return variants(deep_spec("sigmoid", _DEPTH, s), _FIXES, s.seeds)


def _fix_experiment(s: Setting) -> Experiment:
    groups = _fix_specs(s)
    e = groups["none"][0]
    setup = (
        f"The deep sigmoid net of vanishing-gradients (MNIST-1D, {_DEPTH} × 64, Xavier "
        f"init, plain SGD lr 0.05, {e.epochs} epochs, {s.seeds} seeds), as it is and with "
        f"{', '.join(_FIXES)}; the first/output gradient-norm ratio at the end of "
        "training and the test accuracy."
    )
    return Experiment(setup, flat(groups))


def _ratios(ev: Evidence, specs: list) -> list[float]:
    return ev.last_record(specs, lambda d: grad_ratio(d, _DEPTH))


def _fix_analyse(ev: Evidence) -> Verdict:
    groups = _fix_specs(ev.setting)
    base = groups["none"]
    parts, numbers = [], []
    for name in _FIXES:
        grad = ratio_ci(_ratios(ev, groups[name]), _ratios(ev, base))
        acc = paired_of(ev, groups[name], base)
        found = [decide(grad, above=1.0, margin=0.5), decide(acc, above=0.0, margin=0.01)]
        parts.append(
            Part(
                name,
                combine(found),
                f"gradient ratio ×{Number('', grad, 'x').text()}, test accuracy "
                f"{Number('', acc, 'pt').text()}",
            )
        )
        numbers.append(Number(f"{name}: accuracy gain", acc, "pt"))
    fig, (ax1, ax2) = figure(9, 3.2, cols=2)
    labels = list(groups)
    bars(
        ax1,
        labels,
        [mean_ci(_ratios(ev, g)) for g in groups.values()],
        ylabel="‖∇W first‖ / ‖∇W output‖ (end)",
    )
    ax1.set_yscale("log")
    bars(
        ax2,
        labels,
        [ci_of(ev, g) for g in groups.values()],
        scale=100,
        ylabel="test accuracy (%)",
        color="tab:green",
    )
    fig.tight_layout()
    fixed = [p.name for p in parts if p.verdict == "supported"]
    return Verdict(
        combine(p.verdict for p in parts),
        ("It works for " + ", ".join(fixed) if fixed else "None of the three fixes it")
        + ": accuracy changes by "
        + ", ".join(f"{n.label.split(':')[0]} {n.text()}" for n in numbers)
        + ".",
        numbers,
        parts,
        png(fig),
    )


_register(
    Claim(
        "vanishing-fixed-by-regularisation",
        13,
        "activation behaviour",
        "The vanishing gradient of a deep sigmoid network can be circumvented by regularisation "
        "(L2, dropout, batch normalisation).",
        "textbook",
        "Per technique: the first/output gradient-norm ratio at the end (geometric mean of the "
        "paired ratios technique / none, 95% CI) must lie above 1 (below 1.5: against), and the "
        "paired test-accuracy gain above 0 (below +1 point: against); both → the technique fixes "
        "it, neither → it does not, one → mixed. Techniques combine (some do, some do not → "
        "mixed).",
        _fix_experiment,
        _fix_analyse,
    )
)

# -- 24. regularisation-generalises ------------------------------------------------------------

_REGULARISERS = {"dropout 0.5": {"dropout": 0.5}, "batch norm": {"norm": "batch"}}


def _gap_specs(s: Setting) -> dict[str, list]:
    base = spec(
        **image_data("fashion-mnist", s, full=1000, quick=500),
        depth=2,
        width=512,
        opt="adam",
        lr=1e-3,
        epochs=s.pick(3, 10),
    )
    return variants(base, _REGULARISERS, s.seeds)


def _gap_experiment(s: Setting) -> Experiment:
    groups = _gap_specs(s)
    e = groups["none"][0]
    setup = (
        f"Fashion-MNIST with {e.data_options['n_train']:,} training images (the full test "
        f"set), a wide 2 × 512 relu MLP, Adam (lr 1e-3), {e.epochs} epochs, {s.seeds} "
        f"seeds: plain, with {' and with '.join(_REGULARISERS)}."
    )
    return Experiment(setup, flat(groups))


def _gap_analyse(ev: Evidence) -> Verdict:
    groups = _gap_specs(ev.setting)
    parts, numbers = [], []
    for name in _REGULARISERS:
        d = paired_of(ev, groups["none"], groups[name], "gen_gap")
        acc = paired_of(ev, groups[name], groups["none"])
        parts.append(
            Part(
                name,
                decide(d, above=0.0, margin=0.01),
                f"gap reduced by {Number('', d, 'pt').text()}; test accuracy "
                f"{Number('', acc, 'pt').text()}",
            )
        )
        numbers.append(Number(f"{name}: gap reduction", d, "pt"))
    fig = gap_figure(
        list(groups),
        [ci_of(ev, g, "gen_gap") for g in groups.values()],
        [ci_of(ev, g) for g in groups.values()],
    )
    gap = ci_of(ev, groups["none"], "gen_gap")
    return Verdict(
        combine(p.verdict for p in parts),
        f"The plain net's gap is {gap.mean:.1%}; "
        + "; ".join(f"{n.label.split(':')[0]} changes it by −({n.text()})" for n in numbers)
        + ".",
        numbers,
        parts,
        fig,
    )


_register(
    Claim(
        "regularisation-generalises",
        24,
        "optimizers",
        "Dropout and batch normalisation reduce the generalisation gap.",
        "textbook",
        "Per technique, the paired reduction of the generalisation gap (train − test accuracy), "
        "plain − technique, must have a 95% CI above 0; a CI below +1 point counts against it. The "
        "two parts combine.",
        _gap_experiment,
        _gap_analyse,
    )
)
