"""A blocking raw check names the file and the lines of the rows that fail it, not only their values."""

from __future__ import annotations

import pandas as pd

from salestier_pipeline.quality.gx_adapter import failures_text, validate_frame


def test_failing_rows_are_located_by_file_and_line() -> None:
    frame = pd.DataFrame({
        "source_system": ["zoho"] * 4,
        "export_date": pd.to_datetime(["2026-11-20"] * 4),
        "source_record_id": ["1", "2", "2", "3"],
        "source_file": ["zoho/2026-11-20/deals.csv"] * 3 + ["zoho/2026-11-20/more.csv"],
        "source_line": [2, 3, 9, 2],
        "stage_raw": ["Qualification"] * 4,
        "status_raw": [None] * 4,
        "amount": [1.0] * 4,
        "probability": [10.0, 10.0, 10.0, 250.0],
        "_days_after_export": [0, 0, 0, 5],
        "_record_growth": [1.0] * 4,
    })
    outcomes = {o.check: o for o in validate_frame(frame, "raw", "opportunities")}
    assert outcomes["ids_unique_per_export"].locations == ["zoho/2026-11-20/deals.csv lines 3, 9"]
    assert outcomes["probability_0_100"].locations == ["zoho/2026-11-20/more.csv line 2"]
    assert outcomes["dates_not_after_export"].locations == ["zoho/2026-11-20/more.csv line 2"]
    text = failures_text(list(outcomes.values()), "raw/opportunities", critical_only=False)
    assert "check 'probability_0_100' failed on raw/opportunities: 1 unexpected; e.g. [250.0]; " \
           "at zoho/2026-11-20/more.csv line 2" in text
    duplicate = next(line for line in text.splitlines() if "'ids_unique_per_export'" in line)
    assert duplicate.startswith("check 'ids_unique_per_export' failed on raw/opportunities: 2 unexpected; e.g. ")
    assert duplicate.endswith("; at zoho/2026-11-20/deals.csv lines 3, 9")
