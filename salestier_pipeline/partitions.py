"""The one partitioning of SalesTier: the as-of date of a run (SPEC §4)."""

from __future__ import annotations

import dagster as dg

from salestier_pipeline.settings import load_settings

_settings = load_settings()

as_of_partitions = dg.DailyPartitionsDefinition(
    start_date=_settings.partition_start,
    timezone=_settings.timezone,
    end_offset=1,  # today's export is a valid as-of date for tonight's run
)
