"""Vectorised parsing of text cells into typed values (SPEC §1.3).

Every parser returns the parsed values and a mask of cells that had text but
could not be parsed, so the caller can quarantine exactly those rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salestier_pipeline.ingest.amounts import parse_amounts
from salestier_pipeline.ingest.dates import infer_dates


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
    cells = pa.array(s.array)
    wide = pc.match_substring_regex(cells, _WIDE)
    if not pc.any(wide, min_count=0).as_py():
        return s
    # pyarrow's NFKC (utf8proc), vectorised, kept only where a cell has a wide form: it differs from
    # Python's unicodedata (Unicode 14 in Python 3.11) only on code points Unicode 14 leaves unassigned
    # (checked over every code point)
    folded = pc.if_else(pc.fill_null(wide, False), pc.utf8_normalize(cells, form="NFKC"), cells)
    return pd.Series(pd.arrays.ArrowStringArray(folded), index=s.index, name=s.name)


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


def parse_datetime(series: pd.Series, date_order: str = "YMD", excel: bool = False,
                   pinned: tuple[str, ...] = ()) -> Parsed:
    """ONE format per column (ingest/dates.py); a cell that does not fit says which format the column has."""
    text = _text(series)
    values, how, tried = infer_dates(text, date_order, excel, pinned)
    bad = (text.notna() & values.isna()).astype(bool)
    reason = f"the column reads as {tried}" if not pinned else f"formats tried: {tried}"
    reasons = pd.Series(pd.NA, index=series.index, dtype="string").mask(bad, reason)
    return Parsed(values, bad, how, reasons)


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
