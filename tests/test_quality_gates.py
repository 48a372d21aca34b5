"""Each layer broken on purpose: the matching check fails, nothing is published, the served bytes stay."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.publish.serving import build_candidate, discard
from salestier_pipeline.quality.gx_adapter import failures_text
from salestier_pipeline.quality.serving_checks import validate_serving
from tests.runner import file_bytes, run_salestier

BAD_DATE = "2026-11-28"  # a batch after the demo's last export (2026-11-27)


@pytest.fixture(scope="module")
def published_home(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> Path:
    home = tmp_path_factory.mktemp("gates")
    assert run_salestier(home, "demo", "--scale", "0.1").returncode == 0
    first = run_salestier(home, "run")
    assert first.returncode == 0, first.stderr[-4000:]
    return home


def _served(home: Path) -> dict[str, bytes]:
    return {**file_bytes(home / "serving"), **{f"exports/{k}": v for k, v in file_bytes(home / "exports").items()}}


def _failing_batch(home: Path, name: str, content: bytes) -> subprocess.CompletedProcess:
    batch = home / "landing" / "zoho" / BAD_DATE
    batch.mkdir(parents=True, exist_ok=True)
    (batch / name).write_bytes(content)
    before = _served(home)
    try:
        result = run_salestier(home, "run")
    finally:
        shutil.rmtree(batch)
    assert result.returncode == 1, result.stdout[-2000:]
    assert _served(home) == before, "a failed run changed the published outputs"
    return result


DEALS = "Record Id,Deal Owner,Deal Name,Account Name,Stage,Amount,Closing Date,Created Time\n"


def test_duplicate_id_in_one_export_fails_the_raw_check(published_home: Path) -> None:
    rows = DEALS + ("zcrm_dup1,Ann,Dup deal,Acme,Qualification,10,12/31/2026,11/01/2026 10:00:00\n" * 2)
    result = _failing_batch(published_home, "Deals_dup.csv", rows.encode())
    out = result.stdout + result.stderr
    assert "check 'ids_unique_per_export' failed on raw/opportunities: 2 unexpected" in out
    assert "zcrm_dup1" in out
    assert "FAILED at: raw__opportunities" in out


def test_stage_missing_from_the_map_fails_the_raw_check(published_home: Path) -> None:
    rows = DEALS + "zcrm_new1,Ann,Odd deal,Acme,Waiting For Godot,10,12/31/2026,11/01/2026 10:00:00\n"
    result = _failing_batch(published_home, "Deals_stage.csv", rows.encode())
    out = result.stdout + result.stderr
    assert "check 'stage_in_map' failed on raw/opportunities: 1 unexpected; e.g. ['Waiting For Godot']" in out


def test_too_many_quarantined_rows_fail_the_file(published_home: Path) -> None:
    rows = DEALS + "".join(f"zcrm_q{i},Ann,Q{i},Acme,Qualification,lots,12/31/2026,11/01/2026 10:00:00\n"
                           for i in range(4))
    result = _failing_batch(published_home, "Deals_bad.csv", rows.encode())
    out = result.stdout + result.stderr
    assert f"zoho/{BAD_DATE}/Deals_bad.csv: 4 of 4 rows quarantined (100% > allowed 20%)" in out
    assert "unparseable amount for amount (line 2, column Amount)" in out


def _candidate_with(home: Path, sql: str) -> tuple[Path, dict]:
    """A real candidate built from the home's warehouse, then tampered with."""
    candidate = build_candidate(home / "warehouse" / "warehouse.duckdb", home / "serving")
    con = duckdb.connect(str(candidate.db))
    try:
        con.execute(sql)
    finally:
        con.close()
    return candidate, validate_serving(candidate.db, candidate.warehouse_counts)


def test_published_table_with_two_rows_for_one_account_fails(published_home: Path) -> None:
    before = _served(published_home)
    candidate, outcomes = _candidate_with(
        published_home,
        "insert into customer_tier_list select * from customer_tier_list order by account_id limit 1",
    )
    try:
        text = failures_text(outcomes["customer_tier_list"], "customer_tier_list")
        assert "check 'one_row_per_grain' failed on customer_tier_list: 2 unexpected" in text
        assert "check 'rows_match_warehouse' failed on customer_tier_list" in text
        dup = duckdb.connect(str(candidate.db), read_only=True).execute(
            "select account_id from customer_tier_list group by all having count(*) > 1").fetchone()[0]
        assert dup in text
        assert all(o.passed for o in outcomes["opportunities"])
    finally:
        discard(candidate)
    assert _served(published_home) == before


def test_totals_that_no_longer_reconcile_fail(published_home: Path) -> None:
    candidate, outcomes = _candidate_with(
        published_home,
        "delete from opportunities where opportunity_id in (select min(opportunity_id) from opportunities)",
    )
    try:
        rows_check = next(o for o in outcomes["opportunities"] if o.check == "rows_match_warehouse")
        assert not rows_check.passed and rows_check.critical
        assert rows_check.observed == candidate.warehouse_counts["opportunities"] - 1
    finally:
        discard(candidate)
