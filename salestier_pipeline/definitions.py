"""SalesTier's Dagster definitions: assets, checks, job, schedule, sensors, resources."""

import dagster as dg

from salestier_pipeline.assets.dbt import SalesTierDbtCliResource, dbt_project, salestier_dbt_models
from salestier_pipeline.assets.ingest import ingest_raw, ingest_summary, landing_manifest
from salestier_pipeline.assets.publish import html_report, postgres_serving, serving_database, tier_lists
from salestier_pipeline.dbt_command import dbt_executable
from salestier_pipeline.publish.tables import PUBLISHED_TABLES
from salestier_pipeline.resources import SalesTierResource
from salestier_pipeline.sensors import sensors
from salestier_pipeline.settings import automation_on


def _check_marts_in_manifest() -> None:
    """Publish orders itself after the marts by their keys: a stale manifest without them would
    silently let publish run before dbt, so refuse to load instead."""
    dbt_keys = {key.to_user_string() for key in salestier_dbt_models.keys}
    missing = sorted(set(PUBLISHED_TABLES) - dbt_keys)
    if missing:
        raise RuntimeError(
            f"the dbt manifest has no model for published table(s) {missing}: "
            "run `make manifest` (dbt parse) and reload"
        )


_check_marts_in_manifest()

nightly_job = dg.define_asset_job(
    "salestier_nightly",
    selection=dg.AssetSelection.all(),
    description="Ingest every export batch up to the as-of date, build all models, publish.",
)

nightly_schedule = dg.build_schedule_from_partitioned_job(
    nightly_job,
    hour_of_day=2,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.RUNNING if automation_on() else dg.DefaultScheduleStatus.STOPPED,
    name="salestier_nightly_schedule",
)

defs = dg.Definitions(
    assets=[landing_manifest, ingest_raw, ingest_summary, salestier_dbt_models, serving_database, tier_lists,
            html_report, postgres_serving],
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=sensors,
    resources={
        "salestier": SalesTierResource(),
        # the project's own dbt environment, so no PATH setup is needed
        "dbt": SalesTierDbtCliResource(project_dir=dbt_project(), dbt_executable=str(dbt_executable())),
    },
)
