"""CSV text → rows, with every physical line accounted for.

Python's csv module (strict mode) is the parser because it reports where each
record starts and ends and how many fields it has: a short or long row, a
malformed quote or a bare CR is then quarantined with its line numbers instead
of being padded with NULLs, merged into its neighbour or crashing the ingest.

A stray quote can also parse "successfully" by swallowing the lines up to the
next quote into one cell. The lines of a multi-line record are therefore
checked: a continuation line that on its own holds a whole row's worth of
fields is a swallowed row, and the record is rejected line by line.
Finally the physical lines are counted independently of the parser (every
`\\r\\n`, `\\r` or `\\n`) and must equal header + rows + rejects + blanks.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import pandas as pd

from salestier_pipeline.ingest.csv_fast import parse_plain_csv
from salestier_pipeline.ingest.records import ParsedText, Reject, TextColumns, cut
from salestier_pipeline.settings import DEFAULT_LIMITS, MAX_CELL_CHARS_ENV, IngestLimits

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# below this many columns a note with a few commas could look like a whole row: the swallowed-line
# test is not trusted there (the strict parser still catches quoting that is not valid CSV)
SWALLOW_MIN_WIDTH = 5


class CsvError(ValueError):
    """The text cannot be read as CSV at all (no header, cut inside a quote)."""


def sniff_delimiter(first_line: str) -> str:
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def count_lines(text: str) -> int:
    """Physical lines, the way an editor numbers them (a last line without a line end counts)."""
    breaks = text.count("\r") + text.count("\n") - text.count("\r\n")  # \r\n, \r, \n: one break each
    return breaks + (0 if not text or text.endswith(("\n", "\r")) else 1)


_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def physical_lines(text: str) -> Iterator[str]:
    """The lines of `text` with their line ends, one at a time, split where io.StringIO(newline="") splits
    (\\r\\n, \\r, \\n; not str.splitlines' other breaks). StringIO holds the whole text again as
    4-byte characters: 450 MB for a 112 MB export."""
    return (match.group() for match in _PHYSICAL_LINE.finditer(text))


class _Lines:
    """The physical lines of the text, split only when a multi-line record needs them."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: list[str] | None = None

    def __getitem__(self, line: int) -> str:  # 1-based
        if self._lines is None:
            self._lines = _LINE_BREAK.split(self._text)
        return self._lines[line - 1] if 0 < line <= len(self._lines) else ""


def _fields(line: str, sep: str) -> int:
    return len(next(csv.reader([line], delimiter=sep), []))


def parse_csv_text(text: str, label: str, limits: IngestLimits = DEFAULT_LIMITS) -> ParsedText:
    """Parse CSV text; rows keep their first physical line, bad records (a cell over limits.max_cell_chars
    too) become `Reject`s. A plain text takes Arrow's reader (csv_fast.py), anything else the strict one."""
    first = next((ln for ln in _LINE_BREAK.split(text[:65536]) if ln.strip()), "")
    sep = sniff_delimiter(first)
    physical = count_lines(text)
    plain = parse_plain_csv(text, sep, physical, limits.max_cell_chars)
    if plain is not None:
        return plain
    return parse_strict_csv(text, label, sep, physical, limits)


def parse_strict_csv(text: str, label: str, sep: str, physical: int,
                     limits: IngestLimits = DEFAULT_LIMITS) -> ParsedText:
    """The strict parser: every record checked, every physical line accounted for (`physical` of them).
    The csv module's field limit is process-wide, so the caller's is put back afterwards."""
    previous = csv.field_size_limit(limits.max_cell_chars)
    try:
        return _parse_strict(text, label, sep, physical, limits.max_cell_chars)
    finally:
        csv.field_size_limit(previous)


def _parse_strict(text: str, label: str, sep: str, physical: int, limit: int) -> ParsedText:
    lines = _Lines(text)
    reader = csv.reader(physical_lines(text), delimiter=sep, strict=True)
    headers: list[str] | None = None
    header_end = 0
    width = 0
    records: TextColumns | None = None
    starts: list[int] = []
    rejects: list[Reject] = []
    blank = 0
    rejected_lines = 0
    row_lines = 0  # physical lines of accepted rows, from their content (1 + line breaks inside cells)

    def reject(start: int, end: int, reason: str) -> None:
        nonlocal rejected_lines
        rejects.extend(Reject(n, reason, cut(lines[n])) for n in range(start, end + 1))
        rejected_lines += end - start + 1

    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            end = reader.line_num
            message = str(exc)
            if "unexpected end of data" in message:
                raise CsvError(f"{label}: malformed or truncated CSV (a quoted cell opened on line {start} "
                               "never closes)") from None
            if headers is None:
                raise CsvError(f"{label}: the header row (line {start}) is not valid CSV: {message}") from None
            if "field larger than field limit" in message:
                reject(start, end, f"cell longer than {limit} characters ({MAX_CELL_CHARS_ENV})")
            elif end > start:
                reject(start, end, f"unbalanced quote: a quoted cell opened on line {start} runs to line {end}")
            else:
                reject(start, end, f"malformed quoting on line {start} ({message})")
            continue
        end = reader.line_num
        if not any(cell.strip() for cell in record):
            if headers is None:
                header_end = end
            else:
                blank += end - start + 1
            continue
        if headers is None:
            headers = [cell.strip() for cell in record]
            width = len(headers)
            records = TextColumns(width)
            header_end = end
            continue
        if len(record) > width and not any(c.strip() for c in record[width:]):
            record = record[:width]  # trailing separators Excel adds: empty cells, not data
        if len(record) != width:
            kind = "short" if len(record) < width else "long"
            reject(start, end, f"{kind} row: {len(record)} of {width} fields")
            continue
        if end > start and width >= SWALLOW_MIN_WIDTH and any(
                _fields(lines[n], sep) >= width for n in range(start + 1, end + 1)):
            reject(start, end, f"unbalanced quote: lines {start}-{end} were read as one row, but line(s) after "
                               f"{start} hold a whole row each")
            continue
        records.append(record)  # type: ignore[union-attr]  # set with the header
        starts.append(start)
        if end > start:
            row_lines += 1 + sum(len(_LINE_BREAK.findall(cell)) for cell in record)
        else:
            row_lines += 1
    if headers is None or records is None:
        raise CsvError(f"{label}: no header row (empty file)")
    accounted = header_end + blank + rejected_lines + row_lines
    if accounted != physical:  # the parser lost or invented lines: never load such a file silently
        raise CsvError(f"{label}: {physical} physical lines but the parser accounted for {accounted}; "
                       "the file's quoting or line ends are inconsistent")
    return ParsedText(headers, records.frame(headers), pd.Series(starts, dtype="int64"), rejects, blank,
                      physical)

