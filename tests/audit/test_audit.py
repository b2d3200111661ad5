"""The auditor: the seed's bad examples fail for the right reason; classics are not bad."""

from __future__ import annotations

import json

import pytest

import actopt
import actopt.activations as A
from actopt.audit import audit
from actopt.cli import main

ELEMENTWISE = [n for n in A.names() if not A.spec(n).vector]


@pytest.mark.parametrize("formula, check, reason", [
    ("x**2", "sign_preserving", "even function"),
    ("sqrt(x)", "defined_everywhere", "not defined for x < 0"),
    ("log(x)", "defined_everywhere", "not defined for x < 0"),
    ("sign(x)*sqrt(abs(x))", "differentiable", "infinite gradient at 0"),
])  # fmt: skip
def test_the_seeds_bad_examples_are_bad_for_the_right_reason(formula, check, reason):
    r = actopt.audit(formula, timing=False)
    assert r.verdict == "bad" and r.checks[check].status == "fail"
    assert any(reason in why for why in r.reasons), r.reasons


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "swish"])
def test_the_classics_are_not_bad(name):
    assert audit(name, timing=False).verdict != "bad"


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_every_catalog_activation_gets_a_verdict(name):
    r = audit(name, timing=False)
    assert r.verdict in ("good", "caveats", "bad")
    assert all(c.status in ("pass", "warn", "fail") for c in r.checks.values())
    assert (r.verdict == "good") == (r.reasons == [])
    assert r.checks["float32_stable"].status == "pass"  # the catalog is written stably
    # C1 entries pass; the others have a kink or a jump (a warning), never an infinite slope
    smooth = A.spec(name).properties.smooth
    assert r.checks["differentiable"].status == ("pass" if smooth else "warn")
    json.dumps(r.to_dict())  # plain data


def test_the_auditor_is_its_own_layer():
    """actopt.audit is the package and is callable; the catalog no longer carries the audit."""
    import actopt.audit as audit_package

    assert actopt.audit is audit_package and actopt.audit("relu", timing=False).verdict
    assert not any(hasattr(A, n) for n in ("audit", "AuditReport", "write_gallery"))


@pytest.mark.parametrize("formula, check", [
    ("x", "nonlinear"), ("2*x + 1", "nonlinear"), ("Heaviside(x)", "gradient_signal"),
    ("sign(x)", "gradient_signal"), ("exp(x)", "exploding"), ("x**3", "exploding"),
    ("abs(x)", "sign_preserving"), ("1/x", "defined_everywhere"),
])  # fmt: skip
def test_other_failures(formula, check):
    r = audit(formula, timing=False, signal=False)
    assert r.verdict == "bad" and r.checks[check].status == "fail"


def test_linear_collapse_is_shown():
    c = audit("2*x + 1", timing=False).checks["nonlinear"]
    assert c.evidence["slope"] == pytest.approx(2) and c.evidence["intercept"] == pytest.approx(1)
    assert c.evidence["collapse_error"] < 1e-12


def test_risks_are_measured_where_they_are():
    relu = audit("relu", timing=False)
    assert relu.checks["dead_zone"].status == "warn" and "x < 0" in relu.checks["dead_zone"].detail
    assert relu.checks["differentiable"].status == "warn"  # the kink: a subgradient
    sig = audit("sigmoid", timing=False).checks
    assert sig["saturation"].status == "warn" and sig["zero_centered"].status == "warn"
    t = sig["saturation"].evidence
    assert 6 < t["left_t"] < 9 and 6 < t["right_t"] < 9  # σ'(x) < 1e-3 beyond |x| ≈ 6.9


def test_formulas_calling_the_catalog_are_audited(capsys):
    assert main(["audit", "relu(x)+0.1*x", "--no-timing", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["derivative"] == "relu'(x) + 0.1" and report["verdict"] == "good"
    assert report["checks"]["dead_zone"]["status"] == "pass"  # relu's dead zone is gone
    assert report["checks"]["differentiable"]["status"] == "warn"  # its kink at 0 is not


def test_signal_propagation_tells_the_textbook_story():
    sp = {n: audit(n, timing=False).checks["signal_propagation"] for n in
          ("sigmoid", "relu", "tanh", "selu")}  # fmt: skip
    assert sp["sigmoid"].evidence["vanish_depth"] is not None
    assert sp["relu"].status == "pass" and sp["relu"].evidence["init"] == "he"
    assert sp["tanh"].status == "pass" and sp["tanh"].evidence["init"] == "xavier"
    selu = sp["selu"].evidence
    assert sp["selu"].status == "pass" and 0.5 < selu["forward_std"][-1] < 2  # self-normalising


def test_cli_audit_table_json_and_errors(capsys):
    assert main(["audit", "sign(x)*sqrt(abs(x))", "--no-timing"]) == 0
    text = capsys.readouterr().out
    assert "verdict: bad" in text and "infinite gradient at 0" in text
    assert main(["audit", "x*sigmoid(b*x)", "-p", "b=1.5", "--json", "--no-timing"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] in ("good", "caveats") and "signal_propagation" in doc["checks"]
    assert main(["audit", "__import__('os')"]) == 2
    assert "not allowed" in capsys.readouterr().err
    assert main(["audit", "relux"]) == 2


def test_gallery_writes_pictures_and_an_index(tmp_path, capsys):
    assert main(["gallery", "relu", "tanh", "x*tanh(softplus(x))", "--out", str(tmp_path)]) == 0
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert "gallery.png" in pngs and "relu.png" in pngs and len(pngs) == 4
    assert all(p.stat().st_size > 5000 for p in tmp_path.glob("*.png"))
    page = (tmp_path / "index.html").read_text()
    assert page.count("<img") == 3 and "x*tanh(softplus(x))" in page


def test_gallery_gives_formulas_distinct_files_and_draws_a_name_once(tmp_path, capsys):
    """``x*2`` and ``x+2`` once shared one file; ``relu relu tanh`` misaligned the cards."""
    argv = ["gallery", "x*2", "x+2", "relu", "relu", "silu", "swish", "--out", str(tmp_path)]
    assert main(argv) == 0
    pictures = sorted(p.name for p in tmp_path.glob("*.png") if p.name != "gallery.png")
    assert len(pictures) == 4 and "relu.png" in pictures, pictures  # x*2, x+2, relu, swish
    page = (tmp_path / "index.html").read_text()
    assert page.count("<img") == 4 and "<b>x*2</b>" in page and "<b>x+2</b>" in page
    cards = page.split("<figure>")[1:]  # each card's picture is its own function's
    assert all(c.count('src="') == 1 for c in cards)
    assert "swish: already in the gallery as silu" in capsys.readouterr().err


def test_the_wording_names_the_whole_story():
    """Many NaN stretches are summed up, not the first one named; inf is left out of a mean;
    every jump is named."""
    xx = audit("x**x", timing=False, signal=False)
    assert "not defined for most of -999.99 ≤ x ≤ 0" in xx.reasons
    assert "stretches" in xx.checks["defined_everywhere"].detail
    inverse = audit("1/x", timing=False, signal=False).checks["zero_centered"]
    assert inverse.evidence["non_finite"] == 1 and abs(inverse.evidence["mean_on_normal"]) < 1e-6
    assert "1 inf/NaN output(s) left out" in inverse.detail
    shrink = audit("hardshrink", timing=False, signal=False)
    assert "f jumps at x = -0.5 (by 0.5), x = 0.5 (by 0.5)" in shrink.reasons


@pytest.mark.parametrize("formula", [
    "exp(exp(exp(exp(x))))", "1e6*x", "tanh(1e8*x)", "exp(20*x)", "abs(x)**1.5", "relu(x)**2",
])  # fmt: skip
def test_a_steep_but_smooth_f_is_differentiable(formula):
    """f'(0) ≈ 1.6e8 for exp(exp(exp(exp(x)))) is finite; so is exp(20x)'s past float64's
    range; |x|**1.5 is C1 at 0. The heuristic once called any |f'| > 1e4 an infinite slope."""
    check = audit(formula, timing=False, signal=False).checks["differentiable"]
    assert check.status == "pass", check.detail


@pytest.mark.parametrize("formula, at, status", [
    ("sqrt(abs(x))", 0, "fail"), ("x**(1/3)", 0, "fail"), ("sqrt(abs(x-3))", 3, "fail"),
    ("relu(x)+sqrt(abs(x-2))", 2, "fail"), ("abs(x)", 0, "warn"), ("x*log(abs(x))", 0, "warn"),
    ("x**(2/3)", 0, "warn"),
])  # fmt: skip
def test_infinite_slopes_and_kinks_are_still_found(formula, at, status):
    check = audit(formula, timing=False, signal=False).checks["differentiable"]
    assert check.status == status, check.detail
    assert f"x = {at}" in check.detail or f"x ≈ {at}" in check.detail, check.detail
    if status == "fail":
        assert check.reason == f"infinite gradient at {at}"


@pytest.mark.parametrize("formula", [
    "gelu(x)**2", "gelu(x, approximate='tanh')**2", "gelu(x, approximate='tanh')",
])  # fmt: skip
def test_gelus_tail_is_saturation_not_a_dead_zone(formula):
    """gelu(x)**2's f' = 2 gelu·gelu' is ~1e-30 at x = -9, not 0: it saturates on the left as
    gelu does (its f' once rounded to 0 there, a dead zone gelu itself never had)."""
    checks = audit(formula, timing=False, signal=False).checks
    assert checks["dead_zone"].status == "pass", checks["dead_zone"].detail
    sides = checks["saturation"].evidence
    assert sides["left_t"] is not None and sides["right_t"] is None


def test_x_squared_is_told_why_it_is_poor():
    """Even, non-monotone, growing: each finding says what it costs, as 'linear: any depth
    collapses…' does; swish's dip is told apart from x**2's fall and rise."""
    r = audit("x**2", timing=False, signal=False)
    assert "so no later layer can tell x from -x" in r.reasons[0], r.reasons
    assert "no later layer can tell them apart" in r.checks["sign_preserving"].detail
    mono = r.checks["monotonic"].detail
    assert "falls by 400 and rises by 400" in mono and "inputs far apart" in mono, mono
    assert "at x = 1000, |f(x)|/|x| = 1e+03" in r.checks["exploding"].detail
    swish = audit("swish", timing=False, signal=False).checks["monotonic"].detail
    assert swish.startswith("not monotonic, a shallow dip: minimum f = -0.2785"), swish
