"""Tier lists for people: CSV that Excel opens with Chinese text intact.

UTF-8 with BOM so Excel detects the encoding; any text cell that a
spreadsheet would read as a formula (= + - @ tab CR) is prefixed with a quote.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix formula-like text with an apostrophe; numbers stay numbers."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column].astype("string")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
            out[column] = text.mask(risky, "'" + text)
    return out


def latest_rows(serving_db: Path, table: str, order_by: str) -> pd.DataFrame:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        return con.execute(
            f'SELECT * FROM "{table}" WHERE as_of_date = (SELECT max(as_of_date) FROM "{table}") ORDER BY {order_by}'
        ).df()
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
