"""--validate: the search's best trained again on Fashion-MNIST beside relu, swish and gelu,
compared by a paired test (Holm over all comparisons), resumable, without searching again."""

from __future__ import annotations

import json
import math
import sqlite3

import numpy as np
import pytest
from scipy import stats

from actopt.cli import main
from actopt.search import (
    BASELINES,
    Candidate,
    Op,
    SearchResult,
    evaluate,
    log_path,
    read_validation,
    screen,
)
from actopt.search._search import _trained_entry

# two candidates of the space, trained on a tiny child net and logged as the search logs them
FOUND = [Candidate(((Op("x"), Op("sigmoid"), Op("mul")),)).formula,
         Candidate(((Op("x"), Op("tanh"), Op("add")),)).formula]  # fmt: skip


def _searched(out) -> None:
    scores = evaluate(FOUND, [0], out, steps=10, width=8)
    result = SearchResult("evolution", 0)
    for f in FOUND:
        sc = screen(f)
        entry = {"formula": f, "candidate": None, "text": sc.text, "reasons": [],
                 "cost": sc.cost, "fp": sc.fp}  # fmt: skip
        _trained_entry(entry, scores[f])
        result.log.append(entry)
    result.write(out)


def _runs(out) -> dict[str, tuple]:
    with sqlite3.connect(out / "actopt.db") as con:
        q = ("SELECT run_id, finished, json_extract(spec, '$.act'), json_extract(spec, '$.data'),"
             " json_extract(spec, '$.depth') FROM runs")  # fmt: skip
        return {r[0]: r[1:] for r in con.execute(q)}


def _holm(ps: list[float]) -> list[float]:
    """Holm's step-down adjustment, written out: p_(i) · (m − i + 1), running max, ≤ 1."""
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    out, running = [0.0] * len(ps), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        out[i] = running
    return out


@pytest.mark.slow
def test_validate_on_an_existing_search_trains_the_top_and_the_baselines(
    shared_data, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "s"
    _searched(out)
    log = log_path(out, "evolution").read_text()
    child_runs = set(_runs(out))
    args = ["search", "--validate", "2", "--validate-seeds", "2", "--validate-steps", "20",
            "--validate-images", "1000", "--data-dir", str(shared_data), "--no-download", "-q",
            "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    assert log_path(out, "evolution").read_text() == log  # no search again
    runs = {k: v[1:] for k, v in _runs(out).items() if k not in child_runs}
    doc = read_validation(out)
    top = [r["formula"] for r in doc["rows"]]
    assert sorted(top) == sorted(FOUND) and len(runs) == (2 + len(BASELINES)) * 2
    assert {v[1:] for v in runs.values()} == {("fashion-mnist", 6)}  # act, data, depth
    assert {v[0] for v in runs.values()} == {*top, *BASELINES}

    # each comparison is the paired t-test on test accuracy, seed by seed, Holm over all six
    ps = []
    for r in doc["rows"]:
        for b in BASELINES:
            a, c = np.array(r["accs"]), np.array(doc["baselines"][b]["accs"])
            d = a - c
            if not d.any():  # x·σ(x) against swish: the same function, equal runs
                p = 1.0
            else:
                t = d.mean() / (d.std(ddof=1) / math.sqrt(len(d)))
                p = 2 * stats.t.sf(abs(t), len(d) - 1)
            assert r["vs"][b]["p"] == pytest.approx(p, rel=1e-9)
            assert r["vs"][b]["delta"] == pytest.approx(d.mean(), abs=1e-12)
            ps.append(r["vs"][b]["p"])
    holm = iter(_holm(ps))
    for r in doc["rows"]:
        for b in BASELINES:
            v = r["vs"][b]
            assert v["p_holm"] == pytest.approx(next(holm), rel=1e-9)
            assert v["verdict"] == ("tie" if v["p_holm"] >= 0.05 else
                                    "better" if v["delta"] > 0 else "worse")  # fmt: skip
    printed = capsys.readouterr().out
    assert "validation: fashion-mnist, 6×128 MLP, 20 steps on 1000 images, 2 seeds" in printed
    assert "vs swish" in printed and "no new search" in printed
    assert "<h2>Validation</h2>" in (out / "search.html").read_text()

    # again: everything is in the store, nothing trains (no dataset needed), the same verdicts
    before = _runs(out)
    monkeypatch.setenv("ACTOPT_DATA", str(tmp_path / "no-data-here"))
    i = args.index("--data-dir")
    assert main([*args[:i], *args[i + 2 :], "--json", "-"]) == 0
    assert _runs(out) == before
    again = json.loads(capsys.readouterr().out)["validation"]
    assert [r["vs"] for r in again["rows"]] == [r["vs"] for r in doc["rows"]]


def test_validate_refuses_a_folder_without_a_search(tmp_path, capsys):
    from actopt.search import validate

    with pytest.raises(ValueError, match="no trained candidates"):
        validate(tmp_path, 3)
    with pytest.raises(ValueError, match="at least 2 seeds"):
        validate(tmp_path, 3, seeds=1)
