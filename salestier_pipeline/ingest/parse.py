"""Vectorised parsing of text cells into typed values (SPEC §1.3).

Every parser returns the parsed values and a mask of cells that had text but
could not be parsed, so the caller can quarantine exactly those rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import duckdb
import numpy as np
import pandas as pd

from salestier_pipeline.ingest.amounts import parse_amounts


@dataclass(frozen=True)
class Parsed:
    """Parsed values, the cells that failed, and a note on how the column was read."""

    values: pd.Series
    bad: pd.Series  # bool mask: text present but not parseable
    how: str = ""
    reasons: pd.Series | None = None  # why each bad cell failed, when there is more to say than "unparseable"


_WIDE = "[\u3000\uff01-\uff5e\uffe0-\uffe6]"


def fold_width(series: pd.Series) -> pd.Series:
    """NFKC-fold only the cells holding full-width forms (１２３, ￥, （）, ideographic space).

    Folding every cell costs a Python call per value; most cells are plain.
    """
    s = series.astype("string[pyarrow]")
    wide = s.str.contains(_WIDE, regex=True).fillna(False).astype(bool)
    if wide.any():
        s = s.copy()
        s[wide] = s[wide].str.normalize("NFKC")
    return s


def _text(series: pd.Series) -> pd.Series:
    """Trimmed text with full-width digits and symbols folded; empty → NA."""
    s = fold_width(series).str.strip()
    return s.mask(s == "")


def parse_amount(series: pd.Series, decimal: str | None = None) -> tuple[Parsed, pd.Series]:
    """Money cells by the strict amount grammar (ingest/amounts.py) → float, currency code."""
    result = parse_amounts(_text(series), decimal)
    return Parsed(result.values, result.error.notna(), "amount", result.error), result.currency


def parse_number(series: pd.Series, decimal: str | None = None) -> Parsed:
    """Plain numbers by the same grammar, without currency or unit; a trailing '%' is allowed."""
    result = parse_amounts(_text(series), decimal, currency_allowed=False, percent_allowed=True)
    return Parsed(result.values, result.error.notna(), "number", result.error)


_TIMES = (" %H:%M:%S", " %H:%M", " %I:%M %p", "")
# Families of formats: one family is chosen per column; within a family a value
# may carry a time or not (exports mix '2024/3/7' and '2024/3/7 10:05').
FAMILIES: dict[str, tuple[str, ...]] = {
    "ISO8601": ("ISO8601",),
    "yyyy/M/d": tuple(f"%Y/%m/%d{t}" for t in _TIMES),
    "MM/dd/yyyy": tuple(f"%m/%d/%Y{t}" for t in _TIMES),
    "dd/MM/yyyy": tuple(f"%d/%m/%Y{t}" for t in _TIMES),
    "yyyy年M月d日": ("%Y年%m月%d日 %H:%M", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日"),
    "dd.MM.yyyy": ("%d.%m.%Y %H:%M", "%d.%m.%Y"),
    "yyyyMMdd": ("%Y%m%d",),
    "epoch_ms": ("epoch_ms",),
    "excel_serial": ("excel_serial",),
}
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
SAMPLE = 2000


@cache
def _duck() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per process: connecting costs more than parsing a column."""
    return duckdb.connect()


def _strptime(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """DuckDB's vectorised try_strptime over a list of formats (first match wins)."""
    con = _duck().cursor()
    try:
        con.register("cells", pd.DataFrame({"v": text.reset_index(drop=True)}))
        values = con.execute("select try_strptime(v, ?::VARCHAR[]) as t from cells", [list(formats)]).df()["t"]
    finally:
        con.close()
    values.index = text.index
    return values.astype("datetime64[us]")


def _parse_family(text: pd.Series, family: str) -> pd.Series:
    formats = FAMILIES[family]
    if family == "ISO8601":
        return pd.to_datetime(text, format="ISO8601", errors="coerce").astype("datetime64[us]")
    if family == "epoch_ms":
        digits = text.where(text.str.fullmatch(r"\d{12,13}").fillna(False).astype(bool))
        values = pd.to_datetime(pd.to_numeric(digits, errors="coerce"), unit="ms", errors="coerce")
        return values.astype("datetime64[us]")
    if family == "excel_serial":
        num = text.where(text.str.fullmatch(r"\d{4,5}(\.\d+)?").fillna(False).astype(bool))
        days = pd.to_numeric(num, errors="coerce").round(6)
        return (EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).astype("datetime64[us]")
    return _strptime(text, formats)


AMBIGUOUS = {"MM/dd/yyyy", "dd/MM/yyyy"}


def _shortlist(sample: pd.Series, families: list[str]) -> list[str]:
    """Families worth parsing the whole column with: the first that reads the whole
    sample (plus its d/m twin, which only the full column can rule out), else the best."""
    scores: dict[str, int] = {}
    for family in families:
        scores[family] = int(_parse_family(sample, family).notna().sum())
        if scores[family] == len(sample):
            if family in AMBIGUOUS:
                return [family, *sorted(AMBIGUOUS - {family})]
            return [family]
    top = max(scores.values())
    return [f for f in families if scores[f] == top]


def parse_datetime(series: pd.Series, date_order: str = "YMD", excel: bool = False) -> Parsed:
    """Infer ONE format family per column from its values, then parse every cell with it.

    Per-value guessing (pandas 'mixed') would read 03/04 as March in one row and
    April in the next; a column-wide format cannot. Ambiguous dd/MM vs MM/dd is
    settled by the values (a day > 12 decides), else by the profile's date_order.
    """
    text = _text(series)
    present = text.dropna()
    if present.empty:
        return Parsed(pd.Series(pd.NaT, index=series.index, dtype="datetime64[us]"),
                      pd.Series(False, index=series.index), "empty")
    families = [f for f in FAMILIES if excel or f != "excel_serial"]
    if date_order == "DMY":
        families.remove("dd/MM/yyyy")
        families.insert(1, "dd/MM/yyyy")
    sample = present.iloc[:: max(1, len(present) // SAMPLE)]
    shortlist = _shortlist(sample, families)
    best: tuple[int, str, pd.Series] | None = None
    for family in shortlist:
        values = _parse_family(text, family)
        ok = int(values.notna().sum())
        if best is None or ok > best[0]:
            best = (ok, family, values)
    assert best is not None
    _, family, values = best
    bad = text.notna() & values.isna()
    return Parsed(values, bad.astype(bool), family)


def out_of_range(values: pd.Series, low: str = "1990-01-01", high: str = "2100-01-01") -> pd.Series:
    """Dates a CRM cannot have produced for a live record."""
    return (values < pd.Timestamp(low)) | (values >= pd.Timestamp(high))


def parse_integer(series: pd.Series) -> Parsed:
    """Counts such as employees; '1,200' and '1200.0' are fine, '12.5' is not."""
    parsed = parse_number(series)
    values = parsed.values
    fractional = values.notna() & (np.floor(values) != values)
    bad = parsed.bad | fractional
    return Parsed(values.where(~fractional).round().astype("Int64"), bad.astype(bool), "integer")
