"""The raw suites validated in chunks of rows give the outcomes of one validation of the whole frame.

The GX worker validates a large module in chunks (raw_checks.CHUNK_ROWS) to bound its memory. Crafted
raw Parquet of opportunities: 60 records over two exports, with duplicated ids, dates after the export,
probabilities over 100 and missing ones spread over every chunk; chunks of 7 rows must give exactly the
outcomes (counts, percentages, samples, locations, verdicts) of the whole frame.
"""

from __future__ import annotations

from pathlib import Path

from salestier_pipeline.quality.gx_adapter import validate_chunks, validate_frame
from salestier_pipeline.quality.raw_checks import raw_check_chunks, raw_check_frame
from tests.test_raw_expectations_fail import AS_OF, EXPORTS, _row, write_raw

MODULE = "opportunities"


def crafted_rows() -> list[dict]:
    rows = [_row(MODULE, EXPORTS[0], f"r{i}", i + 2) for i in range(40)]
    rows += [_row(MODULE, EXPORTS[1], f"r{i}", i + 2) for i in range(30, 50)]
    for i in range(0, 40, 6):  # 7 probabilities over 100
        rows[i]["probability"] = 150.0 + i
    for i in range(4, 40, 9):  # 4 missing: not counted in the percentage
        rows[i]["probability"] = None
    for i in range(45, 60, 4):  # 4 dates after the export
        rows[i]["created_at"] = "2026-07-09 10:00:00"
    rows += [{**rows[k], "source_line": 100 + k} for k in (1, 17, 44, 59)]  # 4 ids twice in one export
    return rows


def test_chunked_outcomes_equal_whole_frame_outcomes(tmp_path: Path) -> None:
    write_raw(tmp_path / "raw", MODULE, crafted_rows())
    whole = validate_frame(raw_check_frame(tmp_path / "raw", MODULE, AS_OF), "raw", MODULE)
    chunks = list(raw_check_chunks(tmp_path / "raw", MODULE, AS_OF, chunk_rows=7))
    assert len(chunks) == 10 and sum(len(c) for c in chunks) == 64
    for chunk in chunks:  # each chunk in location order, like the whole frame
        lines = list(zip(chunk["source_file"].astype(str), chunk["source_line"], strict=True))
        assert lines == sorted(lines)
    chunked = validate_chunks(chunks, "raw", MODULE)
    assert chunked == whole

    by_check = {o.check: o for o in whole}
    assert not by_check["ids_unique_per_export"].passed
    assert by_check["ids_unique_per_export"].unexpected_count == 8  # both rows of each duplicated id
    assert by_check["probability_0_100"].unexpected_count == 7
    assert by_check["probability_0_100"].unexpected_percent == 7 / (64 - 4) * 100
    assert by_check["probability_0_100"].sample == [150.0, 156.0, 162.0, 168.0, 174.0]
    assert by_check["dates_not_after_export"].unexpected_count == 4
    assert by_check["record_count_band"].passed


def test_an_empty_module_gives_one_empty_chunk(tmp_path: Path) -> None:
    write_raw(tmp_path / "raw", MODULE, [_row(MODULE, EXPORTS[0], "r0", 2)])
    chunks = list(raw_check_chunks(tmp_path / "raw", MODULE, "2026-01-01", chunk_rows=7))
    assert [len(c) for c in chunks] == [0]
    assert validate_chunks(chunks, "raw", MODULE) == validate_frame(chunks[0], "raw", MODULE)
