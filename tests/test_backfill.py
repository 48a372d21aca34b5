"""A backfill over 3 dates publishes the same history as 3 nightly runs in sequence (three dates are enough:
a first snapshot, a date with a previous one, and one more to show the chain; each date is a dbt build)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.publish.tables import HISTORICAL
from salestier_pipeline.quality.fingerprint import table_fingerprints
from tests.runner import run_salestier

DATES = ["2026-11-25", "2026-11-26", "2026-11-27"]


@pytest.mark.slow
def test_backfill_equals_nightly_runs(tmp_path: Path, dbt_manifest: Path) -> None:
    nightly, backfilled = tmp_path / "nightly", tmp_path / "backfilled"
    assert run_salestier(nightly, "demo", "--scale", "0.05").returncode == 0
    shutil.copytree(nightly / "landing", backfilled / "landing")

    for day in DATES:
        run = run_salestier(nightly, "run", "--as-of", day)
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
