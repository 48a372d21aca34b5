"""Publish assets: run only after every upstream asset and blocking check succeeded."""

import dagster as dg
import duckdb

from salestier_pipeline.assets.dbt import WAREHOUSE_POOL
from salestier_pipeline.partitions import as_of_partitions
from salestier_pipeline.publish.serving import publish
from salestier_pipeline.publish.tables import PUBLISHED_TABLES
from salestier_pipeline.publish.tier_lists import write_tier_lists
from salestier_pipeline.resources import SalesTierResource

PUBLISH_GROUP = "publish"


@dg.asset(
    key=["serving", "salestier_duckdb"],
    group_name=PUBLISH_GROUP,
    partitions_def=as_of_partitions,
    deps=[dg.AssetKey([t]) for t in PUBLISHED_TABLES],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "parquet"},
    description="serving/salestier.duckdb (BI tools, read-only) and serving/parquet/, swapped in atomically.",
)
def serving_database(context: dg.AssetExecutionContext, salestier: SalesTierResource) -> dg.MaterializeResult:
    settings = salestier.settings()
    counts = publish(settings.warehouse, settings.serving_dir)
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        preview = con.execute(
            "SELECT tier, count(*) AS accounts FROM customer_tier_list "
            "WHERE as_of_date = (SELECT max(as_of_date) FROM customer_tier_list) GROUP BY tier ORDER BY tier"
        ).df()
    finally:
        con.close()
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(settings.serving_db)),
        "row_counts": dg.MetadataValue.json(counts),
        "dagster/row_count": sum(counts.values()),
        "tier_distribution": dg.MetadataValue.md(preview.to_markdown(index=False)),
    })


@dg.asset(
    key=["exports", "tier_lists"],
    group_name=PUBLISH_GROUP,
    partitions_def=as_of_partitions,
    deps=[serving_database],
    kinds={"csv"},
    description="Customer and rep tier lists as CSV (UTF-8 with BOM, formulas neutralised) for people.",
)
def tier_lists(context: dg.AssetExecutionContext, salestier: SalesTierResource) -> dg.MaterializeResult:
    settings = salestier.settings()
    paths = write_tier_lists(settings.serving_db, settings.exports)
    return dg.MaterializeResult(metadata={name: dg.MetadataValue.path(str(p)) for name, p in paths.items()})
