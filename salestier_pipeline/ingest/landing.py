"""The landing zone: <landing>/<source>/<YYYY-MM-DD>/<file>.csv|.xlsx (SPEC §1.1)."""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EXPORT_SUFFIXES = {".csv", ".xlsx", ".xlsm", ".txt"}
REFERENCE = "reference"


@dataclass(frozen=True)
class LandingFile:
    """One export file of one batch."""

    path: Path
    source: str
    export_date: str
    rel: str  # path relative to the landing zone, for messages and lineage


def _export_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith((".", "_")) and p.suffix.lower() in EXPORT_SUFFIXES
    )


def export_dates(landing: Path) -> list[str]:
    """Every batch date present under any source (reference folders included)."""
    if not landing.is_dir():
        return []
    return sorted({
        d.name for src in landing.iterdir() if src.is_dir()
        for d in src.iterdir() if d.is_dir() and DATE_DIR.match(d.name) and _export_files(d)
    })


def latest_export_date(landing: Path) -> str | None:
    dates = export_dates(landing)
    return dates[-1] if dates else None


def list_landing(landing: Path, as_of: str) -> list[LandingFile]:
    """Files of every batch with export_date <= as_of; undated reference files get as_of."""
    files: list[LandingFile] = []
    if not landing.is_dir():
        return files
    for src in sorted(p for p in landing.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        for batch in sorted(d for d in src.iterdir() if d.is_dir() and DATE_DIR.match(d.name)):
            if batch.name <= as_of:
                files += [LandingFile(f, src.name, batch.name, str(f.relative_to(landing)))
                          for f in _export_files(batch)]
        if src.name == REFERENCE:
            files += [LandingFile(f, src.name, as_of, str(f.relative_to(landing))) for f in _export_files(src)]
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


WRITE_SETTLE_ENV = "SALESTIER_WRITE_SETTLE_SECONDS"


def still_being_written(paths: list[Path], now: float | None = None) -> list[Path]:
    """Files changed in the last SALESTIER_WRITE_SETTLE_SECONDS (default 120): an error on
    such a file may be a copy in progress, worth a retry; on an older file it is bad data.
    (Operational only: business logic never reads the clock.)"""
    window = float(os.environ.get(WRITE_SETTLE_ENV, "120"))
    now = time.time() if now is None else now
    return [p for p in paths if p.exists() and now - p.stat().st_mtime < window]
