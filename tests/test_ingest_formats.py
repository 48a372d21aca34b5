"""Ingest of both CRM formats: Zoho CSV with BOM, Fxiaoke xlsx and GBK CSV."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest

from salestier_pipeline.ingest.manifest import build_manifest
from salestier_pipeline.ingest.run import IngestError, ingest_module
from salestier_pipeline.profiles import load_profiles

ZOHO_DEALS = (
    "Record Id,Deal Owner,Deal Name,Account Name,Stage,Amount,Closing Date,Probability (%),"
    "Created Time,Modified Time,Lead Source\r\n"
    '9001,Alice Smith,Deal A,Acme,Closed Won,"1,234.50",03/15/2026,100,01/10/2026 10:00:00,03/15/2026 11:00:00,Web\r\n'
    "9002,Bob Jones,Deal B,Acme,Qualification,$800,04/30/2026,10,02/01/2026 09:00:00,02/01/2026 09:00:00,Partner\r\n"
    "9003,Bob Jones,Deal C,Beta,Negotiation/Review,not-a-number,05/31/2026,80,02/03/2026 09:00:00,,Web\r\n"
)


@pytest.fixture()
def landing(tmp_path: Path) -> Path:
    land = tmp_path / "landing"
    zoho = land / "zoho" / "2026-11-20"
    zoho.mkdir(parents=True)
    (zoho / "Deals_export.csv").write_bytes(b"\xef\xbb\xbf" + ZOHO_DEALS.encode("utf-8"))
    fx = land / "fxiaoke" / "2026-11-20"
    fx.mkdir(parents=True)
    gbk = (
        "商机名称,客户名称,商机金额,预计成交日期,商机阶段,阶段状态,负责人,创建时间\n"
        "华东扩容项目,上海星辰科技有限公司,\"￥120,000\",2026/3/7,商务谈判,赢单,张伟,2025-12-01 09:30\n"
        "西南试点,成都云帆信息,8000元,2026/12/1,方案/报价,进行中,李娜,2026-10-02 14:00\n"
    )
    (fx / "商机.csv").write_bytes(gbk.encode("gbk"))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["客户名称", "负责人", "所属行业", "员工人数", "创建时间"])
    import datetime as dt

    ws.append(["上海星辰科技有限公司", "张伟", "制造", 350, dt.datetime(2024, 5, 6, 8, 0)])
    ws.append(["成都云帆信息", "李娜", "软件", "1,200", dt.datetime(2025, 1, 2, 9, 0)])
    wb.save(fx / "客户.xlsx")
    return land


def _rows(raw: Path, module: str) -> list[tuple]:
    return duckdb.sql(
        f"select * from read_parquet('{raw}/{module}/**/*.parquet', union_by_name = true) "
        "order by source_system, source_line"
    ).fetchall()


def test_both_crm_formats_load_and_bad_rows_are_quarantined(landing: Path, tmp_path: Path) -> None:
    profiles = load_profiles()
    manifest = build_manifest(landing, "2026-11-27", profiles)
    modules = {(m.source, Path(m.rel).name): m.module for m in manifest}
    assert modules == {
        ("zoho", "Deals_export.csv"): "opportunities",
        ("fxiaoke", "商机.csv"): "opportunities",
        ("fxiaoke", "客户.xlsx"): "accounts",
    }
    raw = tmp_path / "raw"
    results = ingest_module("opportunities", manifest, profiles, raw, "2026-11-27", max_share=0.5)
    by_file = {Path(r.source_file).name: r for r in results}
    assert (by_file["Deals_export.csv"].rows_read, by_file["Deals_export.csv"].rows_loaded,
            by_file["Deals_export.csv"].rows_quarantined) == (3, 2, 1)
    assert by_file["Deals_export.csv"].encoding == "utf-8-sig"
    assert by_file["商机.csv"].encoding == "gb18030"
    assert (by_file["商机.csv"].rows_loaded, by_file["商机.csv"].rows_quarantined) == (2, 0)

    con = duckdb.connect()
    opps = con.execute(
        f"select source_system, source_record_id, name, amount, currency, close_date::varchar, stage_raw, status_raw "
        f"from read_parquet('{raw}/opportunities/**/*.parquet', union_by_name = true) order by source_system, name"
    ).fetchall()
    assert opps[0][0] == "fxiaoke" and opps[0][2] == "华东扩容项目"
    assert opps[0][3] == 120000.0 and opps[0][4] == "CNY" and opps[0][5] == "2026-03-07"
    assert opps[0][1].startswith("nk-")  # derived from 商机名称 + 客户名称
    assert opps[1][3] == 8000.0 and opps[1][6] == "方案/报价" and opps[1][7] == "进行中"
    zoho = [o for o in opps if o[0] == "zoho"]
    assert [(o[1], o[3], o[4], o[5]) for o in zoho] == [
        ("9001", 1234.5, "USD", "2026-03-15"),
        ("9002", 800.0, "USD", "2026-04-30"),
    ]
    quarantine = con.execute(
        f"select source_file, line_number, column_name, raw_value, reason "
        f"from read_parquet('{raw}/_ingest/quarantine/**/*.parquet', union_by_name = true) where reason is not null"
    ).fetchall()
    assert quarantine == [
        ("zoho/2026-11-20/Deals_export.csv", 4, "Amount", "not-a-number", "unparseable amount for amount")
    ]

    ingest_module("accounts", manifest, profiles, raw, "2026-11-27", max_share=0.5)
    accounts = con.execute(
        f"select name, employees, created_at::varchar from read_parquet('{raw}/accounts/**/*.parquet', "
        "union_by_name = true) order by name"
    ).fetchall()
    assert accounts == [
        ("上海星辰科技有限公司", 350, "2024-05-06 08:00:00"),
        ("成都云帆信息", 1200, "2025-01-02 09:00:00"),
    ]


def test_too_many_quarantined_rows_fail_the_file(landing: Path, tmp_path: Path) -> None:
    profiles = load_profiles()
    manifest = build_manifest(landing, "2026-11-27", profiles)
    with pytest.raises(IngestError, match=r"Deals_export.csv: 1 of 3 rows quarantined \(33% > allowed 10%\)"):
        ingest_module("opportunities", manifest, profiles, tmp_path / "raw", "2026-11-27", max_share=0.1)


def test_batches_after_as_of_are_ignored(landing: Path) -> None:
    manifest = build_manifest(landing, "2026-11-19", load_profiles())
    assert manifest == []


def test_unrecognised_header_names_best_module_and_missing_headers(tmp_path: Path) -> None:
    folder = tmp_path / "landing" / "zoho" / "2026-11-20"
    folder.mkdir(parents=True)
    (folder / "deals.csv").write_text("Record Id,Deal Name,Amount\n1,X,5\n", encoding="utf-8")
    [entry] = build_manifest(tmp_path / "landing", "2026-11-27", load_profiles())
    assert entry.module is None
    assert "zoho/2026-11-20/deals.csv: header row matches no module of profile 'zoho'" in entry.error
    assert "best match is 'opportunities'" in entry.error
    assert "stage_raw (Stage)" in entry.error and "close_date" in entry.error
