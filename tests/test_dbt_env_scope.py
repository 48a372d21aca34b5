"""The dbt asset hands its variables to dbt only: SALESTIER_WAREHOUSE / SALESTIER_RAW_DIR reach the dbt
subprocess (it builds the home's warehouse from the home's raw files) and leave the process as it was."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from salestier_pipeline.assets.dbt import SalesTierDbtCliResource, dbt_project, salestier_dbt_models
from salestier_pipeline.dbt_command import dbt_executable
from salestier_pipeline.resources import SalesTierResource
from tests.fixtures.raw_fixture import write_raw_fixture

AS_OF = "2024-06-30"  # the fixture's as-of date


@pytest.mark.slow
def test_dbt_gets_the_home_paths_and_the_process_keeps_its_own(tmp_path: Path, dbt_manifest: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    write_raw_fixture(home / "raw")
    monkeypatch.setenv("SALESTIER_RAW_DIR", str(tmp_path / "not-the-raw-dir"))  # the process's own value
    monkeypatch.delenv("SALESTIER_WAREHOUSE", raising=False)
    monkeypatch.setenv("SALESTIER_DBT_THREADS", "1")
    dbt = SalesTierDbtCliResource(project_dir=dbt_project(), dbt_executable=str(dbt_executable()))
    result = dg.materialize([salestier_dbt_models], partition_key=AS_OF, raise_on_error=False,
                            resources={"dbt": dbt, "salestier": SalesTierResource(home=str(home))})
    assert result.success
    assert os.environ["SALESTIER_RAW_DIR"] == str(tmp_path / "not-the-raw-dir")
    assert "SALESTIER_WAREHOUSE" not in os.environ
    assert not (tmp_path / "not-the-raw-dir").exists()
    con = duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        as_of = con.execute("select distinct as_of_date from marts.customer_tier_list").fetchall()
        rows = con.execute("select count(*) from marts.customer_tier_list").fetchone()[0]
    finally:
        con.close()
    assert [str(d) for (d,) in as_of] == [AS_OF] and rows > 0  # built from the fixture under the home
