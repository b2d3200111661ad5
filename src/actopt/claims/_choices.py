"""Claims 14–16, choosing an activation: Swish against ReLU with depth, sigmoid against softmax
outputs, and the criteria of a good activation tested by training with bad ones."""

from __future__ import annotations

import math

from ._claim import Claim, Evidence, Experiment, Number, Part, Setting, Verdict, measure, png
from ._claim import register as _register
from ._common import M1D, bars, ci_of, figure, fit_spec, flat, image_data, seeded, spec
from ._measure import Context
from ._stats import (
    INCONCLUSIVE,
    NOT_SUPPORTED,
    SUPPORTED,
    combine,
    decide,
    mean_ci,
    paired_ci,
)

__all__: list[str] = []

AB = "activation behaviour"

# -- 14. swish-beats-relu-deeper ---------------------------------------------------------------

_DEPTHS = (2, 6, 12)
_PUBLISHED = (
    "Ramachandran, Zoph & Le 2017 (the Swish paper): replacing ReLU by Swish adds "
    "0.9 points ImageNet top-1 for Mobile NASNet-A and 0.6 for Inception-ResNet-v2 "
    "(the popular summary); in the paper's depth experiment (fully connected nets on "
    "MNIST) the two match up to about 40 layers and Swish leads beyond."
)


def _swish_specs(s: Setting) -> dict[tuple[str, int, str], list]:
    out = {}
    for data, fields, epochs in (
        ("fashion-mnist", image_data("fashion-mnist", s), (2, 4)),
        ("mnist1d", {"data": "mnist1d"}, (3, 8)),
    ):
        for depth in _DEPTHS:
            base = spec({**M1D, **fields}, depth=depth, epochs=s.pick(*epochs))
            for act in ("relu", "swish"):
                out[(data, depth, act)] = seeded(base.replace(act=act), s.seeds)
    return out


def _swish_experiment(s: Setting) -> Experiment:
    groups = _swish_specs(s)
    f = groups[("fashion-mnist", 2, "relu")][0]
    setup = (
        f"Fashion-MNIST ({f.data_options['n_train']:,} training images, {f.epochs} epochs) "
        f"and MNIST-1D ({groups[('mnist1d', 2, 'relu')][0].epochs} epochs): MLPs of width "
        f"128 and depth {', '.join(map(str, _DEPTHS))}, relu and swish (He init), Adam (lr "
        f"1e-3), {s.seeds} seeds, paired by seed. Published: {_PUBLISHED}"
    )
    return Experiment(setup, flat(groups))


def _swish_analyse(ev: Evidence) -> Verdict:
    groups = _swish_specs(ev.setting)
    parts, numbers = [], []
    fig, axes = figure(9, 3.2, cols=2)
    for ax, data in zip(axes, ("fashion-mnist", "mnist1d"), strict=True):
        diffs = {
            d: [
                s - r
                for s, r in zip(
                    ev.final(groups[(data, d, "swish")], "test_acc"),
                    ev.final(groups[(data, d, "relu")], "test_acc"),
                    strict=True,
                )
            ]
            for d in _DEPTHS
        }
        deep = mean_ci(diffs[_DEPTHS[-1]])
        grows = paired_ci(diffs[_DEPTHS[-1]], diffs[_DEPTHS[0]])
        found = [decide(deep, above=0.0, margin=0.005), decide(grows, above=0.0)]
        parts.append(
            Part(
                data,
                combine(found),
                f"swish − relu at depth {_DEPTHS[-1]} {Number('', deep, 'pt').text()}; "
                f"growth from depth {_DEPTHS[0]} {Number('', grows, 'pt').text()}",
            )
        )
        numbers += [
            Number(f"{data}: swish − relu at depth {_DEPTHS[-1]}", deep, "pt"),
            Number(f"{data}: gap growth depth {_DEPTHS[0]}→{_DEPTHS[-1]}", grows, "pt"),
        ]
        cis = [mean_ci(diffs[d]).scaled(100) for d in _DEPTHS]
        ax.errorbar(
            _DEPTHS,
            [c.mean for c in cis],
            marker="o",
            capsize=3,
            yerr=[
                [0 if math.isnan(c.low) else c.mean - c.low for c in cis],
                [0 if math.isnan(c.high) else c.high - c.mean for c in cis],
            ],
        )
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set(xlabel="depth", ylabel="swish − relu test accuracy (pt)", title=data)
    fig.tight_layout()
    return Verdict(
        combine(p.verdict for p in parts),
        f"At depth {_DEPTHS[-1]} swish − relu is {numbers[0].text()} on Fashion-MNIST and "
        f"{numbers[2].text()} on MNIST-1D (published: +0.9 and +0.6 points on ImageNet).",
        [numbers[0], numbers[2], numbers[1], numbers[3]],
        parts,
        png(fig),
    )


_register(
    Claim(
        "swish-beats-relu-deeper",
        14,
        AB,
        "Swish beats ReLU, and its advantage grows with depth.",
        "Swish paper (Ramachandran, Zoph & Le 2017) and its popular summaries",
        "Per dataset: the paired test-accuracy difference swish − relu at depth 12 must have a 95% "
        "CI above 0 (below +0.5 point: against), and its growth (difference at depth 12 − "
        "difference at depth 2, paired by seed) a CI above 0 (below 0: against). Both → supported "
        "for the dataset; datasets combine.",
        _swish_experiment,
        _swish_analyse,
    )
)

# -- 15. output-probabilities ------------------------------------------------------------------


def _outputs(ctx: Context, spec: dict) -> dict:
    """Train with softmax cross-entropy or per-class sigmoid BCE; on the test set, the range
    and per-example sums of the softmax and sigmoid outputs, and the accuracy."""
    import torch

    fitted = fit_spec(ctx, spec)
    with torch.no_grad():
        logits = fitted.model.eval()(fitted.dataset.x_test).double()
    soft, sig = logits.softmax(1), logits.sigmoid()
    return {
        "test_acc": fitted.result.final.get("test_acc", math.nan),
        "softmax_sum_err": float((soft.sum(1) - 1).abs().max()),
        "sigmoid_sum_err": float((sig.sum(1) - 1).abs().mean()),
        "sigmoid_min": float(sig.min()),
        "sigmoid_max": float(sig.max()),
    }


def _outputs_measurements(s: Setting) -> dict[str, list]:
    base = spec(M1D, epochs=s.pick(3, 6))
    return {
        loss: [
            measure(_outputs, spec=x.to_dict()) for x in seeded(base.replace(loss=loss), s.seeds)
        ]
        for loss in ("ce", "bce")
    }


def _outputs_experiment(s: Setting) -> Experiment:
    ms = _outputs_measurements(s)
    e = ms["ce"][0].params["spec"]["epochs"]
    setup = (
        f"MNIST-1D, 2 × 128 relu MLPs with 10 outputs trained with softmax cross-entropy "
        f"and with one sigmoid per class (binary cross-entropy on one-hot targets); Adam "
        f"(lr 1e-3), {e} epochs, {s.seeds} seeds. Outputs on the 1000 test signals."
    )
    return Experiment(setup, (), flat(ms))


def _outputs_analyse(ev: Evidence) -> Verdict:
    ms = _outputs_measurements(ev.setting)
    v = {loss: [ev.value(m) for m in g] for loss, g in ms.items()}
    soft_err = max(x["softmax_sum_err"] for x in v["ce"])
    sig = v["bce"]
    in_range = all(x["sigmoid_min"] >= 0.0 and x["sigmoid_max"] <= 1.0 for x in sig)
    sig_err = mean_ci([x["sigmoid_sum_err"] for x in sig])
    acc = paired_ci([x["test_acc"] for x in v["ce"]], [x["test_acc"] for x in sig])
    parts = [
        Part(
            "softmax outputs sum to 1",
            SUPPORTED if soft_err <= 1e-5 else NOT_SUPPORTED,
            f"largest |Σ − 1| {soft_err:.1e}",
        ),
        Part(
            "sigmoid outputs in [0, 1]",
            SUPPORTED if in_range else NOT_SUPPORTED,
            f"range [{min(x['sigmoid_min'] for x in sig):.2g}, "
            f"{max(x['sigmoid_max'] for x in sig):.2g}]",
        ),
        Part(
            "sigmoid outputs do not sum to 1",
            decide(sig_err, above=0.05),
            f"mean |Σ − 1| {Number('', sig_err).text()}",
        ),
    ]
    fig, (ax1, ax2) = figure(9, 3.2, cols=2)
    bars(
        ax1,
        ["softmax (ce)", "sigmoid (bce)"],
        [mean_ci([x["test_acc"] for x in v[k]]) for k in ("ce", "bce")],
        scale=100,
        ylabel="test accuracy (%)",
    )
    bars(
        ax2,
        ["softmax max", "sigmoid mean"],
        [mean_ci([x["softmax_sum_err"] for x in v["ce"]]), sig_err],
        ylabel="|Σ outputs − 1| per example",
        color="tab:orange",
    )
    fig.tight_layout()
    return Verdict(
        combine(p.verdict for p in parts),
        f"Softmax outputs sum to 1 within {soft_err:.0e}; sigmoid outputs miss 1 by "
        f"{sig_err.mean:.2f} on average per example. As the 10-class output, softmax − sigmoid "
        f"accuracy is {Number('', acc, 'pt').text()}.",
        [Number("sigmoid mean |Σ − 1|", sig_err), Number("accuracy softmax − sigmoid", acc, "pt")],
        parts,
        png(fig),
    )


_register(
    Claim(
        "output-probabilities",
        15,
        AB,
        "Sigmoid outputs lie in [0, 1] but do not sum to 1 over the classes; softmax outputs do.",
        "textbook",
        "Softmax: the largest |Σ − 1| over every test example and seed ≤ 1e-5. Sigmoid: every "
        "output in [0, 1], and the mean per-example |Σ − 1| with a 95% CI above 0.05. The accuracy "
        "difference of the two output layers is reported, not judged. The three parts combine.",
        _outputs_experiment,
        _outputs_analyse,
    )
)

# -- 16. good-activation-criteria --------------------------------------------------------------

_BAD = {
    "quadratic": "x**2",
    "square root": "sqrt(x)",
    "logarithm": "log(x)",
    "symmetric square root": "sign(x)*sqrt(abs(x))",
}


def _audit(ctx: Context, formula: str) -> dict:
    """The auditor's verdict and reasons (no timing check: the verdict stays reproducible)."""
    from ..audit import audit

    report = audit(formula, timing=False)
    return {"verdict": report.verdict, "reasons": report.reasons}


def _criteria_specs(s: Setting) -> dict[str, list]:
    base = spec(M1D, epochs=s.pick(3, 6))
    return {
        name: seeded(base.replace(act=f), s.seeds) for name, f in {"relu": "relu", **_BAD}.items()
    }


def _criteria_experiment(s: Setting) -> Experiment:
    groups = _criteria_specs(s)
    setup = (
        f"The auditor on {', '.join(f'{k} {v}' for k, v in _BAD.items())}; then MNIST-1D "
        f"2 × 128 MLPs with each (and relu) as the activation, Adam (lr 1e-3), "
        f"{groups['relu'][0].epochs} epochs, {s.seeds} seeds."
    )
    return Experiment(
        setup,
        flat(groups),
        [measure(_audit, formula=f) for f in _BAD.values()],
    )


def _outcome(statuses: list[str], acc: float, relu: float) -> str:
    if any(st in ("diverged", "error") for st in statuses):
        return "NaN"
    if math.isnan(acc):
        return "missing"
    if acc < 0.2:
        return "no learning"
    return "fine" if acc >= relu - 0.05 else "worse"


def _criteria_analyse(ev: Evidence) -> Verdict:
    groups = _criteria_specs(ev.setting)
    audits = dict(zip(_BAD, _criteria_experiment(ev.setting).measurements, strict=True))
    relu = ci_of(ev, groups["relu"])
    parts, cis = [], [relu]
    for name, f in _BAD.items():
        a = ev.value(audits[name])
        ci = ci_of(ev, groups[name])
        cis.append(ci)
        trained = _outcome(ev.statuses(groups[name]), ci.mean, relu.mean)
        bad_audit = a["verdict"] == "bad"
        if trained == "missing":
            v = INCONCLUSIVE
        elif trained == "fine":
            v = NOT_SUPPORTED  # a "bad" activation that trains as well as relu
        else:
            v = SUPPORTED if bad_audit else NOT_SUPPORTED
        acc = "—" if math.isnan(ci.mean) else f"{ci.mean:.0%}"
        parts.append(
            Part(
                f"{name} ({f})",
                v,
                f"audit: {a['verdict']} ({'; '.join(a['reasons'])});"
                f" training: {trained}, test accuracy {acc}",
            )
        )
    fig, (ax,) = figure(7, 3.2)
    bars(
        ax,
        ["relu", *_BAD],
        cis,
        scale=100,
        ylabel="test accuracy (%) (NaN runs: no bar)",
        color=["tab:green"] + ["tab:red"] * len(_BAD),
    )
    fig.tight_layout()
    summary = "; ".join(
        f"{p.name.split(' (')[0]}: {p.detail.split('training: ')[1]}" for p in parts
    )
    return Verdict(
        combine(p.verdict for p in parts),
        f"The auditor calls all four bad; trained as activations — {summary} (relu "
        f"{relu.mean:.0%}).",
        [Number(f"{n} test acc", c, "%") for n, c in zip(["relu", *_BAD], cis, strict=True)],
        parts,
        png(fig),
    )


_register(
    Claim(
        "good-activation-criteria",
        16,
        AB,
        "A good activation is defined for all reals, differentiable with a cheap backward pass, "
        "and explainable; the quadratic, square root, logarithm and symmetric square root are bad "
        "ones.",
        "textbook (lecture notes on choosing activations)",
        "Per candidate: supported when the auditor's verdict is 'bad' and training with it ends in "
        "NaN (a diverged or failed seed), no learning (test accuracy < 20%), or more than 5 points "
        "below relu; not supported when it trains within 5 points of relu (or the auditor does not "
        "call it bad). The four parts combine.",
        _criteria_experiment,
        _criteria_analyse,
    )
)
