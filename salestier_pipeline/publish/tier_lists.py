"""Tier lists for people: CSV that Excel opens with Chinese text intact.

UTF-8 with BOM so Excel detects the encoding; any text cell that a
spreadsheet would read as a formula (= + - @ tab CR, also in their full-width
or other compatibility forms such as ＝ ＋ － ＠) is prefixed with a quote.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from salestier_pipeline.formulas import neutralise
from salestier_pipeline.publish.read import columns_of, latest_as_of, select_relation


def latest_rows(serving_db: Path, table: str, order_by: str) -> pd.DataFrame:
    """Every column of the table's rows of its latest as-of date, as the mart wrote them (plain select through
    the relational API: the table is an identifier, not SQL text; order_by is a constant of write_tier_lists)."""
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        latest = latest_as_of(con, table)
        return select_relation(con, table, latest, columns_of(con, table), order_by).df()
    finally:
        con.close()


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    neutralise(frame).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    os.replace(tmp, path)
    return path


def write_tier_lists(serving_db: Path, exports_dir: Path) -> dict[str, Path]:
    """Customer tier list (by owner, then tier) and rep tier list of the latest as-of date."""
    customers = latest_rows(serving_db, "customer_tier_list", "owner_rep_id NULLS LAST, tier, account_id")
    reps = latest_rows(serving_db, "rep_tier_list", "team, rep_tier, rep_id")
    return {
        "customer_tier_list": write_csv(customers, exports_dir / "customer_tier_list.csv"),
        "rep_tier_list": write_csv(reps, exports_dir / "rep_tier_list.csv"),
    }
