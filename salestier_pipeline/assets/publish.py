"""Publish assets: write the candidate, prove the copy whole (rows and fingerprints in SQL), then swap it in.

They run only after every upstream asset and blocking check succeeded; a failed
audit discards the candidate and leaves the live outputs byte-identical.
"""

import datetime as dt

import dagster as dg
import duckdb

from salestier_pipeline.assets.dbt import WAREHOUSE_POOL
from salestier_pipeline.partitions import ONE_DATE_PER_RUN, as_of_partitions, published_freshness
from salestier_pipeline.publish.postgres import publish_configured
from salestier_pipeline.publish.read import latest_as_of, select_rows
from salestier_pipeline.publish.serving import build_candidate, discard, swap_candidate
from salestier_pipeline.publish.tables import CONTRACT, MARTS_SCHEMA, PUBLISHED_TABLES
from salestier_pipeline.publish.tier_lists import write_tier_lists
from salestier_pipeline.publish.xlsx import write_tier_workbooks
from salestier_pipeline.quality.serving_checks import CHECK_SUFFIX, check_copies
from salestier_pipeline.report import write_report
from salestier_pipeline.resources import SalesTierResource
from salestier_pipeline.unchanged import step_started, step_succeeded

PUBLISH_GROUP = "publish"
SERVING_KEY = dg.AssetKey(["serving", "salestier_duckdb"])
SERVING_CHECKS = [
    dg.AssetCheckSpec(f"{t}__{CHECK_SUFFIX}", asset=SERVING_KEY, blocking=True,
                      description=f"serving copy of {t} has exactly the rows of marts.{t} (row count and content "
                      "fingerprint in SQL); the rows themselves are checked by dbt tests and the mart's contract")
    for t in PUBLISHED_TABLES
]


@dg.asset(
    key=SERVING_KEY,
    group_name=PUBLISH_GROUP,
    partitions_def=as_of_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    freshness_policy=published_freshness,
    deps=[dg.AssetKey([t]) for t in PUBLISHED_TABLES],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "parquet"},
    check_specs=SERVING_CHECKS,
    description="serving/salestier.duckdb (BI tools, read-only) and serving/parquet/: written beside the live "
    "files, proven a whole copy of the marts (row counts and fingerprints), then swapped in atomically.",
)
def serving_database(context: dg.AssetExecutionContext, salestier: SalesTierResource):
    settings = salestier.settings()
    step_started(settings, "serving")
    candidate = build_candidate(settings.warehouse, settings.serving_dir)
    try:
        checks = check_copies(settings.warehouse, candidate.db, PUBLISHED_TABLES, MARTS_SCHEMA, CONTRACT)
        for check in checks:
            yield dg.AssetCheckResult(
                check_name=f"{check.table}__{CHECK_SUFFIX}", asset_key=SERVING_KEY, passed=check.passed,
                description=check.text(),
                metadata={"rows": check.serving_rows, "warehouse_rows": check.warehouse_rows,
                          "fingerprint": check.serving_fingerprint})
        failed = [check.text() for check in checks if not check.passed]
        if failed:
            raise dg.Failure(description="the serving copy is not whole; nothing was published:\n"
                             + "\n".join(failed))
        swap_candidate(candidate, settings.serving_dir)
        row_counts = {check.table: check.serving_rows for check in checks}
    finally:
        discard(candidate)
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        _, preview = select_rows(con, "tier_distribution", latest_as_of(con, "tier_distribution"),
                                 ["tier", "accounts"], "tier")
    finally:
        con.close()
    step_succeeded(settings, context.partition_key, "serving", context.run.run_id)
    yield dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(settings.serving_db)),
        "row_counts": dg.MetadataValue.json(row_counts),
        "dagster/row_count": sum(row_counts.values()),
        "tier_distribution": dg.MetadataValue.table(
            [dg.TableRecord({"tier": tier, "accounts": int(n)}) for tier, n in preview],
            dg.TableSchema(columns=[dg.TableColumn("tier", "string"), dg.TableColumn("accounts", "int")]),
        ),
    })


@dg.asset(
    key=["exports", "tier_lists"],
    group_name=PUBLISH_GROUP,
    partitions_def=as_of_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    freshness_policy=published_freshness,
    deps=[serving_database],
    kinds={"csv", "excel"},
    description="Customer tier list (by owner and manager) and rep tier list of the latest as-of date: XLSX "
    "(frozen header, filters, tier colours) and CSV (UTF-8 with BOM); formula-like text neutralised; a text "
    "longer than an XLSX cell holds is cut with a marker and counted in `xlsx_truncated_cells`.",
)
def tier_lists(context: dg.AssetExecutionContext, salestier: SalesTierResource) -> dg.MaterializeResult:
    settings = salestier.settings()
    step_started(settings, "tier_lists")
    truncated: list[str] = []
    paths = {**write_tier_lists(settings.serving_db, settings.exports),
             **write_tier_workbooks(settings.serving_db, settings.exports, truncated)}
    step_succeeded(settings, context.partition_key, "tier_lists", context.run.run_id)
    for message in truncated:
        context.log.warning(f"XLSX cell cut (the CSV keeps the full text): {message}")
    return dg.MaterializeResult(metadata={
        **{name: dg.MetadataValue.path(str(p)) for name, p in sorted(paths.items())},
        "xlsx_truncated_cells": len(truncated),
    })


@dg.asset(
    key=["reports", "html_report"],
    group_name=PUBLISH_GROUP,
    partitions_def=as_of_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    freshness_policy=published_freshness,
    deps=[serving_database],
    kinds={"html"},
    description="A static HTML report of the as-of date (tiers, funnel, lifecycle, reps, satisfaction, wins, "
    "allocation, KPI trends, alerts): one file, opens offline.",
)
def html_report(context: dg.AssetExecutionContext, salestier: SalesTierResource) -> dg.MaterializeResult:
    settings = salestier.settings()
    step_started(settings, "html_report")
    path = write_report(settings.serving_db, settings.reports, as_of=dt.date.fromisoformat(context.partition_key))
    step_succeeded(settings, context.partition_key, "html_report", context.run.run_id)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(path)),
        "open": dg.MetadataValue.url(path.as_uri()),
        "bytes": path.stat().st_size,
    })


@dg.asset(
    key=["serving", "postgres"],
    group_name=PUBLISH_GROUP,
    partitions_def=as_of_partitions,
    backfill_policy=ONE_DATE_PER_RUN,
    freshness_policy=published_freshness,
    deps=[serving_database],
    kinds={"postgres"},
    description="Optional: the published tables copied into PostgreSQL (SALESTIER_PG_DSN, schema salestier) in "
    "one transaction, so BI readers see the old or the new version, never a mix.",
)
def postgres_serving(context: dg.AssetExecutionContext, salestier: SalesTierResource) -> dg.MaterializeResult:
    settings = salestier.settings()
    step_started(settings, "postgres")
    counts = publish_configured(settings.serving_db, settings.postgres)
    step_succeeded(settings, context.partition_key, "postgres", context.run.run_id)
    if counts is None:
        return dg.MaterializeResult(metadata={"status": "not configured (set SALESTIER_PG_DSN to enable)"})
    return dg.MaterializeResult(metadata={"status": "published", "row_counts": dg.MetadataValue.json(counts)})
