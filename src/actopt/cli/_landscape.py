"""``actopt landscape``: optimizers racing on a 2-D test function, as a table and pictures."""

from __future__ import annotations

import argparse
import math

from rich.markup import escape
from rich.table import Table

from ._common import (
    CommaList,
    UsageError,
    add_command,
    add_json,
    comma_list,
    emit_json,
    err,
    make_dir,
    out,
    output_dir,
    parse_params,
)

__all__ = ["add_parsers"]

SEED_OPTIMIZERS = "sgd,momentum,nag,adagrad,adadelta,rmsprop,adam"


def _start(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        x = y = math.nan
    if not (math.isfinite(x) and math.isfinite(y)):
        raise UsageError(f"--start must be X,Y (two finite numbers), got {text!r}")
    return x, y


def _list() -> int:
    from actopt import landscapes as L

    table = Table(title="actopt landscapes")
    for col in ("name", "f(x, y)", "minima", "start", "window"):
        table.add_column(col, no_wrap=col == "name")
    for name in L.names():
        fn = L.function(name)
        minima = "; ".join(f"({x:.4g}, {y:.4g})" for x, y in fn.minima) or "none (unbounded)"
        params = ", ".join(f"{k}={v:g}" for k, v in fn.params.items())
        formula = fn.formula + (f"  [{params}]" if params else "")
        (x0, x1), (y0, y1) = fn.window
        window = f"[{x0:g}, {x1:g}] × [{y0:g}, {y1:g}]"
        table.add_row(name, escape(formula), minima, f"({fn.start[0]:g}, {fn.start[1]:g})",
                      escape(window))  # fmt: skip
    out.print(table)
    return 0


def _fmt(v: float | None, spec: str = ".3g") -> str:
    if v is None:
        return "—"
    return format(v, spec) if math.isfinite(v) else "inf"


def cmd_landscape(args: argparse.Namespace) -> int:
    from actopt import landscapes as L
    from actopt import optim as O

    if args.list:
        return _list()
    if not args.name:
        raise UsageError("usage: actopt landscape NAME [--opt a,b,...] (actopt landscape --list)")
    try:
        fn = L.function(args.name, **parse_params(args.param))
        opts = [O.spec(o).name for o in comma_list(args.opt, "--opt")]
        for name in opts:  # every optimizer's lr, checked before any runs
            O.spec(name).validate({"lr": args.lr})
        L.check_race(args.steps, len(opts) * (2 if args.tune else 1), noise=args.noise,
                     tol=args.tol, allow_large=args.allow_large)  # fmt: skip
    except KeyError as e:  # str() of a KeyError quotes its message
        raise UsageError(e.args[0]) from None
    except ValueError as e:
        raise UsageError(str(e)) from None
    start = _start(args.start)
    if start is not None and not fn.contains(start):
        raise UsageError(f"start {start} is outside {fn.name}'s window {fn.window}")
    kw = dict(steps=args.steps, start=start, noise=args.noise, seed=args.seed, tol=args.tol)
    runs = []
    try:
        for name in opts:
            if not args.quiet:
                err.print(f"[dim]{'tuning' if args.tune else 'running'} {name}…[/]")
            if args.tune:
                runs.append(L.tune(fn, name, **kw))
            else:
                runs.append(L.run_optimizer(fn, name, lr=args.lr, **kw))
    except ValueError as e:
        raise UsageError(str(e)) from None

    doc = {"function": fn.name, "params": fn.params, "steps": args.steps, "tol": args.tol,
           "noise": args.noise, "tuned": args.tune,
           "runs": [t.to_dict() for t in runs]}  # fmt: skip
    if emit_json(args.json, doc):
        return 0
    title = f"{fn.name}: {fn.formula} · {args.steps} steps · tolerance {args.tol:g}"
    if args.noise:
        title += f" · gradient noise σ={args.noise:g}"
    table = Table(title=escape(title))
    for col in ("optimizer", "lr", "steps to loss tol", "steps to min tol", "final loss",
                "distance to min", "status"):  # fmt: skip
        table.add_column(col, justify="left" if col == "optimizer" else "right")
    for t in runs:
        status = {"diverged": "[red]diverged[/]", "stalled": "[yellow]stalled[/]",
                  "stuck": "[yellow]stuck[/]"}.get(t.status, t.status)  # fmt: skip
        table.add_row(
            t.optimizer, f"{t.lr:.3g}", _fmt(t.steps_to_loss_tol, "d"),
            _fmt(t.steps_to_dist_tol, "d"), _fmt(t.final_loss),
            _fmt(t.final_distance) if fn.minima else "no minimum", status,
        )  # fmt: skip
    out.print(table)
    if args.tune:
        grid = f"{min(L.DEFAULT_LR_GRID):g}…{max(L.DEFAULT_LR_GRID):g}"
        out.print(
            f"lr tuned per optimizer on {fn.name} alone (grid {grid}, half-decades, by final "
            f"{'distance' if fn.minima else 'loss'}): a choice for this function, not a "
            "recommendation for training."
        )
    elif args.lr is None:
        out.print("[dim]each optimizer at its default lr; --tune picks one per optimizer[/]")
    if args.out:
        folder = make_dir(args.out)
        written = [L.plot_contour(fn, runs, folder / f"{fn.name}.png")]
        if not args.no_gif:
            written.append(L.plot_gif(fn, runs, folder / f"{fn.name}.gif"))
        if args.surface:
            written.append(L.plot_surface(fn, runs, folder / f"{fn.name}-surface.png"))
        out.print(escape("wrote " + ", ".join(str(p) for p in written)))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "landscape",
        help="race optimizers on a 2-D test function (table, contour PNG, GIF)",
        description="Run optimizers on a 2-D test function through the ordinary torch.optim "
        "interface and report steps to tolerance, final loss and distance to the nearest "
        "minimum; with --out, draw the trajectories on the contours (PNG) and animate them "
        "(GIF). Paths are kept in memory: steps beyond half this machine's memory are "
        "refused unless --allow-large.",
        examples=["actopt landscape rosenbrock --opt sgd,momentum,nag,adam --tune --out plots",
                  "actopt landscape quadratic -p kappa=100 --lr 0.01 --json race.json",
                  "actopt landscape --list"],
    )  # fmt: skip
    a = p.add_argument
    a("name", nargs="?", help="test function (actopt landscape --list)")
    a("--list", action="store_true", help="list the test functions")
    a(
        "--opt",
        default=SEED_OPTIMIZERS,
        action=CommaList,
        metavar="NAME,NAME",
        help=f"optimizers, default {SEED_OPTIMIZERS}",
    )
    a("--steps", type=int, default=500)
    a("--allow-large", action="store_true",
      help="run even when the paths would exceed half this machine's memory")  # fmt: skip
    a("--lr", type=float, help="one learning rate for every optimizer (default: each one's own)")
    a("--tune", action="store_true", help="pick each optimizer's lr from a log grid, per function")
    a("--start", metavar="X,Y", help="start point (default: the function's)")
    a("--noise", type=float, default=0.0, help="std of Gaussian noise added to each gradient")
    a("--seed", type=int, default=0, help="seed of the gradient noise")
    a("--tol", type=float, default=1e-3, help="tolerance for the steps-to-tolerance columns")
    a("--param", "-p", action="append", default=[], metavar="K=V",
      help="function parameter, e.g. kappa=100 for the quadratic")  # fmt: skip
    a("--out", metavar="DIR", type=output_dir, help="write NAME.png and NAME.gif here")
    a("--surface", action="store_true", help="also write a 3-D surface view (with --out)")
    a("--no-gif", action="store_true", help="skip the animation (faster)")
    add_json(p, "every trajectory and number")
    a("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_landscape)
