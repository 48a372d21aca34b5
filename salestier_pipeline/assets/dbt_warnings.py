"""Warning checks that name what they found.

A dbt warning says "Got 3 results"; a sales-ops analyst needs to know which deals. Tests that
store their failures (`store_failures: true`) and name an id column (`meta: {failing_ids: col}`)
get those ids added to their Dagster check result. dbt holds the warehouse file while it runs,
so failed warnings are held back and enriched once the dbt process has exited.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

MAX_IDS = 50


def failing_ids_column(node: Mapping[str, Any]) -> str | None:
    """The id column a test node names in its meta, when it also stores its failures."""
    config = node.get("config") or {}
    meta = config.get("meta") or node.get("meta") or {}
    column = meta.get("failing_ids")
    return column if column and config.get("store_failures") and node.get("relation_name") else None


def read_failing_ids(warehouse: Path, relation_name: str, column: str, limit: int = MAX_IDS) -> tuple[int, list[str]]:
    """(count, first `limit` ids, sorted) of a stored-failures table; the names come from our manifest."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        relation = con.table(relation_name)  # "<file stem>"."<schema>"."<test>", as dbt attached the file
        ids = relation.select(duckdb.ColumnExpression(column).cast("VARCHAR").alias("id"))
        total = ids.aggregate("count(*)").fetchall()[0][0]
        first = [r[0] for r in ids.filter("id IS NOT NULL").distinct().order("id").limit(limit).fetchall()]
        return int(total), first
    finally:
        con.close()


def with_failing_ids(result: dg.AssetCheckResult, manifest: Mapping[str, Any], warehouse: Path) -> dg.AssetCheckResult:
    """The check result with `failing_ids` (and their count) added, when its test names an id column."""
    unique_id = (result.metadata or {}).get("unique_id")
    unique_id = getattr(unique_id, "value", unique_id)
    node = manifest.get("nodes", {}).get(unique_id or "", {})
    column = failing_ids_column(node)
    if column is None:
        return result
    try:
        total, ids = read_failing_ids(warehouse, node["relation_name"], column)
    except duckdb.Error as exc:  # the warning stands without its ids
        return result._replace(metadata={**result.metadata, "failing_ids_error": str(exc)})
    shown = ", ".join(ids) + (f" … (+{total - len(ids)} more)" if total > len(ids) else "")
    return result._replace(
        description=f"{total} row(s) of {column}: {shown}",
        metadata={**result.metadata, "failing_ids": dg.MetadataValue.text(shown), "failing_id_column": column},
    )


def is_failed_warning(event: Any) -> bool:
    """A failed check of either severity: a warning and a blocking failure both deserve their ids."""
    return isinstance(event, dg.AssetCheckResult) and not event.passed


def enrich_warnings(events: Iterable[Any], manifest: Mapping[str, Any], warehouse: Path) -> Iterator[Any]:
    """Pass events through; failed warnings come last, with their ids (also when dbt then fails)."""
    held: list[dg.AssetCheckResult] = []
    try:
        for event in events:
            if is_failed_warning(event):
                held.append(event)
            else:
                yield event
    except Exception:
        yield from (with_failing_ids(result, manifest, warehouse) for result in held)
        raise
    yield from (with_failing_ids(result, manifest, warehouse) for result in held)
