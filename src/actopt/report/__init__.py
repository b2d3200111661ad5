"""Reports from the result store: the HTML page, the PNG figures and the leaderboard's columns.

Reads only the store (through ``actopt.bench``'s store and statistics): no training stack.
"""

from ._columns import LEADERBOARD, Column, fmt_num, fmt_pct
from ._figures import FIGURES
from ._html import write_report

__all__ = ["FIGURES", "LEADERBOARD", "Column", "fmt_num", "fmt_pct", "write_report"]
