"""Content hashes of tables: equal hashes mean equal rows, in any file layout or row order."""

from __future__ import annotations

from pathlib import Path

import duckdb


def quote_identifier(name: str) -> str:
    """A table or column name as a SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def relation_fingerprint(con: duckdb.DuckDBPyConnection, relation: str,
                         columns: tuple[str, ...] | None = None) -> tuple[int, str]:
    """(rows, md5 over the sorted md5 of every row) of `relation`, an already quoted table name; with
    `columns`, of those columns in that order (the table's contract)."""
    select = ", ".join(quote_identifier(c) for c in columns) if columns else "*"
    rows = (f"select md5(cast(x as varchar)) as h from (select {select} from {relation}) as x")  # noqa: S608 - quoted names
    count, digest = con.execute(
        f"select count(*), coalesce(md5(string_agg(h, ',' order by h)), 'empty') from ({rows})"  # noqa: S608
    ).fetchone()
    return int(count), digest


def table_fingerprints(db_path: Path) -> dict[str, str]:
    """The fingerprint of every table of the database's main schema."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1"
        ).fetchall()]
        return {t: relation_fingerprint(con, quote_identifier(t))[1] for t in tables}
    finally:
        con.close()
