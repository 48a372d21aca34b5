"""SalesTier's Dagster definitions: assets, checks, job, schedule, resources."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from salestier_pipeline.assets.dbt import dbt_project, salestier_dbt_models
from salestier_pipeline.assets.ingest import ingest_assets, ingest_summary, landing_manifest
from salestier_pipeline.assets.publish import serving_database, tier_lists
from salestier_pipeline.resources import SalesTierResource

nightly_job = dg.define_asset_job(
    "salestier_nightly",
    selection=dg.AssetSelection.all(),
    description="Ingest every export batch up to the as-of date, build all models, publish.",
)

nightly_schedule = dg.build_schedule_from_partitioned_job(
    nightly_job,
    hour_of_day=2,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    name="salestier_nightly_schedule",
)

defs = dg.Definitions(
    assets=[landing_manifest, *ingest_assets, ingest_summary, salestier_dbt_models, serving_database, tier_lists],
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    resources={
        "salestier": SalesTierResource(),
        # the dbt next to this interpreter, so no PATH setup is needed
        "dbt": DbtCliResource(project_dir=dbt_project(), dbt_executable=str(Path(sys.executable).with_name("dbt"))),
    },
)
