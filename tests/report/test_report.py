"""The report: reads the store alone (no training stack), and shows the terminal's columns."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from actopt.bench import Store
from actopt.report import LEADERBOARD
from actopt.train import RunResult, RunSpec


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """A small store written as a bench writes it: two configs × three seeds."""
    out = tmp_path_factory.mktemp("store")
    with Store(out) as s:
        s.set_meta("grid", {"baseline": "relu/adam(amsgrad=True)", "target_acc": 0.5})
        for act, accs in {"relu": [0.80, 0.82, 0.81], "tanh": [0.90, 0.93, 0.91]}.items():
            for seed, acc in enumerate(accs):
                spec = RunSpec(data="moons", act=act, seed=seed, opt_params={"amsgrad": True})
                history = [{"epoch": 1, "test_acc": acc, "elapsed_s": 0.1, "train_loss": 0.3}]
                s.put(RunResult(spec, final={"test_acc": acc, "gen_gap": 0.01}, history=history))
    return out


def test_reading_a_store_imports_no_training_stack(store):
    """``actopt report`` and the Python readers run without torch ever being imported."""
    code = (
        "import sys\n"
        "from actopt.cli import main\n"
        "from actopt.bench import leaderboard, load\n"
        f"assert main(['report', {str(store)!r}]) == 0\n"
        "leaderboard(load(sys.argv[1]), baseline='relu/adam(amsgrad=True)')\n"
        "heavy = {'torch', 'actopt.train', 'actopt.models'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(store)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "relu/adam(amsgrad=True)" in done.stdout and (store / "report.html").exists()


def test_terminal_and_html_show_the_same_columns(store, capsys):
    from actopt.cli import main

    assert main(["report", str(store)]) == 0
    text = capsys.readouterr().out
    page = (store / "report.html").read_text()
    titles = [html.unescape(t) for t in re.findall(r"<th[^>]*>([^<]*)</th>", page)]
    assert titles == [c.title for c in LEADERBOARD]
    header = next(line for line in text.splitlines() if "rank" in line)
    assert [t for t in re.split(r"\s*┃\s*", header) if t] == [c.title for c in LEADERBOARD]
    # the same cells: tanh's row in both
    tanh = re.search(r"<tr>(<td[^>]*>(?:(?!</tr>).)*tanh/adam.*?)</tr>", page).group(1)
    cells = [
        html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", tanh)
    ]
    row = next(line for line in text.splitlines() if "tanh/adam" in line)
    assert [c for c in re.split(r"\s*│\s*", row) if c] == cells


def test_a_bench_stopped_early_shows_every_config_of_its_grid(tmp_path, capsys):
    """Ctrl-C before some configs started: the report lists them as not run (0/3), and a config
    with seeds missing counts them in its runs, rather than leaving them out of the table."""
    from actopt.bench import grid_from_dict, leaderboard, load
    from actopt.report import read_bench

    grid = grid_from_dict({"data": ["moons"], "act": ["relu", "tanh"], "seeds": 3, "width": 8})
    with Store(tmp_path) as s:
        s.set_meta("grid", grid.to_dict())
        s.set_meta("run_ids", [r.run_id for r in grid.runs])
        for spec in [r for r in grid.runs if r.act == "relu"][:2]:  # tanh never finished
            s.put(RunResult(spec, final={"test_acc": 0.8 + spec.seed / 100, "gen_gap": 0.0},
                            history=[{"epoch": 1, "test_acc": 0.8, "elapsed_s": 0.1}]))  # fmt: skip
        tanh = next(r for r in grid.runs if r.act == "tanh")
        s.put(RunResult(tanh, status="interrupted", error="interrupted"))  # stopped in flight
    board = read_bench(tmp_path).board.set_index("config")
    assert board.loc["tanh/adam", ["ok", "seeds", "not_run", "failed"]].tolist() == [0, 3, 3, 0]
    assert board.loc["tanh/adam", "vs_baseline"] == "not run yet"
    assert board.loc["relu/adam", ["ok", "seeds", "not_run", "failed"]].tolist() == [2, 3, 1, 0]
    assert len(leaderboard(load(tmp_path))) == 2  # the store alone: relu, and tanh interrupted
    from actopt.cli import main

    assert main(["report", str(tmp_path), "-q"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "not run yet" in out and "0/3" in out and "2/3" in out
    assert "4 runs of the grid not run or stopped before the end" in out
    assert "every seed failed" not in out
    assert "not run yet" in out
