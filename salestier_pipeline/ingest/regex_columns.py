"""Regular expressions over whole text columns, at pyarrow's speed wherever that gives Python's answer.

pandas runs a pattern in pyarrow (RE2, vectorised) only when RE2 means the same as Python's `re`; with
`\\s`, or `\\d` on a column holding any non-ASCII cell, it falls back to one Python call per cell (100x the
demo: 1-3 s per large amount or date column). Python's `\\d` and `\\s` differ from RE2's only outside ASCII,
so a pattern is written once as a template with `{d}` and `{s}` inside character classes, and each column
is split: its ASCII cells run the RE2 spelling (`0-9`, Python's ASCII whitespace), the others Python's
(`\\d`, `\\s`). Both halves give exactly what the Python pattern gives on the whole column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# what Python's `\s` matches among ASCII characters (str.isspace); RE2's `\s` misses \x0b and \x1c-\x1f
ASCII_SPACE = "\t\n\x0b\x0c\r\x1c-\x1f "


@dataclass(frozen=True)
class Pattern:
    """One pattern in two spellings: `python` for any text, `ascii` (RE2-compatible) for ASCII-only text."""

    python: str
    ascii: str

    @classmethod
    def of(cls, template: str) -> Pattern:
        """From a template using `{d}` (digits) and `{s}` (whitespace) inside character classes only;
        literal braces are doubled, as in str.format."""
        return cls(template.format(d=r"\d", s=r"\s"), template.format(d="0-9", s=ASCII_SPACE))

    @property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.python)


def ascii_cells(text: pd.Series) -> pd.Series:
    """True where the cell is ASCII-only (or missing)."""
    array = pa.array(text.astype("string[pyarrow]").array)
    return pd.Series(pc.fill_null(pc.string_is_ascii(array), True).to_numpy(zero_copy_only=False),
                     index=text.index)


def by_ascii(text: pd.Series, pattern: Pattern, apply: Callable[[pd.Series, str], pd.Series | pd.DataFrame]):
    """`apply(cells, spelling)` on the ASCII cells with the RE2 spelling and on the rest with Python's,
    put back together in the column's order."""
    text = text.astype("string[pyarrow]")
    ascii_mask = ascii_cells(text)
    if bool(ascii_mask.all()):
        return apply(text, pattern.ascii)
    if not bool(ascii_mask.any()):
        return apply(text, pattern.python)
    parts = [apply(text[ascii_mask], pattern.ascii), apply(text[~ascii_mask], pattern.python)]
    return pd.concat(parts).reindex(text.index)


def _extract(cells: pd.Series, pat: str, ascii_only: bool) -> pd.DataFrame:
    names = list(re.compile(pat).groupindex)
    array = pa.array(cells.array)
    if not ascii_only or pc.any(pc.match_substring(array, "\n"), min_count=0).as_py():
        # Python's re, one call per cell (what Series.str.extract does for these strings); also for a
        # newline, before which Python's `$` matches and RE2's does not
        return cells.str.extract(pat)
    # pyarrow's kernel: Series.str.extract never uses it for string[pyarrow] (pandas 3.1 resolves
    # _str_extract to its object-array mixin); a group that took no part comes back as ''
    found = pc.extract_regex(array, pat)
    columns = {}
    for name in names:
        field = pc.struct_field(found, name)
        columns[name] = pd.Series(pd.arrays.ArrowStringArray(pc.if_else(pc.equal(field, ""), None, field)),
                                  index=cells.index)
    return pd.DataFrame(columns, index=cells.index)


def extract(text: pd.Series, pattern: Pattern) -> pd.DataFrame:
    """Series.str.extract with named groups: NA where the cell does not match or a group took no part.

    Every group of the pattern must match at least one character when it takes part: pyarrow reports a
    group that took no part as an empty string."""
    return by_ascii(text, pattern, lambda cells, pat: _extract(cells, pat, pat == pattern.ascii))


def fullmatch(text: pd.Series, pattern: Pattern) -> pd.Series:
    """Series.str.fullmatch as a bool Series: False for missing cells."""
    return by_ascii(text, pattern, lambda cells, pat: cells.str.fullmatch(pat)).fillna(False).astype(bool)


def replace(text: pd.Series, pattern: Pattern, repl: str) -> pd.Series:
    """Series.str.replace (regex); `repl` may refer to groups as `\\1`."""
    return by_ascii(text, pattern, lambda cells, pat: cells.str.replace(pat, repl, regex=True))
