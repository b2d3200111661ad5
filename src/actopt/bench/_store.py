"""The result store: one SQLite file (WAL mode), one row per finished run.

A run is written in one transaction when it ends, so a crash loses only runs in flight. Before
training, a runner *claims* a run (a row with its owner and a heartbeat); another runner skips
claimed runs unless the claim is stale (owner process gone, or no heartbeat for a while), so two
runners on one store train nothing twice.

Each row also keeps its optimizer's label (``momentum(momentum=0.95)``: the hyper-parameters that
differ from the defaults), so a report names configs without the optimizer registry.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # reading a store needs no training stack: train is imported where it runs
    from ..train import RunResult

__all__ = ["FINAL_STATUSES", "Store"]

FINAL_STATUSES = ("ok", "diverged", "error")  # a re-run skips these; "interrupted" runs again
STALE_S = 120.0  # a claim without a heartbeat for this long is taken over

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, role TEXT NOT NULL, spec TEXT NOT NULL, status TEXT NOT NULL,
    final TEXT, history TEXT, diagnostics TEXT, timing TEXT, env TEXT, error TEXT,
    started REAL, finished REAL, host TEXT, owner TEXT, opt_label TEXT
);
CREATE TABLE IF NOT EXISTS claims (
    run_id TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT, pid INTEGER, heartbeat REAL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


_COLUMNS = ("run_id", "role", "spec", "status", "final", "history", "diagnostics", "timing",
            "env", "error", "started", "finished", "host", "owner", "opt_label")  # fmt: skip


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """``<out>/actopt.db``. One connection per runner process; safe across processes."""

    def __init__(self, out: str | Path) -> None:
        self.dir = Path(out)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "actopt.db"
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints
        self.db.executescript(_SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(runs)")}
        if "opt_label" not in columns:  # a store from before labels were kept
            self.db.execute("ALTER TABLE runs ADD COLUMN opt_label TEXT")
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------------

    def finished(self) -> set[str]:
        q = f"SELECT run_id FROM runs WHERE status IN ({','.join('?' * len(FINAL_STATUSES))})"
        return {r[0] for r in self.db.execute(q, FINAL_STATUSES)}

    def rows(self, role: str | None = None) -> list[dict[str, Any]]:
        q = f"SELECT {', '.join(_COLUMNS)} FROM runs"
        args: tuple = ()
        if role:
            q, args = q + " WHERE role = ?", (role,)
        cols = _COLUMNS
        out = []
        for row in self.db.execute(q + " ORDER BY finished", args):
            d = dict(zip(cols, row, strict=True))
            for k in ("spec", "final", "history", "diagnostics", "timing", "env"):
                d[k] = json.loads(d[k]) if d[k] else None
            out.append(d)
        return out

    @staticmethod
    def result(row: dict[str, Any]) -> RunResult:
        """A stored row back as a ``RunResult`` (its spec was canonical when written)."""
        from ..train import RunResult, RunSpec

        final = dict(row["final"] or {})
        return RunResult(
            spec=RunSpec.from_canonical(row["spec"]), status=row["status"], final=final,
            history=row["history"] or [], diagnostics=row["diagnostics"] or [],
            timing=row["timing"] or {}, env=row["env"] or {}, error=row["error"],
            diverged_step=final.get("diverged_step"),
        )  # fmt: skip

    def get_meta(self, key: str) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def integrity(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]

    # -- claiming and writing ---------------------------------------------------------------

    def claim(self, run_id: str) -> bool:
        """Take ``run_id`` for this runner unless it is finished or held by a live runner."""
        now = time.time()
        self.db.execute("BEGIN IMMEDIATE")  # one writer at a time: check-and-claim is atomic
        try:
            done = self.db.execute(
                f"SELECT 1 FROM runs WHERE run_id = ? AND status IN "
                f"({','.join('?' * len(FINAL_STATUSES))})", (run_id, *FINAL_STATUSES),
            ).fetchone()  # fmt: skip
            if done:
                self.db.execute("ROLLBACK")
                return False
            held = self.db.execute(
                "SELECT owner, host, pid, heartbeat FROM claims WHERE run_id = ?", (run_id,)
            ).fetchone()
            if held and held[0] != self.owner:
                _, host, pid, beat = held
                dead = host == self.host and not _alive(pid)
                if not dead and now - beat < STALE_S:
                    self.db.execute("ROLLBACK")
                    return False
            self.db.execute(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                (run_id, self.owner, self.host, os.getpid(), now),
            )
            self.db.execute("COMMIT")
            return True
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def heartbeat(self) -> None:
        self.db.execute(
            "UPDATE claims SET heartbeat = ? WHERE owner = ?", (time.time(), self.owner)
        )

    def release(self, run_ids: Iterable[str]) -> None:
        self.db.executemany(
            "DELETE FROM claims WHERE run_id = ? AND owner = ?",
            [(r, self.owner) for r in run_ids],
        )

    def put(self, result: RunResult, role: str = "run", started: float | None = None) -> None:
        """Write one finished run and drop its claim, in one transaction."""
        d = result.to_dict()
        if result.diverged_step is not None:
            d["final"]["diverged_step"] = result.diverged_step
        row = (
            result.run_id, role, json.dumps(d["spec"]), result.status, json.dumps(d["final"]),
            json.dumps(d["history"]), json.dumps(d["diagnostics"]), json.dumps(d["timing"]),
            json.dumps(d["env"]), result.error, started, time.time(), self.host, self.owner,
            result.spec.opt_label,
        )  # fmt: skip
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(f"INSERT OR REPLACE INTO runs ({', '.join(_COLUMNS)}) VALUES "
                            f"({','.join('?' * len(_COLUMNS))})", row)  # fmt: skip
            self.db.execute("DELETE FROM claims WHERE run_id = ?", (result.run_id,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
