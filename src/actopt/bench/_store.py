"""The result store: one SQLite file (WAL mode), one row per finished run.

A run is written in one transaction when it ends, so a crash loses only runs in flight. Before
training, a runner *claims* a run (a row with its owner and a heartbeat); another runner skips
claimed runs unless the claim is stale (owner process gone, or no heartbeat for a while), so two
runners on one store train nothing twice.

A run counts for every role that asks for it (``roles``: a tuning trial that is also a seed-0
final run is one row with both roles). Each row also keeps its optimizer's label
(``momentum(momentum=0.95)``: the hyper-parameters that differ from the defaults), so a report
names configs without the optimizer registry.

A store that is not one (garbage, a folder, another program's database, a damaged page) is
refused with one ``StoreError`` line naming the file and is never written to. Readers
(``Store(out, readonly=True)``: reports, exports) change nothing on disk, not even the journal
mode, and work on read-only media.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # reading a store needs no training stack: train is imported where it runs
    from ..train import RunResult

__all__ = ["FINAL_STATUSES", "Store", "StoreError"]

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
CREATE TABLE IF NOT EXISTS roles (run_id TEXT NOT NULL, role TEXT NOT NULL,
                                  PRIMARY KEY (run_id, role));
CREATE TABLE IF NOT EXISTS runners (
    owner TEXT PRIMARY KEY, host TEXT, pid INTEGER, workers INTEGER, heartbeat REAL
);
"""
# the columns a store must have to be read (older stores lack opt_label and the roles table)
_REQUIRED = {"run_id", "role", "spec", "status", "final", "history"}

_COLUMNS = ("run_id", "role", "spec", "status", "final", "history", "diagnostics", "timing",
            "env", "error", "started", "finished", "host", "owner", "opt_label")  # fmt: skip
_JSON = ("spec", "final", "history", "diagnostics", "timing", "env")


class StoreError(RuntimeError):
    """A store that cannot be used as one: the message is one line naming the file."""


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@contextmanager
def _opening(folder: Path, *, exclusive: bool) -> Iterator[None]:
    """Held while a store is opened, checked and given its schema. Without it, two runners
    starting on one new folder race: SQLite answers "database is locked" at once (not after its
    busy timeout) to one switching the file to WAL, and a reader could see half a schema."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock to take
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        with suppress(OSError):  # a file system without flock: open unguarded, as before
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _open_readonly(path: Path) -> sqlite3.Connection:
    """Open without writing anything. A WAL store whose -shm file cannot be created (a read-only
    folder) opens as immutable: nobody can be writing to it there."""
    uri = path.resolve().as_uri()
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        if os.access(path.parent, os.W_OK):
            raise
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)


class Store:
    """``<out>/actopt.db``. One connection per runner process; safe across processes.

    ``readonly=True`` (reports, exports): the file must exist; nothing is created or changed.
    """

    def __init__(self, out: str | Path, *, readonly: bool = False) -> None:
        self.dir = Path(out)
        self.path = self.dir / "actopt.db"
        self.readonly = readonly
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        if self.dir.exists() and not self.dir.is_dir():
            raise StoreError(f"{self.dir}: not a folder")
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"{self.path}: not a file (a store is one SQLite file)")
        if readonly and not self.path.exists():
            raise StoreError(f"{self.path}: no store here; run 'actopt bench --out {self.dir}'")
        if not readonly:
            self.dir.mkdir(parents=True, exist_ok=True)
        try:
            with _opening(self.dir, exclusive=not readonly):
                if readonly:
                    self.db = _open_readonly(self.path)
                else:
                    self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
                self._columns = self._check()
                if not readonly:
                    self._init()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: not a readable actopt store ({e}); it was left as "
                             "it is") from None  # fmt: skip

    def _check(self) -> set[str]:
        """The runs table's columns; refuses another program's database or a damaged file."""
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE "
                                                "type = 'table'")}  # fmt: skip
        if not tables and not self.readonly:
            return set(_COLUMNS)  # a new store (or an empty file): created below
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(runs)")}
        if not columns >= _REQUIRED or not {"claims", "meta"} <= tables:
            raise StoreError(
                f"{self.path}: not an actopt store (tables: "
                f"{', '.join(sorted(tables)) or 'none'}); it was left as it is"
            )
        problem = self.db.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise StoreError(f"{self.path}: damaged ({problem}); it was left as it is: restore "
                             "a copy or move it away")  # fmt: skip
        self._roles = "roles" in tables
        return columns

    def _init(self) -> None:
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints
        fresh = not getattr(self, "_roles", False)
        self.db.executescript(_SCHEMA)
        if "opt_label" not in self._columns:  # a store from before labels were kept
            self.db.execute("ALTER TABLE runs ADD COLUMN opt_label TEXT")
        if fresh:  # a store from before roles were kept: each run's one role
            self.db.execute("INSERT OR IGNORE INTO roles SELECT run_id, role FROM runs")
        self._columns, self._roles = set(_COLUMNS), True

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
        """Every stored run (``role``: those that count for it), oldest first."""
        cols = [c for c in _COLUMNS if c in self._columns]
        q = f"SELECT {', '.join(cols)} FROM runs"
        args: tuple = ()
        if role and self._roles:
            q, args = q + " WHERE run_id IN (SELECT run_id FROM roles WHERE role = ?)", (role,)
        elif role:
            q, args = q + " WHERE role = ?", (role,)
        out = []
        for row in self.db.execute(q + " ORDER BY finished", args):
            d = dict.fromkeys(_COLUMNS)
            d.update(zip(cols, row, strict=True))
            for k in _JSON:
                d[k] = json.loads(d[k]) if d[k] else None
            out.append(d)
        return out

    def roles(self) -> dict[str, set[str]]:
        """Each run's roles."""
        out: dict[str, set[str]] = {}
        q = "SELECT run_id, role FROM " + ("roles" if self._roles else "runs")
        for run_id, role in self.db.execute(q):
            out.setdefault(run_id, set()).add(role)
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

    def _live(self, host: str, pid: int, beat: float, now: float) -> bool:
        return not (host == self.host and not _alive(pid)) and now - beat < STALE_S

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
            if held and held[0] != self.owner and self._live(*held[1:], now):
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

    def join(self, workers: int | None, cores: int) -> int:
        """Register this runner; its worker count. Given, it is kept; else this host's cores
        less the workers of the other live runners here (at least 1), so two runners on one
        machine share its cores instead of each starting one worker per core."""
        now = time.time()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            n = workers or max(1, cores - self.busy_cores(now))
            self.db.execute("INSERT OR REPLACE INTO runners VALUES (?, ?, ?, ?, ?)",
                            (self.owner, self.host, os.getpid(), n, now))  # fmt: skip
            self.db.execute("COMMIT")
            return n
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def busy_cores(self, now: float | None = None) -> int:
        """The workers of the other live runners on this host (each uses a core)."""
        now = time.time() if now is None else now
        others = self.db.execute(
            "SELECT host, pid, heartbeat, workers FROM runners WHERE host = ? AND owner != ?",
            (self.host, self.owner),
        ).fetchall()
        return sum(w for host, pid, beat, w in others if self._live(host, pid, beat, now))

    def leave(self) -> None:
        self.db.execute("DELETE FROM runners WHERE owner = ?", (self.owner,))

    def heartbeat(self) -> None:
        now = time.time()
        for table in ("claims", "runners"):
            self.db.execute(f"UPDATE {table} SET heartbeat = ? WHERE owner = ?", (now, self.owner))

    def release(self, run_ids: Iterable[str]) -> None:
        self.db.executemany(
            "DELETE FROM claims WHERE run_id = ? AND owner = ?",
            [(r, self.owner) for r in run_ids],
        )

    def add_role(self, run_ids: Iterable[str], role: str) -> None:
        """Count stored runs for ``role`` too (a finished run another role asked for)."""
        self.db.executemany("INSERT OR IGNORE INTO roles VALUES (?, ?)",
                            [(r, role) for r in run_ids])  # fmt: skip

    def put(self, result: RunResult, role: str = "run", started: float | None = None) -> None:
        """Write one finished run (with its role) and drop its claim, in one transaction."""
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
            self.db.execute("INSERT OR IGNORE INTO roles VALUES (?, ?)", (result.run_id, role))
            self.db.execute("DELETE FROM claims WHERE run_id = ?", (result.run_id,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
