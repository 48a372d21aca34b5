"""XLSX tier lists for people: one workbook per kind, read from the serving DuckDB file.

Layout (one workbook per kind, latest as-of date):
  exports/customer_tier_list.xlsx  sheet "汇总 Summary": mart customer_tier_summary, one row per manager x owner
                                   with A/B/C/D counts and its total row;
                                   sheet "客户 Customers": mart customer_tier_list, every account, manager and
                                   owner columns first, autofilter on, so "per owner" / "per manager" is one
                                   filter click.
  exports/rep_tier_list.xlsx       sheet "汇总 Summary": mart rep_tier_summary, one row per team x manager with
                                   rep-tier counts and its total row;
                                   sheet "销售 Reps": mart rep_tier_list, every rep with the manager's name.
The marts decide every name, count and total; this module only selects their columns for one as-of date
(publish/read.py) and formats them.
A single filterable sheet scales to hundreds of owners (a sheet per owner does not: Excel sheet names are
limited to 31 characters and a workbook with hundreds of tabs is unusable).

Every text cell is written as a string (never a formula) and text starting with = + - @ tab or CR (also
full-width ＝＋－＠: the check is on the NFKC form) gets an apostrophe prefix, as in the CSV, so a spreadsheet
never executes it even after the cell is edited. A text longer than an XLSX cell holds (32,767 characters)
is cut with a visible marker and a warning, never silently. Bytes are deterministic for the same input: the
workbook's created date is the as-of date.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from salestier_pipeline.formulas import is_formula_like
from salestier_pipeline.publish.read import columns_of, latest_as_of, select_relation, select_rows

log = logging.getLogger(__name__)

# Excel-style fills (background) per tier; the same hues as the HTML report.
TIER_FILLS: dict[str, str] = {"A": "#C6EFCE", "B": "#DDEBF7", "C": "#FFEB9C", "D": "#F8CBAD"}
REP_TIER_FILLS: dict[str, str] = {"top": "#C6EFCE", "core": "#DDEBF7", "developing": "#FFEB9C"}

# Column -> Chinese label; the header shows "label\ncolumn" so people and re-imports both understand it.
LABELS: dict[str, str] = {
    "as_of_date": "统计日期", "account_id": "客户编号", "account_name": "客户名称", "source_system": "来源系统",
    "owner_rep_id": "负责人编号", "owner_name": "负责人", "manager_rep_id": "经理编号", "manager_name": "经理",
    "team": "团队", "region": "区域", "tier": "客户等级", "previous_tier": "上期等级", "value_band": "价值档",
    "intent_band": "意向档", "tier_reason": "分层原因", "lifecycle_stage": "生命周期", "abc_class": "ABC 分类",
    "size_band": "规模", "days_since_last_activity": "距上次跟进天数", "service_level_days": "服务周期(天)",
    "is_past_service_level": "超服务周期", "open_pipeline": "在途商机金额", "weighted_pipeline": "加权商机金额",
    "bookings_365d": "近365天成交", "rep_id": "销售编号", "rep_name": "销售", "rep_tier": "销售等级",
    "previous_rep_tier": "上期销售等级", "training_focus": "培训重点", "incentive_band": "激励档",
    "next_period_target": "下期目标", "bookings": "成交金额", "target_amount": "目标金额", "attainment": "达成率",
    "win_rate": "赢单率", "tier_a_accounts": "A 类客户", "tier_b_accounts": "B 类客户", "tier_c_accounts": "C 类客户",
    "tier_d_accounts": "D 类客户", "accounts": "客户数", "accounts_past_service_level": "超服务周期客户",
    "reps": "销售人数", "top_reps": "优秀 top", "core_reps": "骨干 core", "developing_reps": "成长 developing",
}
MONEY_COLUMNS = frozenset({
    "open_pipeline", "weighted_pipeline", "bookings_365d", "next_period_target", "bookings", "target_amount",
    "owned_value", "purchases_365d", "owned_open_pipeline",
})
PERCENT_COLUMNS = frozenset({"attainment", "win_rate", "attainment_percentile", "win_rate_percentile",
                             "satisfaction", "weakest_stage_conversion", "weakest_stage_team_conversion"})
LEAD_CUSTOMER_COLUMNS = ("manager_rep_id", "manager_name", "team", "owner_rep_id", "owner_name", "tier",
                         "previous_tier", "account_name", "account_id")
LEAD_REP_COLUMNS = ("team", "manager_rep_id", "manager_name", "rep_id", "rep_name", "rep_tier")
# The summary sheets: columns of the summary marts, in sheet order (the marts hold the total row too).
CUSTOMER_SUMMARY_COLUMNS = ("manager_rep_id", "manager_name", "team", "owner_rep_id", "owner_name",
                            *(f"tier_{t.lower()}_accounts" for t in TIER_FILLS), "accounts",
                            "accounts_past_service_level", "open_pipeline", "bookings_365d")
REP_SUMMARY_COLUMNS = ("team", "manager_rep_id", "manager_name", *(f"{t}_reps" for t in REP_TIER_FILLS), "reps",
                       "next_period_target", "bookings", "target_amount")
TOTAL_LABEL = "合计 Total"
# Row orders (constants: column names only; the rep tiers sort by the mart's rep_tier_order, best first).
CUSTOMER_ORDER = "manager_rep_id NULLS LAST, owner_rep_id NULLS LAST, tier NULLS LAST, account_name, account_id"
CUSTOMER_SUMMARY_ORDER = "level, manager_rep_id NULLS LAST, owner_rep_id NULLS LAST, owner_name NULLS LAST"
REP_ORDER = "team NULLS LAST, rep_tier_order, rep_id"
REP_SUMMARY_ORDER = "level, team NULLS LAST, manager_rep_id NULLS LAST"
MAX_WIDTH = 60
# Excel's limit for one cell, counted in UTF-16 code units (a character outside the BMP takes two).
MAX_CELL_CHARS = 32_767
TRUNCATION_MARKER = "…[truncated]"


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a table with a header row; fills colour the cells of the named columns by value."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    fills: dict[str, dict[str, str]]
    freeze_columns: int = 0
    total_row: tuple[Any, ...] | None = None
    currency: str | None = None  # money cells show it next to the figure (the marts' `currency` column)


def safe_text(value: str) -> str:
    """Apostrophe-prefix text a spreadsheet would read as a formula (same rule as the CSV tier lists)."""
    return "'" + value if is_formula_like(value) else value


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit_cell(text: str, limit: int = MAX_CELL_CHARS) -> tuple[str, bool]:
    """`text` cut to what one XLSX cell holds, ending with TRUNCATION_MARKER when cut; (text, was_cut).

    xlsxwriter would otherwise cut at 32,767 characters without a trace (and Excel counts UTF-16 units)."""
    if len(text) <= limit // 2 or _utf16_len(text) <= limit:
        return text, False
    budget = limit - _utf16_len(TRUNCATION_MARKER)
    head = text[:budget]
    while _utf16_len(head) > budget:  # characters outside the BMP count twice: drop until it fits
        head = head[: len(head) - (_utf16_len(head) - budget + 1) // 2]
    return head + TRUNCATION_MARKER, True


def display_width(text: str) -> int:
    """Character cells on screen: CJK characters take two, which Excel's width unit does not know."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def header_label(column: str) -> str:
    label = LABELS.get(column)
    return f"{label}\n{column}" if label else column


def _currency(con: duckdb.DuckDBPyConnection, table: str, as_of: dt.date) -> str | None:
    """The currency the mart's money columns are in (its `currency` column; None when the date has no rows)."""
    rows = select_relation(con, table, as_of, ["currency"]).limit(1).fetchall()
    return rows[0][0] if rows else None


def _ordered(lead: Sequence[str], available: Sequence[str]) -> list[str]:
    """Lead columns first (when present), then the rest in table order."""
    return [c for c in lead if c in available] + [c for c in available if c not in lead]


def _summary(con: duckdb.DuckDBPyConnection, table: str, as_of: dt.date, columns: Sequence[str],
             order_by: str) -> tuple[list[tuple[Any, ...]], tuple[Any, ...] | None]:
    """A summary mart's detail rows and its total row (level 'total', labelled in the first cell)."""
    _, rows = select_rows(con, table, as_of, ["level", *columns], order_by)
    detail = [row[1:] for row in rows if row[0] != "total"]
    totals = [(TOTAL_LABEL, *row[2:]) for row in rows if row[0] == "total"]
    return detail, (totals[0] if totals else None)


def customer_sheets(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[Sheet]:
    """Summary per manager x owner (mart customer_tier_summary) and the full list (mart customer_tier_list)."""
    order = _ordered(LEAD_CUSTOMER_COLUMNS, columns_of(con, "customer_tier_list"))
    columns, rows = select_rows(con, "customer_tier_list", as_of, order, CUSTOMER_ORDER)
    summary, total = _summary(con, "customer_tier_summary", as_of, CUSTOMER_SUMMARY_COLUMNS, CUSTOMER_SUMMARY_ORDER)
    tier_header_fill = {f"tier_{t.lower()}_accounts": fill for t, fill in TIER_FILLS.items()}
    currency = _currency(con, "customer_tier_list", as_of)
    return [
        Sheet("汇总 Summary", CUSTOMER_SUMMARY_COLUMNS, summary, {"__header__": tier_header_fill}, 5, total, currency),
        Sheet("客户 Customers", columns, rows, {"tier": TIER_FILLS, "previous_tier": TIER_FILLS}, 8, None, currency),
    ]


def rep_sheets(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[Sheet]:
    """Summary per team x manager (mart rep_tier_summary) and the full rep list (mart rep_tier_list)."""
    order = _ordered(LEAD_REP_COLUMNS, columns_of(con, "rep_tier_list"))
    columns, rows = select_rows(con, "rep_tier_list", as_of, order, REP_ORDER)
    summary, total = _summary(con, "rep_tier_summary", as_of, REP_SUMMARY_COLUMNS, REP_SUMMARY_ORDER)
    header_fill = {f"{t}_reps": fill for t, fill in REP_TIER_FILLS.items()}
    currency = _currency(con, "rep_tier_list", as_of)
    return [
        Sheet("汇总 Summary", REP_SUMMARY_COLUMNS, summary, {"__header__": header_fill}, 3, total, currency),
        Sheet("销售 Reps", columns, rows, {"rep_tier": REP_TIER_FILLS, "previous_rep_tier": REP_TIER_FILLS}, 5, None,
              currency),
    ]


def _cell_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def column_widths(sheet: Sheet) -> list[float]:
    """Width per column from the widest header line or value, clamped so long reasons stay readable."""
    sample = sheet.rows[:2000] + ([sheet.total_row] if sheet.total_row else [])
    widths = []
    for i, column in enumerate(sheet.columns):
        header = max(display_width(line) for line in header_label(column).split("\n"))
        values = [display_width(_cell_text(row[i])[:MAX_WIDTH]) for row in sample]  # wider is clamped anyway
        widths.append(min(MAX_WIDTH, max(6, header, *values) + 2))
    return widths


class _Formats:
    """Cache of xlsxwriter formats keyed by (number format, fill, bold)."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self.cache: dict[tuple[str | None, str | None, bool], Any] = {}

    def get(self, num_format: str | None = None, fill: str | None = None, bold: bool = False) -> Any:
        key = (num_format, fill, bold)
        if key not in self.cache:
            props: dict[str, Any] = {"valign": "top"}
            if num_format:
                props["num_format"] = num_format
            if fill:
                props.update(bg_color=fill, pattern=1)
            if bold:
                props["bold"] = True
            self.cache[key] = self.book.add_format(props)
        return self.cache[key]


def _number_format(column: str, value: Any, currency: str | None = None) -> str | None:
    if isinstance(value, dt.datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(value, dt.date):
        return "yyyy-mm-dd"
    if column in MONEY_COLUMNS:
        code = "".join(ch for ch in (currency or "") if ch.isalnum())  # a literal inside a number format
        return f'#,##0" {code}"' if code else "#,##0"
    if column in PERCENT_COLUMNS:
        return "0.0%"
    return None


def write_cell(ws: Any, row: int, col: int, value: Any, column: str, formats: _Formats,
               fill: str | None = None, bold: bool = False, currency: str | None = None) -> bool:
    """Write one value in its column's format (see write_value); True when its text was cut (fit_cell)."""
    return write_value(ws, row, col, value, formats.get(_number_format(column, value, currency), fill, bold))


def write_value(ws: Any, row: int, col: int, value: Any, fmt: Any) -> bool:
    """Write one value with an explicit type: text is always a string cell, never a formula or URL.

    Returns True when the text was too long for a cell and was cut (see fit_cell)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float | Decimal):
        number = float(value)
        if math.isfinite(number):
            ws.write_number(row, col, number, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)
    elif isinstance(value, dt.datetime | dt.date):
        ws.write_datetime(row, col, value, fmt)
    else:
        text, cut = fit_cell(safe_text(str(value)))
        ws.write_string(row, col, text, fmt)
        return cut
    return False


def write_sheet(book: xlsxwriter.Workbook, sheet: Sheet, formats: _Formats) -> list[str]:
    """Header row (wrapped bilingual labels), frozen panes, autofilter, widths and tier fills.

    Returns one message per cell whose text was cut to fit."""
    ws = book.add_worksheet(sheet.name)
    header_fills = sheet.fills.get("__header__", {})
    header = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#1F3A5F",
                              "font_color": "#FFFFFF", "border": 1, "border_color": "#D0D7E2"})
    header_cache: dict[str, Any] = {}
    for col, column in enumerate(sheet.columns):
        fmt = header
        if column in header_fills:
            fill = header_fills[column]
            fmt = header_cache.setdefault(fill, book.add_format(
                {"bold": True, "text_wrap": True, "valign": "top", "bg_color": fill, "border": 1,
                 "border_color": "#D0D7E2"}))
        ws.write_string(0, col, header_label(column), fmt)
    ws.set_row(0, 32)
    cut: list[str] = []
    # a body cell's format depends only on its column, its value's type and its fill: looked up once each
    # (at 100x the demo the customer sheet has 2 M cells); an empty body cell is not written at all, since
    # its format (top-aligned, a number format) shows nothing
    column_fills = [sheet.fills.get(column) for column in sheet.columns]
    cell_formats: dict[tuple[int, type, str | None], Any] = {}
    for r, values in enumerate(sheet.rows, start=1):
        if len(values) != len(sheet.columns):
            raise ValueError(f"sheet '{sheet.name}' row {r}: {len(values)} values for {len(sheet.columns)} columns")
        for col, value in enumerate(values):
            if value is None:
                continue
            fills = column_fills[col]
            fill = fills.get(value) if fills and isinstance(value, str) else None
            key = (col, type(value), fill)
            fmt = cell_formats.get(key)
            if fmt is None:
                fmt = cell_formats[key] = formats.get(_number_format(sheet.columns[col], value, sheet.currency), fill)
            if write_value(ws, r, col, value, fmt):
                cut.append(f"sheet '{sheet.name}' cell {xl_rowcol_to_cell(r, col)} ({sheet.columns[col]}): "
                           f"{len(str(value)):,} characters cut to {MAX_CELL_CHARS:,} (XLSX cell limit)")
    last = len(sheet.rows)
    if sheet.total_row is not None:
        last += 1
        for col, (column, value) in enumerate(zip(sheet.columns, sheet.total_row, strict=True)):
            write_cell(ws, last, col, value, column, formats, None, bold=True, currency=sheet.currency)
    for col, width in enumerate(column_widths(sheet)):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, sheet.freeze_columns)
    ws.autofilter(0, 0, max(len(sheet.rows), 1), max(len(sheet.columns) - 1, 0))
    return cut


def write_workbook(path: Path, sheets: Sequence[Sheet], title: str, as_of: dt.date,
                   truncated: list[str] | None = None) -> Path:
    """Write atomically (temp file + rename) with properties pinned to the as-of date for stable bytes.

    Each cell cut to the XLSX limit is logged as a warning and, when `truncated` is given, appended to it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    # constant_memory: each row goes to the sheet's file as it is written (rows are written in order), so
    # the 50 K-row customer sheet at 100x the demo peaks at 320 MB instead of 674 MB, in the same time
    book = xlsxwriter.Workbook(str(tmp), {
        "constant_memory": True, "remove_timezone": True,
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    try:
        book.set_properties({
            "title": title, "subject": f"as of {as_of.isoformat()}", "author": "SalesTier", "company": "SalesTier",
            "created": dt.datetime.combine(as_of, dt.time()),
        })
        formats = _Formats(book)
        for sheet in sheets:
            for message in write_sheet(book, sheet, formats):
                log.warning("%s: %s", path.name, message)
                if truncated is not None:
                    truncated.append(f"{path.name}: {message}")
    finally:
        book.close()
    os.replace(tmp, path)
    return path


def _with_serving(serving_db: Path, table: str, as_of: dt.date | None):
    con = duckdb.connect(str(serving_db), read_only=True)
    return con, as_of or latest_as_of(con, table)


def write_customer_tier_xlsx(serving_db: Path, path: Path, as_of: dt.date | None = None,
                             truncated: list[str] | None = None) -> Path | None:
    """Customer tier list workbook of one as-of date (default: the latest); None when the table is empty."""
    con, day = _with_serving(serving_db, "customer_tier_list", as_of)
    try:
        if day is None:
            return None
        sheets = customer_sheets(con, day)
    finally:
        con.close()
    return write_workbook(path, sheets, f"客户分层清单 Customer tier list {day.isoformat()}", day, truncated)


def write_rep_tier_xlsx(serving_db: Path, path: Path, as_of: dt.date | None = None,
                        truncated: list[str] | None = None) -> Path | None:
    """Rep tier list workbook of one as-of date (default: the latest); None when the table is empty."""
    con, day = _with_serving(serving_db, "rep_tier_list", as_of)
    try:
        if day is None:
            return None
        sheets = rep_sheets(con, day)
    finally:
        con.close()
    return write_workbook(path, sheets, f"销售分层清单 Rep tier list {day.isoformat()}", day, truncated)


def write_tier_workbooks(serving_db: Path, exports_dir: Path, truncated: list[str] | None = None) -> dict[str, Path]:
    """Both workbooks of the latest as-of date into exports_dir, beside the CSV tier lists."""
    written = {
        "customer_tier_list_xlsx": write_customer_tier_xlsx(
            serving_db, exports_dir / "customer_tier_list.xlsx", truncated=truncated),
        "rep_tier_list_xlsx": write_rep_tier_xlsx(serving_db, exports_dir / "rep_tier_list.xlsx", truncated=truncated),
    }
    return {k: v for k, v in written.items() if v is not None}
