"""PostgreSQL target against a real PostgreSQL server started by the test (tests/pg.py).

The central test publishes version 1, then publishes version 2 while another connection reads every
table in a loop, and holds version 2's transaction open until that reader has completed reads inside it:
each read must see one complete version (same row count and as_of_date in all tables), never an error.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from pathlib import Path

import duckdb
import psycopg
import pytest
from psycopg import sql

from salestier_pipeline.publish.postgres import (
    PUBLISH_LOG,
    pg_type,
    publish_configured,
    publish_to_postgres,
)
from salestier_pipeline.publish.tables import CONTRACT, PUBLISHED_TABLES
from salestier_pipeline.settings import PostgresTarget, load_settings
from tests.pg import postgres_server

SCHEMA = "salestier"
TYPES = {"as_of_date": "DATE", "created_at": "TIMESTAMP", "close_date": "DATE", "period_start": "DATE",
         "amount": "DECIMAL(18,2)", "value": "DOUBLE", "win_rate": "DOUBLE", "is_won": "BOOLEAN",
         "accounts": "BIGINT", "line_number": "INTEGER"}


def build_serving(path: Path, version: int, rows: int, extra_column: bool = False) -> Path:
    """Every published table with its contract columns; `rows` rows each, as_of_date = version's day."""
    as_of = dt.date(2026, 1, version)
    con = duckdb.connect(str(path))
    try:
        for table in PUBLISHED_TABLES:
            cols = list(CONTRACT[table]) + (["note"] if extra_column and table == "customer_tier_list" else [])
            con.execute(f"CREATE TABLE {table} (" + ", ".join(f'"{c}" {TYPES.get(c, "VARCHAR")}' for c in cols) + ")")
            exprs = []
            for c in cols:
                kind = TYPES.get(c, "VARCHAR")
                exprs.append({
                    "DATE": f"DATE '{as_of}'" if c == "as_of_date" else "DATE '2025-12-31' + i::INTEGER",
                    "TIMESTAMP": "TIMESTAMP '2025-12-31 08:00:00' + to_minutes(i)",
                    "DECIMAL(18,2)": "(i * 1.25)::DECIMAL(18,2)", "DOUBLE": "i / 7.0", "BOOLEAN": "i % 2 = 0",
                    "BIGINT": "i", "INTEGER": "i::INTEGER",
                }.get(kind, f"'{c}-' || i || '-v{version}'"))
            con.execute(f"INSERT INTO {table} SELECT {', '.join(exprs)} FROM range({rows}) t(i)")
        # Values that CSV transport gets wrong easily.
        con.execute("""UPDATE customer_tier_list SET account_name = CASE account_id
            WHEN 'account_id-0-v{v}' THEN '上海华东机械有限公司' WHEN 'account_id-1-v{v}' THEN ''
            WHEN 'account_id-2-v{v}' THEN NULL WHEN 'account_id-3-v{v}' THEN 'a "quoted", multi
line name' ELSE account_name END""".replace("{v}", str(version)))
        con.execute("UPDATE kpi_snapshot SET value = 'nan'::DOUBLE WHERE level_key = 'level_key-0-v1'")
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def dsn() -> str:
    with postgres_server() as url:
        yield url


def read_versions(conn: psycopg.Connection, repeatable: bool) -> set[tuple[int, dt.date]]:
    """(row count, as_of_date) per table in one snapshot: one statement, or a REPEATABLE READ transaction."""
    queries = [sql.SQL("SELECT count(*), max(as_of_date) FROM {}").format(sql.Identifier(SCHEMA, t))
               for t in PUBLISHED_TABLES if "as_of_date" in CONTRACT[t]]
    if repeatable:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            return {tuple(conn.execute(q).fetchone()) for q in queries}
    conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
    union = sql.SQL(" UNION ALL ").join(queries)
    return {tuple(r) for r in conn.execute(union).fetchall()}


def test_the_target_comes_from_the_settings(tmp_path: Path) -> None:
    assert load_settings({}).postgres == PostgresTarget(None, "salestier")
    assert load_settings({"SALESTIER_PG_DSN": "host=x", "SALESTIER_PG_SCHEMA": "bi"}).postgres == \
        PostgresTarget("host=x", "bi")
    assert publish_configured(tmp_path / "none.duckdb", load_settings({}).postgres) is None  # not configured
    assert not (tmp_path / "none.duckdb").exists()
    assert pg_type("DECIMAL(18,2)") == "numeric(18,2)" and pg_type("STRUCT(a INTEGER)") == "text"


def test_a_configured_target_publishes_into_its_schema(dsn: str, tmp_path: Path) -> None:
    target = load_settings({"SALESTIER_PG_DSN": dsn, "SALESTIER_PG_SCHEMA": "configured"}).postgres
    counts = publish_configured(build_serving(tmp_path / "v1.duckdb", 1, 3), target)
    assert counts == dict.fromkeys(PUBLISHED_TABLES, 3)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM configured.customer_tier_list").fetchone() == (3,)


def test_publish_round_trips_values(dsn: str, tmp_path: Path) -> None:
    serving = build_serving(tmp_path / "v1.duckdb", 1, 20)
    counts = publish_to_postgres(serving, dsn, schema="roundtrip")
    assert counts == dict.fromkeys(PUBLISHED_TABLES, 20)
    with psycopg.connect(dsn) as conn:
        names = dict(conn.execute("SELECT account_id, account_name FROM roundtrip.customer_tier_list").fetchall())
        assert names["account_id-0-v1"] == "上海华东机械有限公司"
        assert names["account_id-1-v1"] == "" and names["account_id-2-v1"] is None
        assert names["account_id-3-v1"] == 'a "quoted", multi\nline name'
        opp = conn.execute("SELECT amount, created_at, is_won FROM roundtrip.opportunities "
                           "WHERE opportunity_id = 'opportunity_id-4-v1'").fetchone()
        assert (float(opp[0]), opp[1], opp[2]) == (5.0, dt.datetime(2025, 12, 31, 8, 4), True)
        value = conn.execute("SELECT value FROM roundtrip.kpi_snapshot WHERE level_key = 'level_key-0-v1'").fetchone()
        assert math.isnan(value[0])
        types = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                                  "WHERE table_schema = 'roundtrip' AND table_name = 'opportunities'").fetchall())
        assert types["amount"] == "numeric" and types["created_at"] == "timestamp without time zone"
        log = conn.execute("SELECT as_of_date, row_counts FROM roundtrip.publish_runs").fetchall()
        assert log == [(dt.date(2026, 1, 1), dict.fromkeys(PUBLISHED_TABLES, 20))]


def test_readers_see_old_or_new_version_never_a_mix_or_error(dsn: str, tmp_path: Path) -> None:
    v1 = (300, dt.date(2026, 1, 1))
    v2 = (500, dt.date(2026, 1, 2))
    publish_to_postgres(build_serving(tmp_path / "v1.duckdb", 1, v1[0]), dsn, SCHEMA)
    v2_serving = build_serving(tmp_path / "v2.duckdb", 2, v2[0])

    reads: list[tuple[float, set, bool]] = []   # (time, versions seen, read inside the open transaction)
    errors: list[BaseException] = []
    in_tx, stop = threading.Event(), threading.Event()

    def reader() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            n = 0
            while not stop.is_set():
                try:
                    seen = read_versions(conn, repeatable=n % 2 == 1)
                except BaseException as exc:  # noqa: BLE001 - any reader failure fails the test
                    errors.append(exc)
                    return
                reads.append((time.monotonic(), seen, in_tx.is_set()))
                n += 1

    def hold_open() -> None:
        """Keep version 2's transaction open until the reader has done reads inside it."""
        in_tx.set()
        start = len(reads)
        deadline = time.monotonic() + 30
        while len(reads) < start + 10 and time.monotonic() < deadline and not errors:
            time.sleep(0.01)
        in_tx.clear()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    while len(reads) < 5 and not errors:
        time.sleep(0.01)
    publish_to_postgres(v2_serving, dsn, SCHEMA, before_commit=hold_open)
    published = time.monotonic()
    while len([r for r in reads if r[0] > published]) < 5 and not errors:
        time.sleep(0.01)
    stop.set()
    thread.join(timeout=30)

    assert errors == []
    assert all(seen in ({v1}, {v2}) for _, seen, _ in reads), [seen for _, seen, _ in reads if len(seen) > 1]
    during = [seen for _, seen, inside in reads if inside]
    assert len(during) >= 10 and all(seen == {v1} for seen in during), "readers ran, unblocked, on version 1"
    after = [seen for t, seen, _ in reads if t > published]
    assert after and all(seen == {v2} for seen in after)
    versions = [next(iter(seen)) for _, seen, _ in reads]
    assert versions == sorted(versions), "never back to version 1 once version 2 was seen"
    with psycopg.connect(dsn) as fresh:
        assert read_versions(fresh, repeatable=False) == {v2}
        assert fresh.execute(sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(SCHEMA, PUBLISH_LOG))).fetchone()[0] == 2


def test_shape_change_keeps_grants_and_views(dsn: str, tmp_path: Path) -> None:
    schema = "shape"
    publish_to_postgres(build_serving(tmp_path / "a.duckdb", 1, 10), dsn, schema)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE ROLE bi_reader")
        conn.execute("GRANT USAGE ON SCHEMA shape TO bi_reader")
        conn.execute("GRANT SELECT ON shape.customer_tier_list TO bi_reader")
        conn.execute("CREATE VIEW public.bi_accounts AS SELECT account_id, tier FROM shape.customer_tier_list")
    publish_to_postgres(build_serving(tmp_path / "b.duckdb", 2, 12, extra_column=True), dsn, schema)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM public.bi_accounts").fetchone()[0] == 12
        assert conn.execute("SELECT count(note) FROM shape.customer_tier_list").fetchone()[0] == 12
        assert conn.execute("SELECT has_table_privilege('bi_reader', 'shape.customer_tier_list', 'SELECT')"
                            ).fetchone()[0]
