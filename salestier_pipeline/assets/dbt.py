"""dbt assets: staging → intermediate → marts, built on the warehouse DuckDB file.

dbt is the only writer of warehouse.duckdb; its assets and the publish asset
share the 'warehouse' pool so no two processes ever open the file at once.
"""

import json
import os
from collections.abc import Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from salestier_pipeline.partitions import as_of_partitions
from salestier_pipeline.resources import SalesTierResource
from salestier_pipeline.settings import DBT_PROJECT_DIR

WAREHOUSE_POOL = "warehouse"


@cache
def dbt_project() -> DbtProject:
    """Built lazily so importing the package parses nothing."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    return project


class SalesTierDbtTranslator(DagsterDbtTranslator):
    """Groups by layer: staging + intermediate + seeds → 'staging', marts → 'marts'."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and "marts" in fqn:
            return "marts"
        return "staging"


translator = SalesTierDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
)


def dbt_build_args(as_of: str) -> list[str]:
    """The dbt command of one run: everything, for one as-of date."""
    return ["build", "--vars", json.dumps({"as_of_date": as_of})]


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=translator,
    partitions_def=as_of_partitions,
    pool=WAREHOUSE_POOL,
    backfill_policy=dg.BackfillPolicy.multi_run(1),  # one as-of date per dbt invocation
)
def salestier_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, salestier: SalesTierResource):
    settings = salestier.settings()
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(settings.dbt_env())
    yield from dbt.cli(dbt_build_args(context.partition_key), context=context).stream()
