"""Landscapes: analytic gradients, published minima, hand-computed iterates, pictures."""

from __future__ import annotations

import json
import math

import pytest
import torch
from PIL import Image

import actopt.landscapes as L
import actopt.optim as O
from actopt.cli import main

F64 = torch.float64


def points_in(fn: L.TestFunction, n: int = 25) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    (x0, x1), (y0, y1) = fn.window
    u = torch.rand(n, 2, generator=g, dtype=F64)
    return torch.stack([x0 + (x1 - x0) * u[:, 0], y0 + (y1 - y0) * u[:, 1]], 1)


@pytest.mark.parametrize("name", L.names())
def test_analytic_gradient_equals_autograd(name):
    fn = L.function(name)
    p = points_in(fn).requires_grad_(True)
    (auto,) = torch.autograd.grad(fn(p).sum(), p)
    torch.testing.assert_close(fn.gradient(p.detach()), auto, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", L.names())
def test_published_minima_are_minima(name):
    fn = L.function(name)
    if not fn.minima:
        assert fn.min_value is None  # the saddle: unbounded below
        return
    for m in fn.minima:
        p = torch.tensor(m, dtype=F64)
        assert float(fn.gradient(p).norm()) < 1e-6, m
        assert float(fn(p)) == pytest.approx(fn.min_value, abs=1e-9)
    (x0, x1), (y0, y1) = fn.window
    gx, gy = torch.meshgrid(torch.linspace(x0, x1, 301, dtype=F64),
                            torch.linspace(y0, y1, 301, dtype=F64), indexing="xy")  # fmt: skip
    assert float(fn(torch.stack([gx, gy], -1)).min()) >= fn.min_value - 1e-9
    assert fn.contains(fn.start) and float(fn.distance_to_minimum(torch.tensor(fn.start))) > 0.1


# the first three iterates on ½(x² + 10y²) from (−4, 1), lr 0.05, μ = 0.9, worked by hand
# (sgd: w −= ηg; momentum: b = μb + g, w −= ηb; nag: b = μb + g, w −= η(g + μb))
HAND = {
    "sgd": [(-3.8, 0.5), (-3.61, 0.25), (-3.4295, 0.125)],
    "momentum": [(-3.8, 0.5), (-3.43, -0.2), (-2.9255, -0.73)],
    "nag": [(-3.62, 0.05), (-3.1141, -0.4025), (-2.5258505, -0.404875)],
}


@pytest.mark.parametrize("opt", list(HAND))
def test_first_iterates_match_hand_computation(opt):
    t = L.run_optimizer(L.function("quadratic"), opt, lr=0.05, steps=3)
    for got, want in zip(t.points[1:], HAND[opt], strict=True):
        assert got == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("opt", O.names())
def test_every_optimizer_descends_the_bowl_with_its_tuned_lr(opt):
    fn = L.function("quadratic", kappa=10.0)
    t = L.tune(fn, opt, steps=150)
    assert t.tuned and not t.diverged
    assert t.final_loss < 0.05 * t.losses[0], (t.lr, t.final_loss)


def test_the_condition_number_is_a_parameter():
    easy = L.run_optimizer(L.function("quadratic", kappa=1.0), "sgd", lr=0.1, steps=100)
    hard = L.run_optimizer(L.function("quadratic", kappa=100.0), "sgd", lr=0.01, steps=100)
    assert easy.final_distance < hard.final_distance
    with pytest.raises(ValueError, match="unknown parameter"):
        L.function("quadratic", condition=3)


def test_momentum_beats_plain_descent_in_the_ravine():
    fn = L.function("ravine")
    sgd, heavy = L.tune(fn, "sgd", steps=300), L.tune(fn, "momentum", steps=300)
    assert heavy.final_distance < 1e-3 < sgd.final_distance


def test_steps_to_tolerance_are_first_crossings():
    t = L.run_optimizer(L.function("quadratic"), "adam", lr=0.5, steps=300)
    k = t.steps_to_loss_tol
    assert k is not None and t.losses[k] < 1e-3 and all(v >= 1e-3 for v in t.losses[:k])
    saddle = L.run_optimizer(L.function("saddle"), "sgd", lr=0.1, steps=20)
    assert saddle.steps_to_dist_tol is None and math.isnan(saddle.final_distance)


def test_noise_is_seeded_and_divergence_is_a_result():
    fn = L.function("quadratic")
    a, b = (L.run_optimizer(fn, "sgd", lr=0.05, steps=20, noise=0.5, seed=s) for s in (1, 1))
    c = L.run_optimizer(fn, "sgd", lr=0.05, steps=20, noise=0.5, seed=2)
    assert a.points == b.points and a.points != c.points
    blown = L.run_optimizer(fn, "sgd", lr=10.0, steps=500)
    assert blown.diverged and math.isinf(blown.final_loss) and len(blown.points) < 500


def test_bad_requests():
    fn = L.function("rosenbrock")
    with pytest.raises(ValueError, match="outside the window"):
        L.run_optimizer(fn, "sgd", start=(10.0, 0.0))
    with pytest.raises(KeyError, match="did you mean rosenbrock"):
        L.function("rosenbrok")
    with pytest.raises(KeyError, match="did you mean adam"):
        L.run_optimizer(fn, "adamm")


def test_pictures_are_written(tmp_path):
    fn = L.function("himmelblau")
    runs = [L.run_optimizer(fn, o, lr=0.01, steps=30) for o in ("sgd", "adam")]
    png = L.plot_contour(fn, runs, tmp_path / "h.png")
    gif = L.plot_gif(fn, runs, tmp_path / "h.gif")
    surface = L.plot_surface(fn, runs, tmp_path / "h3d.png")
    for path in (png, gif, surface):
        assert path.stat().st_size > 10_000
    with Image.open(gif) as im:
        assert im.n_frames > 10
    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 100  # a picture, not a blank canvas


def test_a_run_that_never_nears_the_minimum_is_stalled_not_ok(capsys):
    fn = L.function("rosenbrock")
    crawl = L.run_optimizer(fn, "sgd", lr=1e-6, steps=50)
    assert (
        not crawl.diverged and crawl.status == "stalled" and crawl.to_dict()["status"] == "stalled"
    )
    assert L.run_optimizer(fn, "sgd", lr=10.0, steps=500).status == "diverged"
    assert L.run_optimizer(L.function("quadratic"), "adam", lr=0.1, steps=300).status == "ok"
    assert main(["landscape", "rosenbrock", "--opt", "sgd", "--lr", "1e-6", "--steps", "50"]) == 0
    assert "stalled" in capsys.readouterr().out


def test_on_the_saddle_a_path_escapes_or_is_stuck_never_stalled(capsys):
    """x² − y² has no minimum: the question is who leaves the saddle. A path whose loss falls
    below the saddle's value escaped, even one that runs past ±1e6 (it keeps its finite loss);
    one that only slides towards the saddle is stuck."""
    fn = L.function("saddle")
    slow = L.run_optimizer(fn, "sgd", steps=500)  # lr 1e-3: y grows 1.002× a step, from 1e-3
    assert slow.status == "stuck" and slow.final_loss > 0
    fast = L.run_optimizer(fn, "momentum", steps=500)
    assert fast.status == "escaped" and fast.final_loss < 0
    gone = L.run_optimizer(fn, "sgd", lr=1.0, steps=500)  # |y| triples a step: past 1e6 fast
    assert not gone.diverged and gone.status == "escaped"
    assert math.isfinite(gone.final_loss) and gone.final_loss < -1e12
    assert len(gone.points) < 501 and max(abs(v) for v in gone.points[-1]) > 1e6
    assert main(["landscape", "saddle", "--opt", "sgd,momentum", "--tune", "--steps", "50"]) == 0
    out = capsys.readouterr().out
    assert "stalled" not in out and "escaped" in out and "no minimum" in out
    assert "by final loss" in " ".join(out.split())


def test_one_panel_per_optimizer_and_paths_in_colours_the_map_has_not(tmp_path):
    """The map is drawn in greys; each trajectory (an optimizer with its options) has a panel
    of its own, titled with its status."""
    fn = L.function("himmelblau")
    runs = [L.run_optimizer(fn, "sgd", lr=lr, steps=30) for lr in (0.001, 0.01)]
    runs.append(L.run_optimizer(fn, "momentum", lr=0.01, momentum=0.5, steps=30))
    png = L.plot_contour(fn, runs, tmp_path / "h.png")
    with Image.open(png) as im:
        rgb = im.convert("RGB")
        wide = rgb.size
        saturated = sum(n for n, (r, g, b) in rgb.getcolors(maxcolors=1 << 22)
                        if max(r, g, b) - min(r, g, b) > 60)  # fmt: skip
    assert saturated > 500  # the paths: the only colour on a grey map
    one = L.plot_contour(fn, runs[:1], tmp_path / "one.png")
    with Image.open(one) as im:
        assert wide[0] > 2.5 * im.size[0]  # three panels side by side
    assert "momentum=0.5" in L._plot._label(runs[2])


# -- the command -----------------------------------------------------------------------------


def test_cli_table_pictures_and_json(tmp_path, capsys):
    code = main(["landscape", "quadratic", "--opt", "sgd,nag,adam", "--steps", "40", "--tune",
                 "--out", str(tmp_path), "--json", str(tmp_path / "q.json"), "-q"])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "steps to loss tol" in text and "tuned per optimizer on quadratic" in text
    assert (tmp_path / "quadratic.png").stat().st_size > 0
    assert (tmp_path / "quadratic.gif").stat().st_size > 0
    doc = json.loads((tmp_path / "q.json").read_text())
    assert [r["optimizer"] for r in doc["runs"]] == ["sgd", "nag", "adam"] and doc["tuned"]


def test_cli_list(capsys):
    assert main(["landscape", "--list"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in L.names())


@pytest.mark.parametrize("args, message", [
    (["rosenbrok"], "did you mean rosenbrock"),
    (["rosenbrock", "--opt", "sgd,adamm"], "did you mean adam"),
    (["rosenbrock", "--start", "9,9"], "outside"),
    (["rosenbrock", "--start", "1"], "X,Y"),
    ([], "usage"),
])  # fmt: skip
def test_cli_errors(capsys, args, message):
    assert main(["landscape", *args]) == 2
    assert message in capsys.readouterr().err


def test_trajectories_build_their_optimizer_through_the_spec(monkeypatch):
    import actopt.optim as O

    built = []
    real = O.OptimizerSpec.make
    monkeypatch.setattr(O.OptimizerSpec, "make", lambda s, ps, **h: built.append((s.name, h))
                        or real(s, ps, **h))  # fmt: skip
    t = L.run_optimizer(L.function("rosenbrock"), "nesterov", steps=3, momentum=0.5)
    assert built == [("nag", {"lr": None, "momentum": 0.5})] and t.lr == 1e-3
