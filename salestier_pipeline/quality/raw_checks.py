"""The frame the raw-layer suites validate: a module's rows up to the as-of date plus
derived columns that turn cross-row rules into per-row values (so GX can name them).

Only what ingest cannot guarantee and what needs no dbt seed: rules on the stage / status
maps or the feedback scales are dbt source tests (dbt_project/models/staging/_sources.yml),
so no Python module reads a dbt seed."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from salestier_pipeline.ingest.layout import RawLayout
from salestier_pipeline.quality.gx_adapter import load_suite_json
from salestier_pipeline.schema import module_columns
from salestier_pipeline.settings import machine_cpus

# the date column `dates_not_after_export` compares with the export date
DATED = {
    "accounts": "created_at", "contacts": "created_at", "leads": "created_at", "opportunities": "created_at",
    "activities": "occurred_at", "orders": "order_date", "feedback": "received_at",
}


CATEGORICAL = ("source_system", "source_file")  # a handful of values repeated on every row


def suite_columns(module: str) -> list[str]:
    """The module's canonical columns that its raw suite reads as they are (e.g. opportunities.probability)."""
    named: set[str] = set()
    for item in load_suite_json("raw", module)["expectations"]:
        named.update([item["kwargs"]["column"]] if "column" in item["kwargs"] else [])
        named.update(item["kwargs"].get("column_list", []))
    return [c for c in module_columns(module) if c in named]


def parquet_files(folder: Path, pattern: str = "**/*.parquet") -> list[str]:
    """The Parquet files under `folder`, listed here and bound as a list parameter: a path never becomes
    SQL text, and glob characters in the home path or a source name (`[`, `*`, `?`) stay literal."""
    files = sorted(str(p) for p in Path(folder).glob(pattern) if p.is_file())
    if not files:
        raise FileNotFoundError(f"no Parquet files under {folder} (expected at least its _schema.parquet)")
    return files


def batch_dirs(raw: Path, module: str, as_of: str) -> list[Path]:
    """The module's export batches up to `as_of`: one folder per source and export date (ingest/layout.py)."""
    return sorted(p for p in RawLayout(raw).module_dir(module).glob("source=*/export_date=*")
                  if p.is_dir() and p.name.partition("=")[2] <= as_of)


# Rows per frame handed to GX: its pandas engine needs several times a frame's size while it validates
# (100x the demo, 2 M activities in one frame: the worker peaked at 1.5 GB); chunks bound that.
CHUNK_ROWS = 250_000
CHECK_DUCKDB_MEMORY_MB = 256


def raw_check_frame(raw: Path, module: str, as_of: str, batches: list[Path] | None = None) -> pd.DataFrame:
    """Rows of every batch <= as_of with the columns the raw suite of `module` reads; with `batches`, only
    the rows of those batch folders (the record growth is still counted over every batch <= as_of). One frame,
    in location order (source file, line)."""
    (frame,) = raw_check_chunks(raw, module, as_of, batches, chunk_rows=None)
    return frame


def raw_check_chunks(raw: Path, module: str, as_of: str, batches: list[Path] | None = None,
                     chunk_rows: int | None = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """raw_check_frame's rows in frames of about `chunk_rows` rows (None: one frame), each in location order.

    A chunk holds every row of its record ids (rows are split by a hash of source_record_id), so a suite's
    uniqueness check sees each duplicate whole in one chunk, and its row-wise checks see every row once:
    gx_adapter.validate_chunks merges the chunks' outcomes into those of the whole frame."""
    cols = suite_columns(module)
    derived = []
    if module in DATED:
        derived.append(f"date_diff('day', r.export_date::date, r.{DATED[module]}::date) as _days_after_export")
    base = ["r.source_system", "r.export_date", "r.source_record_id", "r.source_file", "r.source_line"]
    select = ", ".join(base + [f"r.{c}" for c in cols] + derived)
    files = parquet_files(raw / module)
    wanted = {str(b) for b in batches} if batches is not None else None
    selected = files if wanted is None else [f for f in files if str(Path(f).parent) in wanted]
    schema = [f for f in files if Path(f).parent == raw / module]  # _schema.parquet: every column, no row
    # the distinct ids of the growth count spill past this instead of growing the GX worker (100x: 2 M
    # activities, worker peak 876 -> 616 MB for 1 s more)
    con = duckdb.connect(config={"memory_limit": f"{CHECK_DUCKDB_MEMORY_MB}MB", "threads": machine_cpus()})
    try:
        # distinct records up to the latest export vs up to the one before, per source (over every batch)
        con.execute("""
            create temp table growth as
            with keys as (
                select r.source_system, r.export_date, r.source_record_id
                from read_parquet($files, union_by_name = true, hive_partitioning = false) as r
                where r.export_date <= $as_of::date
            ),
            exports as (
                select source_system, max(export_date) as latest,
                       max(export_date) filter (where export_date < (
                           select max(export_date) from keys as i where i.source_system = o.source_system
                       )) as previous
                from keys as o group by source_system
            )
            select e.source_system,
                   count(distinct k.source_record_id) filter (where k.export_date <= e.latest)::double
                   / nullif(count(distinct k.source_record_id) filter (where k.export_date <= e.previous), 0)
                     as _record_growth
            from keys as k join exports as e using (source_system)
            group by e.source_system
        """, {"files": files, "as_of": as_of})
        # the checked rows are read again per chunk (streamed from Parquet, never held whole here)
        params = {"selected": sorted({*schema, *selected}) or files, "as_of": as_of, "keep": bool(selected)}
        total = con.execute("""
            select count(*) from read_parquet($selected, union_by_name = true, hive_partitioning = false) as r
            where r.export_date <= $as_of::date and $keep
        """, params).fetchall()[0][0]
        chunks = 1 if chunk_rows is None else max(1, math.ceil(total / chunk_rows))
        query = f"""
            select {select}, g._record_growth, hash(r.source_record_id) % $chunks as _chunk
            from read_parquet($selected, union_by_name = true, hive_partitioning = false) as r
            left join growth as g using (source_system)
            where r.export_date <= $as_of::date and $keep
        """  # noqa: S608 - select holds only canonical column names (schema/canonical.yml), no value
        order = "source_file, source_line, export_date, source_record_id"
        checked = con.sql(query, params={**params, "chunks": chunks})
        if chunks == 1:
            yield compact_frame(checked.order(order).select("* exclude (_chunk)").to_arrow_table())
            return
        # the rows read once and written to one Parquet folder per chunk, each chunk then read back on its
        # own: one scan of the raw Parquet instead of one per chunk (100x, 2 M activities in 8 chunks:
        # 4.4 -> 2.5 s), and nothing held whole in memory
        with tempfile.TemporaryDirectory(prefix="salestier-checks-") as scratch:
            checked.write_parquet(scratch, partition_by=["_chunk"], write_partition_columns=False)
            for chunk in range(chunks):
                files = sorted(str(p) for p in Path(scratch, f"_chunk={chunk}").glob("*.parquet"))
                if files:  # a chunk no id hashed to holds no row
                    yield compact_frame(con.read_parquet(files, hive_partitioning=False).order(order).to_arrow_table())
    finally:
        con.close()


def compact_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow → pandas without a Python object per cell: the few distinct sources and file names as
    categories, other text as Arrow strings. At 100x the demo the activities frame held 2 M rows of
    object strings (≈ 0.8 GB in the GX worker); the checks read the same values either way."""
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow"),
                                          pa.large_string(): pd.StringDtype("pyarrow")}.get)
    for column in CATEGORICAL:
        if column in frame:
            frame[column] = frame[column].astype("category")
    return frame
