"""The CSV reader streams: physical lines one at a time, rows into Arrow chunks (issue 14, bounded memory).

Both must change nothing but memory: the lines are exactly the ones io.StringIO(newline="") yields (the
parser's line numbers and line accounting depend on it), and a frame built in many chunks equals the
frame built in one.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from salestier_pipeline.ingest.csv_text import parse_csv_text, physical_lines
from salestier_pipeline.ingest.records import TextColumns

TEXTS = [
    "", "x", "a\n", "a\n\n", "a\r", "a\r\r\n", "a\r\nb\rc\nd", "\n\n\n", "\r\n\r\n",
    "id,note\n1,\"two\r\nlines\"\n2,x\r",
    "é,ü\u2028x\x85y\n z\x0b\x0c\x1c\x1d\x1e",  # str.splitlines would break at all of these; CSV does not
    "名字,金额\r\n张三,￥１２００\r\n",
]


@pytest.mark.parametrize("text", TEXTS)
def test_physical_lines_split_where_stringio_splits(text: str) -> None:
    assert list(physical_lines(text)) == list(io.StringIO(text, newline=""))


def test_rows_in_many_chunks_make_the_same_frame_as_in_one() -> None:
    records = [[f"r{i}", "" if i % 3 == 0 else f"v{i}", None if i % 5 == 0 else "名"] for i in range(11)]
    frames = []
    for chunk_rows in (1, 2, 4, 1000):
        columns = TextColumns(3, chunk_rows)
        for record in records:
            columns.append(record)
        frames.append(columns.frame(["id", "value", "id"]))
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0])
    first = frames[0]
    assert list(first.columns) == ["id", "value", "id.1"]
    assert first["value"].isna().sum() == 4  # rows 0, 3, 6, 9: an empty cell is NA, as before
    assert first["id.1"].isna().sum() == 3 and first.loc[1, "id.1"] == "名"
    assert str(first.dtypes.iloc[0]) == "string"


def test_a_file_larger_than_a_chunk_keeps_every_row_and_line_number() -> None:
    rows = 70_000  # more than two chunks of CHUNK_ROWS
    text = "id,amount,note\n" + "".join(
        f'{i},{i * 2},"a\nb"\n' if i % 10_000 == 0 else f"{i},{i * 2},\n" for i in range(rows))
    parsed = parse_csv_text(text, "big.csv")
    assert len(parsed.rows) == rows and parsed.rejects == []
    assert parsed.rows["id"].iloc[-1] == str(rows - 1) and parsed.rows["note"].notna().sum() == 7
    # every multi-line row pushes the next row's first line down by one
    assert parsed.line_numbers.iloc[0] == 2 and parsed.line_numbers.iloc[-1] == rows + 1 + 7
    assert parsed.physical_lines == rows + 1 + 7
