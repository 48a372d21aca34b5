"""Text a spreadsheet would run as a formula, neutralised wherever SalesTier writes CSV or XLSX.

Data never becomes code: a cell starting with = + - @ tab or CR (also in full-width or other
compatibility forms such as ＝ ＋ － ＠, hence NFKC first) is prefixed with a quote. Shared by the tier
lists, the workbook writer and the rejected-rows CSV that ingest keeps for a failed file.
"""

from __future__ import annotations

import unicodedata

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula: its first character, NFKC-normalised
    (so full-width ＝＋－＠ and the like count as = + - @), starts with one of FORMULA_PREFIXES."""
    return bool(text) and unicodedata.normalize("NFKC", text[0]).startswith(FORMULA_PREFIXES)


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix formula-like text with an apostrophe; numbers stay numbers."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column].astype("string")
            risky = pd.Series([isinstance(v, str) and is_formula_like(v) for v in text], index=text.index, dtype=bool)
            out[column] = text.mask(risky, "'" + text)
    return out
