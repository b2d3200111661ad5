"""Reports from the result store: the explorable HTML page, static figures for papers, the
leaderboard as md/LaTeX/CSV, TensorBoard export and two benches compared.

Reads only the store (through ``actopt.bench``'s store and statistics), read-only: no training
stack, and a store on read-only media reports as well.
"""

from ._columns import LEADERBOARD, Column, caption, fmt_num, fmt_pct
from ._compare import COMPARISON, compare_benches
from ._data import Bench, read_bench
from ._figures import FIGURES, FORMATS
from ._report import write_report
from ._tables import TABLES, leaderboard_table
from ._tensorboard import export_tensorboard

__all__ = [
    "COMPARISON",
    "FIGURES",
    "FORMATS",
    "LEADERBOARD",
    "TABLES",
    "Bench",
    "Column",
    "caption",
    "compare_benches",
    "export_tensorboard",
    "fmt_num",
    "fmt_pct",
    "leaderboard_table",
    "read_bench",
    "write_report",
]
