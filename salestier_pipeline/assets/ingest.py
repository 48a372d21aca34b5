"""Ingest assets: classify landing files, then one asset per canonical module."""

from pathlib import Path

import dagster as dg
import duckdb

from salestier_pipeline.ingest.landing import still_being_written
from salestier_pipeline.ingest.manifest import build_manifest, read_manifest, write_manifest
from salestier_pipeline.ingest.run import (
    FileResult,
    IngestError,
    ensure_schema_files,
    ingest_module,
    write_file_results,
)
from salestier_pipeline.partitions import as_of_partitions
from salestier_pipeline.profiles import load_profiles
from salestier_pipeline.profiles.maps import write_profile_maps
from salestier_pipeline.quality.gx_adapter import check_specs, failures_text, to_check_results, validate_frame
from salestier_pipeline.quality.raw_checks import picklist_maps, raw_check_frame
from salestier_pipeline.resources import SalesTierResource
from salestier_pipeline.schema import ALL_MODULES
from salestier_pipeline.settings import Settings

INGEST_GROUP = "ingest"


def manifest_path(settings: Settings, as_of: str):
    return settings.raw / "_ingest" / "manifest" / f"as_of={as_of}.json"


@dg.asset(
    key=["raw", "landing_manifest"],
    group_name=INGEST_GROUP,
    partitions_def=as_of_partitions,
    kinds={"python"},
    description="Every landing file of batches <= the as-of date, recognised by its header row.",
)
def landing_manifest(context: dg.AssetExecutionContext, salestier: SalesTierResource) -> dg.MaterializeResult:
    settings = salestier.settings()
    as_of = context.partition_key
    profiles = load_profiles(settings.profiles_dir)
    files = build_manifest(settings.landing, as_of, profiles)
    write_manifest(files, manifest_path(settings, as_of))
    ensure_schema_files(settings.raw)
    write_profile_maps(profiles, settings.raw)
    unrecognised = [
        FileResult(f.source, "unknown", f.rel, f.sha256, f.export_date, status="failed", error=f.error)
        for f in files if f.error
    ]
    write_file_results(settings.raw, as_of, "_landing", unrecognised)  # rewritten each run, maybe empty
    errors = [f.error for f in files if f.error]
    fresh = still_being_written([Path(f.path) for f in files if f.error])
    if fresh:
        raise dg.RetryRequested(max_retries=3, seconds_to_wait=60) from dg.Failure(
            description="file(s) still being written: " + ", ".join(str(p) for p in fresh)
        )
    if errors:
        raise dg.Failure(
            description=f"{len(errors)} landing file(s) cannot be ingested:\n" + "\n".join(f"- {e}" for e in errors),
            metadata={"errors": dg.MetadataValue.json(errors)},
        )
    by_module: dict[str, int] = {}
    for f in files:
        by_module[f.module or "?"] = by_module.get(f.module or "?", 0) + 1
    return dg.MaterializeResult(metadata={
        "files": len(files),
        "files_by_module": dg.MetadataValue.json(by_module),
        "landing": dg.MetadataValue.path(str(settings.landing)),
    })


def build_ingest_asset(module: str) -> dg.AssetsDefinition:
    """One asset per canonical module: its landing files → raw Parquet + quarantine, then its GX suite."""
    key = dg.AssetKey(["raw", module])

    @dg.asset(
        key=key,
        group_name=INGEST_GROUP,
        partitions_def=as_of_partitions,
        deps=[landing_manifest],
        kinds={"python", "parquet"},
        check_specs=check_specs("raw", module, key),
        description=f"Raw `{module}` rows of every export batch <= the as-of date, typed to the canonical schema.",
    )
    def _ingest(context: dg.AssetExecutionContext, salestier: SalesTierResource):
        settings = salestier.settings()
        as_of = context.partition_key
        manifest = read_manifest(manifest_path(settings, as_of))
        profiles = load_profiles(settings.profiles_dir)
        try:
            results = ingest_module(module, manifest, profiles, settings.raw, as_of, settings.max_quarantine_share)
        except IngestError as exc:
            failed = [Path(f.path) for f in manifest if f.module == module]
            if still_being_written(failed):  # a copy in progress looks truncated: try again later
                raise dg.RetryRequested(max_retries=3, seconds_to_wait=60) from exc
            raise
        frame = raw_check_frame(settings.raw, module, as_of, picklist_maps(profiles))
        outcomes = validate_frame(frame, "raw", module)
        yield from to_check_results(outcomes, key)
        failed = failures_text(outcomes, f"raw/{module}")
        if failed:
            raise dg.Failure(description=f"blocking data-quality check(s) failed:\n{failed}",
                             metadata={"failed_checks": dg.MetadataValue.md(failed)})
        table = "\n".join(
            f"| {r.source_file} | {r.rows_read} | {r.rows_loaded} | {r.rows_quarantined} | {r.extra_columns or ''} |"
            for r in results
        )
        yield dg.MaterializeResult(metadata={
            "files": len(results),
            "rows_loaded": sum(r.rows_loaded for r in results),
            "rows_quarantined": sum(r.rows_quarantined for r in results),
            "dagster/row_count": sum(r.rows_loaded for r in results),
            "files_table": dg.MetadataValue.md(
                "| file | read | loaded | quarantined | extra columns |\n|---|---|---|---|---|\n" + table
            ),
        })

    _ingest.__name__ = f"ingest_{module}"
    return _ingest


ingest_assets = [build_ingest_asset(m) for m in ALL_MODULES]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", "ingest_files"], group_name=INGEST_GROUP, deps=[a.key for a in ingest_assets],
                     description="One row per landing file attempt of the run (sha256, counts, status).",
                     kinds={"parquet"}),
        dg.AssetSpec(["raw", "ingest_quarantine"], group_name=INGEST_GROUP, deps=[a.key for a in ingest_assets],
                     description="Quarantined rows: file, line, column, raw value and reason.",
                     kinds={"parquet"}),
    ],
    partitions_def=as_of_partitions,
    name="ingest_summary",
)
def ingest_summary(context: dg.AssetExecutionContext, salestier: SalesTierResource):
    """Per file and reason: counts and examples of quarantined rows, for the UI."""
    settings = salestier.settings()
    as_of = context.partition_key
    raw = settings.raw
    con = duckdb.connect()
    try:
        files = con.execute(
            f"select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_quarantined), 0) "
            f"from read_parquet('{raw}/_ingest/files/as_of={as_of}/*.parquet')"
        ).fetchone()
        summary = con.execute(
            f"""select source_file, reason, count(*) as n, min(line_number) as first_line,
                       any_value(raw_value) as example
                from read_parquet('{raw}/_ingest/quarantine/**/*.parquet', union_by_name = true)
                where export_date <= date '{as_of}'
                group by all order by n desc, source_file, reason limit 50"""
        ).fetchall()
    finally:
        con.close()
    rows = "\n".join(f"| {f} | {r} | {n} | {line} | {ex} |" for f, r, n, line, ex in summary)
    yield dg.MaterializeResult(asset_key=["raw", "ingest_files"], metadata={
        "files": files[0], "rows_read": int(files[1]), "rows_quarantined": int(files[2]),
    })
    yield dg.MaterializeResult(asset_key=["raw", "ingest_quarantine"], metadata={
        "quarantined_rows": int(files[2]),
        "by_file_and_reason": dg.MetadataValue.md(
            "| file | reason | rows | first line | example |\n|---|---|---|---|---|\n" + rows
        ),
    })
