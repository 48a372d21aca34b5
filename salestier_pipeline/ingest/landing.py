"""The landing zone: <landing>/<source>/<YYYY-MM-DD>/<file>.csv|.xlsx (SPEC §1.1).

A folder named like a date that is not a valid as-of date (2026-13-45, 2026-02-30, before
SALESTIER_PARTITION_START, after today) is skipped with a warning: a stray folder must never
break a night, and the default as-of (the latest export date) is always a valid partition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from salestier_pipeline.partitions import as_of_range, is_as_of
from salestier_pipeline.settings import DEFAULT_LIMITS

log = logging.getLogger(__name__)

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


def inside(landing: Path, path: Path) -> bool:
    """A symlink may point anywhere: only what resolves inside the landing zone is read."""
    return path.resolve().is_relative_to(landing.resolve())


def _export_files(folder: Path, landing: Path | None = None) -> list[Path]:
    files = sorted(
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith((".", "_")) and p.suffix.lower() in EXPORT_SUFFIXES
    )
    root = landing or folder
    outside = [p for p in files if not inside(root, p)]
    if outside:
        log.warning("skipped landing file(s) linking outside the landing zone %s: %s", root,
                    ", ".join(p.name for p in outside))
    return [p for p in files if p not in outside]


def _calendar_date(name: str) -> dt.date | None:
    if not DATE_DIR.match(name):
        return None
    try:
        return dt.date.fromisoformat(name)
    except ValueError:
        return None


def valid_batch_date(name: str) -> bool:
    """A batch folder name that is a valid as-of date (a partition key of the nightly job)."""
    return _calendar_date(name) is not None and is_as_of(name)


def future_batch_date(name: str) -> bool:
    """A real date after the last valid as-of date: such a batch waits (the sensor runs it once it is valid)."""
    return _calendar_date(name) is not None and not is_as_of(name) and name > as_of_range()[1]


def date_problem(name: str) -> str:
    """Why a date-like folder name is not a valid as-of date, for the warning."""
    if _calendar_date(name) is None:
        return "not a calendar date"
    first, last = as_of_range()
    return f"before {first}" if name < first else f"after {last}"


def warn_skipped_batches(names: list[str]) -> None:
    """One warning listing the skipped folders (relative to the landing zone) and why."""
    if names:
        first, last = as_of_range()
        listed = ", ".join(f"{n} ({date_problem(Path(n).name)})" for n in names)
        log.warning("skipped landing folder(s) not named as a valid as-of date (%s to %s): %s", first, last, listed)


def batch_dirs(landing: Path, src: Path) -> list[Path]:
    """The valid dated batch folders of one source, sorted; date-like but invalid ones are skipped with a warning."""
    dated = sorted(d for d in src.iterdir() if d.is_dir() and DATE_DIR.match(d.name) and inside(landing, d))
    warn_skipped_batches([str(d.relative_to(landing)) for d in dated if not valid_batch_date(d.name)])
    return [d for d in dated if valid_batch_date(d.name)]


def _sources(landing: Path) -> list[Path]:
    return sorted(p for p in landing.iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")) and inside(landing, p))


def export_dates(landing: Path) -> list[str]:
    """Every valid batch date present under any source (reference folders included)."""
    if not landing.is_dir():
        return []
    return sorted({d.name for src in _sources(landing) for d in batch_dirs(landing, src)
                   if _export_files(d, landing)})


def latest_export_date(landing: Path) -> str | None:
    dates = export_dates(landing)
    return dates[-1] if dates else None


def list_landing(landing: Path, as_of: str) -> list[LandingFile]:
    """Files of every batch with export_date <= as_of; undated reference files get as_of."""
    files: list[LandingFile] = []
    if not landing.is_dir():
        return files
    for src in _sources(landing):
        for batch in batch_dirs(landing, src):
            if batch.name <= as_of:
                files += [LandingFile(f, src.name, batch.name, str(f.relative_to(landing)))
                          for f in _export_files(batch, landing)]
        if src.name == REFERENCE:
            files += [LandingFile(f, src.name, as_of, str(f.relative_to(landing)))
                      for f in _export_files(src, landing)]
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def still_being_written(paths: list[Path], window: float = DEFAULT_LIMITS.write_settle_seconds,
                        now: float | None = None) -> list[Path]:
    """Files changed in the last `window` seconds (SALESTIER_WRITE_SETTLE_SECONDS, default 120): an error
    on such a file may be a copy in progress, worth a retry; on an older file it is bad data.
    (Operational only: business logic never reads the clock.)"""
    now = time.time() if now is None else now
    return [p for p in paths if p.exists() and now - p.stat().st_mtime < window]
