"""The one partitioning of SalesTier: the as-of date of a run (SPEC §4)."""

from __future__ import annotations

import warnings
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

# every partitioned asset of the nightly job runs one as-of date per run: the history tables are written
# date by date, and one policy for all keeps Dagster from warning about mixed policies on every run.
# `backfill_policy` on @asset is marked beta in Dagster 1.13 (pinned): its notice would be printed once per
# asset at every load of the definitions, so that one notice is silenced, nothing else
ONE_DATE_PER_RUN = dg.BackfillPolicy.multi_run(1)
warnings.filterwarnings("ignore", message="Parameter `backfill_policy` of function", category=dg.BetaWarning)


def is_as_of(value: str) -> bool:
    """A partition key: a real YYYY-MM-DD date from SALESTIER_PARTITION_START to today (partitions' time zone)."""
    try:
        return as_of_partitions.has_partition_key(value)
    except (ValueError, TypeError):
        return False


def as_of_range() -> tuple[str, str]:
    """First and last valid as-of date, for messages that must say what would have been accepted."""
    return as_of_partitions.get_first_partition_key(), as_of_partitions.get_last_partition_key()


def as_of_problem(value: str, name: str) -> str | None:
    """None for a valid as-of date; else one line naming the setting, its value and the valid range."""
    if is_as_of(value):
        return None
    first, last = as_of_range()
    return f"{name} {value!r} is not a valid as-of date: expected YYYY-MM-DD from {first} to {last}"
