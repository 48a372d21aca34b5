"""How publish/ and the report read the serving file: plain selects of mart columns, nothing computed.

The marts decide every number, name and total (dbt); this module only filters a table to one as-of date,
picks columns and orders rows, through DuckDB's relational API (table and column names are expressions,
never SQL text; the as-of date is a constant expression).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb

Row = dict[str, Any]


def latest_as_of(con: duckdb.DuckDBPyConnection, table: str) -> dt.date | None:
    """The newest as-of date in a table (None when it is empty): its first row by as_of_date descending."""
    dates = con.table(table).select(duckdb.ColumnExpression("as_of_date")).order("as_of_date DESC NULLS LAST")
    rows = dates.limit(1).fetchall()
    return rows[0][0] if rows else None


def columns_of(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The table's columns in table order."""
    return list(con.table(table).columns)


def select_relation(con: duckdb.DuckDBPyConnection, table: str, as_of: dt.date | None, columns: Sequence[str],
                    order_by: str = "", where: duckdb.Expression | None = None) -> duckdb.DuckDBPyRelation:
    """`SELECT columns FROM table WHERE as_of_date = as_of [AND where] ORDER BY order_by`, not yet run.

    as_of None reads every date; order_by is a constant of the caller (column names, ASC / DESC / NULLS)."""
    rel = con.table(table)
    if as_of is not None:
        rel = rel.filter(duckdb.ColumnExpression("as_of_date") == duckdb.ConstantExpression(as_of))
    if where is not None:
        rel = rel.filter(where)
    if order_by:
        rel = rel.order(order_by)
    return rel.select(*(duckdb.ColumnExpression(c) for c in columns))


def select_rows(con: duckdb.DuckDBPyConnection, table: str, as_of: dt.date | None, columns: Sequence[str],
                order_by: str = "", where: duckdb.Expression | None = None) -> tuple[tuple[str, ...], list[tuple]]:
    """select_relation's rows as (column names, rows)."""
    return tuple(columns), select_relation(con, table, as_of, columns, order_by, where).fetchall()


def select_dicts(con: duckdb.DuckDBPyConnection, table: str, as_of: dt.date | None, columns: Sequence[str],
                 order_by: str = "", where: duckdb.Expression | None = None) -> list[Row]:
    """select_rows as one dict per row (column -> value)."""
    names, rows = select_rows(con, table, as_of, columns, order_by, where)
    return [dict(zip(names, row, strict=True)) for row in rows]


def column(name: str) -> duckdb.Expression:
    """A column as an expression, for `where` (e.g. column("level") == constant("company"))."""
    return duckdb.ColumnExpression(name)


def constant(value: Any) -> duckdb.Expression:
    """A value as a bound constant expression (never pasted into SQL text)."""
    return duckdb.ConstantExpression(value)
