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
import re
import shutil
import uuid
from collections.abc import Mapping, Sequence
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.dbt_project import using_dagster_dev
from packaging.version import Version

from salestier_pipeline.assets.dbt_warnings import enrich_warnings
from salestier_pipeline.dbt_command import (
    dbt_build_args,
    dbt_core_version,
    dbt_executable,
    dbt_run_env,
    mark_seeds_loaded,
    seeds_fingerprint,
    seeds_loaded,
)
from salestier_pipeline.partitions import ONE_DATE_PER_RUN, as_of_partitions
from salestier_pipeline.resources import SalesTierResource
from salestier_pipeline.settings import DBT_PROJECT_DIR, Settings, scoped_env
from salestier_pipeline.state_mark import forget_state, mark_state, state_code_fingerprint, state_since
from salestier_pipeline.unchanged import chain_unchanged, step_started, step_succeeded

WAREHOUSE_POOL = "warehouse"
# <UTC start>-<run id prefix>-<random>: sorts by start time; nothing else in the folder is ever pruned
RUN_FOLDER = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}-[0-9a-f]{6}")


class SalesTierDbtCliResource(DbtCliResource):
    """DbtCliResource that takes the dbt version from dbt-core's package metadata and opens no adapter.

    dagster-dbt runs `dbt --version` once per resource to learn the version, and dbt answers it after a
    request to pypi.org (a DNS lookup and an HTTPS connection on every run, a hang when offline). The
    metadata of the dbt environment's dbt-core says the same without starting anything.

    Before starting dbt, dagster-dbt also loads dbt-core, the profile and the DuckDB adapter into the
    orchestrator's own process (≈ 3 s, before dbt's process even starts), only to serve
    fetch_row_counts() / fetch_column_metadata(), which this project does not call."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(dbt_core_version(Path(self.dbt_executable)))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None


def dbt_target_root(settings: Settings) -> Path:
    """Where dbt invocations write their artifacts and logs: in the home, not in the checkout."""
    return settings.home / "dbt" / "target"


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


PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def carry_partial_parse(root: Path, target: Path) -> Path | None:
    """Copy the newest earlier invocation's parse state into this invocation's fresh target folder.

    Each invocation writes to its own folder, so dbt would find no saved parse and re-parse the whole
    project (~10 s) every night. dbt checks the copied state itself (project files, vars, profile,
    env vars used while parsing) and falls back to a full parse when anything differs; the as-of date
    is read only at execution (macro as_of_date_str), so a new date keeps the state valid."""
    if not root.is_dir():
        return None
    earlier = sorted((p for p in root.iterdir() if p.is_dir() and RUN_FOLDER.fullmatch(p.name)
                      and (p / PARTIAL_PARSE_FILE).is_file() and p.resolve() != target.resolve()),
                     key=lambda p: p.name, reverse=True)
    if not earlier:
        return None
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(earlier[0] / PARTIAL_PARSE_FILE, target / PARTIAL_PARSE_FILE)
    return earlier[0]


@cache
def dbt_project() -> DbtProject:
    """Built lazily so importing the package parses nothing."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if using_dagster_dev():  # what prepare_if_dev does, with the project's own dbt, not whatever is on PATH
        DbtCliResource(project_dir=project, dbt_executable=str(dbt_executable())).cli(
            ["parse", "--quiet"], target_path=project.target_path).wait()
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
    """'[dbt] not_null on kpi_snapshot.as_of_date (error)' from a manifest test node.

    A column_rules test (every blocking rule of a model in one query) lists its rule kinds and columns:
    '[dbt] rules on customer_tier_list: not_null(as_of_date, tier); accepted_values(tier: A/B/C/D) - ...'."""
    from salestier_pipeline.quality.dbt_rules import rules_summary, sql_text  # pure Python, no dbt import

    meta = node.get("test_metadata") or {}
    name = meta.get("name") or node.get("name", "test")
    kwargs = {k: v for k, v in (meta.get("kwargs") or {}).items() if k not in ("model", "column_name")}
    column = node.get("column_name")
    model = (node.get("attached_node") or "").rsplit(".", 1)[-1] or ", ".join(
        n.rsplit(".", 1)[-1] for n in node.get("depends_on", {}).get("nodes", []))
    target = f"{model}.{column}" if column else model
    severity = (node.get("config") or {}).get("severity", "error").lower()
    blocking = "blocks publishing" if severity == "error" else "warns only"
    if name == "column_rules":
        rows = f" rows where {sql_text(kwargs['row_filter'])}" if kwargs.get("row_filter") else ""
        return f"[dbt] rules on {model}{rows}: {rules_summary(kwargs)} - severity {severity}, {blocking}"
    args = "; ".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
    return f"[dbt] {name} on {target}" + (f" ({args})" if args else "") + f" - severity {severity}, {blocking}"


translator = SalesTierDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
)


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=translator,
    partitions_def=as_of_partitions,
    pool=WAREHOUSE_POOL,
    backfill_policy=ONE_DATE_PER_RUN,  # one as-of date per dbt invocation
)
def salestier_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, salestier: SalesTierResource):
    settings = salestier.settings()
    previous = chain_unchanged(settings, context.partition_key)
    if previous is not None:  # no output: Dagster skips publish too, and the outputs stay as they are
        context.log.info(f"nothing changed since run {previous} (exports, code, settings, warehouse and "
                         "published files all as it left them): dbt and publish skipped")
        return
    step_started(settings, "dbt")
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    keep = settings.dbt_keep_targets
    root = dbt_target_root(settings)
    target = run_target_path(root, context.run.run_id)
    try:
        seeds = seeds_fingerprint()
        current = seeds_loaded(settings, seeds)
        args = dbt_build_args(settings.reporting_currency, seeds_loaded=current)
        if current:
            context.log.info("seeds and their tests unchanged since the last successful build: not rerun")
        else:
            mark_seeds_loaded(settings, None)  # a build that fails while seeding must reseed next time
        code = state_code_fingerprint()
        since = state_since(settings, context.partition_key, code)
        forget_state(settings)  # a build that fails part-way leaves a full rebuild of the state for next time
        context.log.info(f"current-state tables brought forward from {since} (only later batches read)" if since
                         else "current-state tables rebuilt from every raw batch")
        carried = carry_partial_parse(root, target)
        if carried is not None:
            context.log.debug(f"dbt parse state carried over from {carried.name}")
        with scoped_env(dbt_run_env(settings, context.partition_key, since)):  # dbt's process gets them, ours does not
            invocation = dbt.cli(args, context=context, target_path=target)
        yield from enrich_warnings(invocation.stream(), invocation.manifest, settings.warehouse)
        mark_seeds_loaded(settings, seeds)  # the stream raises on any failed node, so this build succeeded
        mark_state(settings, context.partition_key, code)
        step_succeeded(settings, context.partition_key, "dbt", context.run.run_id)
    finally:
        removed = prune_target_runs(root, keep, current=target)
        if removed:
            context.log.info(f"removed {len(removed)} old dbt target folder(s) under {root} (keeping {keep})")
