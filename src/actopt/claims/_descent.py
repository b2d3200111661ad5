"""Claims 17 and 19, plain gradient descent: the batch size, and the learning rate."""

from __future__ import annotations

import math

from ._claim import Claim, Evidence, Experiment, Number, Part, Setting, Verdict, measure, png
from ._claim import register as _register
from ._common import M1D, figure, flat, seeded, spec
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

__all__: list[str] = []

OPT = "optimizers"
_CHANCE_LOSS = math.log(10)  # cross-entropy of a uniform guess over 10 classes

# -- 17. batch-vs-minibatch --------------------------------------------------------------------

_MODES = {
    "GD (full batch)": ("full", 0.5),
    "mini-batch 128": (128, 0.1),
    "SGD (batch 1)": (1, 0.01),
}


def _batch_specs(s: Setting) -> dict[str, list]:
    base = spec(
        M1D, opt="sgd", data_options={"num_samples": s.pick(1000, 1500)}, epochs=s.pick(3, 5)
    )
    return {
        name: seeded(base.replace(batch_size=b, lr=lr), s.seeds) for name, (b, lr) in _MODES.items()
    }


def _batch_experiment(s: Setting) -> Experiment:
    groups = _batch_specs(s)
    e = groups["SGD (batch 1)"][0]
    n = e.data_options["num_samples"]
    setup = (
        f"MNIST-1D with {n:,} samples ({round(n * 0.8 * 0.9):,} for training), a 2 × 128 "
        f"relu MLP, plain SGD: full batch (lr 0.5), batches of 128 (lr 0.1), single "
        f"examples (lr 0.01); {e.epochs} epochs, {s.seeds} seeds. Noise: the mean "
        "|second difference| of the per-epoch validation loss. Equal time: each mode's "
        "validation loss at the shortest of the three runs' wall times (stored with the "
        "runs)."
    )
    return Experiment(setup, flat(groups))


def _noise(history: list[dict]) -> float:
    v = [h["val_loss"] for h in history]
    d2 = [abs(v[i + 1] - 2 * v[i] + v[i - 1]) for i in range(1, len(v) - 1)]
    return sum(d2) / len(d2) if d2 else math.nan


def _loss_at(history: list[dict], t: float) -> float:
    """The validation loss at elapsed time ``t``: the last epoch finished by then (the chance
    loss before the first)."""
    done = [h["val_loss"] for h in history if h["elapsed_s"] <= t + 1e-12]
    return done[-1] if done else _CHANCE_LOSS


def _batch_analyse(ev: Evidence) -> Verdict:
    groups = _batch_specs(ev.setting)
    gd, mb, _ = groups.values()
    hist = {
        k: [(r.history if (r := ev.result(x)) and r.status == "ok" else None) for x in g]
        for k, g in groups.items()
    }
    slow = paired_ci(ev.final(gd, "test_loss"), ev.final(mb, "test_loss"))
    noise = {k: [_noise(h) if h else math.nan for h in hs] for k, hs in hist.items()}
    noisy = ratio_ci(noise["SGD (batch 1)"], noise["mini-batch 128"])
    at_t: dict[str, list[float]] = {k: [] for k in groups}
    for seed in range(ev.setting.seeds):
        runs = [hist[k][seed] for k in groups]
        if any(h is None for h in runs):
            for k in groups:
                at_t[k].append(math.nan)
            continue
        t = min(h[-1]["elapsed_s"] for h in runs)
        for k, h in zip(groups, runs, strict=True):
            at_t[k].append(_loss_at(h, t))
    trade = [
        paired_ci(at_t[k], at_t["mini-batch 128"]) for k in ("GD (full batch)", "SGD (batch 1)")
    ]
    parts = [
        Part(
            "GD is slow (per epoch)",
            decide(slow, above=0.0, margin=0.05),
            f"test loss GD − mini-batch {Number('', slow).text()} after the same epochs",
        ),
        Part(
            "SGD is noisy",
            decide(noisy, above=1.0, margin=0.1),
            f"noise SGD / mini-batch {Number('', noisy, 'x').text()}",
        ),
        Part(
            "mini-batch wins at equal time",
            combine(decide(d, above=0.0, margin=0.02) for d in trade),
            f"val loss at equal time: GD − mini-batch {Number('', trade[0]).text()}, "
            f"SGD − mini-batch {Number('', trade[1]).text()}",
        ),
    ]
    fig, (ax1, ax2) = figure(9, 3.3, cols=2)
    for color, (name, hs) in zip(("tab:blue", "tab:green", "tab:red"), hist.items(), strict=True):
        for i, h in enumerate(x for x in hs if x):
            label = name if i == 0 else None
            ax1.plot(
                [r["epoch"] for r in h],
                [r["val_loss"] for r in h],
                color=color,
                alpha=0.6,
                label=label,
            )
            ax2.plot(
                [r["elapsed_s"] for r in h],
                [r["val_loss"] for r in h],
                color=color,
                alpha=0.6,
                label=label,
            )
    ax1.set(xlabel="epoch", ylabel="validation loss")
    ax2.set(xlabel="seconds (as stored)", xscale="log", ylabel="validation loss")
    ax1.legend(fontsize=7)
    fig.tight_layout()
    return Verdict(
        combine(p.verdict for p in parts),
        f"After the same epochs GD's test loss is {Number('', slow).text()} above mini-batch's; "
        f"single-example SGD's curve is {Number('', noisy, 'x').text()} as rough; at equal "
        f"time mini-batch leads GD by {Number('', trade[0]).text()} and SGD by "
        f"{Number('', trade[1]).text()} in validation loss.",
        [
            Number("noise SGD / mini-batch", noisy, "x"),
            Number("loss at equal time, SGD − mini-batch", trade[1]),
            Number("test loss GD − mini-batch", slow),
            Number("loss at equal time, GD − mini-batch", trade[0]),
        ],
        parts,
        png(fig),
    )


_register(
    Claim(
        "batch-vs-minibatch",
        17,
        OPT,
        "Full-batch gradient descent is smooth but slow, single-example SGD is noisy, and "
        "mini-batches are the best trade-off.",
        "textbook",
        "Three parts, paired by seed with 95% CIs: GD's test loss after the same epochs exceeds "
        "mini-batch's (CI above 0; below +0.05: against); SGD's noise / mini-batch's noise above 1 "
        "(below 1.1: against); and at equal wall time mini-batch's validation loss is lower than "
        "both GD's and SGD's (each difference's CI above 0; below +0.02: against). Parts combine.",
        _batch_experiment,
        _batch_analyse,
    )
)

# -- 19. learning-rate -------------------------------------------------------------------------

_NET_LRS = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


def _lr_sweep(ctx: Context, function: str, steps: int) -> dict:
    """Plain SGD on a landscape at every lr of the landscapes' grid: final loss, diverged."""
    from .. import landscapes

    fn = landscapes.function(function)
    out = []
    for lr in landscapes.DEFAULT_LR_GRID:
        t = landscapes.run_optimizer(fn, "sgd", lr=lr, steps=steps)
        out.append(
            {
                "lr": lr,
                "final_loss": t.final_loss if not t.diverged else math.inf,
                "diverged": t.diverged,
            }
        )
    return {"sweep": out}


def _lr_specs(s: Setting) -> dict[float, list]:
    base = spec(M1D, opt="sgd", epochs=s.pick(2, 5))
    return {lr: seeded(base.replace(lr=lr), s.seeds) for lr in _NET_LRS}


def _lr_experiment(s: Setting) -> Experiment:
    groups = _lr_specs(s)
    steps = s.pick(200, 1000)
    setup = (
        f"Plain SGD on the Rosenbrock landscape ({steps} steps) at lr 1e-4 … 31.6 "
        f"(half-decades), and on MNIST-1D (2 × 128 relu MLP, "
        f"{groups[_NET_LRS[0]][0].epochs} epochs, {s.seeds} seeds) at lr "
        f"{', '.join(f'{x:g}' for x in _NET_LRS)}."
    )
    return Experiment(
        setup,
        flat(groups),
        [measure(_lr_sweep, function="rosenbrock", steps=steps)],
    )


def _lr_analyse(ev: Evidence) -> Verdict:
    groups = _lr_specs(ev.setting)
    sweep = ev.value(_lr_experiment(ev.setting).measurements[0])["sweep"]
    finite = [p for p in sweep if not p["diverged"]]
    best = min(finite, key=lambda p: p["final_loss"]) if finite else None
    small, large = sweep[0], sweep[-1]
    parts = []
    if best is None:
        parts.append(Part("landscape: too small is slow", INCONCLUSIVE, "every lr diverged"))
    else:
        ratio = small["final_loss"] / max(best["final_loss"], 1e-300)
        parts.append(
            Part(
                "landscape: too small is slow",
                SUPPORTED if ratio >= 2 else NOT_SUPPORTED,
                f"final loss at lr {small['lr']:g} is {ratio:.3g}× the best (lr {best['lr']:.3g})",
            )
        )
    parts.append(
        Part(
            "landscape: too large fails",
            SUPPORTED if large["diverged"] else NOT_SUPPORTED,
            f"lr {large['lr']:.3g} " + ("diverged" if large["diverged"] else "converged"),
        )
    )
    loss = {lr: ev.final(g, "train_loss", ok_only=False) for lr, g in groups.items()}
    ok_lrs = [lr for lr in _NET_LRS if all(math.isfinite(v) for v in loss[lr])]
    best_lr = min(ok_lrs, key=lambda lr: mean_ci(loss[lr]).mean) if ok_lrs else None
    slow = ratio_ci(loss[_NET_LRS[0]], loss[best_lr]) if best_lr else None
    parts.append(
        Part(
            "MNIST-1D: too small is slow",
            decide(slow, above=1.5) if slow else INCONCLUSIVE,
            f"train loss at lr {_NET_LRS[0]:g} / at lr {best_lr:g} {Number('', slow, 'x').text()}"
            if slow
            else "no lr trained",
        )
    )
    top = groups[_NET_LRS[-1]]
    failed = [
        st != "ok" or not (v < _CHANCE_LOSS)
        for st, v in zip(ev.statuses(top), loss[_NET_LRS[-1]], strict=True)
    ]
    top_ci = mean_ci(loss[_NET_LRS[-1]])
    good = best_lr is not None and top_ci.high < 1.5 * mean_ci(loss[best_lr]).mean
    parts.append(
        Part(
            "MNIST-1D: too large fails",
            SUPPORTED if all(failed) else NOT_SUPPORTED if good else INCONCLUSIVE,
            f"lr {_NET_LRS[-1]:g}: {sum(failed)} of {len(failed)} runs diverged or "
            "ended no better than chance",
        )
    )
    fig, (ax1, ax2) = figure(9, 3.3, cols=2)
    ax1.plot([p["lr"] for p in finite], [p["final_loss"] for p in finite], "o-")
    for p in sweep:
        if p["diverged"]:
            ax1.axvline(p["lr"], color="tab:red", alpha=0.3)
    ax1.set(
        xscale="log", yscale="log", xlabel="lr (red: diverged)", ylabel="final loss (Rosenbrock)"
    )
    means = [
        mean_ci([v if math.isfinite(v) else math.nan for v in loss[lr]]).mean for lr in _NET_LRS
    ]
    ax2.plot(_NET_LRS, means, "o-")
    ax2.axhline(_CHANCE_LOSS, color="0.5", ls=":", lw=1)
    ax2.set(xscale="log", xlabel="lr", ylabel="final train loss (MNIST-1D)")
    fig.tight_layout()
    return Verdict(
        combine(p.verdict for p in parts),
        "Too small an lr leaves the loss high and too large a one "
        + ("diverges" if large["diverged"] and all(failed) else "does not always diverge")
        + f": on MNIST-1D lr {_NET_LRS[0]:g} ends at "
        + (f"{Number('', slow, 'x').text()} the loss of lr {best_lr:g}" if slow else "—")
        + ".",
        [Number(f"MNIST-1D loss lr {_NET_LRS[0]:g} / best", slow, "x")] if slow else [],
        parts,
        png(fig),
    )


_register(
    Claim(
        "learning-rate",
        19,
        OPT,
        "Too small a learning rate converges slowly; too large a one fails to converge.",
        "textbook",
        "Landscape: the smallest lr's final loss must be ≥ 2× the best lr's, and the largest lr "
        "must diverge. MNIST-1D: the train-loss ratio smallest lr / best lr must have a 95% CI "
        "above 1.5 (below: against), and every run at the largest lr must diverge or end no better "
        "than chance (ln 10); it counts against when that lr's loss CI lies below 1.5× the best. "
        "Four parts, combined.",
        _lr_experiment,
        _lr_analyse,
    )
)
