"""Write the serving database and Parquet copies, then swap them in atomically.

BI tools hold read-only connections on serving.duckdb; the new file is built
beside it and moved over it with os.replace, so a reader sees the old file or
the new one, never half a table and never a lock error.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from salestier_pipeline.publish.tables import CONTRACT, HISTORICAL, MARTS_SCHEMA, PUBLISHED_TABLES

# Readable by DuckDB >= 1.2, which current BI drivers (JDBC / ODBC / Python) ship; a literal: no SQL is built.
ATTACH_SERVING = "ATTACH ? AS serving (STORAGE_VERSION 'v1.2.0')"


def build_serving_file(warehouse: Path, target: Path, tables: tuple[str, ...] = PUBLISHED_TABLES) -> None:
    """Copy the marts into a new DuckDB file, rows in a stable order (quality/serving_checks.py proves the
    copy whole before it is swapped in)."""
    target.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(warehouse)])
        con.execute(ATTACH_SERVING, [str(target)])
        for table in tables:
            # the contract's columns in the contract's order, whatever order an upgraded history table holds;
            # relational API: table and column names are identifiers, no SQL text is built
            columns = [duckdb.ColumnExpression(c) for c in CONTRACT[table]]
            con.table(f"wh.{MARTS_SCHEMA}.{table}").select(*columns).sort(*columns).create(f"serving.main.{table}")
        con.execute("DETACH serving")
    finally:
        con.close()


def write_parquet_dir(serving_file: Path, target_dir: Path, tables: tuple[str, ...] = PUBLISHED_TABLES) -> None:
    """One Parquet per table; historical tables partitioned by as_of_date."""
    if target_dir.exists():
        shutil.rmtree(target_dir)
    target_dir.mkdir(parents=True)
    con = duckdb.connect(str(serving_file), read_only=True)
    try:
        for table in tables:
            relation = con.table(table)
            rows = relation.sort(*(duckdb.ColumnExpression(c) for c in relation.columns))  # ORDER BY ALL
            if table in HISTORICAL:
                rows.write_parquet(str(target_dir / table), partition_by=["as_of_date"], filename_pattern="data_{i}")
            else:
                rows.write_parquet(str(target_dir / f"{table}.parquet"))
    finally:
        con.close()


def swap_in(new_path: Path, live_path: Path) -> None:
    """Atomically replace a file; for a directory, rename aside then rename in."""
    if new_path.is_dir():
        old = live_path.with_name(f".{live_path.name}.old-{os.getpid()}")
        if live_path.exists():
            os.replace(live_path, old)
        os.replace(new_path, live_path)
        if old.exists():
            shutil.rmtree(old)
    else:
        os.replace(new_path, live_path)


@dataclass(frozen=True)
class Candidate:
    """Outputs built beside the live ones, not yet visible to readers."""

    db: Path
    parquet: Path


def discard_stale_candidates(serving_dir: Path) -> list[Path]:
    """Leftovers of a run killed mid-publish; they were never visible, so they just go."""
    stale = [p for p in serving_dir.glob(".*.candidate-*")] + [p for p in serving_dir.glob(".*.old-*")]
    for path in stale:
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    return stale


def build_candidate(warehouse: Path, serving_dir: Path) -> Candidate:
    """Write: the new serving file and Parquet directory next to the live ones."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    discard_stale_candidates(serving_dir)
    pid = os.getpid()
    db = serving_dir / f".salestier.duckdb.candidate-{pid}"
    parquet = serving_dir / f".parquet.candidate-{pid}"
    build_serving_file(warehouse, db)
    write_parquet_dir(db, parquet)
    return Candidate(db, parquet)


def discard(candidate: Candidate) -> None:
    candidate.db.unlink(missing_ok=True)
    if candidate.parquet.exists():
        shutil.rmtree(candidate.parquet)


def swap_candidate(candidate: Candidate, serving_dir: Path) -> None:
    """Publish: Parquet first, the database last (the database is what BI tools read)."""
    swap_in(candidate.parquet, serving_dir / "parquet")
    swap_in(candidate.db, serving_dir / "salestier.duckdb")
