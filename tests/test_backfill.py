"""A backfill over 2 dates publishes the same history as the 2 nightly runs (a first snapshot and a date
with a previous one; each date is a dbt build, the most expensive thing a test can do)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.publish.tables import HISTORICAL
from salestier_pipeline.quality.fingerprint import table_fingerprints
from tests.runner import copy_home, run_salestier

DATES = ["2026-11-26", "2026-11-27"]



@pytest.mark.slow
def test_backfill_equals_nightly_runs(tmp_path: Path, published_demo: Path) -> None:
    """The nightly home: the session's published demo (its night of 2026-11-27) plus the night of 2026-11-26
    run after it (history does not depend on run order, tests/test_dbt_history.py); the backfilled home:
    the same exports, both dates by one `salestier backfill`."""
    nightly = copy_home(published_demo, tmp_path / "nightly")
    shutil.copytree(nightly / "landing", tmp_path / "backfilled" / "landing")
    backfilled = tmp_path / "backfilled"
    run = run_salestier(nightly, "run", "--as-of", DATES[0])
    assert run.returncode == 0, run.stderr[-3000:]
    backfill = run_salestier(backfilled, "backfill", "--from", DATES[0], "--to", DATES[-1])
    assert backfill.returncode == 0, backfill.stdout[-2000:] + backfill.stderr[-3000:]

    a = table_fingerprints(nightly / "serving" / "salestier.duckdb")
    b = table_fingerprints(backfilled / "serving" / "salestier.duckdb")
    assert a == b
    con = duckdb.connect(str(backfilled / "serving" / "salestier.duckdb"), read_only=True)
    try:
        for table in HISTORICAL:
            dates = [str(r[0]) for r in con.execute(f'select distinct as_of_date from "{table}" order by 1').fetchall()]
            # the first as-of date has nothing to compare with: transitions start with the second
            assert dates == (DATES[1:] if table == "lifecycle_transitions" else DATES), table
    finally:
        con.close()
