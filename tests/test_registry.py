"""The shared name registry behind the activation and optimizer catalogs."""

from __future__ import annotations

import pytest

from actopt._registry import Registry


def test_names_aliases_and_close_matches():
    r: Registry[int] = Registry("widget", "widgets.names()")
    r.register("leaky_relu", ("lrelu",), 1)
    r.register("relu", (), 2)
    assert r.names() == ["leaky_relu", "relu"]
    assert r.names(aliases=True) == ["leaky_relu", "relu", "lrelu"]
    assert r["Leaky-ReLU"] == 1 and r["lrelu"] == 1 and r.resolve(" RELU ") == "relu"
    with pytest.raises(KeyError, match=r"unknown widget 'reluu'; did you mean relu.*widgets"):
        r["reluu"]


def test_duplicates_and_upper_case_are_refused():
    r: Registry[int] = Registry("widget", "widgets.names()")
    r.register("a", ("b",), 1)
    with pytest.raises(ValueError, match="already registered"):
        r.register("b", (), 2)
    with pytest.raises(ValueError, match="lower-case"):
        r.register("Big", (), 3)
