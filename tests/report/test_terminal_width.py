"""The terminal leaderboard never cuts a number: at any common width every cell of a numeric (or
verdict) column is printed whole, on one line; only the config column folds."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from actopt.cli import _report as report_cli
from actopt.report import LEADERBOARD, read_bench


@pytest.mark.parametrize("width", [60, 80, 100, 120, 140, 200])
def test_numbers_are_never_cut_at_any_width(hard_store, width, monkeypatch):
    bench = read_bench(hard_store)
    console = Console(file=io.StringIO(), width=width, highlight=False, color_system=None)
    monkeypatch.setattr(report_cli, "out", console)
    report_cli.print_bench(bench)
    text = console.file.getvalue()
    assert "…" not in text
    assert max(map(len, text.splitlines())) <= width
    lines = text.splitlines()
    for _, _, _, part in bench.sections():
        for _, r in part.iterrows():
            for c in LEADERBOARD:
                if c.whole:
                    cell = c.cell(r)
                    assert any(cell in line for line in lines), (width, c.title, cell)
