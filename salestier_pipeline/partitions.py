"""The one partitioning of SalesTier: the as-of date of a run (SPEC §4)."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from salestier_pipeline.settings import load_settings

_settings = load_settings()

# Published outputs must be fresh each morning: by 06:00 (the partitions' time zone)
# the last publish must be less than 24 hours old, i.e. last night's run succeeded.
published_freshness = dg.FreshnessPolicy.cron(
    deadline_cron="0 6 * * *", lower_bound_delta=timedelta(hours=24), timezone=_settings.timezone
)

as_of_partitions = dg.DailyPartitionsDefinition(
    start_date=_settings.partition_start,
    timezone=_settings.timezone,
    end_offset=1,  # today's export is a valid as-of date for tonight's run
)
