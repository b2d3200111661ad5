"""A store as a new user's bench can leave it, and the figures its report draws."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from actopt.bench import Store
from actopt.train import RunResult, RunSpec

LONG_ACT = "x*sigmoid(1.702*x)+0.05*sin(x)"
TARGET = 0.99  # no config reaches it


def write_hard_store(out: Path, target: float = TARGET) -> Path:
    """Two activations (one a long formula) × SGD at lr 0 and AMSGrad at 1e-2, two seeds,
    test accuracy 50% (lr 0) or 80-86% after three epochs; the target accuracy (by default)
    reached by no config; gradient norms within one decade (0.15 … 0.9)."""
    with Store(out) as s:
        s.set_meta("grid", {"baseline": "relu/sgd", "target_acc": target})
        ids = []
        for a, act in enumerate(("relu", LONG_ACT)):
            for opt, lr, params in (("sgd", 0.0, {}), ("adam", 1e-2, {"amsgrad": True})):
                for seed in (0, 1):
                    spec = RunSpec(data="moons", act=act, opt=opt, lr=lr, opt_params=params,
                                   seed=seed, width=8, epochs=3)  # fmt: skip
                    acc = 0.5 if lr == 0 else 0.8 + 0.05 * a + 0.01 * seed
                    history = [{"epoch": e, "train_loss": 1 / e, "test_loss": 1.1 / e,
                                "train_acc": acc, "test_acc": acc * e / 3, "elapsed_s": e / 10}
                               for e in (1, 2, 3)]  # fmt: skip
                    norms = {"linear1": 0.15 + 0.1 * a + 0.01 * seed, "linear2": 0.9 - 0.2 * a}
                    s.put(RunResult(spec, final={"test_acc": acc, "gen_gap": 0.01,
                                                 "dead_fraction": 0.0},
                                    history=history,
                                    diagnostics=[{"epoch": 3, "grad_norm": norms}]))  # fmt: skip
                    ids.append(spec.run_id)
        s.set_meta("run_ids", ids)
    return out


@pytest.fixture(scope="session")
def make_hard_store():
    """``write_hard_store`` for a test that needs its own (another target)."""
    return write_hard_store


@pytest.fixture(scope="module")
def hard_store(tmp_path_factory) -> Path:
    return write_hard_store(tmp_path_factory.mktemp("hard"))


@pytest.fixture(scope="module")
def hard_report(hard_store) -> Path:
    from actopt.cli import main

    assert main(["report", str(hard_store), "-q"]) == 0
    return hard_store / "report.html"


@pytest.fixture(scope="module")
def hard_figures(hard_report) -> dict[str, Any]:
    """The plotly figures (data + layout) its report.html hands plotly.js, by plot id."""
    blob = re.search(r'<script type="application/json" id="figures">(.*?)</script>',
                     hard_report.read_text(), re.S).group(1)  # fmt: skip
    return json.loads(blob)
