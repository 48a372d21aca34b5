"""What a parser made of a file's physical lines: rows, rejected records, blank lines.

Every physical line of an export must end up somewhere a user can see: in a
loaded row, a rejected record (quarantined with its line numbers), or the
blank count. `ParsedText` carries all three so the caller can prove it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

RAW_TEXT_CHARS = 200  # how much of a rejected line the quarantine keeps


@dataclass(frozen=True)
class Reject:
    """A record the parser could not turn into a row: where it is and why."""

    line: int  # first physical line (1-based)
    reason: str
    raw: str  # the physical text of that line, cut to RAW_TEXT_CHARS


@dataclass
class ParsedText:
    """Rows as text cells plus the lines that are not rows."""

    headers: list[str]
    rows: pd.DataFrame  # columns = deduplicated headers, all string dtype, NA for empty cells
    line_numbers: pd.Series  # first physical line of each row
    rejects: list[Reject] = field(default_factory=list)
    rows_blank: int = 0  # records whose cells are all empty (Excel's trailing ",,,," rows)
    physical_lines: int = 0


def dedupe(headers: list[str]) -> list[str]:
    """`Amount, Amount` → `Amount, Amount.1`: a frame needs unique column names."""
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        n = seen.get(h, 0)
        seen[h] = n + 1
        out.append(h if n == 0 else f"{h}.{n}")
    return out


def text_frame(headers: list[str], records: list[list[str | None]]) -> pd.DataFrame:
    """Column-wise arrow strings: an order of magnitude cheaper than a frame of Python objects."""
    names = dedupe(headers)
    columns = list(zip(*records, strict=True)) if records else [()] * len(names)
    data = {}
    for name, values in zip(names, columns, strict=True):
        array = pa.array(values, type=pa.large_string())
        data[name] = pd.Series(pd.arrays.ArrowStringArray(array), dtype="string[pyarrow]")
    frame = pd.DataFrame(data) if data else pd.DataFrame(index=range(len(records)))
    return frame.mask(frame == "") if len(frame) else frame


def cut(text: str) -> str:
    return text if len(text) <= RAW_TEXT_CHARS else text[:RAW_TEXT_CHARS] + "…"
