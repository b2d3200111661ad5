"""Reports from the result store: the HTML page and the PNG figures (reads only the store)."""

from ._figures import FIGURES
from ._html import fmt_num, fmt_pct, write_report

__all__ = ["FIGURES", "fmt_num", "fmt_pct", "write_report"]
