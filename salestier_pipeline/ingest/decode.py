"""Decode export files into a frame of text cells.

Encodings are settled before anything else so that no undecodable byte is ever
replaced silently: a file is UTF-8 (with or without BOM), UTF-16 (with BOM) or
GB18030/GBK, or it is rejected with the byte offset that broke it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


class FileReadError(ValueError):
    """The file as a whole cannot be read (encoding, binary, empty, truncated)."""


@dataclass(frozen=True)
class DecodedFile:
    """A file's header row and its data rows as text (NA for empty cells)."""

    headers: list[str]
    rows: pd.DataFrame  # columns = headers (deduplicated), all object/str
    line_numbers: pd.Series  # 1-based physical line of each row in the file
    encoding: str
    file_format: str  # "csv" | "xlsx"


def detect_encoding(data: bytes, label: str) -> str:
    """BOMs first, then strict UTF-8, then strict GB18030 (a superset of GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in data[:65536]:
        raise FileReadError(f"{label}: binary content (NUL bytes) - not a text export")
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            data.decode("gb18030")
            return "gb18030"
        except UnicodeDecodeError:
            raise FileReadError(
                f"{label}: cannot decode as UTF-8, UTF-16 or GB18030 "
                f"(first bad byte at offset {utf8_error.start})"
            ) from None


def _check_text(text: str, label: str) -> None:
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if sample and controls / len(sample) > 0.01:
        raise FileReadError(f"{label}: binary content (control characters) - not a text export")


def _dedupe(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        n = seen.get(h, 0)
        seen[h] = n + 1
        out.append(h if n == 0 else f"{h}.{n}")
    return out


def read_csv_text(text: str, label: str) -> tuple[list[str], pd.DataFrame, pd.Series]:
    """Parse CSV text with the C parser; every cell stays text."""
    first_line = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype="string[pyarrow]",
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise FileReadError(f"{label}: no header row (empty file)") from None
    except pd.errors.ParserError as exc:
        raise FileReadError(f"{label}: malformed or truncated CSV ({exc})") from None
    headers = [str(h).strip() for h in frame.columns]
    _check_truncated(text, frame, sep, label)
    frame.columns = _dedupe(headers)
    # Physical line of each record: header is line 1. Records with embedded
    # newlines shift later lines; count them so errors point at the real line.
    lines = _record_lines(text, frame)
    return headers, frame, lines


def _check_truncated(text: str, frame: pd.DataFrame, sep: str, label: str) -> None:
    """A file cut mid-row ends without a newline on a line with fewer fields than the header."""
    if not len(frame) or text.endswith(("\n", "\r")):
        return
    last_line = text.rsplit("\n", 1)[-1]
    fields = next(csv.reader([last_line], delimiter=sep), [])
    if len(fields) < len(frame.columns):
        line = text.count("\n") + 1
        raise FileReadError(
            f"{label}: truncated file: last line {line} has {len(fields)} of {len(frame.columns)} fields "
            "and no line end"
        )


def _record_lines(text: str, frame: pd.DataFrame) -> pd.Series:
    """Start line of each data record (header = line 1).

    The common case (no blank lines, no newline inside a quoted cell) is a
    plain range; otherwise the records are walked once to find real lines.
    """
    n_rows = len(frame)
    multiline = any(
        frame[c].str.contains("\n", regex=False).any() for c in frame.columns
    )
    blank = "\n\n" in text or "\n\r\n" in text
    if not multiline and not blank:
        return pd.Series(range(2, n_rows + 2), dtype="int64")
    reader = csv.reader(io.StringIO(text))
    starts: list[int] = []
    line = 1
    for record in reader:
        if record and any(cell.strip() for cell in record):
            starts.append(line)
        line = reader.line_num + 1
    return pd.Series(starts[1 : n_rows + 1], dtype="int64")


def _cell_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, label: str) -> tuple[list[str], pd.DataFrame, pd.Series]:
    """First sheet with a header row; Excel dates become ISO text, numbers plain text."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types
        raise FileReadError(f"{label}: not a readable xlsx workbook ({exc})") from None
    for name in workbook.sheet_names:
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for idx, row in enumerate(rows):
            if any(_cell_text(v) for v in row):
                headers = [(_cell_text(v) or "").strip() for v in row]
                width = len(headers)
                body = [
                    [_cell_text(v) for v in (r + [None] * (width - len(r)))[:width]]
                    for r in rows[idx + 1 :]
                ]
                keep = [i for i, r in enumerate(body) if any(c is not None for c in r)]
                frame = pd.DataFrame([body[i] for i in keep], columns=_dedupe(headers), dtype=object)
                lines = pd.Series([idx + 2 + i for i in keep], dtype="int64")
                return headers, frame, lines
    raise FileReadError(f"{label}: workbook has no sheet with a header row (empty file)")


def decode_file(path: Path, label: str) -> DecodedFile:
    """Read a .csv or .xlsx export; raise FileReadError with the file's name and cause."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise FileReadError(f"{label}: empty file (0 bytes)")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        headers, frame, lines = read_xlsx(path, label)
        return DecodedFile(headers, frame, lines, "xlsx", "xlsx")
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise FileReadError(f"{label}: a zip/xlsx workbook with a .csv name")
    encoding = detect_encoding(data, label)
    text = data.decode(encoding)
    _check_text(text, label)
    if not text.strip():
        raise FileReadError(f"{label}: empty file (no header row)")
    headers, frame, lines = read_csv_text(text, label)
    return DecodedFile(headers, frame, lines, encoding, "csv")


def decode_header(path: Path, label: str) -> list[str]:
    """Only the header row, cheaply: enough to recognise the module of a file."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise FileReadError(f"{label}: empty file (0 bytes)")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, label)[0]
    with path.open("rb") as fh:
        head = fh.read(65536)
    if head.startswith(b"PK\x03\x04"):
        raise FileReadError(f"{label}: a zip/xlsx workbook with a .csv name")
    encoding = detect_encoding(head, label) if len(head) < 65536 else _prefix_encoding(head, label)
    text = head.decode(encoding, errors="strict" if len(head) < 65536 else "ignore")
    _check_text(text, label)
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise FileReadError(f"{label}: empty file (no header row)")
    return read_csv_text(first + "\n", label)[0]


def _prefix_encoding(head: bytes, label: str) -> str:
    """Encoding of a 64 KiB prefix, tolerating a multi-byte character cut at its end."""
    for cut in range(4):
        try:
            return detect_encoding(head[: len(head) - cut], label)
        except FileReadError:
            continue
    return detect_encoding(head, label)
