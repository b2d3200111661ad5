"""Claim 18, noise against local minima: noisy gradient steps from many starts on landscapes
with local minima."""

from __future__ import annotations

from ._claim import Claim, Evidence, Experiment, Number, Part, Setting, Verdict, measure, png
from ._claim import register as _register
from ._common import figure, flat
from ._measure import Context
from ._stats import (
    combine,
    decide,
    paired_ci,
)

__all__ = ["landscape_points"]

OPT = "optimizers"

# -- 18. noise-escapes-local-minima ------------------------------------------------------------

# per landscape: SGD's lr and the gradient-noise std, set so that the noise "temperature"
# lr·σ²/2 is of the order of the barriers between neighbouring minima (5 for Rastrigin, 0.5
# for the camel), before any run
_LANDSCAPES = {"rastrigin": (1e-3, 100.0), "six_hump_camel": (1e-2, 10.0)}


def landscape_points(fn, n: int, seed: int = 0):
    """``n`` seeded starting points, uniform in ``fn``'s window (float64, (n, 2))."""
    import torch

    (x0, x1), (y0, y1) = fn.window
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(n, 2, generator=g, dtype=torch.float64)
    return torch.stack([x0 + u[:, 0] * (x1 - x0), y0 + u[:, 1] * (y1 - y0)], 1)


def _escape(
    ctx: Context,
    function: str,
    lr: float,
    noise: float,
    steps: int,
    polish: int,
    starts: int,
    seed: int,
) -> dict:
    """SGD from every start at once (one (n, 2) parameter: the rule is element-wise): ``steps``
    steps with Gaussian gradient noise, then ``polish`` without; did it end at a global min?"""
    import torch

    from .. import landscapes, optim

    fn = landscapes.function(function)
    w = torch.nn.Parameter(landscape_points(fn, starts))
    opt = optim.spec("sgd").make([w], lr=lr)
    g = torch.Generator().manual_seed(seed)
    for t in range(steps + polish):
        grad = fn.gradient(w.detach())
        if t < steps and noise:
            grad = grad + noise * torch.randn(w.shape, generator=g, dtype=torch.float64)
        w.grad = grad
        opt.step()
    end = w.detach()
    ok = torch.isfinite(end).all(1) & (fn.distance_to_minimum(end) < 0.05)
    return {
        "success": [int(b) for b in ok],
        "end": [[round(float(a), 3), round(float(b), 3)] for a, b in end[:100]],
    }


def _escape_measurements(s: Setting) -> dict[tuple[str, float], list]:
    out = {}
    for name, (lr, sigma) in _LANDSCAPES.items():
        for noise in (0.0, sigma):
            out[(name, noise)] = [
                measure(
                    _escape,
                    function=name,
                    lr=lr,
                    noise=noise,
                    steps=s.pick(500, 1000),
                    polish=s.pick(200, 300),
                    starts=s.pick(50, 100),
                    seed=i,
                )
                for i in range(1 if noise == 0 else s.seeds)
            ]
    return out


def _escape_experiment(s: Setting) -> Experiment:
    ms = _escape_measurements(s)
    p = next(iter(ms.values()))[0].params
    setup = (
        f"{p['starts']} starts uniform in each window; plain SGD for {p['steps']} steps "
        f"with and without Gaussian gradient noise, then {p['polish']} noise-free steps: "
        + "; ".join(f"{n} (lr {lr:g}, noise std {sd:g})" for n, (lr, sd) in _LANDSCAPES.items())
        + f". With noise, {s.seeds} noise seeds. Success: ending within 0.05 of a global "
        "minimum."
    )
    return Experiment(setup, (), flat(ms))


def _escape_analyse(ev: Evidence) -> Verdict:
    ms = _escape_measurements(ev.setting)
    parts, numbers = [], []
    fig, axes = figure(9, 3.6, cols=2)
    for ax, (name, (_, sigma)) in zip(axes, _LANDSCAPES.items(), strict=True):
        clean = ev.value(ms[(name, 0.0)][0])["success"]
        noisy_runs = [ev.value(m)["success"] for m in ms[(name, sigma)]]
        noisy = [sum(col) / len(col) for col in zip(*noisy_runs, strict=True)]
        d = paired_ci(noisy, clean)
        parts.append(
            Part(
                name,
                decide(d, above=0.0, margin=0.02),
                f"global minimum reached: {sum(clean) / len(clean):.0%} without noise, "
                f"{sum(noisy) / len(noisy):.0%} with",
            )
        )
        numbers.append(Number(f"{name}: success with − without noise", d, "pt"))
        _draw_landscape(ax, name)
        for key, marker, color in ((0.0, "x", "k"), (sigma, "o", "tab:red")):
            pts = ev.value(ms[(name, key)][0])["end"]
            ax.scatter(
                [p[0] for p in pts],
                [p[1] for p in pts],
                s=10,
                marker=marker,
                c=color,
                label="with noise" if key else "without",
            )
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return Verdict(
        combine(p.verdict for p in parts),
        "Gradient noise changes the share of starts ending in a global minimum by "
        + " and ".join(f"{n.text()} ({n.label.split(':')[0]})" for n in numbers)
        + ".",
        numbers,
        parts,
        png(fig),
    )


def _draw_landscape(ax, name: str) -> None:
    import torch

    from .. import landscapes

    fn = landscapes.function(name)
    (x0, x1), (y0, y1) = fn.window
    gx, gy = torch.linspace(x0, x1, 80), torch.linspace(y0, y1, 80)
    mesh = torch.stack(torch.meshgrid(gx, gy, indexing="xy"), -1).double()
    ax.contour(gx.numpy(), gy.numpy(), fn(mesh).numpy(), levels=12, linewidths=0.5, colors="0.6")


_register(
    Claim(
        "noise-escapes-local-minima",
        18,
        OPT,
        "Noisy (stochastic) gradient steps can escape a local minimum that plain gradient descent "
        "stays in.",
        "textbook",
        "Per landscape, the paired (by start) difference in reaching a global minimum, with noise "
        "− without, must have a 95% CI above 0; a CI below +2 points counts against the claim. The "
        "two landscapes combine.",
        _escape_experiment,
        _escape_analyse,
    )
)
