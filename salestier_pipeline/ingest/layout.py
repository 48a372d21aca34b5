"""Where every file of the raw layer lives (docs/raw-layer.md): the one place that builds raw paths.

dbt reads the same folders through the globs of dbt_project/models/staging/_sources.yml; a change
here needs the same change there (tests/test_raw_layout.py holds the two together).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

INGEST = "_ingest"
PROFILES = "_profiles"
SCHEMA_FILE = "_schema.parquet"


def file_key(rel: str) -> str:
    """The raw name of a landing file: a hash of its full relative path, so `Deals.csv` and `Deals.txt`
    (or any two names) never overwrite or prune each other, and no name from a file reaches a path."""
    return hashlib.sha256(rel.encode("utf-8")).hexdigest()[:16]


def safe_part(name: str) -> str:
    """A folder name from the landing zone as a path part: kept when plain, else a readable slug + hash."""
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name) and not name.startswith("."):
        return name
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", name)[:32].strip("_")
    return f"{slug}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


@dataclass(frozen=True)
class RawLayout:
    """The raw layer under `root` (<home>/raw)."""

    root: Path

    def module_dir(self, module: str) -> Path:
        return self.root / module

    def schema_file(self, module: str) -> Path:
        """Zero-row typed file so a dbt source exists before any export of the module arrives."""
        return self.root / module / SCHEMA_FILE

    def batch_dir(self, module: str, source: str, export_date: str) -> Path:
        return self.root / module / f"source={safe_part(source)}" / f"export_date={export_date}"

    def records(self, module: str, source: str, export_date: str, rel: str, key: str) -> Path:
        """The rows one landing file (version `key`) gave."""
        return self.batch_dir(module, source, export_date) / f"{file_key(rel)}-{key}.parquet"

    def record_files(self, module: str) -> list[Path]:
        return list(self.module_dir(module).glob("source=*/export_date=*/*.parquet"))

    @property
    def quarantine_dir(self) -> Path:
        return self.root / INGEST / "quarantine"

    def quarantine(self, module: str, source: str, export_date: str, rel: str, key: str) -> Path:
        return (self.quarantine_dir / f"source={safe_part(source)}" / f"export_date={export_date}"
                / f"{module}-{file_key(rel)}-{key}.parquet")

    def quarantine_files(self, module: str) -> list[Path]:
        return list(self.quarantine_dir.glob(f"source=*/export_date=*/{module}-*.parquet"))

    @property
    def files_dir(self) -> Path:
        return self.root / INGEST / "files"

    def file_results(self, as_of: str, name: str) -> Path:
        """One ingest step's per-file results for an as-of date."""
        return self.files_dir / f"as_of={as_of}" / f"{name}.parquet"

    def file_results_dir(self, as_of: str) -> Path:
        return self.files_dir / f"as_of={as_of}"

    def failed_rows(self, source: str, export_date: str, rel: str, key: str) -> Path:
        """The rejected rows of a file that failed its quarantine share, kept for the user to read."""
        return (self.root / INGEST / "failed" / f"source={safe_part(source)}" / f"export_date={export_date}"
                / f"{file_key(rel)}-{key}.quarantine.csv")

    def manifest(self, as_of: str) -> Path:
        """The landing manifest of one run (which files, which module, which profile)."""
        return self.root / INGEST / "manifest" / f"as_of={as_of}.json"

    @property
    def profile_maps(self) -> Path:
        """Stage / status / activity maps declared in user profiles (dbt source raw._profiles)."""
        return self.root / PROFILES / "maps.parquet"
