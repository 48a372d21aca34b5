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


    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetCheckSpec | None:
        """dbt generic tests carry no description: derive one from the test so the UI says what it checks."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return spec._replace(description=describe_dbt_test(manifest["nodes"].get(unique_id, {})))


def describe_dbt_test(node: Mapping[str, Any]) -> str:
    """'[dbt] not_null on kpi_snapshot.as_of_date (error)' from a manifest test node."""
    meta = node.get("test_metadata") or {}
    name = meta.get("name") or node.get("name", "test")
    kwargs = {k: v for k, v in (meta.get("kwargs") or {}).items() if k not in ("model", "column_name")}
    column = node.get("column_name")
    model = (node.get("attached_node") or "").rsplit(".", 1)[-1] or ", ".join(
        n.rsplit(".", 1)[-1] for n in node.get("depends_on", {}).get("nodes", []))
    target = f"{model}.{column}" if column else model
    args = "; ".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
    severity = (node.get("config") or {}).get("severity", "error").lower()
    blocking = "blocks publishing" if severity == "error" else "warns only"
    return f"[dbt] {name} on {target}" + (f" ({args})" if args else "") + f" - severity {severity}, {blocking}"


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
