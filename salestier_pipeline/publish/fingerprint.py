"""Content hashes of published tables: equal hashes mean equal rows, in any file layout."""

from __future__ import annotations

from pathlib import Path

import duckdb


def quote_identifier(name: str) -> str:
    """A table or column name as a SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def table_fingerprints(db_path: Path) -> dict[str, str]:
    """md5 over the sorted md5 of every row, per table of the database's main schema."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1"
        ).fetchall()]
        fingerprints = {}
        for t in tables:  # t is a table name of the file we wrote, quoted as an identifier
            rows = f"select md5(cast(x as varchar)) as h from {quote_identifier(t)} as x"  # noqa: S608
            fingerprints[t] = con.execute(
                f"select coalesce(md5(string_agg(h, ',' order by h)), 'empty') from ({rows})"  # noqa: S608
            ).fetchone()[0]
        return fingerprints
    finally:
        con.close()
