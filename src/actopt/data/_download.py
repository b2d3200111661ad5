"""Fetch files from a list of mirrors: progress bar, atomic write, checksum of the content.

The checksum is taken over the *decompressed* content, because mirrors serve the same IDX data
with different gzip bytes. Nothing reaches its final name until it has been verified, so an
interrupted or corrupt download never leaves a file that a later run would trust.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from ._idx import IDXError, read_bytes

__all__ = ["ChecksumError", "DownloadError", "fetch", "sha256_of", "verify"]

_CHUNK = 1 << 16
_TIMEOUT_S = 30


class DownloadError(RuntimeError):
    """Every mirror failed for some file."""


class ChecksumError(ValueError):
    """A file whose content is not the published content."""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(read_bytes(path)).hexdigest()


# files this process has verified, by (path, size, mtime, sha256): a bench or a claims run loads
# the same files for every run, and hashing 60 000 images each time costs a quarter second
_VERIFIED: set[tuple[str, int, int, str]] = set()


def verify(path: Path, sha256: str) -> None:
    """Raise ``ChecksumError`` naming ``path`` unless its decompressed content has ``sha256``
    (a file unchanged since this process verified it is not hashed again)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, sha256)
    if key in _VERIFIED:
        return
    try:
        found = sha256_of(path)
    except IDXError as e:
        raise ChecksumError(f"{e}; delete it to download it again") from None
    if found != sha256:
        raise ChecksumError(
            f"{path}: checksum mismatch (sha256 {found[:12]}…, expected {sha256[:12]}…): the file "
            "is corrupt or truncated; delete it to download it again"
        )
    _VERIFIED.add(key)


def _download_one(url: str, dest: Path, progress) -> None:
    """Stream ``url`` into a temporary file beside ``dest``, then rename it into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=_TIMEOUT_S) as r:
            total = int(r.headers.get("Content-Length") or 0) or None
            task = progress.add_task(dest.name, total=total) if progress else None
            while chunk := r.read(_CHUNK):
                out.write(chunk)
                if progress:
                    progress.advance(task, len(chunk))
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch(
    folder: Path,
    files: dict[str, str],
    mirrors: Sequence[str],
    *,
    quiet: bool = False,
) -> None:
    """Make sure each of ``files`` (name → sha256) is in ``folder``, verified.

    Files already present are checked, not re-fetched; a file there that fails its checksum is an
    error (the user put it there, so actopt does not overwrite it). Missing ones are downloaded
    from ``mirrors`` (URL prefixes ending in ``/``), tried in turn, as ``<name>.gz``.
    """
    folder = Path(folder)
    missing = {}
    for name, sha in files.items():
        present = [p for p in (folder / f"{name}.gz", folder / name) if p.exists()]
        if present:
            verify(present[0], sha)
        else:
            missing[name] = sha
    if not missing:
        return
    names = ", ".join(f"{n}.gz" for n in missing)
    where = (
        f"Put the files in {folder}/ (gzip or not), or point --data-dir / $ACTOPT_DATA at a "
        "folder that has them."
    )
    if not mirrors:
        raise DownloadError(f"missing {names} and downloading is off. {where}")
    progress = None if quiet else _progress()
    failures: list[str] = []
    try:
        if progress:
            progress.start()
        for name, sha in missing.items():
            dest = folder / f"{name}.gz"
            for prefix in mirrors:
                url = prefix + dest.name
                try:
                    _download_one(url, dest, progress)
                    verify(dest, sha)
                    break
                except ChecksumError as e:
                    dest.unlink(missing_ok=True)  # a bad mirror copy must not be trusted later
                    failures.append(f"{url}: {e}")
                except (urllib.error.URLError, OSError, ValueError) as e:
                    failures.append(f"{url}: {getattr(e, 'reason', e)}")
            else:
                raise DownloadError(
                    f"could not download {names}: every mirror failed (last: {failures[-1]}). "
                    + where
                )
    finally:
        if progress:
            progress.stop()


def _progress():
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    return Progress(
        TextColumn("downloading {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(stderr=True),  # progress never mixes with the data on stdout
        transient=True,
    )
