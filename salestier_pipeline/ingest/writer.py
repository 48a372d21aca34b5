"""Write raw Parquet files atomically with the canonical DuckDB types."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from salestier_pipeline.ingest.duck import cursor

QUARANTINE_TYPES = {
    "source_system": "VARCHAR", "export_date": "DATE", "module": "VARCHAR",
    "source_file": "VARCHAR", "file_sha256": "VARCHAR", "line_number": "BIGINT",
    "column_name": "VARCHAR", "raw_value": "VARCHAR", "reason": "VARCHAR", "action": "VARCHAR",
}
FILES_TYPES = {
    "as_of_date": "DATE", "source_system": "VARCHAR", "module": "VARCHAR",
    "source_file": "VARCHAR", "file_sha256": "VARCHAR", "rows_read": "BIGINT",
    "rows_loaded": "BIGINT", "rows_quarantined": "BIGINT", "rows_blank": "BIGINT", "cells_nulled": "BIGINT",
    "status": "VARCHAR",
    "error": "VARCHAR", "missing_columns": "VARCHAR", "extra_columns": "VARCHAR",
    "encoding": "VARCHAR",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_parquet(frame: pd.DataFrame, types: dict[str, str], path: Path) -> Path:
    """Cast each column to its declared type and write via a temp file + rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    frame = frame.reindex(columns=list(types))
    for column in frame.columns:
        if frame[column].isna().all():
            frame[column] = frame[column].astype("object")
    casts = [duckdb.ColumnExpression(c).cast(duckdb.sqltype(t)).alias(c) for c, t in types.items()]
    with cursor() as con:
        # relational API: the path is a value and the columns are expressions, never SQL text
        con.from_df(frame).select(*casts).write_parquet(str(tmp), compression="zstd")
    os.replace(tmp, path)
    return path


def write_schema_file(types: dict[str, str], path: Path) -> Path:
    """A zero-row file carrying every column, so dbt's glob always matches (rewritten when columns change)."""
    if path.exists() and pq.read_schema(path).names == list(types):
        return path
    return write_parquet(pd.DataFrame(columns=list(types)), types, path)
