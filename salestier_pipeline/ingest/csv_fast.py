"""The fast path of CSV ingest: Arrow's native reader, taken only where it must agree with the strict parser.

Python's csv module (csv_text.py) accounts for every physical line and quarantines bad records with their
line numbers, but it costs ≈ 1 s per 100k rows of Python. Most exports are plain: one record per line, the
header's width on every line, quotes (if any) only around whole cells. For such a text Arrow's reader gives
the same cells, and the strict parser would find nothing to reject, so its work is skipped. Anything else —
a quote that is not a whole quoted cell, a record spanning lines, a short / long / blank row, an over-long
cell, a blank line before the header — returns None, and the strict parser reads the file as before: it
alone decides what is rejected and why.
"""

from __future__ import annotations

import csv
import re
from functools import cache

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from salestier_pipeline.ingest.records import ParsedText, dedupe

# Every character str.strip() removes (str.isspace): Unicode separators (\pZ) plus the C0/C1 controls Python
# counts as whitespace. A cell of only these is blank to the strict parser.
_BLANK_CELL = r"^[\pZ\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f}\x{85}]*$"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLOCK_BYTES = 1 << 24  # a block must hold at least one whole line


@cache
def _quoted_cell(sep: str) -> re.Pattern[str]:
    """A whole quoted cell: opens at a line start or after the separator, closes before one or a line end."""
    s = re.escape(sep)
    return re.compile(rf'(?<![^{s}\r\n])"[^"]*(?:""[^"]*)*"(?=[{s}\r\n]|\Z)')


def _quotes_are_whole_cells(text: str, sep: str) -> bool:
    """True when every quote character belongs to a whole quoted cell (doubled inside it): then a strict
    csv reader and Arrow's reader split the line the same way."""
    if '"' not in text:
        return True
    return '"' not in _quoted_cell(sep).sub("", text)


def _header(line: str, sep: str) -> list[str] | None:
    record = next(csv.reader([line], delimiter=sep, strict=True), [])
    return [cell.strip() for cell in record] if any(cell.strip() for cell in record) else None


def parse_plain_csv(text: str, sep: str, physical: int, max_cell_chars: int) -> ParsedText | None:
    """The rows of `text` when it is plain (see the module docstring), else None. `physical` is the
    caller's count of physical lines, which the result must account for exactly."""
    first_end = _LINE_BREAK.search(text)
    header_line = text[: first_end.start()] if first_end else text
    if not _quotes_are_whole_cells(text, sep):
        return None
    try:
        headers = _header(header_line, sep)
    except Exception:  # noqa: BLE001 - any doubt goes to the strict parser
        return None
    if headers is None:
        return None
    width = len(headers)
    names = [f"f{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False,
                                           block_size=_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char='"', double_quote=True, escape_char=False,
                                             newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.large_string()),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # a row of another width (or anything Arrow will not read): the strict parser says which
    rows = table.num_rows
    if 1 + rows != physical:
        return None
    blank = None
    for column in table.columns:
        if rows and pc.max(pc.utf8_length(column)).as_py() > max_cell_chars:
            return None
        cell_blank = pc.match_substring_regex(column, _BLANK_CELL)
        blank = cell_blank if blank is None else pc.and_(blank, cell_blank)
    if rows and blank is not None and pc.any(blank).as_py():
        return None  # blank rows are counted (and skipped) by the strict parser
    empty = pa.scalar(None, pa.large_string())
    data = {name: pd.Series(pd.arrays.ArrowStringArray(pc.if_else(pc.equal(column, ""), empty, column)),
                            dtype="string[pyarrow]")
            for name, column in zip(dedupe(headers), table.columns, strict=True)}
    frame = pd.DataFrame(data) if data else pd.DataFrame(index=range(rows))
    return ParsedText(headers, frame, pd.Series(range(2, rows + 2), dtype="int64"), [], 0, physical)
