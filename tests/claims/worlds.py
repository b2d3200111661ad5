"""Synthetic evidence with a known answer, one world per claim.

``WORLDS[id](answer)`` returns ``(run, value)``: ``run(spec, g)`` fabricates the finished run a
claim's analysis would read for ``spec``, ``value(m, g)`` the value of measurement ``m``. ``g``
is a ``random.Random`` seeded by the run or measurement, so the noise is fixed. In the
"supported" and "not supported" worlds the effect is large and the noise small; in the
"inconclusive" world the effect sits near the rule's threshold under heavy noise (or, where a
rule has no interval, the evidence is missing).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable

from actopt.claims import Evidence, Setting, get
from actopt.landscapes import DEFAULT_LR_GRID
from actopt.train import RunResult

SUP, NOT, INC = "supported", "not supported", "inconclusive"


def rng(key: str) -> random.Random:
    return random.Random(int(hashlib.sha256(key.encode()).hexdigest()[:12], 16))


def ok(spec, history=None, diagnostics=None, status="ok", **final) -> RunResult:
    return RunResult(spec, status=status, final=final, history=history or [],
                     diagnostics=diagnostics or [])  # fmt: skip


def evidence(claim_id: str, answer: str, setting: Setting) -> Evidence:
    """The claim's experiment filled with the world's runs and measurements."""
    run, value = WORLDS[claim_id](answer)
    exp = get(claim_id).experiment(setting)
    results = {}
    for s in exp.runs:
        r = run(s, rng(s.run_id))
        if r is not None:
            results[s.run_id] = r
    measured = {m.key: value(m, rng(m.key)) for m in exp.measurements}
    return Evidence(setting, results, measured)


def _noisy(answer: str, sd_small: float = 0.002, sd_big: float = 0.08) -> float:
    return sd_big if answer == INC else sd_small


# -- one world per claim ---------------------------------------------------------------------


def linear_collapse(answer):
    sd = _noisy(answer, sd_big=0.05)

    def run(s, g):
        kind = "linear" if s.model == "linear" else s.act
        acc = {SUP: {"linear": 0.90, "identity": 0.905, "relu": 0.97},
               NOT: {"linear": 0.90, "identity": 0.80, "relu": 0.81},
               INC: {"linear": 0.90, "identity": 0.905, "relu": 0.955}}[answer][kind]  # fmt: skip
        loss = {"linear": 0.30, "identity": 0.60 if answer == NOT else 0.31, "relu": 0.1}[kind]
        return ok(s, test_acc=acc + g.gauss(0, sd), train_loss=loss * (1 + g.gauss(0, sd)))

    def value(m, g):
        return {"max_rel_diff": 1e-2 if answer == NOT else 1e-15, "layers": 4,
                "acc_net": 0.9, "acc_collapsed": 0.9}  # fmt: skip

    return run, value


def nonlinear_problems(answer):
    def run(s, g):
        linear = s.model == "linear" or s.act == "identity"
        good, bad = (0.99, 0.6) if answer == SUP else (0.6, 0.99) if answer == NOT else (0.95, 0.95)
        return ok(s, test_acc=min(1.0, (bad if linear else good) + g.gauss(0, _noisy(answer))))

    def value(m, g):
        return {"extent": [-1, 1, -1, 1], "grid": 4, "pred": "0110" * 4,
                "test": [[0.1, 0.2, 0], [0.5, -0.5, 1]]}  # fmt: skip

    return run, value


def universal_approximation(answer):
    def value(m, g):
        p = m.params
        if p["act"] == "identity":
            mse = 1.17 if answer != NOT else 1.0 / p["width"]
        else:
            mse = 1.0 / p["width"] if answer != NOT else 0.5
        spread = 1.5 if answer == INC else 0.01
        return {"test_mse": mse * math.exp(g.gauss(0, spread)), "fit": [0.0] * 100}

    return (lambda s, g: None), value


def combine_activations(answer):
    def run(s, g):
        mixed = s.act[0] != s.act[1]
        base = 0.85
        acc = {SUP: base + 0.05 * mixed, NOT: base - 0.05 * mixed, INC: base + 0.005 * mixed}
        return ok(s, test_acc=acc[answer] + g.gauss(0, _noisy(answer, sd_big=0.05)))

    return run, lambda m, g: None


def relu_converges_faster(answer):
    def run(s, g):
        budget = s.epochs
        if answer == SUP:
            hit = 1 if s.act == "relu" else budget
        elif answer == NOT:
            hit = 1
        else:
            hit = g.randint(1, budget + 1)
        history = [{"epoch": e, "test_acc": 0.99 if e >= hit else 0.5,
                    "elapsed_s": float(e)} for e in range(1, budget + 1)]  # fmt: skip
        return ok(s, history, test_acc=history[-1]["test_acc"])

    return run, lambda m, g: None


def relu_is_cheap(answer):
    def value(m, g):
        rounds = m.params["rounds"]
        scale = {SUP: (1.0, 2.0, 3.0), NOT: (1.0, 1.0, 1.0), INC: (1.0, 1.0, 1.0)}[answer]
        sd = 1.0 if answer == INC else 0.001
        relu = [1.0] * rounds  # the others' noise is their ratio's
        return {"n": 1 << 20, "ns_per_element": {"relu": relu, **{
            a: [k * math.exp(g.gauss(0, sd)) for _ in range(rounds)]
            for a, k in zip(("sigmoid", "tanh"), scale[1:], strict=True)}}}  # fmt: skip

    return (lambda s, g: None), value


def vanishing_gradients(answer):
    def ratio(act: str, depth: int, g) -> float:
        vanish = act in ("sigmoid", "tanh")
        if answer == INC:
            return 0.1 * math.exp(g.gauss(0, 3))
        small = vanish if answer == SUP else not vanish
        return (1e-4 if small else 1.0) * math.exp(g.gauss(0, 0.01))

    def run(s, g):
        sigmoid = s.act == "sigmoid"
        acc = {SUP: 0.1 if sigmoid else 0.6, NOT: 0.6 if sigmoid else 0.1}.get(answer)
        if acc is None:
            acc = 0.2 + g.gauss(0, 0.2) if sigmoid else 0.3 + g.gauss(0, 0.2)
        diag = [{"grad_norm": {"linear1": ratio(s.act, s.depth, g), f"linear{s.depth + 1}": 1.0}}]
        return ok(s, diagnostics=diag, test_acc=acc)

    def value(m, g):
        return [ratio(m.params["act"], m.params["depth"], g) for _ in range(m.params["seeds"])]

    return run, value


def tanh_zero_centred(answer):
    def run(s, g):
        sig = s.act == "sigmoid"
        loss = {SUP: 1.0 if sig else 0.5, NOT: 0.5, INC: 0.5 * math.exp(g.gauss(0, 0.5))}[answer]
        return ok(s, [{"epoch": 1, "train_loss": loss}], train_loss=loss)

    def value(m, g):
        sig = m.params["spec"]["act"] == "sigmoid"
        per = (1.0 if sig else 0.0) if answer != NOT else 0.5
        batch = {SUP: 0.5 if sig else 0.05, NOT: 0.1, INC: 0.1 + g.gauss(0, 0.1)}[answer]
        return {w: {"per_example": per, "batch": batch} for w in ("init", "end")}

    return run, value


def dying_relu(answer):
    def dead(level: float, g) -> float:
        if answer == NOT:
            return 0.05
        if answer == INC:
            return max(0.0, 0.1 + g.gauss(0, 0.2))
        return level

    def run(s, g):
        if s.act != "relu":
            return ok(s, dead_fraction=0.05 if answer == NOT else 0.0)
        level = {1e-3: 0.05, 1e-2: 0.1, 5e-2: 0.5}[s.lr]
        return ok(s, dead_fraction=dead(level, g))

    def value(m, g):
        if "weight_std" in m.params:
            return dead(0.4, g)
        return dead({-0.5: 0.2, -1.0: 0.4, -2.0: 0.6}[m.params["bias"]], g)

    return run, value


def leaky_relu_zero_centred(answer):
    def run(s, g):
        r = {SUP: 0.05, NOT: 0.6, INC: 0.1 + g.gauss(0, 0.1)}[answer]
        if s.act != "leaky_relu":
            r = 0.5
        return ok(s, diagnostics=[{"act_mean": {"a": r}, "act_std": {"a": 1.0}}])

    def value(m, g):
        leaky = {"mean": 0.4, "std": 0.6} if answer == NOT else {"mean": 0.01, "std": 1.0}
        return {a: leaky if a == "leaky_relu" else {"mean": 0.4, "std": 0.6}
                for a in m.params["acts"]}  # fmt: skip

    return run, value


def relu_sparsity_regularises(answer):
    def run(s, g):
        relu = s.act == "relu"
        gap = {SUP: 0.05 if relu else 0.10, NOT: 0.10, INC: 0.10 + g.gauss(0, 0.05)}[answer]
        return ok(s, gen_gap=gap, test_acc=0.8, saturated_fraction=0.5 if relu else 0.0)

    return run, lambda m, g: None


def sigmoid_saturation(answer):
    def value(m, g):
        if "gain" in m.params and "spec" not in m.params:  # the saturated fraction at init
            table = {0.5: 0.0, 1.0: 0.0, 2.0: 0.05, 4.0: 0.2, 8.0: 0.5}
            return 0.0 if answer == NOT else table[m.params["gain"]]
        loss = {SUP: 1.0 if m.params["gain"] == 4.0 else 0.5, NOT: 0.5,
                INC: 0.5 * math.exp(g.gauss(0, 0.5))}[answer]  # fmt: skip
        return {"status": "ok", "train_loss": loss, "curve": [loss]}

    return (lambda s, g: None), value


def vanishing_fixed_by_regularisation(answer):
    def run(s, g):
        fixed = s.norm != "none" or s.dropout or s.opt_params.get("weight_decay")
        if answer == SUP:
            ratio, acc = (1e-1, 0.5) if fixed else (1e-4, 0.1)
        elif answer == NOT:
            ratio, acc = 1e-4, 0.1
        else:
            ratio, acc = 1e-4 * math.exp(g.gauss(0, 3)), 0.1 + g.gauss(0, 0.1)
        diag = [{"grad_norm": {"linear1": ratio, f"linear{s.depth + 1}": 1.0}}]
        return ok(s, diagnostics=diag, test_acc=acc)

    return run, lambda m, g: None


def swish_beats_relu_deeper(answer):
    def run(s, g):
        step = {SUP: 0.01, NOT: -0.01, INC: 0.0}[answer]
        acc = 0.85 + (step * s.depth / 2 if s.act == "swish" else 0.0)
        return ok(s, test_acc=acc + g.gauss(0, _noisy(answer, sd_big=0.05)))

    return run, lambda m, g: None


def output_probabilities(answer):
    def value(m, g):
        if answer == NOT:
            return {"test_acc": 0.6, "softmax_sum_err": 0.1, "sigmoid_sum_err": 0.0,
                    "sigmoid_min": -0.1, "sigmoid_max": 1.2}  # fmt: skip
        err = 0.3 if answer == SUP else 0.05 + g.gauss(0, 0.1)
        return {"test_acc": 0.6, "softmax_sum_err": 1e-16, "sigmoid_sum_err": err,
                "sigmoid_min": 0.001, "sigmoid_max": 0.99}  # fmt: skip

    return (lambda s, g: None), value


def good_activation_criteria(answer):
    def run(s, g):
        if s.act == "relu":
            return ok(s, test_acc=0.6)
        if answer == INC:
            return None  # the bad activations' runs are missing
        return ok(s, test_acc=0.1 if answer == SUP else 0.62)

    def value(m, g):
        return {"verdict": "bad" if answer != NOT else "good", "reasons": ["a reason"]}

    return run, value


def batch_vs_minibatch(answer):
    def run(s, g):
        epochs = range(1, s.epochs + 1)
        jitter = (lambda: g.gauss(0, 0.3)) if answer == INC else (lambda: 0.0)
        mode = "gd" if s.batch_size == "full" else "mb" if s.batch_size == 128 else "sgd"
        if answer == NOT:  # the three alike, GD ahead in test loss
            loss, pace, test = (lambda e: 2.3 * 0.7**e), 0.1, 0.5 if mode == "gd" else 1.0
        else:
            loss = {"gd": lambda e: 2.3 - 0.05 * e, "mb": lambda e: 2.3 * 0.7**e,
                    "sgd": lambda e: 1.0 + 0.3 * (-1) ** e}[mode]  # fmt: skip
            pace, test = {"gd": 0.1, "mb": 0.2, "sgd": 5.0}[mode], 2.0 if mode == "gd" else 1.0
        history = [{"epoch": e, "val_loss": loss(e) + jitter(), "elapsed_s": pace * e}
                   for e in epochs]  # fmt: skip
        return ok(s, history, test_loss=test + jitter())

    return run, lambda m, g: None


def noise_escapes_local_minima(answer):
    def value(m, g):
        n, noisy = m.params["starts"], m.params["noise"] > 0
        if answer == INC:
            success = [int(g.random() < 0.5) for _ in range(n)]
        else:
            success = [int(noisy == (answer == SUP))] * n
        return {"success": success, "end": [[0.0, 0.0]]}

    return (lambda s, g: None), value


def learning_rate(answer):
    def run(s, g):
        loss = {1e-3: 2.0, 1e-2: 1.0, 1e-1: 0.3, 1.0: 0.5}
        if answer == NOT:
            return ok(s, train_loss=0.5)
        if s.lr == 10.0:
            if answer == INC and s.seed % 2:
                return ok(s, train_loss=1.0)
            return ok(s, status="diverged")
        if answer == INC and s.lr == 1e-3:
            return ok(s, train_loss=0.45 * math.exp(g.gauss(0, 0.6)))
        return ok(s, train_loss=loss[s.lr])

    def value(m, g):
        sweep = []
        for i, lr in enumerate(DEFAULT_LR_GRID):
            if answer == NOT:
                sweep.append({"lr": lr, "final_loss": 1.0, "diverged": False})
            else:
                diverged = i >= len(DEFAULT_LR_GRID) - 2
                sweep.append({"lr": lr, "final_loss": math.inf if diverged else 10.0 / (i + 1),
                              "diverged": diverged})  # fmt: skip
        return {"sweep": sweep}

    return run, value


def _net_losses(answer, slow: str, fast: str):
    def run(s, g):
        if answer == INC:
            return ok(s, train_loss=0.5 * math.exp(g.gauss(0, 0.5)))
        better = s.opt == fast and answer == SUP
        return ok(s, train_loss=0.5 if better else 1.0)

    return run


def _tuned(answer, faster: bool, g) -> dict:
    good = faster == (answer != NOT)
    return {
        "lr": 0.1,
        "diverged": False,
        "steps_to_tol": 20 if good else 100,
        "increases": 1 if good else 10,
        "curve": [1.0, 0.5],
        "across": 2 if good else 10,
    }


def momentum_accelerates(answer):
    def value(m, g):
        if m.fn.endswith("_oscillation"):
            good = answer != NOT
            return {"lr": 0.1, "sgd": 10 if good else 2, "momentum": 2 if good else 10}
        return _tuned(answer, m.params["opt"] == "momentum", g)

    return _net_losses(answer, "sgd", "momentum"), value


def nesterov_improves_momentum(answer):
    def value(m, g):
        return _tuned(answer, m.params["opt"] == "nag", g)

    return _net_losses(answer, "momentum", "nag"), value


def adagrad_sparse_features(answer):
    def value(m, g):
        freq = [0.5 / j for j in range(1, 301)]
        ada = m.params["opt"] == "adagrad"
        eff = [f ** (-0.5 if answer != NOT else 0.5) for f in freq] if ada else [0.1] * 300
        rare = {SUP: 0.8 if ada else 0.6, NOT: 0.7, INC: 0.7 + g.gauss(0, 0.1)}[answer]
        return {"lr": 0.1, "effective_lr": eff, "freq": freq, "test_acc": 0.8,
                "rare_acc": rare, "rare_examples": 100}  # fmt: skip

    return (lambda s, g: None), value


def adagrad_lr_vanishes(answer):
    def run(s, g):
        ada = s.opt == "adagrad"
        if answer == INC:
            end, loss = 0.5 * math.exp(g.gauss(0, 1)), math.exp(g.gauss(0, 0.5))
        else:
            decays = ada == (answer == SUP)
            end = 0.1 if decays else 1.0
            loss = 1.0 if decays else 0.5
        curve = [1.0, (1.0 + end) / 2, end]
        diag = [{"effective_lr": {"q50": v}} for v in curve]
        return ok(s, [{"epoch": 1, "train_loss": loss}], diag, train_loss=loss)

    return run, lambda m, g: None


def regularisation_generalises(answer):
    def run(s, g):
        plain = s.dropout == 0 and s.norm == "none"
        gap = {SUP: 0.2 if plain else 0.1, NOT: 0.2, INC: 0.2 + g.gauss(0, 0.08)}[answer]
        return ok(s, gen_gap=gap, test_acc=0.8)

    return run, lambda m, g: None


WORLDS: dict[str, Callable] = {
    fn.__name__.replace("_", "-"): fn
    for fn in (
        linear_collapse, nonlinear_problems, universal_approximation, combine_activations,
        relu_converges_faster, relu_is_cheap, vanishing_gradients, tanh_zero_centred, dying_relu,
        leaky_relu_zero_centred, relu_sparsity_regularises, sigmoid_saturation,
        vanishing_fixed_by_regularisation, swish_beats_relu_deeper, output_probabilities,
        good_activation_criteria, batch_vs_minibatch, noise_escapes_local_minima, learning_rate,
        momentum_accelerates, nesterov_improves_momentum, adagrad_sparse_features,
        adagrad_lr_vanishes, regularisation_generalises,
    )
}  # fmt: skip
