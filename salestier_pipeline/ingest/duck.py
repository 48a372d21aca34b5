"""One in-memory DuckDB per process for the ingest's frame work.

Connecting costs about 20 ms and a night's ingest needs a few hundred short queries (date scoring,
record ids, Parquet writes); a cursor of one connection costs microseconds and keeps its own
registered frames and settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import duckdb


@cache
def _connection() -> duckdb.DuckDBPyConnection:
    """One thread: files are read in parallel processes already, and a single-threaded Parquet write streams
    row groups out instead of buffering them per thread (the largest 100x file's write peak: +320 MB -> +80 MB)."""
    return duckdb.connect(config={"threads": 1})


@contextmanager
def cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh cursor of the process's connection, closed (with what it registered) on exit."""
    con = _connection().cursor()
    try:
        yield con
    finally:
        con.close()
