"""A corpus of messy export files: each asserts exact loaded / quarantined counts and error text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest

from salestier_pipeline.ingest.layout import file_key
from salestier_pipeline.ingest.manifest import build_manifest
from salestier_pipeline.ingest.run import FileResult, IngestError, ingest_module
from salestier_pipeline.profiles import load_profiles

AS_OF = "2026-11-27"
DEAL_HEADER = "Record Id,Deal Owner,Deal Name,Account Name,Stage,Amount,Closing Date,Created Time"


def deals(*rows: str) -> str:
    return "\n".join([DEAL_HEADER, *rows]) + "\n"


class Landing:
    """A temporary landing zone + raw dir, ingesting through the real code."""

    def __init__(self, root: Path) -> None:
        self.landing = root / "landing"
        self.raw = root / "raw"
        self.profiles = load_profiles()

    def put(self, source: str, date: str, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
        folder = self.landing / source / date
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
        return path

    def manifest(self):
        return build_manifest(self.landing, AS_OF, self.profiles)

    def ingest(self, module: str, max_share: float = 1.0) -> dict[str, FileResult]:
        results = ingest_module(module, self.manifest(), self.profiles, self.raw, AS_OF, max_share)
        return {Path(r.source_file).name: r for r in results}

    def rows(self, module: str, columns: str) -> list[tuple]:
        return duckdb.sql(
            f"select {columns} from read_parquet('{self.raw}/{module}/**/*.parquet', union_by_name = true) "
            "order by all"
        ).fetchall()

    def rows_of(self, folder: str, columns: str) -> list[tuple]:
        """Any raw folder (e.g. `_ingest/quarantine`), schema files excluded by their zero rows."""
        return duckdb.sql(
            f"select {columns} from read_parquet('{self.raw}/{folder}/**/*.parquet', union_by_name = true) "
            "order by all"
        ).fetchall()

    def quarantine(self) -> list[tuple]:
        return duckdb.sql(
            f"select source_file, line_number, column_name, raw_value, reason from "
            f"read_parquet('{self.raw}/_ingest/quarantine/**/*.parquet', union_by_name = true) "
            "where reason is not null order by all"
        ).fetchall()


@pytest.fixture()
def land(tmp_path: Path) -> Landing:
    return Landing(tmp_path)


def counts(r: FileResult) -> tuple[int, int, int]:
    return r.rows_read, r.rows_loaded, r.rows_quarantined


# --- encodings -------------------------------------------------------------------------------------------

def test_utf8_with_bom_and_without(land: Landing) -> None:
    body = deals("1,Ann,D1,Acme,Qualification,100,01/31/2026,01/02/2026 10:00:00")
    land.put("zoho", "2026-11-20", "bom.csv", b"\xef\xbb\xbf" + body.encode())
    land.put("zoho", "2026-11-21", "plain.csv", body.replace("D1", "D2").replace("1,Ann", "2,Ann"))
    res = land.ingest("opportunities")
    assert res["bom.csv"].encoding == "utf-8-sig" and res["plain.csv"].encoding == "utf-8"
    assert land.rows("opportunities", "source_record_id, name") == [("1", "D1"), ("2", "D2")]


def test_utf16_with_bom(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "u16.csv", deals("7,Ann,Déal ü,Acme,Qualification,5,01/31/2026,01/02/2026 10:00:00"),
             encoding="utf-16")
    res = land.ingest("opportunities")
    assert res["u16.csv"].encoding == "utf-16" and counts(res["u16.csv"]) == (1, 1, 0)
    assert land.rows("opportunities", "name") == [("Déal ü",)]


def test_gbk_csv(land: Landing) -> None:
    text = "客户名称,负责人,所属行业\n北京华信科技,王芳,制造\n"
    land.put("fxiaoke", "2026-11-20", "客户.csv", text, encoding="gbk")
    res = land.ingest("accounts")
    assert res["客户.csv"].encoding == "gb18030"
    assert land.rows("accounts", "name, owner_name, industry") == [("北京华信科技", "王芳", "制造")]


def test_undecodable_bytes_fail_the_file_naming_the_offset(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "bad.csv", DEAL_HEADER.encode() + b"\n1,\xff\xfe\xfd\xff,x\n")
    [entry] = land.manifest()
    offset = len(DEAL_HEADER) + 3
    assert entry.error.startswith(
        f"zoho/2026-11-20/bad.csv: cannot decode as UTF-8, UTF-16, GB18030 or Big5 (first bad byte at offset {offset})"
    )


def test_binary_file_with_csv_name(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    [entry] = land.manifest()
    assert entry.error == "zoho/2026-11-20/image.csv: binary content (NUL bytes) - not a text export"


# --- file formats and header variants -------------------------------------------------------------------

def test_xlsx_with_excel_dates_and_serials(land: Landing) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([])  # a blank first row: the header is the first non-empty row
    ws.append(["商机名称", "客户名称", "商机金额", "预计成交日期", "商机阶段", "创建时间"])
    ws.append(["项目A", "甲公司", 1000, dt.date(2026, 3, 7), "需求确定", dt.datetime(2026, 1, 5, 9, 30)])
    ws.append(["项目B", "乙公司", "￥2,000", dt.date(2026, 4, 1), "赢单", dt.datetime(2026, 2, 1, 8, 0)])
    wb.save(land.landing.parent / "x.xlsx")
    land.put("fxiaoke", "2026-11-20", "商机.xlsx", (land.landing.parent / "x.xlsx").read_bytes())
    res = land.ingest("opportunities")
    assert counts(res["商机.xlsx"]) == (2, 2, 0)
    assert land.rows("opportunities", "name, amount, close_date::varchar, created_at::varchar, source_line") == [
        ("项目A", 1000.0, "2026-03-07", "2026-01-05 09:30:00", 3),
        ("项目B", 2000.0, "2026-04-01", "2026-02-01 08:00:00", 4),
    ]


def test_xlsx_excel_serial_numbers_in_a_date_column(land: Landing) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["商机名称", "客户名称", "预计成交日期", "商机阶段", "创建时间"])
    ws.append(["项目C", "丙公司", 46088, "需求确定", 46000.5])  # dates stored as plain numbers
    ws.append(["项目D", "丁公司", 46100, "需求确定", 46010.25])
    wb.save(land.landing.parent / "s.xlsx")
    land.put("fxiaoke", "2026-11-20", "serial.xlsx", (land.landing.parent / "s.xlsx").read_bytes())
    res = land.ingest("opportunities")
    assert counts(res["serial.xlsx"]) == (2, 2, 0)
    assert land.rows("opportunities", "name, close_date::varchar, created_at::varchar") == [
        ("项目C", "2026-03-07", "2025-12-09 12:00:00"),
        ("项目D", "2026-03-19", "2025-12-19 06:00:00"),
    ]


def test_traditional_chinese_headers(land: Landing) -> None:
    land.put("fxiaoke", "2026-11-20", "客戶.csv", "客戶名稱,負責人,所屬行業,員工人數\n台北宏達,陳美玲,電子,1200\n")
    res = land.ingest("accounts")
    assert counts(res["客戶.csv"]) == (1, 1, 0)
    assert land.rows("accounts", "name, owner_name, industry, employees") == [("台北宏達", "陳美玲", "電子", 1200)]


def test_api_name_headers(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "deals_api.csv",
             "id,Owner,Deal_Name,Account_Name,Stage,Amount,Closing_Date,Created_Time\n"
             "55,Ann,API deal,Acme,Closed Won,300,2026-02-03,2026-01-01 08:00:00\n")
    res = land.ingest("opportunities")
    assert counts(res["deals_api.csv"]) == (1, 1, 0)
    assert land.rows("opportunities", "source_record_id, close_date::varchar") == [("55", "2026-02-03")]


# --- values -------------------------------------------------------------------------------------------------

def test_amounts_in_every_form(land: Landing) -> None:
    amounts = ['"1,234.50"', '"¥1,234.50"', "$1234", "1234.5元", "CNY 1234", '"(1,234)"', "１２３４", "￥88", "USD 7"]
    rows = [f"{i},Ann,D{i},Acme,Qualification,{a},01/31/2026,01/02/2026 10:00:00" for i, a in enumerate(amounts)]
    land.put("zoho", "2026-11-20", "amounts.csv", deals(*rows))
    res = land.ingest("opportunities")
    # the parenthesised negative is parsed as -1234 and then quarantined: deals cannot be negative
    assert counts(res["amounts.csv"]) == (9, 8, 1)
    assert land.rows("opportunities", "name, amount, currency") == sorted([
        ("D0", 1234.5, "USD"), ("D1", 1234.5, "CNY"), ("D2", 1234.0, "USD"), ("D3", 1234.5, "CNY"),
        ("D4", 1234.0, "CNY"), ("D6", 1234.0, "USD"), ("D7", 88.0, "CNY"), ("D8", 7.0, "USD"),
    ])
    assert land.quarantine() == [("zoho/2026-11-20/amounts.csv", 7, "Amount", "(1,234)", "negative amount")]


@pytest.mark.parametrize(("values", "expected"), [
    (["2026-03-07", "2026-03-08 10:15:00"], ["2026-03-07 00:00:00", "2026-03-08 10:15:00"]),
    (["03/07/2026 10:15", "12/25/2026"], ["2026-03-07 10:15:00", "2026-12-25 00:00:00"]),
    (["2026/3/7", "2026/12/25 08:05"], ["2026-03-07 00:00:00", "2026-12-25 08:05:00"]),
    (["1772841600000", "1772928000000"], ["2026-03-07 00:00:00", "2026-03-08 00:00:00"]),
    (["2026年3月7日", "2026年12月25日"], ["2026-03-07 00:00:00", "2026-12-25 00:00:00"]),
    (["03/04/2026", "25/12/2026"], ["2026-04-03 00:00:00", "2026-12-25 00:00:00"]),  # a day > 12 settles dd/MM
    (["03/04/2026", "05/06/2026"], ["2026-03-04 00:00:00", "2026-05-06 00:00:00"]),  # ambiguous: Zoho is MDY
])
def test_each_date_form_one_format_per_column(land: Landing, values: list[str], expected: list[str]) -> None:
    rows = [f"{i},Ann,D{i},Acme,Qualification,1,01/31/2026,{v}" for i, v in enumerate(values)]
    land.put("zoho", "2026-11-20", "dates.csv", deals(*rows))
    res = land.ingest("opportunities")
    assert counts(res["dates.csv"]) == (2, 2, 0)
    assert [r[0] for r in land.rows("opportunities", "created_at::varchar")] == expected


def test_rows_with_bad_values_go_to_quarantine_with_line_and_column(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "mixed.csv", deals(
        "1,Ann,Good,Acme,Qualification,10,01/31/2026,01/02/2026 10:00:00",
        ",Ann,No id,Acme,Qualification,10,01/31/2026,01/02/2026 10:00:00",
        "3,Ann,Bad amount,Acme,Qualification,ten,01/31/2026,01/02/2026 10:00:00",
        "4,Ann,Bad date,Acme,Qualification,10,31/31/2026,01/02/2026 10:00:00",
        "5,Ann,Too old,Acme,Qualification,10,01/31/1890,01/02/2026 10:00:00",
        "6,Ann,Negative,Acme,Qualification,-10,01/31/2026,01/02/2026 10:00:00",
    ))
    res = land.ingest("opportunities")
    assert counts(res["mixed.csv"]) == (6, 1, 5)
    f = "zoho/2026-11-20/mixed.csv"
    assert land.quarantine() == [
        (f, 3, "Record Id", None, "missing record id"),
        (f, 4, "Amount", "ten", "unparseable amount for amount"),
        (f, 5, "Closing Date", "31/31/2026", "unparseable date for close_date (the column reads as MM/dd/yyyy)"),
        (f, 6, "Closing Date", "01/31/1890", "close_date out of range (1990-01-01 .. 2099-12-31)"),
        (f, 7, "Amount", "-10", "negative amount"),
    ]
    assert sum(counts(res["mixed.csv"])[1:]) == res["mixed.csv"].rows_read


# --- schema drift -----------------------------------------------------------------------------------------

def test_extra_column_is_kept_and_missing_optional_is_reported(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "drift.csv",
             "Record Id,Deal Name,Stage,Closing Date,Created Time,Region Code\n"
             "1,D,Qualification,01/31/2026,01/02/2026 10:00:00,EMEA-7\n")
    r = land.ingest("opportunities")["drift.csv"]
    assert r.extra_columns == "Region Code"
    assert "amount" in r.missing_columns and "owner_name" in r.missing_columns
    assert land.rows("opportunities", "extra_columns, amount") == [('{"Region Code":"EMEA-7"}', None)]


def test_missing_required_column_fails_with_the_headers_it_lacks(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "no_stage.csv", "Record Id,Deal Name,Closing Date,Created Time\n1,D,01/31/2026,x\n")
    [entry] = land.manifest()
    assert entry.error == (
        "zoho/2026-11-20/no_stage.csv: header row matches no module of profile 'zoho'; best match is "
        "'opportunities' (opportunities), missing required header(s): stage_raw (Stage)"
    )


# --- broken files -------------------------------------------------------------------------------------------

def test_empty_file(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "empty.csv", b"")
    [entry] = land.manifest()
    assert entry.error == "zoho/2026-11-20/empty.csv: empty file (0 bytes)"


def test_header_only_file_loads_zero_rows(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "header.csv", DEAL_HEADER + "\n")
    r = land.ingest("opportunities")["header.csv"]
    assert (r.status, *counts(r)) == ("loaded", 0, 0, 0)


def test_truncated_file(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "cut.csv",
             deals("1,Ann,D1,Acme,Qualification,10,01/31/2026,01/02/2026 10:00:00") + "2,Ann,D2,Acm")
    with pytest.raises(IngestError, match=r"cut.csv: truncated file: last line 3 has 4 of 8 fields and no line end"):
        land.ingest("opportunities")


def test_truncated_inside_a_quoted_cell(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "cutq.csv",
             deals("1,Ann,D1,Acme,Qualification,10,01/31/2026,01/02/2026 10:00:00") + '2,Ann,"D2 is')
    with pytest.raises(IngestError, match=r"cutq.csv: malformed or truncated CSV"):
        land.ingest("opportunities")


# --- history --------------------------------------------------------------------------------------------------

def test_duplicates_across_two_export_dates_keep_every_version(land: Landing) -> None:
    land.put("zoho", "2026-11-13", "deals.csv", deals("1,Ann,D1,Acme,Qualification,10,01/31/2026,01/02/2026 10:00:00"))
    land.put("zoho", "2026-11-20", "deals.csv", deals("1,Ann,D1,Acme,Closed Won,12,01/31/2026,01/02/2026 10:00:00"))
    land.ingest("opportunities")
    assert land.rows("opportunities", "source_record_id, export_date::varchar, stage_raw, amount") == [
        ("1", "2026-11-13", "Qualification", 10.0),
        ("1", "2026-11-20", "Closed Won", 12.0),
    ]


def test_rerun_skips_unchanged_files_and_replaces_changed_ones(land: Landing) -> None:
    path = land.put("zoho", "2026-11-20", "deals.csv",
                    deals("1,Ann,D1,Acme,Qualification,10,01/31/2026,01/02/2026 10:00:00"))
    land.ingest("opportunities")
    versions = f"{file_key('zoho/2026-11-20/deals.csv')}-*.parquet"  # raw names hash the landing path
    first = sorted(p.name for p in land.raw.rglob(versions))
    assert len(first) == 1
    land.ingest("opportunities")
    assert sorted(p.name for p in land.raw.rglob(versions)) == first
    path.write_text(deals("1,Ann,D1,Acme,Qualification,99,01/31/2026,01/02/2026 10:00:00"))
    land.ingest("opportunities")
    assert len(list(land.raw.rglob(versions))) == 1
    assert land.rows("opportunities", "amount") == [(99.0,)]
