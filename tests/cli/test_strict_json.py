"""Every JSON actopt writes is strict JSON (``JSON.parse`` and ``jq`` read it): NaN and ±inf are
written as null, through one helper; a null read back is shown as such, never a crash."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from actopt._json import dumps, strict
from actopt.claims import names as claim_names
from actopt.cli import main
from actopt.cli._search import _print_board
from actopt.search import SearchResult, leaderboard, log_path, read_results, screen
from actopt.search._evaluate import Score
from actopt.search._report import write_search_report
from actopt.search._search import _trained_entry


def _strict_loads(text: str):
    """``json.loads`` as a browser does it: NaN, Infinity and -Infinity are errors."""

    def refuse(name: str):
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_non_finite_numbers_become_null_everywhere_in_a_document():
    doc = {"a": [math.nan, (math.inf, -math.inf)], "b": np.float32("nan"), "c": np.float64(2.5),
           "n": 3, "ok": True, "s": "nan"}  # fmt: skip
    assert strict(doc) == {"a": [None, [None, None]], "b": None, "c": 2.5, "n": 3, "ok": True,
                           "s": "nan"}  # fmt: skip
    assert _strict_loads(dumps(doc)) == strict(doc)


def test_audit_json_of_a_function_infinite_at_zero_is_strict(capsys):
    assert main(["audit", "1/x", "--json", "-"]) == 0
    doc = _strict_loads(capsys.readouterr().out)
    assert "f(0)" in json.dumps(doc) and "Infinity" not in json.dumps(doc)


def test_claims_list_json_lists_every_claim(capsys):
    assert main(["claims", "--list", "--json", "-"]) == 0
    doc = _strict_loads(capsys.readouterr().out)
    assert [c["id"] for c in doc] == list(claim_names())
    assert all(c["claim"] and c["source"] and c["family"] for c in doc)


@pytest.fixture
def one_seed_search(tmp_path):
    """A search log whose one trained candidate had one seed: its CI is NaN."""
    result, f = SearchResult("random", 0), "x*sigmoid(x)"
    sc = screen(f)
    entry = {"formula": f, "candidate": None, "text": sc.text, "reasons": [], "cost": sc.cost,
             "fp": sc.fp}  # fmt: skip
    _trained_entry(entry, Score(f, 0.8, math.nan, math.nan, 0.75, [0.8], 0))
    result.log.append(entry)
    result.write(tmp_path)
    return tmp_path


def test_a_search_log_with_a_one_seed_ci_is_strict_and_shown(one_seed_search, capsys):
    log = _strict_loads(log_path(one_seed_search, "random").read_text())
    assert log["log"][0]["score"]["lo"] is None
    board = leaderboard(read_results(one_seed_search))
    _print_board(board, str(one_seed_search))
    shown = capsys.readouterr().out
    assert "0.800" in shown and "no CI" in shown
    page = write_search_report(one_seed_search).read_text()
    assert "0.800 [no CI]" in page
