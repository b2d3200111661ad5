"""Claims 5–6, ReLU's speed: it converges in fewer epochs, and each step costs less."""

from __future__ import annotations

import math
import random

from ._claim import Claim, Evidence, Experiment, Number, Part, Setting, Verdict, measure, png
from ._claim import register as _register
from ._common import bars, figure, flat, image_data, seeded, spec
from ._measure import Context
from ._stats import combine, decide, mean_ci, ratio_ci

__all__: list[str] = []

AB = "activation behaviour"

# -- 5. relu-converges-faster ------------------------------------------------------------------

_ACTS = {"relu": "he", "sigmoid": "xavier", "tanh": "xavier"}  # each with its customary init
_OPTS = {"momentum": {"opt": "momentum", "lr": 0.01}, "adam": {"opt": "adam", "lr": 1e-3}}
# (full, quick) test acc: within reach of 2,500 (full) or 1,000 (quick) training images
_TARGETS = {"mnist": (0.90, 0.85), "fashion-mnist": (0.78, 0.72)}


def _converge_specs(s: Setting) -> dict[tuple, list]:
    out = {}
    for data in _TARGETS:
        for depth in (2, 6):
            for opt, fields in _OPTS.items():
                for act, init in _ACTS.items():
                    base = spec(
                        **image_data(data, s, full=2_500),
                        depth=depth,
                        width=128,
                        act=act,
                        init=init,
                        epochs=s.pick(2, 5),
                        **fields,
                    )
                    out[(data, depth, opt, act)] = seeded(base, s.seeds)
    return out


def _to_target(ev: Evidence, specs: list, target: float, key: str = "epoch") -> list[float]:
    """Epoch (or elapsed seconds) at which test accuracy first reaches ``target``; a run that
    never does counts as one epoch past its budget (seconds: its total time × (E+1)/E)."""
    out = []
    for s in specs:
        r = ev.result(s)
        if r is None or r.status != "ok" or not r.history:
            out.append(math.nan)
            continue
        hit = next((h for h in r.history if h["test_acc"] >= target), None)
        if hit is not None:
            out.append(float(hit["epoch"] if key == "epoch" else hit["elapsed_s"]))
        else:
            last = r.history[-1]
            out.append(
                float(last["epoch"] + 1)
                if key == "epoch"
                else last["elapsed_s"] * (last["epoch"] + 1) / last["epoch"]
            )
    return out


def _converge_experiment(s: Setting) -> Experiment:
    groups = _converge_specs(s)
    e = next(iter(groups.values()))[0]
    targets = ", ".join(f"{d} {t[1 if s.quick else 0]:.0%}" for d, t in _TARGETS.items())
    setup = (
        f"MNIST and Fashion-MNIST ({e.data_options['n_train']:,} training images), MLPs "
        f"of width 128 and depth 2 and 6, relu (He init), sigmoid and tanh (Xavier init), "
        f"with SGD-momentum (lr 0.01, μ 0.9) and Adam (lr 1e-3); {e.epochs} epochs, "
        f"{s.seeds} seeds. Target test accuracy: {targets}."
    )
    return Experiment(setup, flat(groups))


def _converge_analyse(ev: Evidence) -> Verdict:
    groups = _converge_specs(ev.setting)
    parts, pooled = [], {"sigmoid": [], "tanh": []}
    seconds = {a: [] for a in _ACTS}
    rows = []
    for data, targets in _TARGETS.items():
        target = targets[1 if ev.setting.quick else 0]
        for depth in (2, 6):
            for opt in _OPTS:
                epochs = {a: _to_target(ev, groups[(data, depth, opt, a)], target) for a in _ACTS}
                for a in _ACTS:
                    seconds[a].append(
                        mean_ci(
                            _to_target(ev, groups[(data, depth, opt, a)], target, "seconds")
                        ).mean
                    )
                relu_budget = groups[(data, depth, opt, "relu")][0].epochs + 1
                found, words = [], []
                for other in ("sigmoid", "tanh"):
                    d = mean_ci([o - r for o, r in zip(epochs[other], epochs["relu"], strict=True)])
                    pooled[other].append(
                        [o - r for o, r in zip(epochs[other], epochs["relu"], strict=True)]
                    )
                    found.append(decide(d, above=0.0, margin=0.5))
                    words.append(f"{other} − relu {Number('', d, 'epochs').text()}")
                name = f"{data} · depth {depth} · {opt}"
                if all(v >= relu_budget for v in epochs["relu"]):  # relu never got there
                    parts.append(Part(name, "inconclusive", "relu did not reach the target"))
                else:
                    parts.append(Part(name, combine(found), "; ".join(words)))
                rows.append((name, [mean_ci(epochs[a]).mean for a in _ACTS]))
    numbers = []
    for other, diffs in pooled.items():  # per seed, the mean over settings
        per_seed = [sum(col) / len(col) for col in zip(*diffs, strict=True)]
        numbers.append(
            Number(
                f"{other} − relu, epochs to target (mean of 8 settings)",
                mean_ci(per_seed),
                "epochs",
            )
        )
    for a in _ACTS:
        numbers.append(
            Number(f"{a}: seconds to target (mean of settings)", mean_ci(seconds[a]), "s")
        )
    fig, (ax,) = figure(10, 3.6)
    width = 0.27
    for i, a in enumerate(_ACTS):
        ax.bar(
            [k + (i - 1) * width for k in range(len(rows))], [r[1][i] for r in rows], width, label=a
        )
    ax.set_xticks(range(len(rows)), [r[0] for r in rows], rotation=25, ha="right", fontsize=7)
    ax.set_ylabel("epochs to target (budget + 1: never)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    verdict = combine(p.verdict for p in parts)
    held = sum(p.verdict == "supported" for p in parts)
    return Verdict(
        verdict,
        f"ReLU reaches the target in fewer epochs than both sigmoid and tanh in {held} of "
        f"{len(parts)} settings; on average sigmoid needs {numbers[0].text()} and tanh "
        f"{numbers[1].text()} more.",
        numbers,
        parts,
        png(fig),
    )


_register(
    Claim(
        "relu-converges-faster",
        5,
        AB,
        "ReLU networks reach a target accuracy in fewer epochs (and seconds) than sigmoid or tanh "
        "networks.",
        "textbook (after Krizhevsky et al. 2012: six times faster than tanh on CIFAR-10)",
        "Per setting (dataset × depth × optimizer), the paired difference in epochs to the target "
        "(never reached = budget + 1) of sigmoid − relu and of tanh − relu must have a 95% CI "
        "above 0; a CI entirely below +0.5 epoch counts against the claim. A setting where relu "
        "never reaches the target is inconclusive. Settings combine: all supported → supported, "
        "some supported and some not → mixed.",
        _converge_experiment,
        _converge_analyse,
    )
)

# -- 6. relu-is-cheap --------------------------------------------------------------------------

_TIMED = ("relu", "sigmoid", "tanh")


def _timing(ctx: Context, n: int, rounds: int, repeats: int) -> dict:
    """Forward + backward time per element of actopt's relu, sigmoid and tanh modules on a
    float32 tensor of ``n`` elements, one thread, the three interleaved in a shuffled order
    within each round (so a slow moment of the machine hits all three)."""
    import time

    import torch

    from .. import activations

    mods = {name: activations.get(name) for name in _TIMED}
    x = torch.randn(n, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    grad = torch.ones(n)
    order = random.Random(0)
    out: dict[str, list[float]] = {name: [] for name in _TIMED}
    for name in _TIMED:  # warm up
        mods[name](x).backward(grad)
    for _ in range(rounds):
        names = list(_TIMED)
        order.shuffle(names)
        for name in names:
            t0 = time.perf_counter()
            for _ in range(repeats):
                x.grad = None
                mods[name](x).backward(grad)
            out[name].append((time.perf_counter() - t0) / repeats / n * 1e9)  # ns per element
    return {"ns_per_element": out, "n": n}


def _cheap_experiment(s: Setting) -> Experiment:
    rounds = s.pick(5, 25)
    m = measure(_timing, n=1 << 20, rounds=rounds, repeats=s.pick(3, 10), exclusive=True)
    setup = (
        f"Forward + backward of actopt's relu, sigmoid and tanh modules on 2²⁰ float32 "
        f"values, one thread, {rounds} rounds with the three in a shuffled order; the "
        "timing is measured once and kept in the store."
    )
    return Experiment(setup, (), [m])


def _cheap_analyse(ev: Evidence) -> Verdict:
    t = ev.value(_cheap_experiment(ev.setting).measurements[0])["ns_per_element"]
    parts, numbers = [], []
    for other in ("sigmoid", "tanh"):
        r = ratio_ci(t[other], t["relu"])
        parts.append(
            Part(
                f"{other} / relu",
                decide(r, above=1.0, margin=0.1),
                f"time ratio {Number('', r, 'x').text()}",
            )
        )
        numbers.append(Number(f"{other} / relu time", r, "x"))
    cis = [mean_ci(t[a]) for a in _TIMED]
    numbers += [
        Number(f"{a} forward+backward", c, "ns/element") for a, c in zip(_TIMED, cis, strict=True)
    ]
    fig, (ax,) = figure(5, 3.2)
    bars(ax, list(_TIMED), cis, ylabel="ns per element (forward + backward)")
    fig.tight_layout()
    return Verdict(
        combine(p.verdict for p in parts),
        f"Per element, relu takes {cis[0].mean:.2g} ns, sigmoid {numbers[0].text()} and tanh "
        f"{numbers[1].text()} as long.",
        numbers,
        parts,
        png(fig),
    )


_register(
    Claim(
        "relu-is-cheap",
        6,
        AB,
        "ReLU's forward and backward pass is cheaper than sigmoid's and tanh's (no exponential).",
        "textbook",
        "For sigmoid and for tanh, the per-round time ratio to relu (geometric mean over rounds, "
        "95% CI) must lie above 1; a CI entirely below 1.1 (less than 10% slower) counts against "
        "the claim. The two parts combine.",
        _cheap_experiment,
        _cheap_analyse,
    )
)
