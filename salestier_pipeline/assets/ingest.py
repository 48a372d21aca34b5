"""Ingest assets: classify landing files, then one asset per canonical module."""

import dataclasses
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb

from salestier_pipeline.ingest.landing import still_being_written
from salestier_pipeline.ingest.layout import RawLayout
from salestier_pipeline.ingest.manifest import build_manifest, read_manifest, write_manifest
from salestier_pipeline.ingest.run import (
    FileResult,
    IngestError,
    ensure_schema_files,
    ingest_modules,
    module_error,
    write_file_results,
    write_profile_maps,
)
from salestier_pipeline.partitions import ONE_DATE_PER_RUN, as_of_partitions
from salestier_pipeline.profiles import load_profiles
from salestier_pipeline.quality import gx_worker
from salestier_pipeline.quality.gx_adapter import (
    CheckOutcome,
    check_specs,
    failures_text,
    to_check_results,
    unevaluated_outcomes,
)
from salestier_pipeline.quality.gx_worker import validate_raw
from salestier_pipeline.quality.raw_checks import batch_dirs, parquet_files
from salestier_pipeline.resources import SalesTierResource
from salestier_pipeline.schema import ALL_MODULES
from salestier_pipeline.settings import Settings
from salestier_pipeline.unchanged import ValidatedBatches

INGEST_GROUP = "ingest"


def manifest_path(settings: Settings, as_of: str):
    return RawLayout(settings.raw).manifest(as_of)


@dg.asset(
    key=["raw", "landing_manifest"],
    group_name=INGEST_GROUP,
    partitions_def=as_of_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    kinds={"python"},
    description="Every landing file of batches <= the as-of date, recognised by its header row.",
)
def landing_manifest(context: dg.AssetExecutionContext, salestier: SalesTierResource) -> dg.MaterializeResult:
    settings = salestier.settings()
    as_of = context.partition_key
    profiles = load_profiles(settings.profiles_dir)
    files = build_manifest(settings.landing, as_of, profiles, settings.limits)
    write_manifest(files, manifest_path(settings, as_of))
    ensure_schema_files(settings.raw)
    write_profile_maps(profiles, settings.raw)
    unrecognised = [
        FileResult(f.source, "unknown", f.rel, f.sha256, f.export_date, status="failed", error=f.error)
        for f in files if f.error
    ]
    write_file_results(settings.raw, as_of, "_landing", unrecognised)  # rewritten each run, maybe empty
    errors = [f.error for f in files if f.error]
    fresh = still_being_written([Path(f.path) for f in files if f.error and f.retryable],
                                settings.limits.write_settle_seconds)
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


RAW_KEYS = {module: dg.AssetKey(["raw", module]) for module in ALL_MODULES}


@dg.multi_asset(
    name="ingest",
    specs=[dg.AssetSpec(key, group_name=INGEST_GROUP, deps=[landing_manifest], kinds={"python", "parquet"},
                        skippable=True,
                        description=f"Raw `{module}` rows of every export batch <= the as-of date, typed to the "
                                    "canonical schema.")
           for module, key in RAW_KEYS.items()],
    check_specs=[spec for module, key in RAW_KEYS.items() for spec in check_specs("raw", module, key)],
    partitions_def=as_of_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    can_subset=True,
)
def ingest_raw(context: dg.AssetExecutionContext, salestier: SalesTierResource):
    """Every selected module in one step: their files share a pool of worker processes (settings.ingest_workers),
    then each module gets its GX suite, its checks and its materialisation. A module whose file failed, or whose
    blocking check failed, fails the step after every other module was ingested and checked, and the
    failure names each."""
    settings = salestier.settings()
    as_of = context.partition_key
    modules = [m for m, key in RAW_KEYS.items() if key in context.selected_asset_keys]
    manifest = read_manifest(manifest_path(settings, as_of))
    profiles = load_profiles(settings.profiles_dir)
    results = ingest_modules(modules, manifest, profiles, settings.raw, as_of, settings.max_quarantine_share,
                             settings.limits, settings.ingest_workers, settings.ingest_memory_mb, gx_worker)
    errors = {m: e for m in modules if (e := module_error(m, results[m])) is not None}
    if errors:
        failed = [Path(f.path) for f in manifest if f.module in errors]
        if still_being_written(failed, settings.limits.write_settle_seconds):  # a copy in progress: retry
            raise dg.RetryRequested(max_retries=3, seconds_to_wait=60) from next(iter(errors.values()))
    failures: list[str] = []
    failed_md: list[str] = []
    validated = raw_outcomes(settings, [m for m in modules if m not in errors], as_of, context.run.run_id,
                             context.log.info)
    for module in modules:
        if module in errors:
            continue
        outcomes = validated[module]
        yield from to_check_results(outcomes, RAW_KEYS[module])
        failed = failures_text(outcomes, f"raw/{module}")
        if failed:
            failures.append(f"blocking data-quality check(s) failed:\n{failed}")
            failed_md.append(failures_text(outcomes, f"raw/{module}", markdown=True))
            continue
        done = results[module]
        yield dg.MaterializeResult(asset_key=RAW_KEYS[module], metadata={
            "files": len(done),
            "rows_loaded": sum(r.rows_loaded for r in done),
            "rows_quarantined": sum(r.rows_quarantined for r in done),
            "dagster/row_count": sum(r.rows_loaded for r in done),
            "files_table": text_table(FILES_TABLE, [
                (r.source_file, r.rows_read, r.rows_loaded, r.rows_quarantined, r.extra_columns or "")
                for r in done
            ]),
        })
    if errors:  # the file-level error itself (its type and text are the cause the alert names)
        raise IngestError("\n".join([*(str(e) for e in errors.values()), *failures]))
    if failures:
        raise dg.Failure(description="\n".join(failures),
                         metadata={"failed_checks": dg.MetadataValue.md("\n".join(failed_md))})


def raw_outcomes(settings: Settings, modules: list[str], as_of: str, run_id: str,
                 log: Callable[[str], object] = print) -> dict[str, list[CheckOutcome]]:
    """The raw suites' outcomes per module over the export batches not validated before (a new night's
    batch, a changed one, one that failed a blocking check; every batch after a code or settings change),
    validated in the GX worker. A rerun of a night repeats that night's outcomes; a module with no new
    batch on a new night passes without GX: its rows were checked on the night they arrived
    (docs/quality.md)."""
    ledgers = {m: ValidatedBatches(settings, m) for m in modules}
    batches = {m: batch_dirs(settings.raw, m, as_of) for m in modules}
    stamps = {m: ledgers[m].stamps(batches[m]) for m in modules}
    nights = {m: ledgers[m].night(as_of, stamps[m]) for m in modules}
    pending = {m: ledgers[m].pending(batches[m], stamps[m]) for m in modules}
    due = [m for m in modules if pending[m]]
    for m in modules:
        log(f"raw checks of {m}: {len(pending[m])} of {len(batches[m])} export batch(es) up to {as_of} new or "
            "changed, the rest passed before")
    fresh = validate_raw(settings.raw, due, as_of, {m: pending[m] for m in due})  # none due: stops the worker
    for module, found in fresh.items():
        if not any(o.critical and not o.passed for o in found):
            ledgers[module].add(pending[module], stamps[module], run_id, nights[module],
                                [dataclasses.asdict(o) for o in found])
    outcomes: dict[str, list[CheckOutcome]] = {}
    for m in modules:
        if m in fresh:
            outcomes[m] = fresh[m]
        elif (again := ledgers[m].repeated(nights[m])) is not None:
            outcomes[m] = [CheckOutcome(**o) for o in again]
        else:
            outcomes[m] = unevaluated_outcomes("raw", m, f"no new export batch: all {len(batches[m])} batch(es) "
                                               f"up to {as_of} passed these checks before" if batches[m]
                                               else f"no export batch up to {as_of}")
    return outcomes


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", "ingest_files"], group_name=INGEST_GROUP, deps=list(RAW_KEYS.values()),
                     description="One row per landing file attempt of the run (sha256, counts, status).",
                     kinds={"parquet"}),
        dg.AssetSpec(["raw", "ingest_quarantine"], group_name=INGEST_GROUP, deps=list(RAW_KEYS.values()),
                     description="Quarantined rows: file, line, column, raw value and reason.",
                     kinds={"parquet"}),
    ],
    partitions_def=as_of_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    name="ingest_summary",
)
def ingest_summary(context: dg.AssetExecutionContext, salestier: SalesTierResource):
    """Per file and reason: counts and examples of quarantined rows, for the UI."""
    settings = salestier.settings()
    files, summary = quarantine_summary(settings.raw, context.partition_key)
    yield dg.MaterializeResult(asset_key=["raw", "ingest_files"], metadata={
        "files": files[0], "rows_read": files[1], "rows_quarantined": files[2],
    })
    yield dg.MaterializeResult(asset_key=["raw", "ingest_quarantine"], metadata={
        "quarantined_rows": files[2],
        "by_file_and_reason": text_table(QUARANTINE_TABLE, summary),
    })


def quarantine_summary(raw: Path, as_of: str, limit: int = 50) -> tuple[tuple[int, int, int], list[tuple]]:
    """(files, rows read, rows quarantined) of the run's ingest_files, and the top quarantine reasons
    per file up to the as-of date; every path and value is a bound parameter."""
    con = duckdb.connect()
    try:
        count, read, quarantined = con.execute(
            "select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_quarantined), 0) "
            "from read_parquet(?, union_by_name = true)",
            [parquet_files(RawLayout(raw).file_results_dir(as_of), "*.parquet")],
        ).fetchone()
        summary = con.execute(
            """select source_file, reason, count(*) as n, min(line_number) as first_line,
                      any_value(raw_value) as example
               from read_parquet(?, union_by_name = true)
               where export_date <= ?::date
               group by all order by n desc, source_file, reason limit ?""",
            [parquet_files(RawLayout(raw).quarantine_dir), as_of, limit],
        ).fetchall()
    finally:
        con.close()
    return (int(count), int(read), int(quarantined)), summary


FILES_TABLE = (("file", "string"), ("read", "int"), ("loaded", "int"), ("quarantined", "int"),
               ("extra_columns", "string"))
QUARANTINE_TABLE = (("file", "string"), ("reason", "string"), ("rows", "int"), ("first_line", "int"),
                    ("example", "string"))


MAX_METADATA_TEXT = 500  # a quarantined 50 MB cell must not land whole in the event log


def _cell(value: object, kind: str) -> str | int | None:
    if value is None:
        return None
    if kind == "int":
        return int(value)
    text = str(value)
    return text if len(text) <= MAX_METADATA_TEXT else text[:MAX_METADATA_TEXT] + f"…[{len(text):,} chars]"


def text_table(columns: tuple[tuple[str, str], ...], rows: list[tuple]) -> dg.TableMetadataValue:
    """Rows from the data as a Dagster table: the UI shows each cell as plain text, never as markdown
    (a header `![t](http://…)` or a `|` in a file name stays literal)."""
    schema = dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in columns])
    records = [
        dg.TableRecord({name: _cell(value, kind) for (name, kind), value in zip(columns, row, strict=True)})
        for row in rows
    ]
    return dg.MetadataValue.table(records, schema)
