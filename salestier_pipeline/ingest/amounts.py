"""One strict grammar for amounts and numbers (documented in docs/profiles.md, "Numbers and amounts").

    amount   := [code|symbol] [sign] [symbol] number [exponent] [unit|code]
              | '(' amount-without-sign ')'                       (accounting negative)
    sign     := '-' | '+'                                          (at most one, before the digits)
    number   := digits [decimal digits]
              | 1-3 digits (group 3 digits)+ [decimal digits]      (one group character per value)
    decimal  := '.' or ',' — one per column, settled from the values (a value only one reading
                accepts decides; ties go to '.') or pinned by the profile
    group    := ',' '.' "'" space, no-break space, narrow no-break space (never the decimal)
    unit     := 元 (CNY) | 万 ×10⁴ | 亿 ×10⁸ | 万元 / 亿元 (CNY) | k / K ×10³ | M ×10⁶

Anything else is not an amount and is quarantined with its reason: `5-`, `(5`, `1-2`,
`+-5`, `12 34` (a group of two), `1.234,50` in a '.'-decimal column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salestier_pipeline.ingest import regex_columns as rx
from salestier_pipeline.ingest.regex_columns import Pattern

SYMBOLS = {
    "US$": "USD", "HK$": "HKD", "S$": "SGD", "R$": "BRL", "NT$": "TWD", "C$": "CAD", "A$": "AUD",
    "CN¥": "CNY", "RMB": "CNY", "¥": "CNY", "$": "USD", "€": "EUR", "£": "GBP", "元": "CNY",
}
UNITS = {"万元": 1e4, "亿元": 1e8, "万": 1e4, "亿": 1e8, "k": 1e3, "K": 1e3, "M": 1e6, "元": 1.0}
_SYMBOL = "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True) if s != "元")
_UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_NBSP = "\u00a0\u202f"  # no-break and narrow no-break space, as characters (pyarrow takes no \\u escapes)


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


# templates of regex_columns.Pattern: {d} digits, {s} whitespace (Python's meaning in both spellings)
GRAMMAR = Pattern.of(
    rf"^(?P<pre>{_braces(_SYMBOL)}|[A-Z]{{{{3}}}})?[{{s}}]?(?P<open>\()?(?P<sign>[-+])?(?P<sym>{_braces(_SYMBOL)})?"
    rf"[{{s}}]?(?P<num>[{{d}}](?:[{{d}},.' {_NBSP}]*[{{d}}])?|[.,][{{d}}]+)(?P<exp>[eE][-+]?[{{d}}]{{{{1,3}}}})?"
    rf"(?P<close>\))?[{{s}}]?(?P<post>{_braces(_UNIT)}|[A-Z]{{{{3}}}})?$"
)
_PLAIN = {".": Pattern.of(r"^[{d}]*(?:\.[{d}]+)?$"), ",": Pattern.of(r"^[{d}]*(?:,[{d}]+)?$")}


def _grouped(decimal: str, groups: str) -> Pattern:
    """1-3 digits, then groups of 3 digits all split by the same one of `groups`, then an optional decimal
    part: one alternative per group character (RE2 has no backreference)."""
    runs = "|".join(rf"[{{d}}]{{{{1,3}}}}(?:[{g}][{{d}}]{{{{3}}}})+" for g in groups)
    return Pattern.of(rf"^(?:{runs})(?:[{decimal}][{{d}}]+)?$")


_GROUPED = {".": _grouped(".", ",' " + _NBSP), ",": _grouped(",", ".' " + _NBSP)}
_EXPONENT_NUMBER = Pattern.of(r"[{d}]+(?:[.,][{d}]+)?")
_PERCENT = Pattern.of(r"[{s}]?%$")


@dataclass(frozen=True)
class AmountParse:
    """Values, the currency each value names, and why a cell is not an amount (NA when it is)."""

    values: pd.Series
    currency: pd.Series
    error: pd.Series  # reason text per bad cell, NA where the cell is empty or valid
    decimal: str


def _valid(num: pd.Series, decimal: str) -> pd.Series:
    return rx.fullmatch(num, _PLAIN[decimal]) | rx.fullmatch(num, _GROUPED[decimal])


def settle_decimal(num: pd.Series) -> str:
    """'.' unless more values read only with a ',' decimal (`12,5`, `1.234,50`) than only with '.'."""
    dot, comma = _valid(num, "."), _valid(num, ",")
    return "," if int((comma & ~dot).sum()) > int((dot & ~comma).sum()) else "."


def _to_float(num: pd.Series, decimal: str) -> pd.Series:
    group = "[,' \u00a0\u202f]" if decimal == "." else "[.' \u00a0\u202f]"
    plain = num.str.replace(group, "", regex=True)
    if decimal == ",":
        plain = plain.str.replace(",", ".", regex=False)
    return pd.to_numeric(plain, errors="coerce").astype("float64")


def parse_amounts(text: pd.Series, decimal: str | None = None, currency_allowed: bool = True,
                  percent_allowed: bool = False) -> AmountParse:
    """Parse trimmed, width-folded text cells by the grammar above; `decimal=None` settles it per column."""
    index = text.index
    cells = text
    if percent_allowed:
        cells = rx.replace(cells, _PERCENT, "")
    parts = rx.extract(cells, GRAMMAR)
    present = text.notna()
    matched = parts["num"].notna()
    error = pd.Series(pd.NA, index=index, dtype="string")
    error = error.mask(present & ~matched, "")  # the plain case: the caller's message says it
    unbalanced = matched & (parts["open"].notna() != parts["close"].notna())
    error = error.mask(unbalanced, "unbalanced parenthesis")
    two_signs = matched & parts["open"].notna() & parts["sign"].notna()
    error = error.mask(two_signs, "two signs (parenthesis and sign)")
    post = parts["post"]
    upper = {k.upper(): v for k, v in SYMBOLS.items()}
    named = [parts["pre"], parts["sym"], post.where(~post.isin(list(UNITS)) | post.isin(["元", "万元", "亿元"]))]
    named = [s.str.upper().replace(upper).replace({"万元": "CNY", "亿元": "CNY"}) for s in named]
    currency = named[0].fillna(named[1]).fillna(named[2]).astype("string")
    conflict = pd.Series(False, index=index)
    for code in named:
        conflict |= (code.notna() & (code != currency)).fillna(False).astype(bool)
    error = error.mask(matched & conflict, "two different currencies")
    if not currency_allowed:
        error = error.mask(matched & currency.notna(), "a currency where a plain number is expected")
        error = error.mask(matched & post.isin(list(UNITS)), "a unit where a plain number is expected")
    num = parts["num"]
    decimal = decimal or settle_decimal(num.where(matched & error.isna()).dropna())
    shape_ok = _valid(num.fillna(""), decimal) & matched
    has_exp = parts["exp"].notna()
    exp_ok = ~has_exp | rx.fullmatch(num, _EXPONENT_NUMBER)
    error = error.mask(matched & error.isna() & ~(shape_ok & exp_ok),
                       f"digits not in the column's number format (decimal '{decimal}')")
    values = _to_float(num.fillna(""), decimal)
    values = values * np.power(10.0, pd.to_numeric(parts["exp"].str[1:], errors="coerce").fillna(0))
    values = values * post.map(UNITS).fillna(1.0).astype("float64")
    negative = (parts["sign"] == "-").fillna(False) | parts["open"].notna()
    values = values.where(~negative.astype(bool), -values)
    values = values.where(error.isna() & present)
    return AmountParse(values.astype("float64"), currency.where(error.isna()), error, decimal)
