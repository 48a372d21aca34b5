"""Vectorised parsing of text cells into typed values (SPEC §1.3).

Every parser returns the parsed values and a mask of cells that had text but
could not be parsed, so the caller can quarantine exactly those rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import duckdb
import numpy as np
import pandas as pd

CURRENCY_SYMBOLS = {"¥": "CNY", "￥": "CNY", "元": "CNY", "$": "USD", "€": "EUR", "£": "GBP"}
_CODE = re.compile(r"\b(CNY|RMB|USD|EUR|GBP|HKD|JPY|SGD)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Parsed:
    """Parsed values, the cells that failed, and a note on how the column was read."""

    values: pd.Series
    bad: pd.Series  # bool mask: text present but not parseable
    how: str = ""


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


def parse_amount(series: pd.Series) -> tuple[Parsed, pd.Series]:
    """'1,234.50', '¥1,234.50', '$1,234', '1234.5元', 'CNY 1234', '(1,234)' → float, currency."""
    raw = series.astype("string").str.strip()
    raw = raw.mask(raw == "")
    text = _text(series)
    currency = pd.Series(pd.NA, index=series.index, dtype="string")
    for symbol, code in CURRENCY_SYMBOLS.items():
        has = raw.str.contains(symbol, regex=False).fillna(False).astype(bool)
        currency = currency.mask(currency.isna() & has, code)
    codes = text.str.extract(_CODE, expand=False).str.upper().replace({"RMB": "CNY"})
    currency = currency.fillna(codes)
    negative = text.str.match(r"^\(.*\)$") | text.str.startswith("-")
    cleaned = (
        text.str.replace(_CODE, "", regex=True)
        .str.replace(r"[¥$€£元,\s()\-+]", "", regex=True)
    )
    numbers = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    valid_shape = cleaned.str.fullmatch(r"\d+(\.\d+)?|\.\d+").fillna(False).astype(bool)
    numbers = numbers.where(valid_shape)
    numbers = numbers.where(~negative.fillna(False).astype(bool), -numbers)
    bad = text.notna() & numbers.isna()
    return Parsed(numbers, bad.astype(bool), "amount"), currency


def parse_number(series: pd.Series) -> Parsed:
    """Plain numbers, tolerant of thousands separators and a trailing '%'."""
    text = _text(series)
    cleaned = text.str.replace(r"[,\s%]", "", regex=True)
    numbers = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    bad = text.notna() & numbers.isna()
    return Parsed(numbers, bad.astype(bool), "number")


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
        fmt_list = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in formats) + "]"
        values = con.execute(f"select try_strptime(v, {fmt_list}) as t from cells").df()["t"]
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
