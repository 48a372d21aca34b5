"""Optional PostgreSQL serving target: every published table into schema `salestier`, one transaction per run.

Why DELETE + COPY inside one transaction (and not new tables + rename, or TRUNCATE):
  * DELETE takes a ROW EXCLUSIVE lock, which never conflicts with readers' ACCESS SHARE: a BI query
    during the update neither waits nor fails, and sees the old rows until COMMIT, then the new ones.
  * It is MVCC-safe: a reader in a REPEATABLE READ transaction sees one consistent version of all
    tables. TRUNCATE, DROP and table swaps are not (old snapshots see empty tables or "relation does
    not exist"), and they take ACCESS EXCLUSIVE locks that queue every reader behind the writer.
  * Tables keep their identity, so GRANTs and BI users' own views on them survive every run.
Dead rows are reclaimed by a plain VACUUM after the commit (no lock that blocks readers).
Only a change of the published shape (a new column, a changed type) takes an ALTER/CREATE lock; that
makes readers wait for the commit, never fail. An advisory lock keeps two publishers from interleaving.
"""

from __future__ import annotations

import functools
import inspect
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import duckdb
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from salestier_pipeline.publish.read import latest_as_of
from salestier_pipeline.publish.tables import PUBLISHED_TABLES
from salestier_pipeline.redact import redact
from salestier_pipeline.settings import DEFAULT_PG_SCHEMA, PostgresTarget

PUBLISH_LOG = "publish_runs"
ADVISORY_LOCK_KEY = "salestier.publish"
COPY_CHUNK = 1 << 20

# DuckDB type -> PostgreSQL type, spelled as format_type() reports it so shapes compare exactly.
PG_TYPES: dict[str, str] = {
    "VARCHAR": "text", "BOOLEAN": "boolean", "TINYINT": "smallint", "SMALLINT": "smallint", "INTEGER": "integer",
    "BIGINT": "bigint", "UTINYINT": "smallint", "USMALLINT": "integer", "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)", "HUGEINT": "numeric(39,0)", "UHUGEINT": "numeric(39,0)", "FLOAT": "real",
    "DOUBLE": "double precision", "DATE": "date", "TIME": "time without time zone",
    "TIMESTAMP": "timestamp without time zone", "TIMESTAMP_S": "timestamp without time zone",
    "TIMESTAMP_MS": "timestamp without time zone", "TIMESTAMP_NS": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone", "INTERVAL": "interval", "UUID": "uuid",
    "BLOB": "bytea",
}


P = ParamSpec("P")
R = TypeVar("R")


class PostgresPublishError(RuntimeError):
    """A PostgreSQL/libpq error with its secrets masked; it carries no chained original error."""


def masked_errors(dsn_arg: str = "dsn") -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Re-raise every psycopg error as a PostgresPublishError with a redacted message.

    libpq quotes fragments of a malformed DSN (its password included) in its errors, and Dagster stores an
    error's whole __cause__/__context__ chain in its run storage: so the new error is raised outside the
    `except` block, with neither a cause nor a context.
    """
    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            dsn = str(signature.bind_partial(*args, **kwargs).arguments.get(dsn_arg) or "")
            try:
                return func(*args, **kwargs)
            except psycopg.Error as exc:
                masked = PostgresPublishError(redact(f"PostgreSQL publish failed: {type(exc).__name__}: {exc}",
                                                     extra=[dsn]).strip())
            raise masked
        return wrapper
    return decorate


def pg_type(duck_type: str) -> str:
    """PostgreSQL column type; nested / unknown DuckDB types are published as their text form."""
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", duck_type)
    if decimal:
        return f"numeric({decimal[1]},{decimal[2]})"
    return PG_TYPES.get(duck_type, "text")


def select_expr(column: str, duck_type: str) -> str:
    """DuckDB expression whose CSV text PostgreSQL's COPY reads back as pg_type(duck_type)."""
    quoted = '"' + column.replace('"', '""') + '"'
    if duck_type == "BLOB":
        return f"CASE WHEN {quoted} IS NULL THEN NULL ELSE '\\x' || hex({quoted}) END"
    if pg_type(duck_type) == "text" and duck_type != "VARCHAR":
        return f"CAST({quoted} AS VARCHAR)"
    return quoted


def duck_columns(duck: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in duck.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' "
        "AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()]


def pg_columns(pg: psycopg.Connection, schema: str, table: str) -> dict[str, str]:
    """Columns and full types (numeric(38,10), not numeric) of a target table; empty when it does not exist.

    to_regclass resolves the quoted name (a bound value) to the table, so no catalog join is needed."""
    rows = pg.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (sql.Identifier(schema, table).as_string(pg),)).fetchall()
    return {name: typ for name, typ in rows}


def ensure_table(pg: psycopg.Connection, schema: str, table: str, columns: list[tuple[str, str]]) -> str:
    """Make the table match the published shape in place; returns "kept", "created" or "altered".

    Columns are added / dropped / re-added (type change) rather than the table recreated, so GRANTs and
    BI views on untouched columns survive. An ALTER makes readers wait for the commit; they never fail.
    """
    wanted = {name: pg_type(typ) for name, typ in columns}
    current = pg_columns(pg, schema, table)
    target = sql.Identifier(schema, table)
    if current == wanted:
        return "kept"
    if not current:
        pg.execute(sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in wanted.items())))
        return "created"
    for column in [c for c, t in current.items() if wanted.get(c) != t]:
        pg.execute(sql.SQL("ALTER TABLE {} DROP COLUMN {}").format(target, sql.Identifier(column)))
    for column in [c for c, t in wanted.items() if current.get(c) != t]:
        pg.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
            target, sql.Identifier(column), sql.SQL(wanted[column])))
    return "altered"


def export_csv(duck: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]], path: Path) -> None:
    """DuckDB writes the CSV (NULL unquoted-empty, '' quoted), which COPY ... (FORMAT csv) reads exactly."""
    # relational API: the path is a value, never SQL text; the expressions only quote the serving file's
    # own column names (select_expr)
    rows = duck.table(table).sort(*(duckdb.ColumnExpression(c) for c, _ in columns))
    rows.select(*(select_expr(c, t) for c, t in columns)).write_csv(str(path), header=False)


def copy_csv(pg: psycopg.Connection, schema: str, table: str, columns: list[tuple[str, str]], path: Path) -> int:
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        sql.Identifier(schema, table), sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns))
    with pg.cursor() as cur:
        with cur.copy(statement) as copy, path.open("rb") as handle:
            while chunk := handle.read(COPY_CHUNK):
                copy.write(chunk)
        return cur.rowcount


def ensure_log(pg: psycopg.Connection, schema: str) -> None:
    pg.execute(sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} (published_at timestamptz NOT NULL DEFAULT now(), as_of_date date, "
        "serving_file text, row_counts jsonb NOT NULL)").format(sql.Identifier(schema, PUBLISH_LOG)))


@masked_errors()
def publish_to_postgres(
    serving_db: Path,
    dsn: str,
    schema: str = DEFAULT_PG_SCHEMA,
    tables: tuple[str, ...] = PUBLISHED_TABLES,
    before_commit: Callable[[], None] | None = None,
    vacuum: bool = True,
) -> dict[str, int]:
    """Publish the serving file's tables in one transaction; returns row counts per table.

    before_commit runs with the transaction still open (tests use it to read concurrently).
    """
    duck = duckdb.connect(str(serving_db), read_only=True)
    duck.execute("SET TimeZone = 'UTC'")
    counts: dict[str, int] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="salestier-pg-") as tmp, psycopg.connect(dsn) as pg:
            pg.execute("SET TIME ZONE 'UTC'")
            pg.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (ADVISORY_LOCK_KEY,))
            pg.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            ensure_log(pg, schema)
            for table in tables:
                columns = duck_columns(duck, table)
                if not columns:
                    raise ValueError(f"{serving_db}: table {table} is missing")
                ensure_table(pg, schema, table, columns)
                pg.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(schema, table)))
                csv_path = Path(tmp) / f"{table}.csv"
                export_csv(duck, table, columns, csv_path)
                counts[table] = copy_csv(pg, schema, table, columns, csv_path)
                csv_path.unlink()
            as_of = _latest_as_of(duck, tables)
            pg.execute(sql.SQL("INSERT INTO {} (as_of_date, serving_file, row_counts) VALUES (%s, %s, %s)").format(
                sql.Identifier(schema, PUBLISH_LOG)), (as_of, str(serving_db), Jsonb(counts)))
            if before_commit is not None:
                before_commit()
            pg.commit()
    finally:
        duck.close()
    if vacuum:
        vacuum_tables(dsn, schema, tables)
    return counts


def _latest_as_of(duck: duckdb.DuckDBPyConnection, tables: tuple[str, ...]):
    if "customer_tier_list" not in tables:
        return None
    return latest_as_of(duck, "customer_tier_list")


@masked_errors()
def vacuum_tables(dsn: str, schema: str, tables: tuple[str, ...]) -> None:
    """Reclaim the deleted rows and refresh planner statistics; plain VACUUM never blocks readers."""
    with psycopg.connect(dsn, autocommit=True) as pg:
        for table in tables:
            pg.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(schema, table)))


def publish_configured(serving_db: Path, target: PostgresTarget) -> dict[str, int] | None:
    """Publish when the settings name a DSN (SALESTIER_PG_DSN; schema SALESTIER_PG_SCHEMA); else None:
    the target is optional."""
    if target.dsn is None:
        return None
    return publish_to_postgres(serving_db, target.dsn, target.schema)
