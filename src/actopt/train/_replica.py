"""The replica engine: many runs of one network trained as one batched computation.

``run_many(specs)`` plans groups (``group_key``, ``max_replicas``, the memory budget) and trains
each group with ``run_group``: the K replicas' parameters stacked ``[K, …]``, one forward (bmm /
grouped convolution), one backward of the summed per-replica losses (replica k's gradient is
exactly its own loss's), one optimizer step with per-replica hyper-parameters. Each replica
records what its solo ``run`` records — history rows, final metrics, diagnostics, status — and
starts from its solo run's weights, sees its solo run's batches in its solo run's order and
draws its solo run's dropout masks. A replica whose loss goes non-finite is marked ``diverged``
at that step and leaves the group (its slice is dropped from every stacked tensor), so the
others go on undisturbed; the group ends when every replica has.

Timing is shared out: a replica's ``train_s`` / ``eval_s`` / ``wall_s`` are its share of the
group's (the group's time over the replicas training at the moment), so summed over a group
they give its wall time and ``samples_per_s`` is the group's throughput per replica.
``timing["group_size"]`` and ``timing["group_wall_s"]`` describe the group.

>>> from actopt.train import RunSpec, run_many
>>> specs = [RunSpec(data="moons", width=16, lr=lr, seed=s) for lr in (1e-2, 1e-3) for s in (0, 1)]
>>> [r.status for r in run_many(specs)]                               # doctest: +SKIP
['ok', 'ok', 'ok', 'ok']
"""

from __future__ import annotations

import json
import math
import time
import traceback
from collections.abc import Iterable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data import Dataset
from ..optim import _replica
from ._loop import (
    _PROBE_SIZE,
    ProgressFn,
    final_metrics,
    load_data,
    make_optimizer,
    resolve_device,
    run,
)
from ._replica_diag import ReplicaDiagnostics
from ._replica_model import build_replicas
from ._replica_plan import (
    activation_floats,
    default_memory_budget,
    group_key,
    plan_groups,
    replica_memory,
)
from ._result import RunResult, environment
from ._schedule import schedule_trajectory
from ._spec import RunSpec

__all__ = ["run_group", "run_many"]

_PROGRESS_EVERY = 25  # steps between progress callbacks (each costs one host sync)
_EVAL_BYTES = 64 << 20  # activations one evaluation chunk may hold, over all replicas


def run_many(
    specs: Iterable[RunSpec],
    *,
    dataset: Dataset | None = None,
    data_dir: str | None = None,
    download: bool = True,
    max_replicas: int | None = None,
    memory_budget: int | None = None,
    progress: ProgressFn | None = None,
) -> list[RunResult]:
    """Train every spec, runs that can share a group together; results in the order given.

    ``max_replicas`` caps a group; ``memory_budget`` (bytes; default half the memory available)
    splits a group whose replicas would need more (:func:`replica_memory`). A group of one is a
    solo :func:`run`. ``dataset``, ``data_dir`` and ``download`` as for ``run`` (a dataset given
    is used for every spec). Never raises for a bad run: it becomes that run's ``error`` result.
    """
    specs = list(specs)
    datasets: dict[str, Dataset | None] = {}

    def data_for(spec: RunSpec) -> Dataset | None:
        if dataset is not None:
            return dataset
        key = json.dumps([spec.data, spec.data_options, spec.val_fraction], sort_keys=True)
        if key not in datasets:
            try:
                datasets[key] = load_data(spec, data_dir, download=download)
            except Exception:  # each run of it records the error when it tries again
                datasets[key] = None
        return datasets[key]

    needs: dict[str, int | None] = {}
    sizes: list[int | None] = []
    for spec in specs:
        key, ds = group_key(spec), data_for(spec)
        if key is not None and ds is not None and key not in needs:
            needs[key] = replica_memory(spec, ds.input_shape, ds.num_classes, len(ds.y_train))
        sizes.append(needs.get(key) if key is not None else None)
    if memory_budget is None and specs:
        memory_budget = default_memory_budget(resolve_device(specs[0].device))
    groups = plan_groups(
        specs, max_replicas=max_replicas, memory_budget=memory_budget, replica_bytes=sizes
    )
    results: list[RunResult | None] = [None] * len(specs)
    for idx in groups:
        members = [specs[i] for i in idx]
        kw = dict(dataset=data_for(members[0]), data_dir=data_dir, download=download)
        if len(members) == 1:
            out = [run(members[0], progress=progress, **kw)]
            out[0].timing["group_size"] = 1
        else:
            out = run_group(members, progress=progress, **kw)
        for i, r in zip(idx, out, strict=True):
            results[i] = r
    return results  # type: ignore[return-value]


def run_group(
    specs: Sequence[RunSpec],
    *,
    dataset: Dataset | None = None,
    data_dir: str | None = None,
    download: bool = True,
    progress: ProgressFn | None = None,
    fused: bool = True,
) -> list[RunResult]:
    """Train runs of one group (equal :func:`group_key`) as one computation; results in order.

    With ``fused`` the update runs on the optimizer's one-pass C kernel where it has one and the
    device is the CPU: one call on the stacked tensors when every replica has the same
    hyper-parameters, one per replica otherwise. Else the rule runs on the stacked tensors with
    per-replica values (``actopt.optim._replica``).
    Never raises for a bad run: an exception makes every replica still training an ``error``.
    """
    specs = list(specs)
    keys = {group_key(s) for s in specs}
    if not specs or len(keys) != 1 or None in keys:
        raise ValueError(
            "run_group needs runs that can share a group (equal group_key); run_many plans groups"
        )
    # equal activations side by side: each then applies to one contiguous slice
    order = sorted(range(len(specs)), key=lambda i: (str(specs[i].act), repr(specs[i].act_params)))
    device = resolve_device(specs[0].device)
    results = [RunResult(s, env=environment(device)) for s in specs]
    t_start = time.perf_counter()
    try:
        ds = (dataset or load_data(specs[0], data_dir, download=download)).to(device)
        group = _Group([specs[i] for i in order], [results[i] for i in order], ds, device, fused)
        group.train(progress)
    except KeyboardInterrupt:
        raise
    except Exception as e:  # a broken group is a result too: the grid goes on
        trace = traceback.format_exc(limit=8)
        for r in results:
            if r.status == "ok":  # the replicas that had diverged keep their result
                r.status, r.error = "error", f"{type(e).__name__}: {e}"
                r.timing["traceback"] = trace
    wall = time.perf_counter() - t_start
    spent = [r.timing.get("train_s", 0.0) + r.timing.get("eval_s", 0.0) for r in results]
    overhead = max(0.0, wall - sum(spent)) / len(results)  # building, final evaluation
    for r, s in zip(results, spent, strict=True):
        r.timing.update(wall_s=s + overhead, group_size=len(results), group_wall_s=wall)
        r.final["wall_s"] = r.timing["wall_s"]
    return results


def _replay(spec: RunSpec, per_epoch: int, total: int) -> list[dict[str, Any]]:
    """``spec``'s optimizer hyper-parameters before each step, as its solo run has them: its own
    optimizer class and schedule, on a one-element stand-in parameter."""
    stand_in = make_optimizer(spec, [nn.Parameter(torch.zeros(1))])
    return schedule_trajectory(stand_in, spec.schedule, spec.schedule_params, per_epoch, total)


def _hyper_key(spec: RunSpec) -> str:
    return json.dumps([spec.lr, spec.opt_params], sort_keys=True, default=str)


class _Group:
    """One group in training: the stacked model and optimizer, and each replica's bookkeeping.

    Replicas are addressed two ways: ``j`` indexes ``specs`` / ``results`` (fixed) and ``pos``
    the current stacked tensors, with ``alive[pos] == j``.
    """

    def __init__(self, specs: list[RunSpec], results: list[RunResult], ds: Dataset,
                 device: torch.device, fused: bool) -> None:  # fmt: skip
        spec = self.spec = specs[0]
        self.specs, self.results, self.ds, self.device = specs, results, ds, device
        self.model, solo = build_replicas(specs, ds.input_shape, ds.num_classes)
        self.model.to(device)
        for r in results:
            r.final["parameters"] = sum(p.numel() for p in solo.parameters())
        n = len(ds.y_train)
        self.batch = n if spec.batch_size == "full" else min(int(spec.batch_size), n)
        self.per_epoch = math.ceil(n / self.batch)
        self.total = spec.steps if spec.steps is not None else spec.epochs * self.per_epoch
        self.epochs = math.ceil(self.total / self.per_epoch)
        replays: dict[str, list[dict[str, Any]]] = {}
        for s in specs:
            if _hyper_key(s) not in replays:
                replays[_hyper_key(s)] = _replay(s, self.per_epoch, self.total)
        self.hypers = [replays[_hyper_key(s)] for s in specs]  # per replica, per step
        # the values a schedule moves (lr; OneCycle also momentum or betas), set before each step
        self.scheduled = [
            key for key in self.hypers[0][0]
            if any(row[key] != rows[0][key] for rows in replays.values() for row in rows)
        ]  # fmt: skip
        self.opt = make_optimizer(spec, self.model.parameters())
        _replica.replicate(self.opt, [rows[0] for rows in self.hypers])
        if fused and device.type == "cpu":
            _replica.use_fused(self.opt)
        self.shuffles = [torch.Generator().manual_seed(s.seed) for s in specs]
        self.alive = list(range(len(specs)))
        self.train_s, self.eval_s = [0.0] * len(specs), [0.0] * len(specs)
        self.seen = [0] * len(specs)
        per_example = activation_floats(solo, ds.input_shape)
        self.eval_rows = int(min(4096, max(64, _EVAL_BYTES // (4 * len(specs) * per_example))))
        self.diag = None
        if spec.diagnostics:
            probe, probe_y = (ds.x_val, ds.y_val) if len(ds.y_val) else (ds.x_train, ds.y_train)
            self.diag = ReplicaDiagnostics(
                self.model, self.opt, probe[:_PROBE_SIZE], probe_y[:_PROBE_SIZE], self.losses
            )

    # -- pieces --------------------------------------------------------------------------------

    def losses(self, out: Tensor, y: Tensor) -> Tensor:
        """Each replica's mean loss: ``out`` [K, N, classes], ``y`` [K, N] (or [N], shared)."""
        k, n, c = out.shape
        y = y.expand(k, n)
        if self.spec.loss == "ce":
            flat = F.cross_entropy(out.reshape(k * n, c), y.reshape(-1), reduction="none")
            return flat.view(k, n).mean(1)
        target = F.one_hot(y, c).to(out.dtype)
        return F.mse_loss(out, target, reduction="none").mean((1, 2))

    @torch.no_grad()
    def evaluate(self, x: Tensor, y: Tensor) -> tuple[list[float], list[float]]:
        """Each replica's mean loss and accuracy on (x, y), in eval mode, in shared chunks."""
        k = len(self.alive)
        if len(y) == 0:
            return [math.nan] * k, [math.nan] * k
        self.model.eval()
        loss_sum = torch.zeros(k, device=x.device, dtype=torch.float64)
        correct = torch.zeros(k, device=x.device, dtype=torch.int64)
        for i in range(0, len(y), self.eval_rows):
            out = self.model(x[i : i + self.eval_rows], shared=True)
            yb = y[i : i + self.eval_rows]
            loss_sum += self.losses(out, yb).double() * len(yb)
            correct += (out.argmax(-1) == yb).sum(1)
        self.model.train()
        return (loss_sum / len(y)).tolist(), (correct.double() / len(y)).tolist()

    def orders(self) -> Tensor:
        """The next epoch's example order of every replica ``[K, n]``: replica k's from its own
        generator, seeded as its solo run seeds its shuffle (``Dataset.batches``)."""
        n = len(self.ds.y_train)
        perms = [torch.randperm(n, generator=self.shuffles[j]) for j in self.alive]
        return torch.stack(perms).to(self.device)

    def _set_scheduled(self, step: int) -> None:
        for key in self.scheduled:
            values = [self.hypers[j][step][key] for j in self.alive]
            for group in self.opt.param_groups:
                _replica.set_hyper(group, key, values)

    def lr(self, j: int, step: int) -> float:
        rows = self.hypers[j]
        return rows[min(step, len(rows) - 1)]["lr"]

    def _charge(self, spent: list[float], since: float) -> float:
        """Share the time since ``since`` among the replicas training now; returns now."""
        now = time.perf_counter()
        share = (now - since) / len(self.alive)
        for j in self.alive:
            spent[j] += share
        return now

    def _drop(self, leaving: list[int]) -> Tensor:
        """Remove the replicas at positions ``leaving`` from every stacked tensor."""
        out = set(leaving)
        keep = torch.tensor([p for p in range(len(self.alive)) if p not in out], dtype=torch.long)
        _replica.select_replicas(self.opt, keep, self.model.select(keep.to(self.device)))
        if self.diag is not None:
            self.diag.select(keep.to(self.device))
        self.alive = [self.alive[p] for p in keep.tolist()]
        return keep.to(self.device)

    def _finish(self, positions: list[int]) -> None:
        """Final metrics of the replicas at ``positions``: the whole train set re-evaluated."""
        losses, accs = self.evaluate(self.ds.x_train, self.ds.y_train)
        for pos in positions:
            j = self.alive[pos]
            train = (losses[pos], accs[pos])
            final_metrics(self.results[j], train, self.train_s[j], self.eval_s[j], self.seen[j])

    # -- the loop --------------------------------------------------------------------------------

    def train(self, progress: ProgressFn | None) -> None:
        spec, model, opt, diag = self.spec, self.model, self.opt, self.diag
        x, y = self.ds.x_train, self.ds.y_train
        step = 0
        model.train()
        for epoch in range(1, self.epochs + 1):
            t0 = time.perf_counter()
            k = len(self.alive)
            loss_sum = torch.zeros(k, device=self.device, dtype=torch.float64)
            correct = torch.zeros(k, device=self.device, dtype=torch.int64)
            count = 0
            steps_now = min(self.per_epoch, self.total - step)
            perms = self.orders()
            for i in range(steps_now):
                idx = perms[:, i * self.batch : (i + 1) * self.batch]
                xb, yb = model.gather(x, idx), y.index_select(0, idx.reshape(-1)).view(idx.shape)
                if self.scheduled:
                    self._set_scheduled(step)
                opt.zero_grad(set_to_none=True)
                out = model(xb)
                losses = self.losses(out, yb)
                finite = torch.isfinite(losses)
                if bool(finite.all()):
                    losses.sum().backward()
                else:
                    losses.masked_fill(~finite, 0.0).sum().backward()
                    t0 = self._charge(self.train_s, t0)
                    keep = self._diverged(finite, losses, step + 1)
                    if not self.alive:
                        return
                    perms, loss_sum, correct = perms[keep], loss_sum[keep], correct[keep]
                    out, yb, losses = out[keep], yb[keep], losses[keep]
                record_now = diag is not None and (
                    (spec.diag_every and (step + 1) % spec.diag_every == 0) or i == steps_now - 1
                )
                if record_now:
                    diag.arm()
                opt.step()
                if record_now:
                    diag.after_step()
                step += 1
                loss_sum += losses.detach().double() * yb.shape[1]
                correct += (out.detach().argmax(-1) == yb).sum(1)
                count += yb.shape[1]
                if record_now and i != steps_now - 1:
                    for j, rec in zip(self.alive, diag.record(epoch, step), strict=True):
                        self.results[j].diagnostics.append(rec)
                if progress is not None and (i + 1) % _PROGRESS_EVERY == 0:
                    mean_loss, mean_acc = float(loss_sum.mean()), float(correct.double().mean())
                    progress(
                        epoch, self.epochs, i + 1, steps_now, mean_loss / count, mean_acc / count
                    )
            for j in self.alive:
                self.seen[j] += count
            t1 = self._charge(self.train_s, t0)
            self._epoch_end(epoch, step, loss_sum / count, correct.double() / count, t1)
            if progress is not None:
                mean_loss, mean_acc = float(loss_sum.mean()), float(correct.double().mean())
                progress(
                    epoch, self.epochs, steps_now, steps_now, mean_loss / count, mean_acc / count
                )
            if not self.alive:
                return
        self._finish(list(range(len(self.alive))))

    def _diverged(self, finite: Tensor, losses: Tensor, step: int) -> Tensor:
        """Mark the replicas whose loss is not finite as diverged at ``step``; drop them."""
        bad = (~finite).nonzero().flatten().tolist()
        values = losses.detach().tolist()
        for pos in bad:
            j = self.alive[pos]
            r = self.results[j]
            r.status, r.diverged_step = "diverged", step
            r.final["diverged_loss"] = values[pos]
            r.timing.update(train_s=self.train_s[j], eval_s=self.eval_s[j])
        return self._drop(bad)

    def _epoch_end(self, epoch: int, step: int, train_loss: Tensor, train_acc: Tensor,
                   t1: float) -> None:  # fmt: skip
        ds = self.ds
        val_loss, val_acc = self.evaluate(ds.x_val, ds.y_val)
        test_loss, test_acc = self.evaluate(ds.x_test, ds.y_test)
        records = self.diag.record(epoch, step) if self.diag is not None else None
        self._charge(self.eval_s, t1)
        blown = []
        for pos, (j, tl, ta) in enumerate(
            zip(self.alive, train_loss.tolist(), train_acc.tolist(), strict=True)
        ):
            row = {"epoch": epoch, "step": step, "lr": self.lr(j, step)}
            row["train_loss"], row["train_acc"] = tl, ta
            row["val_loss"], row["val_acc"] = val_loss[pos], val_acc[pos]
            row["test_loss"], row["test_acc"] = test_loss[pos], test_acc[pos]
            row["elapsed_s"] = self.train_s[j] + self.eval_s[j]
            self.results[j].history.append(row)
            if records is not None:
                self.results[j].diagnostics.append(records[pos])
            if not math.isfinite(row["val_loss"]) and len(ds.y_val):
                # weights can overflow without the training loss showing it until the next step
                self.results[j].status, self.results[j].diverged_step = "diverged", step
                blown.append(pos)
        if blown:
            self._finish(blown)
            self._drop(blown)
