"""Read xlsx exports with calamine, after proving the workbook is small enough to read.

calamine allocates a dense grid from a sheet's extent: a 5 KB workbook with one
cell at XFD1048576 asks for 512 GiB and aborts the process, and a zip bomb
inflates a few MB into gigabytes. Before calamine sees a file, every part of
the archive is inflated as a stream (nothing kept) to measure its real size,
and each sheet's declared dimension and actual cell extent are checked. A
workbook over a limit fails by name, with the limit and how to raise it.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from salestier_pipeline.ingest.records import ParsedText, Reject, cut, text_frame
from salestier_pipeline.settings import DEFAULT_LIMITS, MAX_BYTES_ENV, MAX_CELLS_ENV, IngestLimits

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
_CHUNK = 1 << 20
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"')


class WorkbookError(ValueError):
    """The workbook cannot be read safely or at all; the message names the file and the cause."""


@dataclass(frozen=True)
class Extent:
    """Rows × columns a sheet spans (declared or found), as calamine would allocate them."""

    rows: int
    columns: int

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def column_number(letters: bytes) -> int:
    """b'A' → 1, b'XFD' → 16384."""
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _scan_sheet(stream, label: str, part: str, budget: int) -> tuple[int, Extent | None, Extent]:
    """Inflate one sheet part as a stream: its size, declared dimension and the extent of its cells."""
    size = 0
    declared: Extent | None = None
    low_row = low_col = None
    high_row = high_col = 0
    tail = b""
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > budget:
            return size, declared, Extent(0, 0)
        data = tail + chunk
        if declared is None and (m := _DIMENSION.search(data)):
            first_col, first_row = column_number(m[1]), int(m[2])
            last_col, last_row = (column_number(m[3]), int(m[4])) if m[3] else (first_col, first_row)
            declared = Extent(last_row - first_row + 1, last_col - first_col + 1)
        for m in _CELL_REF.finditer(data):
            row, col = int(m[2]), column_number(m[1])
            low_row = row if low_row is None else min(low_row, row)
            low_col = col if low_col is None else min(low_col, col)
            high_row, high_col = max(high_row, row), max(high_col, col)
        tail = data[-256:]  # a tag cut by the chunk boundary is seen whole in the next round
    found = Extent(high_row - (low_row or 1) + 1, high_col - (low_col or 1) + 1) if high_row else Extent(0, 0)
    return size, declared, found


def check_workbook(path: Path, label: str, limits: IngestLimits = DEFAULT_LIMITS) -> None:
    """Raise WorkbookError unless every part inflates within limits.max_bytes and every sheet's grid
    stays within Excel's maxima and limits.max_cells."""
    max_cells, max_bytes = limits.max_cells, limits.max_bytes
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookError(f"{label}: not a readable xlsx workbook ({exc})") from None
    total = 0
    with archive:
        for info in archive.infolist():
            budget = max_bytes - total
            try:
                with archive.open(info) as stream:
                    if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                        size, declared, found = _scan_sheet(stream, label, info.filename, budget)
                        for what, extent in (("declares", declared), ("has cells spanning", found)):
                            if extent is None or size > budget:
                                continue
                            if extent.rows > EXCEL_MAX_ROWS or extent.columns > EXCEL_MAX_COLUMNS:
                                raise WorkbookError(
                                    f"{label}: sheet {info.filename} {what} {extent.rows:,} rows × "
                                    f"{extent.columns:,} columns, beyond Excel's {EXCEL_MAX_ROWS:,} × "
                                    f"{EXCEL_MAX_COLUMNS:,}")
                            if extent.cells > max_cells:
                                raise WorkbookError(
                                    f"{label}: sheet {info.filename} {what} {extent.rows:,} rows × "
                                    f"{extent.columns:,} columns = {extent.cells:,} cells, over the limit of "
                                    f"{max_cells:,} ({MAX_CELLS_ENV}); export fewer columns or rows, or as CSV")
                    else:
                        size = 0
                        while size <= budget and (chunk := stream.read(_CHUNK)):
                            size += len(chunk)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
                raise WorkbookError(f"{label}: not a readable xlsx workbook ({info.filename}: {exc})") from None
            total += size
            if total > max_bytes:
                raise WorkbookError(
                    f"{label}: workbook inflates to more than {max_bytes:,} bytes ({MAX_BYTES_ENV}) "
                    f"at part {info.filename}; export it as CSV or raise the limit")


def cell_text(value: object) -> str | None:
    """A calamine cell as export text: dates ISO, whole floats without '.0', empty as NULL."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, label: str, header_only: bool = False, limits: IngestLimits = DEFAULT_LIMITS) -> ParsedText:
    """First sheet with a header row; Excel dates become ISO text, numbers plain text; blank rows counted."""
    from python_calamine import CalamineWorkbook

    check_workbook(path, label, limits)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise WorkbookError(f"{label}: not a readable xlsx workbook ({exc})") from None
    for name in workbook.sheet_names:
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for idx, row in enumerate(rows):
            if not any(cell_text(v) for v in row):
                continue
            headers = [(cell_text(v) or "").strip() for v in row]
            while headers and not headers[-1]:  # the sheet's extent, not a column
                headers.pop()
            if header_only:
                return ParsedText(headers, pd.DataFrame(), pd.Series([], dtype="int64"))
            width = len(headers)
            records: list[list[str | None]] = []
            starts: list[int] = []
            rejects: list[Reject] = []
            blank = 0
            for line, raw in enumerate(rows[idx + 1:], start=idx + 2):
                cells = [cell_text(v) for v in raw]
                if not any(c is not None and c.strip() for c in cells):
                    blank += 1
                elif any(c is not None and c.strip() for c in cells[width:]):
                    rejects.append(Reject(line, f"long row: a value beyond the {width} headed columns",
                                          cut(",".join(c or "" for c in cells))))
                else:
                    records.append((cells + [None] * width)[:width])
                    starts.append(line)
            return ParsedText(headers, text_frame(headers, records), pd.Series(starts, dtype="int64"), rejects,
                              blank, len(rows))
    raise WorkbookError(f"{label}: workbook has no sheet with a header row (empty file)")
