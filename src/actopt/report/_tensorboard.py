"""``actopt export OUT --tensorboard LOGDIR``: a bench as TensorBoard event files, so a
TensorBoard user sees the grid in the tool they already use.

One run folder per stored run (``<data>-<model>-<config>-seed<k>-<run id>``: labels with ``/``
or ``,`` are made safe for a path, the exact label travels as an hparam), with the per-epoch
scalars (``train/loss``, ``test/acc``, …) and its hparams (data, model, activation, optimizer,
lr, seed, …); the root holds the HParams experiment (every hparam and metric), so the HParams
dashboard's table and parallel-coordinates view list the grid. Written with TensorBoard's
own event writer and protos (the optional ``actopt[tensorboard]`` extra): no TensorFlow, no
torch.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd

from ._data import read_bench
from ._html import slug

__all__ = ["export_tensorboard"]

_SCALARS = {"train_loss": "train/loss", "train_acc": "train/acc", "val_loss": "val/loss",
            "val_acc": "val/acc", "test_loss": "test/loss", "test_acc": "test/acc",
            "lr": "lr"}  # fmt: skip
_HPARAMS = ("data", "model", "config", "act", "opt_label", "lr", "seed", "epochs", "width",
            "depth", "batch_size")  # fmt: skip


def _modules() -> tuple[Any, Any, Any]:
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.plugins.hparams import summary_v2
    except ImportError:
        raise ImportError(
            "TensorBoard export needs the tensorboard package: pip install 'actopt[tensorboard]'"
        ) from None
    return event_pb2, summary_pb2, summary_v2


def _value(v: Any) -> Any:
    if isinstance(v, (bool, str)):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


def export_tensorboard(out: str | Path, logdir: str | Path) -> int:
    """Write every run of ``out``'s current grid to ``logdir``; the number of runs written.

    >>> export_tensorboard("bench-out", "tb")     # then: tensorboard --logdir tb  # doctest: +SKIP
    21
    """
    event_pb2, summary_pb2, hp = _modules()
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    bench = read_bench(out)
    logdir = Path(logdir)
    df: pd.DataFrame = bench.df
    names = [c for c in _HPARAMS if c in df.columns]
    domains = {c: hp.HParam(c) for c in names}
    metrics = [hp.Metric(t, display_name=t) for t in ("test/acc", "test/loss", "train/acc",
                                                      "train/loss")]  # fmt: skip
    now = time.time()
    logdir.mkdir(parents=True, exist_ok=True)
    _write(EventFileWriter(str(logdir)), event_pb2,
           [(now, 0, hp.hparams_config_pb(list(domains.values()), metrics))])  # fmt: skip
    for _, run in df.iterrows():
        name = slug(f"{run['data']}-{run['model']}-{run['config']}-seed{run['seed']}")
        folder = logdir / f"{name}-{run['run_id'][:8]}"
        hparams = {domains[c]: _value(run[c]) for c in names}
        events = [(now, 0, hp.hparams_pb(hparams, trial_id=run["run_id"]))]
        for row in run["history"]:
            values = [summary_pb2.Summary.Value(tag=tag, simple_value=float(row[key]))
                      for key, tag in _SCALARS.items()
                      if isinstance(row.get(key), (int, float))]  # fmt: skip
            events.append((now, int(row["epoch"]), summary_pb2.Summary(value=values)))
        if run["status"] != "ok":
            events.append((now, 0, summary_pb2.Summary(value=[summary_pb2.Summary.Value(
                tag="status_not_ok", simple_value=1.0)])))  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        _write(EventFileWriter(str(folder)), event_pb2, events)
    return len(df)


def _write(writer: Any, event_pb2: Any, events: list[tuple[float, int, Any]]) -> None:
    for wall, step, summary in events:
        writer.add_event(event_pb2.Event(wall_time=wall, step=step, summary=summary))
    writer.close()
