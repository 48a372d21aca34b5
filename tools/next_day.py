"""A next-day export batch for the bench: a small delta of the latest batch, dated the day after it.

For every CRM source, each file of its latest batch gets a twin in <source>/<day after>/ holding the header
and ~1 % of its records (exactly ceil(1 %), spread evenly), each with one free-text field changed; every
other field is identical. The file keeps its format (CSV encoding, BOM and line ends; xlsx). This is what
an incremental nightly run has to pick up: a handful of changed records next to all of history.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineWorkbook

from salestier_pipeline.ingest.csv_text import sniff_delimiter
from salestier_pipeline.ingest.decode import decode_header, detect_encoding
from salestier_pipeline.ingest.headers import detect_module, match_module
from salestier_pipeline.ingest.landing import DATE_DIR, EXPORT_SUFFIXES, REFERENCE
from salestier_pipeline.profiles import ModuleSpec, load_profiles
from salestier_pipeline.schema import raw_columns

SHARE = 0.01
MARK = " (next day)"
# canonical columns a change cannot break (no key, no date, no number, no mapped picklist), best first
FREE_TEXT = ("comment", "subject", "title", "email", "phone", "lead_source", "industry", "deal_type",
             "account_type", "lost_reason", "status")


def changed_value(value: str | None) -> str:
    """The field's next-day value: always different from today's."""
    return f"{value}{MARK}" if value else MARK.strip()


def pick_rows(count: int, share: float = SHARE) -> list[int]:
    """ceil(share x count) row indexes, evenly spread over the file."""
    wanted = min(count, math.ceil(count * share))
    return [i * count // wanted for i in range(wanted)] if wanted else []


def delta_rows(rows: Sequence[Sequence[str | None]], column: int, share: float = SHARE) -> list[list[str | None]]:
    """The picked records with the field at `column` changed; every other field as it was."""
    out = []
    for i in pick_rows(len(rows), share):
        row = list(rows[i])
        row[column] = changed_value(row[column] if column < len(row) else None)
        out.append(row)
    return out


def split_csv(text: str) -> tuple[str, str, list[str], list[list[str]]]:
    """(delimiter, line end, header, records) of CSV text; blank records are not records."""
    first = text.splitlines()[0] if text else ""
    newline = "\r\n" if "\r\n" in text[: len(first) + 2] else "\n"
    sep = sniff_delimiter(first)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    return sep, newline, records[0], [r for r in records[1:] if any(c.strip() for c in r)]


def render_csv(header: Sequence[str], rows: Sequence[Sequence[str | None]], sep: str, newline: str) -> str:
    """CSV text as an export writes it: minimal quoting, the given delimiter and line end."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def delta_csv_text(text: str, column: str, share: float = SHARE) -> str:
    """The next-day version of one CSV export: same header, same dialect (line ends, delimiter)."""
    sep, newline, header, body = split_csv(text)
    return render_csv(header, delta_rows(body, header.index(column), share), sep, newline)


def pick_column(headers: Sequence[str], module_spec: ModuleSpec) -> str:
    """The header whose field changes: a free-text column outside the record's key, else a column the
    mapping leaves out (it only reaches extra_columns), else an optional mapped text column, else the last."""
    match = match_module(list(headers), module_spec)
    keys = {"source_record_id", *module_spec.natural_key}
    for name in FREE_TEXT:
        if name in match.columns and name not in keys:
            return match.columns[name]
    unmapped = [h for h in match.extra_headers if h]
    if unmapped:
        return unmapped[0]
    required = {c.name for c in module_spec.required}
    types = raw_columns(module_spec.canonical)
    optional = [h for name, h in match.columns.items()
                if name not in keys | required and types.get(name) == "VARCHAR"]
    return optional[0] if optional else headers[-1]


@dataclass
class DeltaFile:
    """One file of the next-day batch."""

    path: str
    changed_column: str
    rows: int
    of_rows: int


def next_day(landing: Path) -> str:
    """The day after the latest dated batch of any CRM source."""
    latest = max(d.name for src in landing.iterdir() if src.is_dir() and src.name != REFERENCE
                 for d in src.iterdir() if d.is_dir() and DATE_DIR.match(d.name))
    return (dt.date.fromisoformat(latest) + dt.timedelta(days=1)).isoformat()


def latest_batches(landing: Path) -> list[Path]:
    """Each CRM source's latest batch folder (reference files are not exports)."""
    batches = []
    for src in sorted(p for p in landing.iterdir() if p.is_dir() and p.name != REFERENCE
                      and not p.name.startswith((".", "_"))):
        dated = sorted(d for d in src.iterdir() if d.is_dir() and DATE_DIR.match(d.name))
        if dated:
            batches.append(dated[-1])
    return batches


def write_delta_xlsx(source: Path, target: Path, module_spec: ModuleSpec, share: float = SHARE) -> DeltaFile:
    """The next-day twin of a workbook: header row and the changed records of its first sheet."""
    rows = CalamineWorkbook.from_path(str(source)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    rows = [r for r in rows if any(v not in (None, "") for v in r)]
    header = [str(v) if v is not None else "" for v in rows[0]]
    column = pick_column(header, module_spec)
    body = rows[1:]
    delta = delta_rows(body, header.index(column), share)
    book = xlsxwriter.Workbook(str(target), {"default_date_format": "yyyy-mm-dd hh:mm", "strings_to_numbers": False,
                                             "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet()
    for r, row in enumerate([header, *delta]):
        for c, value in enumerate(row):
            if value not in (None, ""):
                sheet.write(r, c, value)
    book.close()
    return DeltaFile(str(target), column, len(delta), len(body))


def write_delta_csv(source: Path, target: Path, module_spec: ModuleSpec, share: float = SHARE) -> DeltaFile:
    """The next-day twin of a CSV export, in the source file's own encoding (a BOM stays a BOM)."""
    data = source.read_bytes()
    encoding = detect_encoding(data, str(source))
    column = pick_column(decode_header(source, str(source)), module_spec)
    text = data.decode(encoding).removeprefix("\ufeff")
    sep, newline, header, body = split_csv(text)
    delta = delta_rows(body, header.index(column), share)
    target.write_bytes(render_csv(header, delta, sep, newline).encode(encoding))  # utf-8-sig: the BOM again
    return DeltaFile(str(target), column, len(delta), len(body))


def add_next_day_batch(landing: Path, profiles_dir: Path | None = None,
                       share: float = SHARE) -> tuple[str, list[DeltaFile]]:
    """Write the next-day batch of every CRM source under `landing`: (its date, the files written)."""
    profiles = load_profiles(profiles_dir)
    day = next_day(landing)
    written = []
    for batch in latest_batches(landing):
        profile = profiles[batch.parent.name]
        folder = batch.parent / day
        folder.mkdir(parents=True, exist_ok=True)
        stamp_from, stamp_to = batch.name.replace("-", ""), day.replace("-", "")
        for source in sorted(p for p in batch.iterdir() if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES
                             and not p.name.startswith((".", "_"))):
            spec = detect_module(decode_header(source, str(source)), profile, str(source)).module
            target = folder / source.name.replace(stamp_from, stamp_to)
            write = write_delta_xlsx if source.suffix.lower() in (".xlsx", ".xlsm") else write_delta_csv
            written.append(write(source, target, spec, share))
    return day, written
