"""The registry of claims and their experiments, over every registered claim."""

from __future__ import annotations

import importlib
import re

import pytest

from actopt.claims import FAMILIES, Experiment, Measurement, Setting, get, names
from actopt.train import RunSpec

SETTINGS = [Setting.make(quick=True), Setting.make(quick=False)]


def test_the_issue_s_claims_in_its_order():
    ids = names()
    assert len(ids) == 24 and len(set(ids)) == 24
    assert [get(i).number for i in ids] == list(range(1, 25))
    assert ids[0] == "linear-collapse" and ids[-1] == "regularisation-generalises"


def test_unknown_ids_name_the_closest():
    with pytest.raises(KeyError, match="did you mean dying-relu"):
        get("dying-relus")
    assert get("relu_is_cheap").id == "relu-is-cheap"  # '_' for '-' is forgiven


@pytest.mark.parametrize("claim_id", names())
def test_a_claim_describes_itself(claim_id):
    c = get(claim_id)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c.id) and c.family in FAMILIES
    assert c.statement.endswith(".") and c.rule.endswith(".") and c.source
    assert re.search(r"\d", c.rule), "a rule states its thresholds"


@pytest.mark.parametrize("setting", SETTINGS, ids=["quick", "full"])
@pytest.mark.parametrize("claim_id", names())
def test_an_experiment_is_canonical_runs_and_importable_measurements(claim_id, setting):
    exp = get(claim_id).experiment(setting)
    assert isinstance(exp, Experiment) and exp.setup and (exp.runs or exp.measurements)
    assert all(isinstance(s, RunSpec) for s in exp.runs)
    assert all(RunSpec.from_dict(s.to_dict()).run_id == s.run_id for s in exp.runs)
    keys = [m.key for m in exp.measurements]
    assert len(keys) == len(set(keys))
    for m in exp.measurements:
        assert isinstance(m, Measurement)
        module, _, name = m.fn.partition(":")
        assert callable(getattr(importlib.import_module(module), name)), m.fn
    assert exp == get(claim_id).experiment(setting)  # the analysis recomputes it: the same one


def test_seeds_set_the_number_of_seeds_where_a_test_decides():
    exp = get("swish-beats-relu-deeper").experiment(Setting.make(seeds=7))
    assert sorted({s.seed for s in exp.runs}) == list(range(7))
    with pytest.raises(ValueError, match="seeds must be"):
        Setting.make(seeds=0)


def test_the_quick_setting_is_smaller():
    def size(setting: Setting) -> int:
        total = 0
        for i in names():
            e = get(i).experiment(setting)
            total += sum(s.epochs for s in e.runs) + len(e.measurements)
        return total

    assert size(SETTINGS[0]) * 4 < size(SETTINGS[1])
