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


def latest_rows(serving_db: Path, table: str, order_by: str) -> pd.DataFrame:
    """Rows of the latest as-of date, through the relational API (the table is an identifier, not SQL text;
    order_by is a constant of write_tier_lists)."""
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        rel = con.table(table)
        latest = rel.aggregate("max(as_of_date)").fetchall()[0][0]
        latest_only = duckdb.ColumnExpression("as_of_date") == duckdb.ConstantExpression(latest)
        return rel.filter(latest_only).order(order_by).df()
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
