"""Decode export files into a frame of text cells.

Encodings are settled before anything else so that no undecodable byte is ever
replaced silently: a file is UTF-8 (with or without BOM), UTF-16 (with BOM) or
GB18030/GBK, or it is rejected with the byte offset that broke it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from salestier_pipeline.ingest.csv_text import CsvError, count_lines, parse_csv_text
from salestier_pipeline.ingest.records import Reject
from salestier_pipeline.ingest.workbook import WorkbookError, read_xlsx
from salestier_pipeline.settings import DEFAULT_LIMITS, IngestLimits


class FileReadError(ValueError):
    """The file as a whole cannot be read (encoding, binary, empty, truncated)."""


@dataclass(frozen=True)
class DecodedFile:
    """A file's header row, its data rows as text (NA for empty cells), and the lines that are not rows."""

    headers: list[str]
    rows: pd.DataFrame  # columns = headers (deduplicated), all string dtype
    line_numbers: pd.Series  # 1-based physical line of each row in the file
    encoding: str
    file_format: str  # "csv" | "xlsx"
    rejects: list[Reject] = field(default_factory=list)  # records quarantined before mapping (short rows ...)
    rows_blank: int = 0


LEGACY_CJK = ("gb18030", "cp950")  # GB18030 ⊃ GBK (mainland), cp950 = Big5 as Windows writes it (Taiwan, HK)
ARBITER_SAMPLE = 1 << 18


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(data: bytes, label: str) -> str:
    """BOMs first, then strict UTF-8, then the legacy CJK encodings that decode the whole file strictly.

    Big5 bytes often decode as GB18030 too (into nonsense): when both succeed, charset-normalizer,
    limited to those two, arbitrates by which reading is language rather than noise.
    """
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
        candidates = [enc for enc in LEGACY_CJK if _decodes(data, enc)]
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            from charset_normalizer import from_bytes

            best = from_bytes(data[:ARBITER_SAMPLE], cp_isolation=candidates).best()
            return best.encoding if best is not None and best.encoding in candidates else candidates[0]
        from charset_normalizer import from_bytes

        guess = from_bytes(data[:ARBITER_SAMPLE]).best()
        likely = f"; it looks like {guess.encoding}: save it as UTF-8" if guess is not None else ""
        raise FileReadError(
            f"{label}: cannot decode as UTF-8, UTF-16, GB18030 or Big5 "
            f"(first bad byte at offset {utf8_error.start}){likely}"
        ) from None


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # below space, except tab, line feed, carriage return


def _check_text(text: str, label: str) -> None:
    sample = text[:65536]
    controls = len(_CONTROL.findall(sample))  # in C: a Python loop over 64 K characters cost 6 ms a file
    if sample and controls / len(sample) > 0.01:
        raise FileReadError(f"{label}: binary content (control characters) - not a text export")


def _check_nul(text: str, label: str) -> None:
    """A NUL is never text: the file fails wherever it is (not only in the first 64 KiB)."""
    at = text.find("\x00")
    if at >= 0:
        line = count_lines(text[:at]) or 1
        raise FileReadError(f"{label}: binary content (NUL byte on line {line}) - not a text export")


def _check_truncated(text: str, width: int, label: str) -> None:
    """A file cut mid-row ends without a newline on a line with fewer fields than the header."""
    if text.endswith(("\n", "\r")):
        return
    last_line = text.rsplit("\n", 1)[-1]
    fields = next(csv.reader([last_line]), [])
    if 0 < len(fields) < width and count_lines(text) > 1:
        raise FileReadError(
            f"{label}: truncated file: last line {count_lines(text)} has {len(fields)} of {width} fields "
            "and no line end"
        )


def decode_text(text: str, label: str, encoding: str, limits: IngestLimits = DEFAULT_LIMITS) -> DecodedFile:
    """Parse decoded CSV text into rows and rejects; file-level problems raise FileReadError."""
    _check_nul(text, label)
    _check_text(text, label)
    if not text.strip():
        raise FileReadError(f"{label}: empty file (no header row)")
    try:
        parsed = parse_csv_text(text, label, limits)
    except CsvError as exc:
        raise FileReadError(str(exc)) from None
    _check_truncated(text, len(parsed.headers), label)
    return DecodedFile(parsed.headers, parsed.rows, parsed.line_numbers, encoding, "csv", parsed.rejects,
                       parsed.rows_blank)


def decode_file(path: Path, label: str, limits: IngestLimits = DEFAULT_LIMITS) -> DecodedFile:
    """Read a .csv or .xlsx export within `limits`; raise FileReadError with the file's name and cause."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise FileReadError(f"{label}: empty file (0 bytes)")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            parsed = read_xlsx(path, label, limits=limits)
        except WorkbookError as exc:
            raise FileReadError(str(exc)) from None
        return DecodedFile(parsed.headers, parsed.rows, parsed.line_numbers, "xlsx", "xlsx", parsed.rejects,
                           parsed.rows_blank)
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise FileReadError(f"{label}: a zip/xlsx workbook with a .csv name")
    encoding = detect_encoding(data, label)
    text = data.decode(encoding)
    del data  # the bytes are not needed once decoded: a large export is not held twice
    return decode_text(text, label, encoding, limits)


def decode_header(path: Path, label: str, limits: IngestLimits = DEFAULT_LIMITS) -> list[str]:
    """Only the header row, cheaply: enough to recognise the module of a file."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise FileReadError(f"{label}: empty file (0 bytes)")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            return read_xlsx(path, label, header_only=True, limits=limits).headers
        except WorkbookError as exc:
            raise FileReadError(str(exc)) from None
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
    try:
        return parse_csv_text(first + "\n", label, limits).headers
    except CsvError as exc:
        raise FileReadError(str(exc)) from None


def _prefix_encoding(head: bytes, label: str) -> str:
    """Encoding of a 64 KiB prefix, tolerating a multi-byte character cut at its end."""
    for cut in range(4):
        try:
            return detect_encoding(head[: len(head) - cut], label)
        except FileReadError:
            continue
    return detect_encoding(head, label)
