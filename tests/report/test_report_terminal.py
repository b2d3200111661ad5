"""What ``actopt report`` prints in a terminal: a leaderboard that never cuts a number (at any
common width every cell of a numeric or verdict column is printed whole, on one line; only the
config column folds), and what a folder of another command is."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from actopt.cli import _report as report_cli
from actopt.report import LEADERBOARD, read_bench

LONG_FORMULA = "x*sigmoid(1.702*x)+0.05*sin(x)"


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


@pytest.mark.parametrize(("role", "says"), [
    ("claims", "actopt claims --out"), ("search", "search.html"),
    ("search-validate", "search.html"), ("run", None),
])  # fmt: skip
def test_report_on_another_commands_folder_says_what_it_is(role, says, tmp_path, capsys):
    """``report`` on a claims or search folder said "no finished runs yet" over 40 runs."""
    from actopt.bench import Store
    from actopt.cli import main
    from actopt.train import RunResult, RunSpec

    with Store(tmp_path) as s:
        for seed in (0, 1):
            spec = RunSpec(data="moons", width=8, epochs=1, seed=seed)
            s.put(RunResult(spec, final={"test_acc": 0.5}), role=role)
    code = main(["report", str(tmp_path), "-q"])
    err = capsys.readouterr().err
    if says is None:  # a bench folder: its report
        assert code == 0 and not err
    else:
        assert code == 2 and says in err and "2 runs" in err and "no finished" not in err, err


def _store(out, configs: list[tuple[str, str]], seeds=(0, 1, 2), **fields):
    """A bench store of ``configs`` (data, act) with adam, its baseline relu/adam."""
    from actopt.bench import Store
    from actopt.train import RunResult, RunSpec

    with Store(out) as s:
        s.set_meta("grid", {"baseline": "relu/adam"})
        for data, act in configs:
            for seed in seeds:
                spec = RunSpec(
                    **{"data": data, "act": act, "width": 8, "epochs": 1, "seed": seed, **fields}
                )
                s.put(RunResult(spec, final={"test_acc": 0.5 + 0.1 * seed}))
    return out


@pytest.mark.parametrize(("configs", "says"), [
    ([("moons", "relu")], "no other config to compare with"),
    ([("moons", "relu"), ("mnist1d", "relu")], "no other config to compare with"),
    ([("moons", "relu"), ("moons", "tanh")], "paired t-test"),
])  # fmt: skip
def test_the_caption_says_why_there_is_no_test(configs, says, tmp_path):
    """One config per dataset has nothing to compare with; it is not a seed count problem."""
    from actopt.report import caption

    bench = read_bench(_store(tmp_path, configs))
    for _, _, _, part in bench.sections():
        text = caption(part, bench.baseline)
        assert says in text and "fewer than two ok seeds" not in text, text


@pytest.mark.parametrize(("fields", "note"), [
    ({"batch_size": 64}, "every matched config trained differently in (1) and (2): batch_size "
                         "128 (1) vs 64 (2)"),
    ({"epochs": 2, "width": 16}, "width 8 (1) vs 16 (2); epochs 1 (1) vs 2 (2)"),
    ({}, None),
])  # fmt: skip
def test_compare_names_what_else_differs(fields, note, tmp_path, capsys):
    """``compare`` matched benches that differ in batch size without a word."""
    from actopt.cli import main

    configs = [("moons", "relu"), ("moons", "tanh")]
    first, second = _store(tmp_path / "a", configs), _store(tmp_path / "b", configs, **fields)
    assert main(["compare", str(first), str(second)]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    if note is None:
        assert "note:" not in shown
    else:
        assert note in shown, shown


def test_csv_table_holds_numbers(hard_store, capsys):
    """``--table csv`` wrote '86.65%', '85.97%–87.33%' and '0.34 / 0.34': a spreadsheet could
    not sort or plot them. Now every leaderboard number is a number, accuracies as fractions."""
    import pandas as pd

    from actopt.cli import main

    assert main(["report", str(hard_store), "--table", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    text = {"data", "model", "config", "vs_baseline"}
    assert {f for c in LEADERBOARD for f in c.raw} | {"data", "model"} == set(table.columns)
    for col in set(table.columns) - text:
        assert pd.api.types.is_numeric_dtype(table[col]), col
    board = read_bench(hard_store).board.set_index("config")
    for _, r in table.iterrows():
        b = board.loc[r["config"]]
        assert r["test_acc"] == pytest.approx(b["test_acc"]) and 0 <= r["test_acc"] <= 1
        assert (r["ci_low"], r["ci_high"]) == pytest.approx(
            (b["ci_low"], b["ci_high"]), nan_ok=True
        )
        assert (r["p_value"], r["p_holm"]) == pytest.approx(
            (b["p_value"], b["p_holm"]), nan_ok=True
        )
        assert r["gen_gap"] == pytest.approx(b["gen_gap"]) and r["ok"] == b["ok"]


def test_export_parquet_without_pyarrow_is_one_line_naming_the_extra(
    hard_store, tmp_path, monkeypatch, capsys
):
    """It failed with pandas' long ImportError although --help advertises Parquet."""
    import importlib.util

    from actopt.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("pyarrow", "fastparquet")
                        else real(name, *a))  # fmt: skip
    assert main(["export", str(hard_store), "--parquet", str(tmp_path / "runs.parquet")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: --parquet needs pyarrow: pip install 'actopt[parquet]' (or use --csv)"
    assert not (tmp_path / "runs.parquet").exists()


@pytest.mark.parametrize(("n", "says"), [(1, "wrote 1 run to"), (8, "wrote 8 runs to")])
def test_counts_agree_with_their_nouns(n, says, hard_store, tmp_path, capsys):
    """'1 claims', '1 seeds', 'wrote 1 pictures': one is singular."""
    import pandas as pd

    from actopt.bench import Store
    from actopt.cli import main

    out = tmp_path / "one"
    with Store(hard_store, readonly=True) as src, Store(out) as dst:
        for row in src.rows("run")[:n]:
            dst.put(Store.result(row))
    assert main(["export", str(out), "--csv", str(tmp_path / "runs.csv")]) == 0
    assert says in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "runs.csv")) == n
    assert main(["gallery", "relu", "--out", str(tmp_path / "g")]) == 0
    assert "wrote 1 picture," in capsys.readouterr().out


def test_report_on_a_claims_folder_of_measurements_only_says_what_it_is(tmp_path, capsys):
    """``claims --only relu-is-cheap`` times kernels and trains nothing: its folder holds
    measurements, no runs, and ``report`` said "no finished runs yet"."""
    from actopt.bench import Store
    from actopt.claims._measure import MeasurementStore
    from actopt.cli import main

    Store(tmp_path).close()
    with MeasurementStore(tmp_path) as m:
        row = ("k", "timing", "{}", "1.0", 0.1, 0.0, "host")
        m.db.execute("INSERT INTO claim_measurements VALUES (?, ?, ?, ?, ?, ?, ?)", row)
    assert main(["report", str(tmp_path), "-q"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "this is a claims folder (1 measurement)" in err and "actopt claims --out" in err, err


def _compared(out, shift: float, acts) -> object:
    """A bench of ``acts`` × adam on moons, three seeds, accuracies apart by act and ``shift``."""
    from actopt.bench import Store
    from actopt.train import RunResult, RunSpec

    with Store(out) as s:
        for a, act in enumerate(acts):
            for seed in (0, 1, 2):
                spec = RunSpec(data="moons", act=act, width=8, epochs=1, seed=seed)
                acc = 0.61 + 0.07 * a + shift * (a + 1) + 0.013 * seed * (1 + shift)
                s.put(RunResult(spec, final={"test_acc": acc}))
    return out


@pytest.mark.parametrize("width", [60, 80])
def test_compare_never_cuts_a_number(width, tmp_path, monkeypatch):
    """At COLUMNS=80 ``compare`` ended numbers and names in '…' (and left some columns empty):
    every number is printed whole now, as the leaderboard prints them; only the config and test
    columns fold."""
    from actopt.cli import main
    from actopt.report import COMPARISON, compare_benches

    acts = ["relu", LONG_FORMULA, "tanh"]
    first = _compared(tmp_path / "first-bench", 0.0, acts[:2])
    second = _compared(tmp_path / "second-bench", 0.021, acts)
    console = Console(file=io.StringIO(), width=width, highlight=False, color_system=None)
    monkeypatch.setattr(report_cli, "out", console)
    assert main(["compare", str(first), str(second)]) == 0
    text = console.file.getvalue()
    lines = text.splitlines()
    assert "…" not in text and max(map(len, lines)) <= width
    table = compare_benches(first, second)
    assert table["p_value"].notna().sum() == 2
    for _, r in table.iterrows():
        numbers = {f"{r['acc_1']:.2%}", f"{r['acc_2']:.2%}"}  # and ok/runs, a whole cell
        numbers |= {c.cell(r) for c in COMPARISON if c.whole}
        for number in numbers - {"nan%"}:
            assert any(number in line for line in lines), (width, number, text)
