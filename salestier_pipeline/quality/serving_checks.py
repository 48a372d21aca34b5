"""Published-layer suites, run on the candidate serving file before it replaces the live one."""

from __future__ import annotations

from pathlib import Path

import duckdb

from salestier_pipeline.publish.tables import PUBLISHED_TABLES
from salestier_pipeline.quality.gx_adapter import CheckOutcome, validate_frame


def validate_serving(candidate: Path, warehouse_counts: dict[str, int]) -> dict[str, list[CheckOutcome]]:
    """Every published table of the candidate against its suite; row counts against the warehouse."""
    con = duckdb.connect(str(candidate), read_only=True)
    try:
        outcomes = {}
        for table in PUBLISHED_TABLES:
            frame = con.table(table).df()
            runtime = {"rows_match_warehouse": {"value": warehouse_counts.get(table)}}
            outcomes[table] = validate_frame(frame, "serving", table, runtime)
        return outcomes
    finally:
        con.close()
