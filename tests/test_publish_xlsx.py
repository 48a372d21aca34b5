"""XLSX tier lists: real workbooks written from a small serving DB, read back with openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
import logging
import unicodedata
from pathlib import Path

import duckdb
import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from salestier_pipeline.formulas import is_formula_like
from salestier_pipeline.publish.tier_lists import write_tier_lists
from salestier_pipeline.publish.xlsx import (
    CUSTOMER_SUMMARY_COLUMNS,
    MAX_CELL_CHARS,
    REP_SUMMARY_COLUMNS,
    REP_TIER_FILLS,
    TIER_FILLS,
    TRUNCATION_MARKER,
    display_width,
    fit_cell,
    safe_text,
    write_customer_tier_xlsx,
    write_rep_tier_xlsx,
    write_tier_workbooks,
)
from tests.fixtures.serving_marts import contract, create_mart, sql_logic

AS_OF = dt.date(2026, 3, 31)
EVIL = '=HYPERLINK("http://example.invalid/x","click")'
LEADERBOARD = {"leaderboard_basis": "attainment", "leaderboard_rank": None, "currency": "CNY"}
MANAGER = {"manager_rep_id": "M1", "manager_name": "李经理", "team": "华东一部"}
NO_MANAGER = {"manager_rep_id": None, "manager_name": None}


def _customer(as_of: dt.date, account: str, name: str, owner: str, owner_name: str, tier: str,
              reason: str = "value H, intent H", manager: dict | None = None) -> dict:
    """One customer_tier_list row; the manager and team are the mart's columns (from the roster)."""
    return {"as_of_date": as_of, "account_id": account, "account_name": name, "source_system": "zoho",
            "owner_rep_id": owner, "owner_name": owner_name, **(MANAGER if manager is None else manager),
            "tier": tier, "previous_tier": None, "value_band": "H", "intent_band": "H", "tier_reason": reason,
            "lifecycle_stage": "active", "days_since_last_activity": 12, "service_level_days": 30,
            "is_past_service_level": False, "open_pipeline": 1000.0, "weighted_pipeline": 500.0,
            "bookings_365d": 25000.0, "is_first_snapshot": False, "currency": "CNY"}


def _owner_summary(as_of: dt.date, level: str, counts: tuple[int, int, int, int], owner: str | None = None,
                   owner_name: str | None = None, manager: dict | None = None) -> dict:
    """One customer_tier_summary row as dbt writes it (counts: A/B/C/D accounts)."""
    accounts = sum(counts)
    who = {**(MANAGER if manager is None else manager), "owner_rep_id": owner, "owner_name": owner_name}
    if level == "total":
        who = dict.fromkeys(who)
    return {"as_of_date": as_of, "level": level, **who,
            **{f"tier_{t.lower()}_accounts": n for t, n in zip("ABCD", counts, strict=True)},
            "accounts": accounts, "accounts_past_service_level": 0, "open_pipeline": 1000.0 * accounts,
            "bookings_365d": 25000.0 * accounts, "currency": "CNY"}


REP_TIER_ORDER = {"top": 1, "core": 2, "developing": 3}  # seed rep_tier_rules.tier_order


def _rep(as_of: dt.date, rep_id: str, name: str, manager: dict, team: str, tier: str, focus: str, band: str,
         target: float | None, reason: str) -> dict:
    return {"as_of_date": as_of, "rep_id": rep_id, "rep_name": name, **manager, "team": team, "rep_tier": tier,
            "rep_tier_order": REP_TIER_ORDER.get(tier), "training_focus": focus, "incentive_band": band,
            "next_period_target": target, "tier_reason": reason, **LEADERBOARD}


def _rep_summary(as_of: dt.date, level: str, team: str | None, manager: dict, counts: str,
                 target: float | None) -> dict:
    """One rep_tier_summary row as dbt writes it; counts = top / core / developing as three digits."""
    tiers = {f"{t}_reps": int(n) for t, n in zip(REP_TIER_FILLS, counts, strict=True)}
    return {"as_of_date": as_of, "level": level, "team": team, **manager, **tiers, "reps": sum(tiers.values()),
            "next_period_target": target, "bookings": None, "target_amount": None, "currency": "CNY"}


@pytest.fixture()
def serving(tmp_path: Path) -> Path:
    """Two reps under one manager, four accounts (one named like a formula, one in Chinese), two as-of dates,
    and the two summary marts of those lists."""
    path = tmp_path / "salestier.duckdb"
    con = duckdb.connect(str(path))
    old = AS_OF - dt.timedelta(days=7)
    create_mart(con, "customer_tier_list", [
        _customer(AS_OF, "zoho:1", EVIL, "R1", "王芳", "A"),
        _customer(AS_OF, "zoho:2", "上海华东机械有限公司", "R1", "王芳", "B"),
        _customer(AS_OF, "zoho:3", "Acme GmbH", "R2", "Ann Lee", "C", "-no activity in 90 d"),
        _customer(AS_OF, "zoho:4", "@risk Ltd", "R2", "Ann Lee", "D"),
        _customer(old, "zoho:1", "Old name", "R1", "王芳", "B"),
    ])
    create_mart(con, "customer_tier_summary", [
        _owner_summary(AS_OF, "owner", (1, 1, 0, 0), "R1", "王芳"),
        _owner_summary(AS_OF, "owner", (0, 0, 1, 1), "R2", "Ann Lee"),
        _owner_summary(AS_OF, "total", (1, 1, 1, 1)),
        _owner_summary(old, "owner", (0, 1, 0, 0), "R1", "王芳"),
        _owner_summary(old, "total", (0, 1, 0, 0)),
    ])
    manager = {"manager_rep_id": "M1", "manager_name": "李经理"}
    create_mart(con, "rep_tier_list", [
        _rep(AS_OF, "M1", "李经理", NO_MANAGER, "华东一部", "core", "coaching", "no target", None, "manager"),
        _rep(AS_OF, "R1", "王芳", manager, "华东一部", "top", "none", ">=120%", 120000.0, "attainment 130%"),
        _rep(AS_OF, "R2", "Ann Lee", manager, "华东一部", "developing", "+closing", "<80%", 80000.0, "attainment 60%"),
        _rep(old, "R1", "王芳", manager, "华东一部", "core", "none", "100-120%", 100000.0, "old"),
    ])
    create_mart(con, "rep_tier_summary", [
        _rep_summary(AS_OF, "team_manager", "华东一部", manager, "101", 200000.0),
        _rep_summary(AS_OF, "team_manager", "华东一部", NO_MANAGER, "010", None),
        _rep_summary(AS_OF, "total", None, NO_MANAGER, "111", 200000.0),
        _rep_summary(old, "total", None, NO_MANAGER, "010", 100000.0),
    ])
    con.close()
    return path


def _header(ws) -> list[str]:
    return [c.value.split("\n")[-1] for c in ws[1]]


def _fill(cell) -> str:
    return "#" + cell.fill.fgColor.rgb[-6:]


def test_customer_workbook_sheets_header_panes_and_filter(serving: Path, tmp_path: Path) -> None:
    path = write_customer_tier_xlsx(serving, tmp_path / "out" / "customer_tier_list.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇总 Summary", "客户 Customers"]
    ws = book["客户 Customers"]
    header = _header(ws)
    assert header[:9] == ["manager_rep_id", "manager_name", "team", "owner_rep_id", "owner_name", "tier",
                          "previous_tier", "account_name", "account_id"]
    assert {c for c, _ in contract("customer_tier_list")} == set(header), "every column of the mart, no other"
    assert ws.freeze_panes == "I2"
    assert ws.auto_filter.ref == f"A1:{get_column_letter(len(header))}5"
    assert ws.max_row == 5, "only the latest as-of date"
    col = {name: i + 1 for i, name in enumerate(header)}
    assert {ws.cell(r, col["manager_name"]).value for r in range(2, 6)} == {"李经理"}
    assert ws.cell(2, col["as_of_date"]).value == dt.datetime(2026, 3, 31)
    assert ws.cell(2, col["is_past_service_level"]).value is False
    assert ws.cell(2, col["open_pipeline"]).number_format == '#,##0" CNY"', "the currency next to every amount"
    summary = book["汇总 Summary"]
    assert summary.freeze_panes == "F2"
    rows = list(summary.iter_rows(min_row=2, values_only=True))
    s_head = _header(summary)
    assert s_head == list(CUSTOMER_SUMMARY_COLUMNS)
    by_column = [dict(zip(s_head, r, strict=True)) for r in rows]
    # the mart's rows of the latest date as they are: per owner, then its total row (labelled, bold)
    assert [r["accounts"] for r in by_column] == [2, 2, 4]
    assert [(r["owner_rep_id"], r["manager_name"]) for r in by_column[:2]] == [("R1", "李经理"), ("R2", "李经理")]
    assert [[r[f"tier_{t}_accounts"] for t in "abcd"] for r in by_column] == [[1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]]
    assert rows[-1][:5] == ("合计 Total", None, None, None, None)
    assert summary.cell(len(rows) + 1, 1).font.b and not summary.cell(2, 1).font.b
    assert summary.cell(2, s_head.index("open_pipeline") + 1).number_format == '#,##0" CNY"'


def test_formula_text_is_neutralised_and_never_a_formula(serving: Path, tmp_path: Path) -> None:
    path = write_customer_tier_xlsx(serving, tmp_path / "customer_tier_list.xlsx")
    ws = openpyxl.load_workbook(path)["客户 Customers"]
    col = {name: i + 1 for i, name in enumerate(_header(ws))}
    names = {ws.cell(r, col["account_name"]).value: ws.cell(r, col["account_name"]) for r in range(2, 6)}
    cell = names["'" + EVIL]
    assert cell.data_type == "s", "a string cell, not a formula"
    assert "'@risk Ltd" in names
    reasons = {ws.cell(r, col["tier_reason"]).value for r in range(2, 6)}
    assert "'-no activity in 90 d" in reasons
    for row in ws.iter_rows(min_row=2):
        for c in row:
            assert c.data_type != "f"
            if isinstance(c.value, str):
                assert not c.value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_chinese_text_and_tier_fills(serving: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(write_customer_tier_xlsx(serving, tmp_path / "c.xlsx"))
    ws = book["客户 Customers"]
    col = {name: i + 1 for i, name in enumerate(_header(ws))}
    by_name = {ws.cell(r, col["account_name"]).value: r for r in range(2, 6)}
    row = by_name["上海华东机械有限公司"]
    assert ws.cell(row, col["owner_name"]).value == "王芳"
    for r in range(2, 6):
        tier = ws.cell(r, col["tier"]).value
        assert _fill(ws.cell(r, col["tier"])) == TIER_FILLS[tier]
    # Chinese names get double width so they are not cut off.
    assert ws.column_dimensions["H"].width >= display_width("上海华东机械有限公司")


def test_rep_workbook(serving: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(write_rep_tier_xlsx(serving, tmp_path / "rep_tier_list.xlsx"))
    assert book.sheetnames == ["汇总 Summary", "销售 Reps"]
    ws = book["销售 Reps"]
    header = _header(ws)
    assert header[:6] == ["team", "manager_rep_id", "manager_name", "rep_id", "rep_name", "rep_tier"]
    assert ws.freeze_panes == "F2"
    col = {name: i + 1 for i, name in enumerate(header)}
    tiers = [ws.cell(r, col["rep_tier"]).value for r in range(2, ws.max_row + 1)]
    assert tiers == ["top", "core", "developing"]
    for r in range(2, ws.max_row + 1):
        assert _fill(ws.cell(r, col["rep_tier"])) == REP_TIER_FILLS[ws.cell(r, col["rep_tier"]).value]
    focus = {ws.cell(r, col["training_focus"]).value for r in range(2, ws.max_row + 1)}
    assert "'+closing" in focus
    managers = {ws.cell(r, col["rep_id"]).value: ws.cell(r, col["manager_name"]).value for r in range(2, 5)}
    assert managers == {"M1": None, "R1": "李经理", "R2": "李经理"}, "the mart's manager_name"
    summary = book["汇总 Summary"]
    assert summary.freeze_panes == "D2"
    assert _header(summary) == list(REP_SUMMARY_COLUMNS)
    rows = list(summary.iter_rows(min_row=2, values_only=True))
    assert rows == [("华东一部", "M1", "李经理", 1, 0, 1, 2, 200000, None, None),
                    ("华东一部", None, None, 0, 1, 0, 1, None, None, None),
                    ("合计 Total", None, None, 1, 1, 1, 3, 200000, None, None)]


def test_bytes_are_deterministic_and_dated(serving: Path, tmp_path: Path) -> None:
    first = write_tier_workbooks(serving, tmp_path / "a")
    second = write_tier_workbooks(serving, tmp_path / "b")
    assert set(first) == {"customer_tier_list_xlsx", "rep_tier_list_xlsx"}
    for key in first:
        assert first[key].read_bytes() == second[key].read_bytes()
    props = openpyxl.load_workbook(first["customer_tier_list_xlsx"]).properties
    assert props.created == dt.datetime(2026, 3, 31)


def test_empty_table_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(path))
    for table in ("customer_tier_list", "customer_tier_summary", "rep_tier_list", "rep_tier_summary"):
        create_mart(con, table, [])
    con.close()
    assert write_tier_workbooks(path, tmp_path / "x") == {}


def test_safe_text() -> None:
    assert safe_text("=1+1") == "'=1+1"
    assert safe_text("\tx") == "'\tx"
    assert safe_text("a=b") == "a=b"


# Full-width and other compatibility forms a spreadsheet may read as = + - @ (NFKC maps each onto one).
WIDE_PREFIXES = ("＝", "＋", "－", "＠", "﹦", "﹢", "﹣", "﹫", "⁼", "₊")


def test_full_width_prefixes_are_formula_like() -> None:
    for ch in WIDE_PREFIXES:
        assert unicodedata.normalize("NFKC", ch) in "=+-@", ch  # the premise: each is one of = + - @
        assert is_formula_like(ch + "1+1") and safe_text(ch + "1+1") == "'" + ch + "1+1"
    for text in ("\r=1", "\t@x", "=SUM(A1)", "@a"):
        assert is_formula_like(text)
    for text in ("", "a＝b", "１２", "（1）", "'＝1", " =1"):
        assert not is_formula_like(text), text


@pytest.fixture()
def hostile_serving(tmp_path: Path) -> Path:
    """One account per full-width prefix, one name far over the XLSX cell limit, one rep with a wide prefix."""
    path = tmp_path / "hostile.duckdb"
    con = duckdb.connect(str(path))
    team = {**NO_MANAGER, "team": "＝team"}
    rows = [_customer(AS_OF, f"zoho:{i}", ch + 'HYPERLINK("http://example.invalid","x")', "R1", "王芳", "A",
                      manager=team) for i, ch in enumerate(WIDE_PREFIXES)]
    rows.append(_customer(AS_OF, "zoho:long", "长" * 40_000 + "END", "R1", "＠王芳", "B", "＋reason", team))
    create_mart(con, "customer_tier_list", rows)
    create_mart(con, "customer_tier_summary", [
        _owner_summary(AS_OF, "owner", (len(WIDE_PREFIXES), 1, 0, 0), "R1", "＠王芳", team),
        _owner_summary(AS_OF, "total", (len(WIDE_PREFIXES), 1, 0, 0)),
    ])
    create_mart(con, "rep_tier_list", [
        _rep(AS_OF, "R1", "＠王芳", NO_MANAGER, "＝team", "top", "－focus", ">=120%", 1.0, "ok"),
    ])
    create_mart(con, "rep_tier_summary", [
        _rep_summary(AS_OF, "team_manager", "＝team", NO_MANAGER, "100", 1.0),
        _rep_summary(AS_OF, "total", None, NO_MANAGER, "100", 1.0),
    ])
    con.close()
    return path


def test_full_width_prefixes_are_neutralised_in_xlsx_and_csv(hostile_serving: Path, tmp_path: Path) -> None:
    paths = {**write_tier_lists(hostile_serving, tmp_path), **write_tier_workbooks(hostile_serving, tmp_path)}
    texts: list[str] = []
    for key in ("customer_tier_list_xlsx", "rep_tier_list_xlsx"):
        for ws in openpyxl.load_workbook(paths[key]).worksheets:
            for row in ws.iter_rows(min_row=2):
                for c in row:
                    assert c.data_type != "f"
                    if isinstance(c.value, str):
                        texts.append(c.value)
    for key in ("customer_tier_list", "rep_tier_list"):
        with paths[key].open(encoding="utf-8-sig", newline="") as fh:
            texts += [v for row in list(csv.reader(fh))[1:] for v in row]
    wide = [t for t in texts if t.lstrip("'")[:1] in WIDE_PREFIXES]
    # 10 names + owner, reason, rep name, team, focus, each in both formats (owner/rep also in summaries)
    assert len(wide) >= 2 * (len(WIDE_PREFIXES) + 5)
    assert all(t.startswith("'") for t in wide), [t for t in wide if not t.startswith("'")]
    assert not [t for t in texts if is_formula_like(t)]


def test_fit_cell_cuts_with_a_marker_and_counts_utf16() -> None:
    assert fit_cell("x" * MAX_CELL_CHARS) == ("x" * MAX_CELL_CHARS, False)
    cut, was_cut = fit_cell("x" * (MAX_CELL_CHARS + 1))
    assert was_cut and len(cut) == MAX_CELL_CHARS and cut.endswith(TRUNCATION_MARKER)
    emoji = "😀" * 20_000  # 20,000 characters but 40,000 UTF-16 units: over Excel's limit
    cut, was_cut = fit_cell(emoji)
    assert was_cut and cut.endswith(TRUNCATION_MARKER)
    assert len(cut.encode("utf-16-le")) // 2 <= MAX_CELL_CHARS
    assert len(cut.encode("utf-16-le")) // 2 >= MAX_CELL_CHARS - 1  # at most one unit lost to a surrogate pair


def test_over_long_cell_is_cut_visibly_and_reported(hostile_serving: Path, tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    truncated: list[str] = []
    with caplog.at_level(logging.WARNING, logger="salestier_pipeline.publish.xlsx"):
        paths = write_tier_workbooks(hostile_serving, tmp_path, truncated)
    assert truncated == [
        "customer_tier_list.xlsx: sheet '客户 Customers' cell H12 (account_name): 40,003 characters cut to 32,767 "
        "(XLSX cell limit)"
    ]
    assert [r.getMessage() for r in caplog.records] == truncated
    ws = openpyxl.load_workbook(paths["customer_tier_list_xlsx"])["客户 Customers"]
    assert _header(ws)[7] == "account_name"
    value = ws["H12"].value
    assert value == "长" * (MAX_CELL_CHARS - len(TRUNCATION_MARKER)) + TRUNCATION_MARKER
    # the CSV has no cell limit: it keeps the whole text
    csv_path = write_tier_lists(hostile_serving, tmp_path)["customer_tier_list"]
    assert "长" * 40_000 + "END" in csv_path.read_text(encoding="utf-8-sig")


def test_the_workbooks_and_csvs_only_read_marts() -> None:
    """No join, aggregation or SQL text in the code that writes them: the marts decide, publish formats (the
    scan finds 13 such places in the XLSX module before issue 13)."""
    publish = Path(__file__).resolve().parents[1] / "salestier_pipeline" / "publish"
    assert [hit for name in ("xlsx.py", "tier_lists.py", "read.py") for hit in sql_logic(publish / name)] == []
