"""Column regexes (ingest/regex_columns.py) give exactly what Python's `re` gives cell by cell, on ASCII-only
columns (pyarrow's RE2 runs them) and on mixed ones (the non-ASCII cells run Python's re)."""

from __future__ import annotations

import random
import re

import pandas as pd
import pytest

from salestier_pipeline.ingest import amounts, dates
from salestier_pipeline.ingest import regex_columns as rx

# ASCII whitespace RE2's \s misses (\x0b, \x1c), Unicode digits and spaces Python's \d and \s match,
# a trailing newline (Python's `$` matches before it), and the grammar's own symbols and units
ALPHABET = [*"0123456789,.'-+()eE%$¥€£ kKMZ:T", "\x0b", "\x1c", "\t", "\n", "\u00a0", "\u202f", "\u3000",
            "٣", "٤", "万", "亿", "元", "US$", "HK$", "CN¥", "RMB", "USD", "+08:00", "-0500"]


def cells(n: int, seed: int) -> list[str | None]:
    rng = random.Random(seed)
    out: list[str | None] = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 8))) for _ in range(n)]
    out += ["1,234.50", "1.234,50", "(5)", "US$ 1,200", "3.5万元", "1e3", "12 %", "٣٥", "7K\n",
            "2026-11-06T10:00:00Z", "2026-11-06 10:00+08:00", None, ""]
    return out


def columns(seed: int) -> list[pd.Series]:
    mixed = cells(4000, seed)
    ascii_only = [c for c in mixed if c is None or c.isascii()]
    return [pd.Series(mixed, dtype="string[pyarrow]"), pd.Series(ascii_only, dtype="string[pyarrow]")]


PATTERNS = {
    "amount grammar": amounts.GRAMMAR,
    "plain '.'": amounts._PLAIN["."],
    "grouped ','": amounts._GROUPED[","],
    "grouped '.'": amounts._GROUPED["."],
    "percent": amounts._PERCENT,
    "zone suffix": dates._ZONE_SUFFIX,
}


def as_list(series: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in series.astype(object)]


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_fullmatch_and_replace_equal_python_re(name: str) -> None:
    pattern = PATTERNS[name]
    compiled = re.compile(pattern.python)
    for column in columns(seed=len(name)):
        values = as_list(column)
        expected = [v is not None and compiled.fullmatch(v) is not None for v in values]
        assert rx.fullmatch(column, pattern).tolist() == expected
        replaced = [None if v is None else compiled.sub(r"\1" if compiled.groups else "", v) for v in values]
        assert as_list(rx.replace(column, pattern, r"\1" if compiled.groups else "")) == replaced


def test_extract_equals_python_re_search_group_by_group() -> None:
    pattern = amounts.GRAMMAR
    compiled = pattern.compiled
    for column in columns(seed=11):
        got = rx.extract(column, pattern)
        assert list(got.columns) == list(compiled.groupindex)
        for name in compiled.groupindex:
            expected = [None if v is None or (m := compiled.search(v)) is None else m.group(name)
                        for v in as_list(column)]
            assert as_list(got[name]) == expected, name
        matched = int(got["num"].notna().sum())
        assert 0 < matched < len(column)  # the corpus has cells that are amounts and cells that are not


def test_the_two_spellings_differ_only_outside_ascii() -> None:
    """The ASCII spelling names Python's ASCII whitespace and digits, not RE2's (which miss \\x0b, \\x1c)."""
    pattern = rx.Pattern.of(r"^[{s}]?[{d}]+$")
    assert re.fullmatch(pattern.python, "\x0b5") and re.fullmatch(pattern.ascii, "\x0b5")
    assert re.fullmatch(pattern.python, "\x1c5") and re.fullmatch(pattern.ascii, "\x1c5")
    assert re.fullmatch(pattern.python, "\u3000٣") and not re.fullmatch(pattern.ascii, "\u3000٣")
    column = pd.Series(["\x0b5", "\u3000٣", "x", None], dtype="string[pyarrow]")
    assert rx.fullmatch(column, pattern).tolist() == [True, True, False, False]
