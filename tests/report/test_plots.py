"""The report's figures as plotly receives them (the JSON in report.html), on a store a new
user's bench can leave: long labels, an lr of 0, a target nobody reached, narrow gradient
norms."""

from __future__ import annotations

import math
import warnings

import pytest

from actopt.cli import main
from actopt.report._data import read_bench
from actopt.report._plots import section_plots
from actopt.report._ticks import fmt_tick, log_ticks


@pytest.mark.parametrize("span", [(0.15, 0.9), (0.15, 2.2), (1e-6, 3e-2), (1e-12, 1e3),
                                  (5.0, 5.0), (1e-3, 1e-3), (3e-5, 7e8)])  # fmt: skip
def test_log_ticks_cover_the_values_with_few_short_labels(span):
    lo, hi = span
    ticks, text = log_ticks([lo, None, math.nan, 0.0, -1.0, hi])
    inside = [t for t in ticks if lo <= t <= hi]
    assert ticks == sorted(set(ticks)) and ticks[0] <= lo and ticks[-1] >= hi
    assert len(ticks) <= 9 and (len(inside) >= 2 or hi / lo < 2)
    assert all(len(t) <= 6 for t in text), text
    assert text == [fmt_tick(t) for t in ticks]


@pytest.mark.parametrize(("value", "text"), [
    (0.002, "0.002"), (50.0, "50"), (1e-6, "10⁻⁶"), (2.5e5, "2.5×10⁵"), (0.0, "0"), (1e4, "10⁴"),
])  # fmt: skip
def test_tick_labels_are_short(value, text):
    assert fmt_tick(value) == text


def test_the_gradient_norm_log_axis_has_readable_ticks(hard_figures):
    fig = hard_figures["moons-mlp-grad_norms"]
    axis = fig["layout"]["yaxis"]
    values = [y for trace in fig["data"] for y in trace["y"]]
    lo, hi = min(values), max(values)
    shown = [(v, t) for v, t in zip(axis["tickvals"], axis["ticktext"], strict=True)
             if lo <= v <= hi]  # fmt: skip
    assert axis["type"] == "log" and axis["tickmode"] == "array"
    assert 2 <= len(shown) <= 8, shown  # not every digit of the decade
    assert [float(t) for _, t in shown] == [v for v, _ in shown]  # 0.2, not "2" meaning 0.2


def test_an_lr_of_zero_builds_the_report_without_a_warning(hard_store, tmp_path, capsys):
    """lr = 0 is valid (torch.optim takes it): no numpy warning may reach the terminal."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["report", str(hard_store), "--to", str(tmp_path), "--format", "svg"]) == 0
    assert "Warning" not in capsys.readouterr().err


def test_an_lr_of_zero_sits_below_the_others_labelled_0(hard_figures):
    (lr,) = [d for d in hard_figures["moons-mlp-parallel"]["data"][0]["dimensions"]
             if d["label"] == "lr"]  # fmt: skip
    assert None not in lr["values"] and lr["ticktext"] == ["0", "0.01"]
    zero, adam = lr["tickvals"]
    assert adam == pytest.approx(-2) and zero == pytest.approx(-3)  # a decade below
    assert sorted(set(lr["values"])) == lr["tickvals"]


def test_epochs_to_target_says_why_it_is_empty_when_no_config_reached_it(hard_figures):
    fig = hard_figures["moons-mlp-diagnostics"]
    bars = fig["data"][0]
    assert bars["xaxis"] == "x" and bars["x"] == [None] * 4  # nothing to draw …
    (note,) = fig["layout"]["annotations"]  # … so the panel says why
    assert note["xref"] == "x domain" and note["text"] == "no config reached 99%<br>test accuracy"
    assert fig["layout"]["xaxis"]["title"]["text"] == "epochs to 99% test acc"


def test_epochs_to_target_marks_the_configs_that_never_reached_it(make_hard_store, tmp_path):
    bench = read_bench(make_hard_store(tmp_path, target=0.7))  # AMSGrad reaches it, lr 0 not
    ((_, _, runs, board),) = bench.sections()
    fig = dict(section_plots(runs, board, 0.7))["diagnostics"]
    bars, marks = fig["data"][0], fig["data"][-1]
    reached = {c: x for c, x in zip(bars["y"], bars["x"], strict=True) if x is not None}
    assert sorted(reached) == sorted(c for c in bars["y"] if "amsgrad" in c)
    assert set(reached.values()) == {3.0} and "annotations" not in fig["layout"]
    assert marks["mode"] == "text" and sorted(marks["y"]) == sorted(set(bars["y"]) - set(reached))
    assert set(marks["text"]) == {"not reached"} and marks["xaxis"] == "x"


def test_gap_and_dead_units_are_in_percent_as_the_leaderboard_shows_them(hard_figures):
    """The gap's axis read 0–0.4 beside the leaderboard's points and the dead units' %."""
    layout = hard_figures["moons-mlp-diagnostics"]["layout"]
    titles = {ax["title"]["text"]: ax for name, ax in layout.items() if name.startswith("xaxis")}
    # "~%" (d3: as many digits as the tick needs): ".0%" read 0% on every tick below 1%
    assert titles["gen gap (train − test)"]["tickformat"] == "~%"
    assert titles["dead units"]["tickformat"] == "~%"
