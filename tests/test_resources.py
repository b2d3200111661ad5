"""The one memory cap: a request beyond half this machine's memory is refused with its estimate
and the override, unless allow_large."""

from __future__ import annotations

import pytest

from actopt import _resources as R


def test_a_request_beyond_the_budget_names_its_estimate_and_the_override():
    budget = R.memory_budget()
    R.check_memory(budget, "this run")  # at the budget: fine
    with pytest.raises(
        R.ResourceError, match=r"this run needs about .* \(3 parts\).*--allow-large"
    ):
        R.check_memory(budget * 2, "this run", "3 parts")
    R.check_memory(budget * 2, "this run", allow_large=True)


def test_workers_are_capped_by_memory():
    R.check_workers(1)
    with pytest.raises(R.ResourceError, match="worker processes"):
        R.check_workers(R.memory_budget() // R.WORKER_BYTES + 1)
    R.check_workers(100_000, allow_large=True)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="whole number"):
            R.check_workers(bad)


@pytest.mark.parametrize("n, text", [(512, "512 B"), (1536, "1.5 kB"), (3 << 30, "3 GB")])
def test_fmt_bytes(n, text):
    assert R.fmt_bytes(n) == text
