"""dbt assets: staging → intermediate → marts, built on the warehouse DuckDB file.

dbt is the only writer of warehouse.duckdb; its assets and the publish asset
share the 'warehouse' pool so no two processes ever open the file at once.

A run makes no network call: SalesTierDbtCliResource knows the dbt version
without `dbt --version` (which asks PyPI for the latest release), and usage
stats are off. Each invocation's artifacts (~24 MB) go to
<home>/dbt/target/<run>, never into the checkout, and only the newest
SALESTIER_DBT_KEEP_TARGETS (default 2) of them are kept.
"""

import datetime as dt
import json
import os
import re
import shutil
import uuid
from collections.abc import Mapping
from functools import cache, cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from packaging.version import Version

from salestier_pipeline.assets.dbt_warnings import enrich_warnings
from salestier_pipeline.partitions import as_of_partitions
from salestier_pipeline.resources import SalesTierResource
from salestier_pipeline.settings import DBT_PROJECT_DIR, Settings

WAREHOUSE_POOL = "warehouse"
KEEP_TARGETS_ENV = "SALESTIER_DBT_KEEP_TARGETS"
# <UTC start>-<run id prefix>-<random>: sorts by start time; nothing else in the folder is ever pruned
RUN_FOLDER = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}-[0-9a-f]{6}")


class SalesTierDbtCliResource(DbtCliResource):
    """DbtCliResource that takes the dbt version from the installed dbt-core package.

    dagster-dbt runs `dbt --version` once per resource to learn the version, and dbt answers it after a
    request to pypi.org (a DNS lookup and an HTTPS connection on every run, a hang when offline). Our dbt
    executable is the one of this interpreter's environment, so the installed dbt-core is its version."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))


def dbt_target_root(settings: Settings) -> Path:
    """Where dbt invocations write their artifacts and logs: in the home, not in the checkout."""
    return settings.home / "dbt" / "target"


def keep_target_runs() -> int:
    """How many invocations' target folders stay after a dbt step (SALESTIER_DBT_KEEP_TARGETS, default 2)."""
    raw = os.environ.get(KEEP_TARGETS_ENV, "2").strip()
    try:
        keep = int(raw)
    except ValueError:
        raise ValueError(f"{KEEP_TARGETS_ENV} must be a whole number >= 1, not {raw!r}") from None
    if keep < 1:
        raise ValueError(f"{KEEP_TARGETS_ENV} must be a whole number >= 1, not {raw!r}")
    return keep


def run_target_path(root: Path, run_id: str, now: dt.datetime | None = None) -> Path:
    """A fresh target folder for one dbt invocation, named so that names sort by start time."""
    now = now or dt.datetime.now(dt.UTC)
    return root / f"{now:%Y%m%dT%H%M%SZ}-{run_id.replace('-', '')[:8]}-{uuid.uuid4().hex[:6]}"


def prune_target_runs(root: Path, keep: int, current: Path | None = None) -> list[Path]:
    """Remove all but the newest `keep` run folders under root (never `current`); returns the removed ones.

    Only folders named like run_target_path are touched, so nothing else placed there is ever deleted."""
    if not root.is_dir():
        return []
    runs = sorted((p for p in root.iterdir() if p.is_dir() and RUN_FOLDER.fullmatch(p.name)),
                  key=lambda p: p.name, reverse=True)
    removed = []
    for folder in runs[keep:]:
        if current is not None and folder.resolve() == current.resolve():
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


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


def dbt_build_args(as_of: str, reporting_currency: str = "USD") -> list[str]:
    """The dbt command of one run: every model, seed and data test for one as-of date, money in the reporting
    currency. dbt unit tests check the SQL, not the data: they run once in the test suite, not every night."""
    return ["build", "--exclude-resource-type", "unit_test",
            "--vars", json.dumps({"as_of_date": as_of, "reporting_currency": reporting_currency})]


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
    keep = keep_target_runs()
    root = dbt_target_root(settings)
    target = run_target_path(root, context.run.run_id)
    try:
        args = dbt_build_args(context.partition_key, settings.reporting_currency)
        invocation = dbt.cli(args, context=context, target_path=target)
        yield from enrich_warnings(invocation.stream(), invocation.manifest, settings.warehouse)
    finally:
        removed = prune_target_runs(root, keep, current=target)
        if removed:
            context.log.info(f"removed {len(removed)} old dbt target folder(s) under {root} (keeping {keep})")
