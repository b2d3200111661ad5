"""``write_report``: the page (and, on request, static figures) for one bench folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..bench import StoreError
from ._data import read_bench
from ._figures import FORMATS, write_figures
from ._html import slug, write_html

__all__ = ["write_report"]


def write_report(
    out: str | Path, *, to: str | Path | None = None, formats: Sequence[str] = (), dpi: int = 150
) -> dict[str, Any]:
    """Read ``out``'s store (read-only) and write ``report.html`` into ``to`` (default ``out``),
    and each (dataset, model)'s figures as ``figures/<data>-<model>-<figure>.<format>``.

    Returns the bench (``Bench``: runs, leaderboard, …), the page's path and the figures'.
    ``StoreError``: no store, a damaged one, or no finished runs; or ``to`` not writable.

    >>> write_report("bench-out", formats=["png", "pdf"], dpi=300)["html"]   # doctest: +SKIP
    PosixPath('bench-out/report.html')
    """
    bad = sorted(set(formats) - set(FORMATS))
    if bad:
        raise ValueError(f"format: {', '.join(bad)} not one of {', '.join(FORMATS)}")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 10 <= dpi <= 2400:
        raise ValueError(f"dpi: an integer in [10, 2400], got {dpi!r}")
    bench = read_bench(out)
    folder = Path(to) if to is not None else Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        page = write_html(bench, folder / "report.html")
        sections = [(slug(f"{data}-{model}"), runs, part)
                    for data, model, runs, part in bench.sections()]  # fmt: skip
        figures = write_figures(sections, folder / "figures", formats, dpi) if formats else []
    except OSError as e:
        raise StoreError(f"{e.filename or folder}: cannot write the report ({e.strerror}); "
                         "choose another folder with --to") from None  # fmt: skip
    return {"bench": bench, "board": bench.board, "html": page, "figures": figures}
