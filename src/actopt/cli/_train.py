"""``actopt train``: one run, with a live progress bar and a summary table."""

from __future__ import annotations

import argparse
import re
from typing import Any

from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._common import (
    UsageError,
    add_command,
    add_json,
    emit_json,
    err,
    out,
    parse_params,
    parse_value,
    positive_int,
    print_error,
    split_top_level,
)

__all__ = ["add_parsers"]


def spec_from_args(args: argparse.Namespace):
    from actopt.bench import parse_opt_label
    from actopt.train import RunSpec

    try:  # a name, or a label as train and the leaderboard print it: adam(betas=[0.8, 0.99])
        opt_params = parse_opt_label(args.opt)
    except ValueError as e:
        raise UsageError(str(e)) from None
    opt = opt_params.pop("name")
    opt_params.update(parse_params(args.opt_param))
    acts = split_top_level(args.act)
    batch = args.batch_size if args.batch_size == "full" else parse_value(args.batch_size)
    fields: dict[str, Any] = dict(
        data=args.data, model=args.model, depth=args.depth, width=args.width,
        act=acts[0] if len(acts) == 1 else tuple(acts), act_params=parse_params(args.act_param),
        init=args.init, norm=args.norm, dropout=args.dropout, opt=opt, lr=args.lr,
        opt_params=opt_params, batch_size=batch, epochs=args.epochs,
        steps=args.steps, schedule=args.schedule, schedule_params=parse_params(args.schedule_param),
        loss=args.loss, seed=args.seed, device=args.device, diagnostics=args.diagnostics,
        diag_every=args.diag_every, val_fraction=args.val_fraction,
        data_options=parse_params(args.data_option),
    )  # fmt: skip
    try:
        return RunSpec(**fields)
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None


def _prepare(spec, args: argparse.Namespace) -> None:
    """What the machine must allow before training starts: the device, the memory, threads."""
    import torch

    from actopt.train import check_resources, resolve_device

    try:
        resolve_device(spec.device)
        check_resources(spec, allow_large=args.allow_large)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.threads is not None:
        torch.set_num_threads(args.threads)


def _generated(spec):
    """A generated dataset (toys, MNIST-1D), made before training: a bad option value
    (``-d noise=-1``) is a usage error, not a failed run. An image set loads in the run: a
    missing or corrupt file is that run's failure (exit status 1)."""
    from actopt import data
    from actopt.train import load_data

    if data.spec(spec.data).needs_files:
        return None
    try:
        return load_data(spec)
    except ValueError as e:
        raise UsageError(str(e)) from None


def cmd_train(args: argparse.Namespace) -> int:
    from actopt.train import run

    spec = spec_from_args(args)
    _prepare(spec, args)
    dataset = _generated(spec)
    bar = Progress(
        TextColumn("epoch {task.fields[epoch]}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TextColumn("loss {task.fields[loss]:.4f}  acc {task.fields[acc]:.2%}"),
        TimeElapsedColumn(),
        console=err,
        disable=args.quiet,
    )
    tasks: dict[int, Any] = {}

    def progress(epoch: int, epochs: int, i: int, n: int, loss: float, acc: float) -> None:
        if epoch not in tasks:
            tasks[epoch] = bar.add_task("", total=n, epoch=f"{epoch}/{epochs}", loss=loss, acc=acc)
        bar.update(tasks[epoch], completed=i, loss=loss, acc=acc)

    if not args.quiet:
        err.print(f"[dim]run {spec.run_id}: {escape(_describe(spec))}[/]")
    with bar:
        result = run(spec, dataset=dataset, data_dir=args.data_dir,
                     download=not args.no_download, progress=progress)  # fmt: skip
    to_stdout = emit_json(args.json, result.to_json())
    if result.status == "error":  # the message, without the class name the result keeps
        print_error(re.sub(r"^\w+(Error|Exception): ", "", result.error or "failed"))
        return 1
    if not to_stdout:
        _print_summary(result)
    if result.status == "diverged":
        err.print(f"[yellow]diverged:[/] non-finite loss at step {result.diverged_step}")
    return 0


def _describe(spec) -> str:
    opt = f"{spec.opt_label} (lr {spec.lr})"
    return f"{spec.data} · {spec.model} · {spec.act_label} · {opt} · seed {spec.seed}"


def _print_summary(result) -> None:
    table = Table(title=escape(f"{_describe(result.spec)}  [{result.status}]"),
                  caption="train loss, acc: running mean over the epoch's batches")  # fmt: skip
    for col in ("epoch", "train loss", "train acc", "val acc", "test acc", "lr", "time (s)"):
        table.add_column(col, justify="right")
    for r in result.history:
        table.add_row(
            str(r["epoch"]), f"{r['train_loss']:.4f}", f"{r['train_acc']:.2%}",
            f"{r['val_acc']:.2%}", f"{r['test_acc']:.2%}", f"{r['lr']:.3g}",
            f"{r['elapsed_s']:.1f}",
        )  # fmt: skip
    out.print(table)
    f = result.final
    if "test_acc" in f:
        line = (
            f"test accuracy {f['test_acc']:.2%} · train {f['train_acc']:.2%} (the whole train "
            f"set, re-evaluated at the end) · gap "
            f"{f['gen_gap']:+.2%} · {f['samples_per_s']:,.0f} samples/s · {f['wall_s']:.1f} s"
        )
        out.print(line)
    if result.diagnostics:
        _print_diagnostics(result.diagnostics[-1])


def _print_diagnostics(d: dict) -> None:
    table = Table(title=f"diagnostics at epoch {d['epoch']} (probe batch)")
    for col in ("layer", "grad norm", "‖Δw‖/‖w‖", "act mean", "act std", "dead", "saturated"):
        table.add_column(col, justify="right" if col != "layer" else "left")
    for name, g in d["grad_norm"].items():
        ratio = d["update_ratio"].get(name)
        table.add_row(
            escape(name), f"{g:.3g}", "" if ratio is None else f"{ratio:.2e}", "", "", "", ""
        )
    for name, m in d["act_mean"].items():
        table.add_row(
            escape(name), "", "", f"{m:.3f}", f"{d['act_std'][name]:.3f}",
            f"{d['dead_fraction_layers'][name]:.1%}", f"{d['saturated_fraction_layers'][name]:.1%}",
        )  # fmt: skip
    out.print(table)
    if d.get("effective_lr"):
        q = d["effective_lr"]
        out.print("effective lr quantiles: " + "  ".join(f"{k} {v:.3g}" for k, v in q.items()))


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "train",
        help="train one model and show its learning curve",
        description="Train one network on one dataset with one activation and optimizer, with a "
        "progress bar per epoch, then print the per-epoch table (and diagnostics with "
        "--diagnostics). The run's memory is estimated first: one beyond half this machine's "
        "memory is refused unless --allow-large.",
        examples=[
            "actopt train --data mnist --model mlp --depth 2 --width 256 --act relu --opt adam "
            "--lr 1e-3 --epochs 5 --seed 0",
            "actopt train --data moons --act 'x*tanh(softplus(x))' --opt momentum "
            "-o momentum=0.95 --diagnostics --json run.json",
        ],
    )  # fmt: skip
    a = p.add_argument
    a("--data", default="mnist1d", help="mnist, fashion-mnist, mnist1d, moons, circles, xor, "
      "spirals, blobs (default mnist1d: generated locally, no download)")  # fmt: skip
    a("--data-dir", help="folder with mnist/ and fashion-mnist/ (default $ACTOPT_DATA or "
      "~/.cache/actopt; missing files are downloaded)")  # fmt: skip
    a("--no-download", action="store_true", help="fail instead of downloading missing data")
    a("--data-option", "-d", action="append", default=[], metavar="K=V",
      help="dataset option, e.g. noise=0.2 or n=5000 for toys")  # fmt: skip
    a("--val-fraction", type=float, default=0.1, help="validation split carved from train")
    a("--model", default="mlp", help="linear, mlp or cnn")
    a("--depth", type=int, default=2, help="hidden layers of the mlp")
    a("--width", type=int, default=256, help="units per hidden layer")
    a("--act", default="relu", help="activation name, or a comma list with one per hidden layer")
    a("--act-param", "-p", action="append", default=[], metavar="K=V", help="activation parameter")
    a("--init", default="he", help="he, xavier, lecun, orthogonal or torch")
    a("--norm", default="none", help="none, batch or layer")
    a("--dropout", type=float, default=0.0)
    a("--opt", default="adam",
      help="optimizer name (actopt optimizers lists them) or a label as printed, "
           "e.g. 'adam(betas=[0.8, 0.99])'")  # fmt: skip
    a("--lr", type=float, help="learning rate (default: the optimizer's own)")
    a("--opt-param", "-o", action="append", default=[], metavar="K=V",
      help="optimizer hyper-parameter, e.g. momentum=0.95 or betas=0.9,0.999")  # fmt: skip
    a("--batch-size", "-b", default="128", help="k (mini-batch), 1 (stochastic) or full (batch GD)")
    a("--epochs", type=int, default=5)
    a("--steps", type=int, help="a step budget instead of epochs")
    a("--schedule", default="none", help="none, cosine, step, exponential or onecycle")
    a("--schedule-param", action="append", default=[], metavar="K=V")
    a("--loss", default="ce", help="ce (softmax cross-entropy), mse or bce (a sigmoid per class)")
    a("--seed", type=int, default=0)
    a("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    a("--threads", type=positive_int, metavar="N",
      help="CPU threads for torch (default: torch's own, one per core)")  # fmt: skip
    a("--allow-large", action="store_true",
      help="run even when the estimated memory exceeds half this machine's")  # fmt: skip
    a("--diagnostics", action="store_true",
      help="record per-layer gradient norms, activation statistics, dead and saturated units, "
      "update ratios and effective learning rates")  # fmt: skip
    a("--diag-every", type=int, default=0, help="also record diagnostics every N steps")
    add_json(p, "the RunResult")
    a("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)
