"""Reports from the result store: the HTML page and the PNG figures (reads only the store)."""

from ._figures import FIGURES
from ._html import write_report

__all__ = ["FIGURES", "write_report"]
