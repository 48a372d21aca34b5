"""The frame the raw-layer suites validate: a module's rows up to the as-of date plus
derived columns that turn cross-row rules into per-row values (so GX can name them)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from salestier_pipeline.profiles.loader import Profile
from salestier_pipeline.profiles.maps import profile_maps
from salestier_pipeline.settings import DBT_PROJECT_DIR

DATED = {
    "accounts": "created_at", "contacts": "created_at", "leads": "created_at", "opportunities": "created_at",
    "activities": "occurred_at", "orders": "order_date", "feedback": "received_at",
}
CHECKED_COLUMNS = {
    "accounts": ["name", "annual_revenue", "employees"],
    "contacts": ["name"],
    "leads": ["company", "employees"],
    "opportunities": ["stage_raw", "status_raw", "amount", "probability"],
    "activities": ["occurred_at"],
    "orders": ["amount", "order_date"],
    "feedback": ["score", "scale", "received_at"],
    "reps": ["rep_id", "rep_name", "team"],
    "targets": ["period_start", "period_end", "target_amount"],
}


def picklist_maps(profiles: dict[str, Profile], seeds_dir: Path = DBT_PROJECT_DIR / "seeds") -> pd.DataFrame:
    """kind, source_system, raw_value of every stage / status the seeds or profiles know."""
    stage = pd.read_csv(seeds_dir / "stage_map.csv", dtype=str)[["source_system", "stage_raw"]]
    status = pd.read_csv(seeds_dir / "status_map.csv", dtype=str)[["source_system", "status_raw"]]
    frames = [
        stage.rename(columns={"stage_raw": "raw_value"}).assign(kind="stage"),
        status.rename(columns={"status_raw": "raw_value"}).assign(kind="status"),
        profile_maps(profiles)[["kind", "source_system", "raw_value"]],
    ]
    maps = pd.concat(frames, ignore_index=True)
    maps["raw_value"] = maps["raw_value"].str.strip().str.lower()
    return maps[["kind", "source_system", "raw_value"]].drop_duplicates()


def parquet_files(folder: Path, pattern: str = "**/*.parquet") -> list[str]:
    """The Parquet files under `folder`, listed here and bound as a list parameter: a path never becomes
    SQL text, and glob characters in the home path or a source name (`[`, `*`, `?`) stay literal."""
    files = sorted(str(p) for p in Path(folder).glob(pattern) if p.is_file())
    if not files:
        raise FileNotFoundError(f"no Parquet files under {folder} (expected at least its _schema.parquet)")
    return files


def raw_check_frame(raw: Path, module: str, as_of: str, maps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of every batch <= as_of with the columns the raw suite of `module` reads."""
    cols = CHECKED_COLUMNS[module]
    derived = []
    if module in DATED:
        derived.append(f"date_diff('day', r.export_date::date, r.{DATED[module]}::date) as _days_after_export")
    joins = ""
    if module == "opportunities":
        joins = """
            left join maps as s_src on s_src.kind = 'stage' and s_src.source_system = r.source_system
                and s_src.raw_value = lower(trim(r.stage_raw))
            left join maps as s_any on s_any.kind = 'stage' and s_any.source_system = '*'
                and s_any.raw_value = lower(trim(r.stage_raw))
            left join maps as t_src on t_src.kind = 'status' and t_src.source_system = r.source_system
                and t_src.raw_value = lower(trim(r.status_raw))
            left join maps as t_any on t_any.kind = 'status' and t_any.source_system = '*'
                and t_any.raw_value = lower(trim(r.status_raw))"""
        derived.append("case when r.stage_raw is not null and s_src.raw_value is null and s_any.raw_value is null "
                       "then r.stage_raw end as _unmapped_stage")
        derived.append("case when r.status_raw is not null and t_src.raw_value is null and t_any.raw_value is null "
                       "then r.status_raw end as _unmapped_status")
    if module == "feedback":
        derived.append("case when (r.scale = 'csat_1_5' and r.score not between 1 and 5) "
                       "or (r.scale = 'nps_0_10' and r.score not between 0 and 10) "
                       "or r.scale not in ('csat_1_5', 'nps_0_10') then r.score end as _score_out_of_scale")
    base = ["r.source_system", "r.export_date", "r.source_record_id", "r.source_file", "r.source_line"]
    select = ", ".join(base + [f"r.{c}" for c in cols] + derived)
    con = duckdb.connect()
    try:
        if maps is not None:
            con.register("maps", maps)
        con.execute(
            f"""
            create temp table rows as
            select {select}
            from read_parquet($files, union_by_name = true, hive_partitioning = false) as r {joins}
            where r.export_date <= $as_of::date
            """,  # noqa: S608 - select and joins are built from this module's constant column names only
            {"files": parquet_files(raw / module), "as_of": as_of},
        )
        # distinct records up to the latest export vs up to the one before, per source
        return con.execute("""
            with exports as (
                select source_system, max(export_date) as latest,
                       max(export_date) filter (where export_date < (
                           select max(export_date) from rows as i where i.source_system = o.source_system
                       )) as previous
                from rows as o group by source_system
            ),
            growth as (
                select e.source_system,
                       count(distinct r.source_record_id) filter (where r.export_date <= e.latest)::double
                       / nullif(count(distinct r.source_record_id) filter (where r.export_date <= e.previous), 0)
                         as _record_growth
                from rows as r join exports as e using (source_system)
                group by e.source_system
            )
            select rows.*, growth._record_growth
            from rows left join growth using (source_system)
        """).df()
    finally:
        con.close()
