"""Every row of ``load`` gives back the RunSpec it was trained from, though its
``diagnostics`` column holds the measured records rather than the spec's flag."""

from __future__ import annotations

import json

import pytest

from actopt.bench import grid_with_overrides, load, run_grid, run_spec
from actopt.train import RunSpec


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("frame-specs")
    grid = grid_with_overrides({"data": ["moons"], "act": ["relu", "x*tanh(softplus(x))"],
                                "opt": ["adam", "momentum(momentum=0.95)"], "width": 8,
                                "seeds": 2, "epochs": 1, "diagnostics": True})  # fmt: skip
    run_grid(grid, str(out), workers=1)
    return grid, out


def test_each_row_rebuilds_its_run_spec(bench):
    grid, out = bench
    df = load(out)
    assert len(df) == len(grid.runs) and (df["status"] == "ok").all()
    specs = [run_spec(row) for _, row in df.iterrows()]
    assert all(isinstance(s, RunSpec) for s in specs)
    assert [s.run_id for s in specs] == list(df["run_id"])
    assert {s.run_id for s in specs} == {s.run_id for s in grid.runs}
    assert all(s.diagnostics is True for s in specs)  # the spec's flag, not the records
    for s, (_, row) in zip(specs, df.iterrows(), strict=True):
        for field, value in s.to_dict().items():
            if field == "act" or field == "diagnostics":
                continue  # act: its label; diagnostics: the records (below)
            shown = json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value
            assert row[field] == shown, field


def test_the_measured_records_keep_their_column_and_gain_a_name_of_their_own(bench):
    df = load(bench[1])
    for _, row in df.iterrows():
        assert row["diag_records"] and row["diag_records"] == row["diagnostics"]
        assert {"epoch", "grad_norm"} <= set(row["diag_records"][-1])
