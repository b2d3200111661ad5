"""The training loop: ``run(spec) -> RunResult``.

Whole splits live on the device; a mini-batch is one index gather. Per step the loop does the
forward, backward and optimizer step and keeps running sums as tensors (no host sync but the
NaN check). Evaluation runs once per epoch on val and test. A non-finite loss stops the run with
status ``diverged``; any other exception is caught into status ``error`` so a grid goes on.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .. import data as data_lib
from .. import models, optim
from ..data import Dataset
from ._diagnostics import Diagnostics
from ._result import RunResult, environment
from ._schedule import make_scheduler
from ._spec import RunSpec

__all__ = [
    "Fitted",
    "ProgressFn",
    "build_model",
    "evaluate",
    "final_metrics",
    "fit",
    "load_data",
    "make_optimizer",
    "resolve_device",
    "run",
]

# progress(epoch, epochs, step_in_epoch, steps_in_epoch, running_loss, running_acc)
ProgressFn = Callable[[int, int, int, int, float, float], None]
_EVAL_BATCH = 4096
_PROBE_SIZE = 512  # examples in the diagnostics probe batch
_PROGRESS_EVERY = 25  # steps between progress callbacks (each costs one host sync)


def resolve_device(name: str) -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def load_data(
    spec: RunSpec, data_dir: str | None = None, quiet: bool = True, download: bool = True
) -> Dataset:
    options = dict(spec.data_options)
    if data_lib.spec(spec.data).needs_files:
        options.update(data_dir=data_dir, quiet=quiet, download=download)
    return data_lib.load(spec.data, val_fraction=spec.val_fraction, **options)


def _loss_fn(kind: str, num_classes: int) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    if kind == "ce":
        return F.cross_entropy
    if kind == "bce":  # one sigmoid per class against its one-hot target (mean over entries)
        return lambda out, y: F.binary_cross_entropy_with_logits(
            out, F.one_hot(y, num_classes).to(out.dtype)
        )
    return lambda out, y: F.mse_loss(out, F.one_hot(y, num_classes).to(out.dtype))


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on (x, y), in eval mode, in large batches."""
    if len(y) == 0:
        return math.nan, math.nan
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=x.device, dtype=torch.float64)
    correct = torch.zeros((), device=x.device, dtype=torch.int64)
    for i in range(0, len(y), _EVAL_BATCH):
        out = model(x[i : i + _EVAL_BATCH])
        yb = y[i : i + _EVAL_BATCH]
        loss_sum += loss_fn(out, yb).double() * len(yb)
        correct += (out.argmax(1) == yb).sum()
    model.train(was_training)
    return float(loss_sum) / len(y), int(correct) / len(y)


def build_model(spec: RunSpec, input_shape: Sequence[int], num_classes: int) -> nn.Module:
    """The network of ``spec`` (on CPU; its initial weights come from the global RNG)."""
    return models.build(
        spec.model, input_shape, num_classes,
        depth=spec.depth, width=spec.width, act=spec.act, act_params=spec.act_params,
        init=spec.init, norm=spec.norm, dropout=spec.dropout,
    )  # fmt: skip


def make_optimizer(spec: RunSpec, params: Iterable) -> torch.optim.Optimizer:
    """The optimizer of ``spec`` over ``params``, with its hyper-parameters."""
    return optim.spec(spec.opt).make(params, lr=spec.lr, **spec.opt_params)


def _build(spec: RunSpec, ds: Dataset, device: torch.device, prepare=None):
    model = build_model(spec, ds.input_shape, ds.num_classes).to(device)
    if prepare is not None:
        with torch.no_grad():
            prepare(model)
    return model, make_optimizer(spec, model.parameters())


def run(
    spec: RunSpec,
    *,
    dataset: Dataset | None = None,
    data_dir: str | None = None,
    download: bool = True,
    progress: ProgressFn | None = None,
) -> RunResult:
    """Train one run as ``spec`` says and return its result; never raises for a bad run.

    ``dataset`` skips loading (a bench passes the same one to many runs); ``data_dir`` says where
    the image sets live. Deterministic on CPU: the same spec gives bit-identical metrics.
    """
    return fit(
        spec, dataset=dataset, data_dir=data_dir, download=download, progress=progress
    ).result


@dataclass
class Fitted:
    """A run's result with what produced it: the trained model, its optimizer and the data
    (on the run's device). ``model`` and ``optimizer`` are None when the run failed to build."""

    result: RunResult
    model: nn.Module | None = None
    optimizer: torch.optim.Optimizer | None = None
    dataset: Dataset | None = None


def fit(
    spec: RunSpec,
    *,
    dataset: Dataset | None = None,
    data_dir: str | None = None,
    download: bool = True,
    progress: ProgressFn | None = None,
    prepare: Callable[[nn.Module], None] | None = None,
) -> Fitted:
    """``run``, keeping the trained model: for measurements on it after training.

    ``prepare(model)`` runs once the model is built and initialised, before the optimizer is
    made (an experiment's own initialisation: a bias constant, a weight gain); without it the
    result equals ``run(spec)``'s.

    >>> from actopt.train import RunSpec, fit
    >>> fitted = fit(RunSpec(data="moons", width=8, epochs=1))
    >>> fitted.result.status, type(fitted.model).__name__
    ('ok', 'Sequential')
    """
    device = resolve_device(spec.device)
    fitted = Fitted(RunResult(spec, env=environment(device)))
    result = fitted.result
    t_start = time.perf_counter()
    try:
        fitted.dataset = (dataset or load_data(spec, data_dir, download=download)).to(device)
        fork = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork):  # the caller's global RNG state is untouched
            torch.manual_seed(spec.seed)
            _train(spec, fitted, device, progress, prepare)
    except KeyboardInterrupt:
        raise
    except Exception as e:  # a broken run is a result too: the grid goes on
        result.status = "error"
        result.error = f"{type(e).__name__}: {e}"
        result.timing["traceback"] = traceback.format_exc(limit=8)
    result.timing["wall_s"] = time.perf_counter() - t_start
    result.final["wall_s"] = result.timing["wall_s"]
    return fitted


def _train(
    spec: RunSpec, fitted: Fitted, device: torch.device, progress: ProgressFn | None,
    prepare: Callable[[nn.Module], None] | None,
) -> None:  # fmt: skip
    ds, result = fitted.dataset, fitted.result
    model, opt = _build(spec, ds, device, prepare)
    fitted.model, fitted.optimizer = model, opt
    loss_fn = _loss_fn(spec.loss, ds.num_classes)
    n = len(ds.y_train)
    batch = n if spec.batch_size == "full" else min(int(spec.batch_size), n)
    per_epoch = math.ceil(n / batch)
    total = spec.steps if spec.steps is not None else spec.epochs * per_epoch
    epochs = math.ceil(total / per_epoch)
    scheduler = make_scheduler(spec.schedule, spec.schedule_params, opt, per_epoch, total)
    shuffle = torch.Generator().manual_seed(spec.seed)
    diag = None
    if spec.diagnostics:
        probe = ds.x_val if len(ds.y_val) else ds.x_train
        probe_y = ds.y_val if len(ds.y_val) else ds.y_train
        diag = Diagnostics(model, opt, probe[:_PROBE_SIZE], probe_y[:_PROBE_SIZE], loss_fn)
    result.final["parameters"] = models.count_parameters(model)

    step, train_s, eval_s, seen = 0, 0.0, 0.0, 0
    model.train()
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        loss_sum = torch.zeros((), device=device, dtype=torch.float64)
        correct = torch.zeros((), device=device, dtype=torch.int64)
        count = 0
        steps_now = min(per_epoch, total - step)
        for i, (xb, yb) in enumerate(ds.batches(batch, shuffle)):
            if i == steps_now:
                break
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            loss = loss_fn(out, yb)
            if not torch.isfinite(loss):
                result.status, result.diverged_step = "diverged", step + 1
                result.final["diverged_loss"] = float(loss.detach())
                train_s += time.perf_counter() - t0
                result.timing.update(train_s=train_s, eval_s=eval_s)
                if diag:
                    diag.close()
                return
            loss.backward()
            record_now = diag is not None and (
                (spec.diag_every and (step + 1) % spec.diag_every == 0) or i == steps_now - 1
            )
            if record_now:
                diag.arm()
            opt.step()
            if scheduler is not None:
                scheduler.step()
            step += 1
            loss_sum += loss.detach().double() * len(yb)
            correct += (out.detach().argmax(1) == yb).sum()
            count += len(yb)
            if record_now and i != steps_now - 1:
                result.diagnostics.append(diag.record(epoch, step).to_dict())
            if progress is not None and (i + 1) % _PROGRESS_EVERY == 0:
                progress(
                    epoch, epochs, i + 1, steps_now, float(loss_sum) / count, int(correct) / count
                )
        seen += count
        train_s += time.perf_counter() - t0

        t1 = time.perf_counter()
        row = {"epoch": epoch, "step": step, "lr": opt.param_groups[0]["lr"]}
        row["train_loss"], row["train_acc"] = float(loss_sum) / count, int(correct) / count
        row["val_loss"], row["val_acc"] = evaluate(model, ds.x_val, ds.y_val, loss_fn)
        row["test_loss"], row["test_acc"] = evaluate(model, ds.x_test, ds.y_test, loss_fn)
        if diag is not None:
            result.diagnostics.append(diag.record(epoch, step).to_dict())
        eval_s += time.perf_counter() - t1
        row["elapsed_s"] = train_s + eval_s
        result.history.append(row)
        if progress is not None:
            progress(epoch, epochs, steps_now, steps_now, row["train_loss"], row["train_acc"])
        if not math.isfinite(row["val_loss"]) and len(ds.y_val):
            # weights can overflow without the training loss showing it until the next step
            result.status, result.diverged_step = "diverged", step
            break

    if diag:
        diag.close()
    _finish(result, model, ds, loss_fn, train_s, eval_s, seen)


def _finish(result: RunResult, model, ds: Dataset, loss_fn, train_s, eval_s, seen) -> None:
    """Final metrics: the whole train set re-evaluated (the running average lags the model)."""
    train = evaluate(model, ds.x_train, ds.y_train, loss_fn)
    final_metrics(result, train, train_s, eval_s, seen)


def final_metrics(
    result: RunResult, train: tuple[float, float], train_s: float, eval_s: float, seen: int
) -> None:
    """``result.final`` from the whole train set's (loss, accuracy), the last history row and
    the last diagnostics record; ``train_s`` / ``eval_s`` into ``result.timing``."""
    last = result.history[-1]
    final: dict[str, Any] = result.final
    final["train_loss"], final["train_acc"] = train
    for k in ("val_loss", "val_acc", "test_loss", "test_acc"):
        final[k] = last[k]
    final["gen_gap"] = final["train_acc"] - final["test_acc"]
    final["epochs"] = last["epoch"]
    final["steps"] = last["step"]
    final["samples_per_s"] = seen / train_s if train_s > 0 else math.nan
    if result.diagnostics:
        d = result.diagnostics[-1]
        final["dead_fraction"] = d["dead_fraction"]
        final["saturated_fraction"] = d["saturated_fraction"]
    result.timing.update(train_s=train_s, eval_s=eval_s)
