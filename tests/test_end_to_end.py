"""A real Dagster run of the whole graph into a temporary SALESTIER_HOME."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.publish.tables import CONTRACT, HISTORICAL
from salestier_pipeline.quality.fingerprint import table_fingerprints
from tests.runner import copy_home, run_salestier


@pytest.fixture(scope="module")
def demo_home(published_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This file runs the pipeline again: on its own copy of the session's published demo."""
    return copy_home(published_demo, tmp_path_factory.mktemp("e2e") / "home")


@pytest.mark.slow
def test_full_run_publishes_every_table_and_is_idempotent(demo_home: Path) -> None:
    log = (demo_home / "run.log").read_text(encoding="utf-8")
    assert "Calculating Metrics" not in log and "it/s]" not in log, "GX drew progress bars in the run log"
    serving = demo_home / "serving" / "salestier.duckdb"
    con = duckdb.connect(str(serving), read_only=True)
    try:
        for table, columns in CONTRACT.items():
            present = {r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_name = ?", [table]).fetchall()}
            assert set(columns) <= present, f"{table} lacks {set(columns) - present}"
            count = con.execute(f'select count(*) from "{table}"').fetchone()[0]
            if table == "lifecycle_transitions":  # the first snapshot: nothing to compare with yet
                assert count == 0, "a first snapshot has no lifecycle transitions"
            elif table != "ingest_quarantine":
                assert count > 0, f"{table} is empty"
        assert con.execute("select bool_and(is_first_snapshot) from customer_tier_list").fetchone()[0]
        accounts_in_tiers = con.execute(
            "select count(*), count(distinct account_id) from customer_tier_list"
        ).fetchone()
        assert accounts_in_tiers[0] == accounts_in_tiers[1]
        tiers = {r[0] for r in con.execute("select distinct tier from customer_tier_list").fetchall()}
        assert tiers <= {"A", "B", "C", "D"} and len(tiers) >= 3
    finally:
        con.close()
    assert (demo_home / "exports" / "customer_tier_list.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (demo_home / "exports" / "customer_tier_list.xlsx").exists()
    assert list((demo_home / "reports").glob("salestier-report-*.html"))
    assert (demo_home / "serving" / "parquet" / "opportunities.parquet").exists()
    assert (demo_home / "serving" / "parquet" / "kpi_snapshot").is_dir()

    before = table_fingerprints(serving)
    csv = demo_home / "exports" / "customer_tier_list.csv"
    published = {p: p.read_bytes() for p in (serving, csv)}
    second = run_salestier(demo_home, "run")
    assert second.returncode == 0, second.stderr[-6000:]
    assert "nothing changed since run" in second.stdout + second.stderr, "an unchanged night rebuilt everything"
    assert {p: p.read_bytes() for p in published} == published

    csv.unlink()  # a published file went missing: the next night must notice and rebuild, not skip
    third = run_salestier(demo_home, "run")
    assert third.returncode == 0, third.stderr[-6000:]
    assert "nothing changed since run" not in third.stdout + third.stderr
    assert "seeds and their tests unchanged" in third.stdout + third.stderr
    assert csv.read_bytes() == published[csv]
    assert table_fingerprints(serving) == before


@pytest.mark.slow
def test_earlier_as_of_adds_history_without_duplicates(demo_home: Path) -> None:
    batches = sorted(p.name for p in (demo_home / "landing" / "zoho").iterdir())
    assert len(batches) >= 2
    earlier = batches[-2]
    run = run_salestier(demo_home, "run", as_of=earlier)
    assert run.returncode == 0, run.stderr[-6000:]
    con = duckdb.connect(str(demo_home / "serving" / "salestier.duckdb"), read_only=True)
    try:
        for table in HISTORICAL:
            dates = {str(r[0]) for r in con.execute(f'select distinct as_of_date from "{table}"').fetchall()}
            if table == "lifecycle_transitions":  # the earlier date is now the first snapshot: the later one moves
                assert earlier not in dates and batches[-1] in dates, (table, dates)
            else:
                assert earlier in dates, table
        dupes = con.execute(
            "select count(*) from (select as_of_date, account_id from customer_tier_list "
            "group by all having count(*) > 1)"
        ).fetchone()[0]
        assert dupes == 0
    finally:
        con.close()
