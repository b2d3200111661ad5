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
from collections.abc import Callable
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

__all__ = ["ProgressFn", "evaluate", "load_data", "resolve_device", "run"]

# progress(epoch, epochs, step_in_epoch, steps_in_epoch, running_loss, running_acc)
ProgressFn = Callable[[int, int, int, int, float, float], None]
_EVAL_BATCH = 4096
_PROBE_SIZE = 512  # examples in the diagnostics probe batch
_PROGRESS_EVERY = 25  # steps between progress callbacks (each costs one host sync)


def resolve_device(name: str) -> torch.device:
    """The device ``name`` means here (``auto``: CUDA, else MPS, else CPU); ``ValueError`` for
    one this machine does not have."""
    if name != "auto":
        device = torch.device(name)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {name}: this machine has no CUDA device (torch "
                             f"{torch.__version__}); use --device cpu or auto")  # fmt: skip
        if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
            raise ValueError(f"device {name}: this machine has {torch.cuda.device_count()} "
                             "CUDA device(s), numbered from 0")  # fmt: skip
        mps = getattr(torch.backends, "mps", None)
        if device.type == "mps" and not (mps and mps.is_available()):
            raise ValueError(f"device {name}: MPS (Apple GPU) is not available here")
        return device
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


def _build(spec: RunSpec, ds: Dataset, device: torch.device):
    model = models.build(
        spec.model, ds.input_shape, ds.num_classes,
        depth=spec.depth, width=spec.width, act=spec.act, act_params=spec.act_params,
        init=spec.init, norm=spec.norm, dropout=spec.dropout,
    ).to(device)  # fmt: skip
    opt = optim.spec(spec.opt).make(model.parameters(), lr=spec.lr, **spec.opt_params)
    return model, opt


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
    device = resolve_device(spec.device)
    result = RunResult(spec, env=environment(device))
    t_start = time.perf_counter()
    try:
        ds = (dataset or load_data(spec, data_dir, download=download)).to(device)
        fork = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork):  # the caller's global RNG state is untouched
            torch.manual_seed(spec.seed)
            _train(spec, ds, device, result, progress)
    except KeyboardInterrupt:
        raise
    except Exception as e:  # a broken run is a result too: the grid goes on
        result.status = "error"
        result.error = f"{type(e).__name__}: {e}"
        result.timing["traceback"] = traceback.format_exc(limit=8)
    result.timing["wall_s"] = time.perf_counter() - t_start
    result.final["wall_s"] = result.timing["wall_s"]
    return result


def _train(
    spec: RunSpec, ds: Dataset, device: torch.device, result: RunResult, progress: ProgressFn | None
) -> None:
    model, opt = _build(spec, ds, device)
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
    last = result.history[-1]
    final: dict[str, Any] = result.final
    final["train_loss"], final["train_acc"] = evaluate(model, ds.x_train, ds.y_train, loss_fn)
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
