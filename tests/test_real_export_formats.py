"""Export quirks of real CRMs, through the real ingest: date and duration forms, bad optional cells,
legacy encodings and profile edits. Every file is written by the test in the shape real exports have."""

from __future__ import annotations

from pathlib import Path

import pytest

from salestier_pipeline.profiles import load_profiles
from salestier_pipeline.profiles.loader import BUILTIN_DIR
from tests.test_ingest_corpus import Landing, counts, deals

CALLS_HEADER = "Record Id,Subject,Call Start Time,{duration},Call Status,Related To,Call Owner"


def calls_file(duration_header: str, rows: list[str]) -> str:
    return "\n".join([CALLS_HEADER.format(duration=duration_header), *rows]) + "\n"


@pytest.fixture()
def land(tmp_path: Path) -> Landing:
    return Landing(tmp_path)


@pytest.mark.parametrize(("values", "expected"), [
    (["26-02-2018 19:58", "03-01-2018 10:00"], ["2018-02-26 19:58:00", "2018-01-03 10:00:00"]),  # dd-MM-yyyy
    (["02-26-2018", "12-01-2018"], ["2018-02-26 00:00:00", "2018-12-01 00:00:00"]),  # MM-dd-yyyy
    (["2026-3-7", "2026-12-25 8:05"], ["2026-03-07 00:00:00", "2026-12-25 08:05:00"]),  # yyyy-M-d
    (["01-Jan-2015", "15-MAR-2016"], ["2015-01-01 00:00:00", "2016-03-15 00:00:00"]),  # dd-MMM-yyyy
    (["7 March 2026", "12 Dec 2025"], ["2026-03-07 00:00:00", "2025-12-12 00:00:00"]),  # d MMM yyyy
    (['"Mar 7, 2026"', '"December 25, 2026"'], ["2026-03-07 00:00:00", "2026-12-25 00:00:00"]),  # MMM d, yyyy
    (["03/07/26", "12/25/26"], ["2026-03-07 00:00:00", "2026-12-25 00:00:00"]),  # 2-digit years
    (["03/07/2026 10:15 PM", "12/25/2026 9:05:10 AM"], ["2026-03-07 22:15:00", "2026-12-25 09:05:10"]),  # AM/PM
    (["2026-03-07T10:15:00Z", "2026-03-08T09:00:00+08:00"], ["2026-03-07 10:15:00", "2026-03-08 09:00:00"]),
    (["2026年3月7日 10:05", "2026年12月25日"], ["2026-03-07 10:05:00", "2026-12-25 00:00:00"]),
])
def test_each_date_form_reads_with_one_format_per_column(land: Landing, values: list[str],
                                                          expected: list[str]) -> None:
    rows = [f"{i},Ann,D{i},Acme,Qualification,1,01/31/2026,{v}" for i, v in enumerate(values)]
    land.put("zoho", "2026-11-20", "dates.csv", deals(*rows))
    res = land.ingest("opportunities")
    assert counts(res["dates.csv"]) == (2, 2, 0)
    assert [r[0] for r in land.rows("opportunities", "created_at::varchar")] == sorted(expected)


def test_an_unparseable_date_names_the_columns_format(land: Landing) -> None:
    rows = ["1,Ann,D1,Acme,Qualification,1,01/31/2026,26-02-2018 19:58", "2,Ann,D2,Acme,Qualification,1,01/31/2026,"
            "31-31-2018 10:00", "3,Ann,D3,Acme,Qualification,1,01/31/2026,03-01-2018 10:00"]
    land.put("zoho", "2026-11-20", "dates.csv", deals(*rows))
    land.ingest("opportunities")
    [(_, line, column, raw, reason)] = land.quarantine()
    assert (line, column, raw) == (3, "Created Time", "31-31-2018 10:00")
    assert reason == "unparseable date for created_at (the column reads as dd-MM-yyyy)"


@pytest.mark.parametrize(("header", "cells", "minutes"), [
    ("Call Duration", ["00:15:00", "01:02:30", "15:30"], [15.0, 62.5, 15.5]),  # Zoho HH:mm:ss and mm:ss
    ("Call Duration", ["15 mins", "1h 30m", "45"], [15.0, 90.0, 45.0]),  # words, plain minutes
    ("Call_Duration_in_seconds", ["900", "60", "0"], [15.0, 1.0, 0.0]),  # a seconds column
])
def test_durations_become_minutes(land: Landing, header: str, cells: list[str], minutes: list[float]) -> None:
    rows = [f"c{i},Call {i},2026-11-0{i + 1} 10:00:00,{c},Completed,Acme,Ann" for i, c in enumerate(cells)]
    land.put("zoho", "2026-11-20", "calls.csv", calls_file(header, rows))
    res = land.ingest("activities")
    assert counts(res["calls.csv"]) == (3, 3, 0)
    assert [r[1] for r in land.rows("activities", "subject, duration_minutes")] == minutes


def test_a_bad_optional_cell_is_nulled_and_recorded_while_its_row_loads(land: Landing) -> None:
    rows = ["c1,Call 1,2026-11-01 10:00:00,about ten minutes,Completed,Acme,Ann",
            "c2,Call 2,2026-11-02 10:00:00,00:10:00,Completed,Acme,Ann",
            "c3,Call 3,not a date,00:10:00,Completed,Acme,Ann"]  # occurred_at is critical: row quarantined
    land.put("zoho", "2026-11-20", "calls.csv", calls_file("Call Duration", rows))
    r = land.ingest("activities")["calls.csv"]
    assert (counts(r), r.cells_nulled) == ((3, 2, 1), 1)
    assert land.rows("activities", "source_record_id, duration_minutes") == [("c1", None), ("c2", 10.0)]
    assert land.quarantine() == [
        ("zoho/2026-11-20/calls.csv", 2, "Call Duration", "about ten minutes", "unparseable duration for "
         "duration_minutes"),
        ("zoho/2026-11-20/calls.csv", 4, "Call Start Time", "not a date",
         "unparseable date for occurred_at (the column reads as ISO8601)"),
    ]
    actions = land.rows_of("_ingest/quarantine", "line_number, action")
    assert actions == [(2, "nulled"), (4, "row_quarantined")]


def test_the_quarantine_share_counts_quarantined_rows_only(land: Landing) -> None:
    rows = [f"c{i},Call {i},2026-11-0{i} 10:00:00,junk,Completed,Acme,Ann" for i in range(1, 6)]
    land.put("zoho", "2026-11-20", "calls.csv", calls_file("Call Duration", rows))
    r = land.ingest("activities", max_share=0.2)["calls.csv"]
    assert (r.status, counts(r), r.cells_nulled) == ("loaded", (5, 5, 0), 5)


def test_big5_export_is_recognised(land: Landing) -> None:
    text = "客戶名稱,負責人,所屬行業\n台北宏達電子股份有限公司,陳美玲,電子\n高雄港務開發,林志明,物流\n"
    land.put("fxiaoke", "2026-11-20", "客戶.csv", text.encode("cp950"))
    res = land.ingest("accounts")
    assert res["客戶.csv"].encoding == "cp950" and counts(res["客戶.csv"]) == (2, 2, 0)
    assert land.rows("accounts", "name, owner_name") == [
        ("台北宏達電子股份有限公司", "陳美玲"), ("高雄港務開發", "林志明")]


def test_a_lead_without_company_is_a_lead(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "leads.csv", "Record Id,Last Name,Lead Status,Lead Source\n"
             "L1,Wang,Contacted,Web\nL2,Li,New,Trade Show\n")
    res = land.ingest("leads")
    assert counts(res["leads.csv"]) == (2, 2, 0)


def test_a_profile_edit_rereads_the_files_it_affects(land: Landing, tmp_path: Path) -> None:
    profiles_dir = tmp_path / "profiles"
    profiles_dir.mkdir()
    zoho = (BUILTIN_DIR / "zoho.yml").read_text(encoding="utf-8")
    (profiles_dir / "zoho.yml").write_text(zoho, encoding="utf-8")
    land.profiles = load_profiles(profiles_dir)
    land.put("zoho", "2026-11-20", "deals.csv", deals("1,Ann,D1,Acme,Qualification,10,03/04/2026,03/04/2026 10:00"))
    land.put("zoho", "2026-11-20", "calls.csv", CALLS_HEADER.format(duration="Call Duration") +
             "\nc1,Call 1,2026-11-01 10:00:00,00:10:00,Completed,Acme,Ann\n")
    land.ingest("opportunities")
    land.ingest("activities")
    calls_before = sorted(p.name for p in (land.raw / "activities").rglob("*-*.parquet"))
    assert land.rows("opportunities", "close_date::varchar") == [("2026-03-04",)]  # MDY, as Zoho writes
    (profiles_dir / "zoho.yml").write_text(zoho.replace("date_order: MDY", "date_order: DMY"), encoding="utf-8")
    land.profiles = load_profiles(profiles_dir)
    land.ingest("opportunities")
    land.ingest("activities")
    assert land.rows("opportunities", "close_date::varchar") == [("2026-04-03",)]  # re-read with the edit
    assert len(list((land.raw / "opportunities").rglob("*-*.parquet"))) == 1  # the old version is gone
    # the profile-wide date order is part of every entry's key, so calls are re-read too; an entry-only
    # edit (a header of the deals entry) leaves the calls file as it was
    (profiles_dir / "zoho.yml").write_text(
        zoho.replace("date_order: MDY", "date_order: DMY").replace('"Deal Name", "Deal_Name"',
                                                                    '"Deal Name", "Deal_Name", "Opportunity"'),
        encoding="utf-8")
    land.profiles = load_profiles(profiles_dir)
    calls_mid = sorted(p.name for p in (land.raw / "activities").rglob("*-*.parquet"))
    land.ingest("activities")
    assert sorted(p.name for p in (land.raw / "activities").rglob("*-*.parquet")) == calls_mid != calls_before


def _user_zoho(tmp_path: Path, edit) -> dict:
    profiles_dir = tmp_path / "profiles"
    profiles_dir.mkdir(exist_ok=True)
    text = edit((BUILTIN_DIR / "zoho.yml").read_text(encoding="utf-8"))
    (profiles_dir / "zoho.yml").write_text(text, encoding="utf-8")
    return load_profiles(profiles_dir)


def test_a_pinned_date_format_wins_over_inference(land: Landing, tmp_path: Path) -> None:
    land.profiles = _user_zoho(tmp_path, lambda t: t.replace(
        'close_date: {headers: ["Closing Date", "Closing_Date"], required: true}',
        'close_date: {headers: ["Closing Date", "Closing_Date"], required: true, format: "dd/MM/yyyy"}'))
    land.put("zoho", "2026-11-20", "deals.csv", deals("1,Ann,D1,Acme,Qualification,10,03/04/2026,03/04/2026 10:00",
                                                      "2,Ann,D2,Acme,Qualification,10,2026-04-05,03/04/2026 10:00"))
    res = land.ingest("opportunities")
    assert counts(res["deals.csv"]) == (2, 1, 1)  # the column reads as pinned: 3 April, and an ISO date does not fit
    assert land.rows("opportunities", "close_date::varchar, created_at::varchar") == [
        ("2026-04-03", "2026-03-04 10:00:00")]  # created_at is still inferred (MDY, as Zoho writes)
    assert [q[4] for q in land.quarantine()] == ["unparseable date for close_date (formats tried: dd/MM/yyyy)"]


def test_on_error_overrides_which_bad_cells_quarantine_a_row(land: Landing, tmp_path: Path) -> None:
    land.profiles = _user_zoho(tmp_path, lambda t: t.replace(
        'probability: ["Probability", "Probability (%)"]',
        'probability: {headers: ["Probability", "Probability (%)"], on_error: quarantine}').replace(
        'amount: ["Amount"]', 'amount: {headers: ["Amount"], on_error: null}'))
    header = "Record Id,Deal Owner,Deal Name,Account Name,Stage,Amount,Probability (%),Closing Date,Created Time"
    land.put("zoho", "2026-11-20", "deals.csv", "\n".join([
        header, "1,Ann,D1,Acme,Qualification,ten,10,01/31/2026,01/02/2026 10:00",
        "2,Ann,D2,Acme,Qualification,20,high,01/31/2026,01/02/2026 10:00"]) + "\n")
    r = land.ingest("opportunities")["deals.csv"]
    assert (counts(r), r.cells_nulled) == ((2, 1, 1), 1)
    assert land.rows("opportunities", "name, amount") == [("D1", None)]
