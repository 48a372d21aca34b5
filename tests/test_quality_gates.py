"""Each layer broken on purpose: the matching check fails, nothing is published, the served bytes stay."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from salestier_pipeline.assets.ingest import RAW_KEYS, ingest_raw, landing_manifest, quarantine_summary
from salestier_pipeline.ingest.run import ensure_schema_files
from salestier_pipeline.ingest.writer import QUARANTINE_TYPES, write_parquet
from salestier_pipeline.publish.serving import build_candidate, discard
from salestier_pipeline.publish.tables import MARTS_SCHEMA, PUBLISHED_TABLES
from salestier_pipeline.quality.gx_adapter import validate_frame
from salestier_pipeline.quality.raw_checks import raw_check_frame
from salestier_pipeline.quality.serving_checks import check_copies
from salestier_pipeline.resources import SalesTierResource
from salestier_pipeline.schema import raw_columns
from tests.runner import copy_home, file_bytes, run_salestier

ROOT = Path(__file__).resolve().parent.parent

BAD_DATE = "2026-11-28"  # a batch after the demo's last export (2026-11-27)


@pytest.fixture(scope="module")
def published_home(published_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's published demo, copied: the tests here add failing batches and run again."""
    return copy_home(published_demo, tmp_path_factory.mktemp("gates") / "home")


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
    assert f"at zoho/{BAD_DATE}/Deals_dup.csv lines 2, 3" in out  # the message names the file and the lines
    assert "FAILED at: ingest" in out


def test_stage_missing_from_the_map_fails_the_raw_check(published_home: Path) -> None:
    """stage_in_map is a dbt test on the raw source (it needs the maps in force): the build stops, Dagster
    shows the failed check on the stage map, and the stored failure names the value, file and line."""
    rows = DEALS + "zcrm_new1,Ann,Odd deal,Acme,Waiting For Godot,10,12/31/2026,11/01/2026 10:00:00\n"
    result = _failing_batch(published_home, "Deals_stage.csv", rows.encode())
    out = result.stdout + result.stderr
    assert "FAILED at: salestier_dbt_models" in out
    assert "failed check(s): intermediate/int_stage_map:stage_in_map" in out
    assert "Failure in test stage_in_map (models/staging/_sources.yml)" in out
    assert 'select * from "warehouse"."dbt_test__audit"."stage_in_map"' in out  # where dbt stored the rows
    con = duckdb.connect(str(published_home / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        stored = con.table("dbt_test__audit.stage_in_map").select("failure").fetchall()
    finally:
        con.close()
    assert stored == [(f"'Waiting For Godot' at zoho/{BAD_DATE}/Deals_stage.csv line 2",)]


def test_too_many_quarantined_rows_fail_the_file(published_home: Path) -> None:
    rows = DEALS + "".join(f"zcrm_q{i},Ann,Q{i},Acme,Qualification,lots,12/31/2026,11/01/2026 10:00:00\n"
                           for i in range(4))
    result = _failing_batch(published_home, "Deals_bad.csv", rows.encode())
    out = result.stdout + result.stderr
    assert f"zoho/{BAD_DATE}/Deals_bad.csv: 4 of 4 rows quarantined (100% > allowed 20%)" in out
    assert "unparseable amount for amount (line 2, column Amount)" in out


def _candidate_with(home: Path, sql: str) -> tuple[Path, dict]:
    """A real candidate built from the home's warehouse, then tampered with; its copy checks by table."""
    warehouse = home / "warehouse" / "warehouse.duckdb"
    candidate = build_candidate(warehouse, home / "serving")
    con = duckdb.connect(str(candidate.db))
    try:
        con.execute(sql)
    finally:
        con.close()
    return candidate, {c.table: c for c in check_copies(warehouse, candidate.db, PUBLISHED_TABLES, MARTS_SCHEMA)}


def test_a_serving_copy_with_an_extra_row_fails(published_home: Path) -> None:
    before = _served(published_home)
    candidate, checks = _candidate_with(
        published_home,
        "insert into customer_tier_list select * from customer_tier_list order by account_id limit 1",
    )
    try:
        check = checks["customer_tier_list"]
        assert not check.passed and check.serving_rows == check.warehouse_rows + 1
        assert f"has {check.serving_rows:,} rows" in check.text() and f"has {check.warehouse_rows:,}" in check.text()
        assert all(c.passed for t, c in checks.items() if t != "customer_tier_list")
    finally:
        discard(candidate)
    assert _served(published_home) == before


def test_a_serving_copy_with_a_missing_or_changed_row_fails(published_home: Path) -> None:
    candidate, checks = _candidate_with(
        published_home,
        "delete from opportunities where opportunity_id in (select min(opportunity_id) from opportunities); "
        "update rep_tier_list set rep_tier = 'top' where rep_id = (select min(rep_id) from rep_tier_list)",
    )
    try:
        assert not checks["opportunities"].passed
        assert checks["opportunities"].serving_rows == checks["opportunities"].warehouse_rows - 1
        tiers = checks["rep_tier_list"]  # same row count, other bytes: only the fingerprint sees it
        assert tiers.serving_rows == tiers.warehouse_rows
        assert not tiers.passed and tiers.serving_fingerprint != tiers.warehouse_fingerprint
    finally:
        discard(candidate)


# --- paths and names that would break SQL built as text ------------------------------------------------------

HOSTILE_HOME = "o'brien [home] *?"  # an apostrophe ends a SQL string; [ * ? are glob characters


def _raw_row(source: str, export_date: str, record: str, stage: str) -> dict:
    return {"source_system": source, "export_date": export_date, "source_file": f"{source}/{export_date}/D.csv",
            "source_record_id": record, "stage_raw": stage, "status_raw": None, "amount": 10.0,
            "probability": 50.0, "created_at": f"{export_date} 09:00:00"}


def test_raw_check_frame_and_summary_take_any_path(tmp_path: Path) -> None:
    """Raw files under a home and a source folder with an apostrophe and glob characters are read, not
    pasted into SQL: every row is there and the as-of date still filters."""
    raw = tmp_path / HOSTILE_HOME / "raw"
    ensure_schema_files(raw)
    columns = raw_columns("opportunities")
    folder = raw / "opportunities" / "source=o'brien" / "export_date=2026-06-30"
    write_parquet(pd.DataFrame([_raw_row("o'brien", "2026-06-30", f"r{i}", "Won") for i in range(3)]),
                  columns, folder / "deals o'brien.parquet")
    later = raw / "opportunities" / "source=o'brien" / "export_date=2026-07-31"
    write_parquet(pd.DataFrame([_raw_row("o'brien", "2026-07-31", "r9", "Won")]), columns, later / "x.parquet")
    frame = raw_check_frame(raw, "opportunities", "2026-06-30")
    assert sorted(frame["source_record_id"]) == ["r0", "r1", "r2"]
    assert set(frame["source_system"]) == {"o'brien"}
    assert frame["_record_growth"].isna().all()  # one export so far: no growth to compare
    assert len(raw_check_frame(raw, "opportunities", "2026-07-31")) == 4

    quarantined = [{"source_system": "o'brien", "export_date": day, "module": "opportunities",
                    "source_file": f"o'brien/{day}/Deals O'Brien.csv", "line_number": 2, "column_name": "amount",
                    "raw_value": "x' OR '1'='1", "reason": "bad amount"} for day in ("2026-06-30", "2026-07-31")]
    write_parquet(pd.DataFrame(quarantined), QUARANTINE_TYPES,
                  raw / "_ingest" / "quarantine" / "source=o'brien" / "opportunities-o'brien.parquet")
    files_types = {"as_of_date": "DATE", "source_system": "VARCHAR", "rows_read": "BIGINT",
                   "rows_quarantined": "BIGINT"}
    write_parquet(pd.DataFrame([{"as_of_date": "2026-06-30", "source_system": "o'brien", "rows_read": 4,
                                 "rows_quarantined": 1}]),
                  files_types, raw / "_ingest" / "files" / "as_of=2026-06-30" / "opportunities.parquet")
    totals, reasons = quarantine_summary(raw, "2026-06-30")
    assert totals == (1, 4, 1)
    # the later export is left out: the as-of date is a bound DATE parameter
    assert reasons == [("o'brien/2026-06-30/Deals O'Brien.csv", "bad amount", 1, 2, "x' OR '1'='1")]


def test_a_user_profile_named_o_brien_ingests_and_checks_in_process(tmp_path: Path) -> None:
    """A real in-process ingest for source `o'brien` (profile <home>/profiles/o'brien.yml) in a home whose path
    has an apostrophe: the file loads, the raw suite runs on it, nothing fails on quoting."""
    home = tmp_path / HOSTILE_HOME
    (home / "profiles").mkdir(parents=True)
    profile = (ROOT / "docs" / "examples" / "maven.yml").read_text(encoding="utf-8")
    (home / "profiles" / "o'brien.yml").write_text(profile.replace("name: maven", "name: \"o'brien\""),
                                                   encoding="utf-8")
    batch = home / "landing" / "o'brien" / "2026-06-30"
    batch.mkdir(parents=True)
    rows = ["opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value"]
    rows += [f"O'{i},Ann O'Neil,GTX,Acme,Won,2026-05-0{i + 1},2026-06-01,100" for i in range(5)]
    (batch / "Deals O'Brien.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([landing_manifest, ingest_raw], partition_key="2026-06-30", instance=instance,
                                selection=[landing_manifest.key, RAW_KEYS["opportunities"]],
                                resources={"salestier": SalesTierResource(home=str(home))}, raise_on_error=False)
    assert result.success
    loaded = result.asset_materializations_for_node("ingest")[0].metadata
    assert loaded["rows_loaded"].value == 5
    assert [r.data["file"] for r in loaded["files_table"].records] == ["o'brien/2026-06-30/Deals O'Brien.csv"]
    frame = raw_check_frame(home / "raw", "opportunities", "2026-06-30")
    assert sorted(frame["source_record_id"]) == [f"O'{i}" for i in range(5)]
    assert set(frame["source_system"]) == {"o'brien"}
    assert all(o.passed for o in validate_frame(frame, "raw", "opportunities") if o.critical)
