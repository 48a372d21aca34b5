"""Content hashes of tables: equal hashes mean equal rows, in any file layout or row order."""

from __future__ import annotations

from pathlib import Path

import duckdb


def quote_identifier(name: str) -> str:
    """A table or column name as a SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def relation_fingerprint(con: duckdb.DuckDBPyConnection, relation: str,
                         columns: tuple[str, ...] | None = None) -> tuple[int, str]:
    """(rows, md5 over the sorted md5 of every row) of table `relation` (e.g. `wh.marts.x`); with `columns`,
    of those columns in that order (the table's contract). Relational API: no name becomes SQL text."""
    rel = con.table(relation)
    if columns:
        rel = rel.select(*(duckdb.ColumnExpression(c) for c in columns))
    hashed = rel.set_alias("x").project("md5(cast(x as varchar)) as h")
    [(count, digest)] = hashed.aggregate("count(*), coalesce(md5(string_agg(h, ',' order by h)), 'empty')").fetchall()
    return int(count), digest


def table_fingerprints(db_path: Path) -> dict[str, str]:
    """The fingerprint of every table of the database's main schema."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1"
        ).fetchall()]
        return {t: relation_fingerprint(con, t)[1] for t in tables}
    finally:
        con.close()
