"""Hostile and broken export files through the real ingest: nothing injected, nothing lost, nothing crashes.

Every file is written by the test; every count and line number is asserted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl
import pytest

from salestier_pipeline.ingest.decode import FileReadError, decode_file
from salestier_pipeline.ingest.landing import list_landing
from salestier_pipeline.ingest.run import IngestError
from salestier_pipeline.profiles import load_profiles
from salestier_pipeline.profiles.loader import BUILTIN_DIR
from tests.test_ingest_corpus import DEAL_HEADER, Landing, counts, deals

ROW = "{i},Ann,D{i},Acme,Qualification,{amount},01/31/2026,01/02/2026 10:00:00"
INJECTION = ("x' (FORMAT parquet); COPY (SELECT content FROM read_text(chr(47) || 'etc' || chr(47) || 'hostname')) "
             "TO 'SQLI_LEAK.csv' (FORMAT csv); --.csv")


@pytest.fixture()
def land(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Landing:
    monkeypatch.chdir(tmp_path)  # a leaked COPY would write into the working directory
    return Landing(tmp_path)


def rows(n: int, start: int = 1) -> list[str]:
    return [ROW.format(i=i, amount=i * 10) for i in range(start, start + n)]


def test_file_name_with_sql_loads_its_rows_and_writes_no_other_file(land: Landing, tmp_path: Path) -> None:
    land.put("zoho", "2026-11-20", INJECTION, deals(*rows(3)))
    land.put("zoho", "2026-11-20", "Deals O'Brien.csv", deals(*rows(2, start=10)))
    res = land.ingest("opportunities")
    assert counts(res[INJECTION]) == (3, 3, 0)
    assert counts(res["Deals O'Brien.csv"]) == (2, 2, 0)
    assert [r[0] for r in land.rows("opportunities", "source_file")].count(f"zoho/2026-11-20/{INJECTION}") == 3
    assert not list(tmp_path.rglob("SQLI_LEAK*")) and not list(Path.cwd().rglob("SQLI_LEAK*"))
    raw_names = [p.name for p in land.raw.rglob("*.parquet")]
    assert all("'" not in n and "COPY" not in n for n in raw_names)


def test_source_with_an_apostrophe(land: Landing, tmp_path: Path) -> None:
    profiles_dir = tmp_path / "profiles"
    profiles_dir.mkdir()
    zoho = (BUILTIN_DIR / "zoho.yml").read_text(encoding="utf-8")
    (profiles_dir / "o'brien.yml").write_text(zoho.replace("name: zoho", "name: \"o'brien\"", 1), encoding="utf-8")
    land.profiles = load_profiles(profiles_dir)
    land.put("o'brien", "2026-11-20", "deals.csv", deals(*rows(2)))
    res = land.ingest("opportunities")
    assert counts(res["deals.csv"]) == (2, 2, 0)
    assert land.rows("opportunities", "distinct source_system") == [("o'brien",)]


def test_files_with_the_same_stem_keep_every_row(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "Deals.csv", deals(*rows(11)))
    land.put("zoho", "2026-11-20", "Deals.txt", deals(*rows(5, start=100)))
    res = land.ingest("opportunities")
    assert (counts(res["Deals.csv"]), counts(res["Deals.txt"])) == ((11, 11, 0), (5, 5, 0))
    assert land.rows("opportunities", "count(*), count(distinct source_record_id)") == [(16, 16)]
    land.ingest("opportunities")  # a rerun prunes nothing of either
    assert land.rows("opportunities", "count(*)") == [(16,)]


def test_a_stray_quote_that_swallows_lines_is_caught_with_its_lines(land: Landing) -> None:
    body = rows(10)
    body[3] = body[3].replace(",D4,", ',"D4 big,')  # line 5 opens a quote ...
    body[7] = body[7].replace(",D8,", ',D8",')  # ... that line 9 closes: 5 lines read as one record
    land.put("zoho", "2026-11-20", "stray.csv", deals(*body))
    res = land.ingest("opportunities")
    assert counts(res["stray.csv"]) == (10, 5, 5)
    quarantined = land.quarantine()
    assert [q[1] for q in quarantined] == [5, 6, 7, 8, 9]
    assert all(q[4].startswith("unbalanced quote") for q in quarantined)
    assert quarantined[1][3] == ROW.format(i=5, amount=50)  # each line's own text is kept
    assert [r[0] for r in land.rows("opportunities", "name")] == ["D1", "D10", "D2", "D3", "D9"]


def test_a_stray_quote_that_breaks_the_quoting_is_caught_too(land: Landing) -> None:
    body = rows(6)
    body[1] = body[1].replace(",D2,", ',"D2 big,')  # closes at line 6 before text: not valid CSV
    body[4] = body[4].replace(",D5,", ',"x"D5,')
    land.put("zoho", "2026-11-20", "stray2.csv", deals(*body))
    res = land.ingest("opportunities")
    assert counts(res["stray2.csv"]) == (6, 2, 4)
    assert [q[1] for q in land.quarantine()] == [3, 4, 5, 6]


def test_short_long_rows_and_bare_cr_are_quarantined_with_their_lines(land: Landing) -> None:
    body = rows(6)
    body[1] = "2,Ann,D2,Acme"  # short (line 3)
    body[3] = body[3] + ",surplus"  # long (line 5)
    body[4] = body[4].replace("Acme", "Ac\rme")  # bare CR splits line 6 in two short records
    land.put("zoho", "2026-11-20", "ragged.csv", deals(*body))
    res = land.ingest("opportunities")
    quarantined = land.quarantine()
    assert [(q[1], q[4]) for q in quarantined] == [
        (3, "short row: 4 of 8 fields"), (5, "long row: 9 of 8 fields"),
        (6, "short row: 4 of 8 fields"), (7, "short row: 5 of 8 fields"),
    ]
    assert counts(res["ragged.csv"]) == (7, 3, 4)
    assert [r[0] for r in land.rows("opportunities", "name")] == ["D1", "D3", "D6"]


def test_bare_cr_inside_a_quoted_cell_loads(land: Landing) -> None:
    body = rows(2)
    body[0] = body[0].replace(",D1,", ',"D1\rsecond line",')
    land.put("zoho", "2026-11-20", "cr.csv", deals(*body))
    res = land.ingest("opportunities")
    assert counts(res["cr.csv"]) == (2, 2, 0)
    assert land.rows("opportunities", "name, source_line") == [("D1\rsecond line", 2), ("D2", 4)]


def test_trailing_separators_and_blank_rows_are_not_data(land: Landing) -> None:
    text = deals(*(r + ",," for r in rows(3))) + ",,,,,,,\n" * 40 + "\n\n"
    land.put("zoho", "2026-11-20", "excel.csv", text)
    res = land.ingest("opportunities")
    assert counts(res["excel.csv"]) == (3, 3, 0) and res["excel.csv"].rows_blank == 42


@pytest.mark.parametrize(("cell", "value", "reason"), [
    ('"1,234.50"', 1234.5, None),
    ("$-5", None, "negative amount"),
    ("¥-1234", None, "negative amount"),
    ("5-", None, "unparseable amount for amount"),
    ("(5", None, "unparseable amount for amount (unbalanced parenthesis)"),
    ("1-2", None, "unparseable amount for amount"),
    ("+-5", None, "unparseable amount for amount"),
    ("12 34", None, "unparseable amount for amount (digits not in the column's number format (decimal '.'))"),
    ("12 345", 12345.0, None),
    ("1e29", None, "amount beyond ±1e+15 (SALESTIER_MAX_MAGNITUDE)"),
    ("1.5E+07", 15_000_000.0, None),
    ('"USD 5 EUR"', None, "unparseable amount for amount (two different currencies)"),
    ("2.5万元", 25_000.0, None),
])
def test_each_amount_form_gives_its_value_or_its_reason(land: Landing, cell: str, value: float | None,
                                                         reason: str | None) -> None:
    land.put("zoho", "2026-11-20", "amount.csv", deals(ROW.format(i=1, amount=cell), ROW.format(i=2, amount="7")))
    res = land.ingest("opportunities")
    loaded = dict(land.rows("opportunities", "name, amount"))
    if reason is None:
        assert loaded["D1"] == value and counts(res["amount.csv"]) == (2, 2, 0)
    else:
        assert "D1" not in loaded and [q[4] for q in land.quarantine()] == [reason]


def test_comma_decimal_column_is_settled_from_its_values(land: Landing) -> None:
    cells = ['"1.234,50"', '"12,5"', "7", '"1.000"']
    land.put("zoho", "2026-11-20", "eu.csv", deals(*(ROW.format(i=i, amount=c) for i, c in enumerate(cells, 1))))
    land.ingest("opportunities")
    assert land.rows("opportunities", "name, amount") == [("D1", 1234.5), ("D2", 12.5), ("D3", 7.0), ("D4", 1000.0)]


def test_nul_anywhere_fails_the_file_with_its_line(land: Landing) -> None:
    body = rows(2000)
    body[1500] = body[1500].replace("Acme", "Ac\x00me")
    path = land.put("zoho", "2026-11-20", "nul.csv", deals(*body))
    assert path.stat().st_size > 65536
    with pytest.raises(FileReadError, match=r"nul.csv: binary content \(NUL byte on line 1502\)"):
        decode_file(path, "zoho/2026-11-20/nul.csv")


# --- xlsx limits: checked before calamine allocates anything --------------------------------------------

def _workbook(path: Path, far_cell: str | None = None, rows_: int = 2) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(DEAL_HEADER.split(","))
    for i in range(1, rows_ + 1):
        ws.append([str(i), "Ann", f"D{i}", "Acme", "Qualification", 10, "01/31/2026", "01/02/2026 10:00:00"])
    if far_cell:
        ws[far_cell] = "x"
    wb.save(path)
    return path


def _decode_in_bounded_process(path: Path, limit_bytes: int, env: dict[str, str] | None = None) -> str:
    """Decode in a child whose address space is capped: an allocation of the whole grid would kill it.
    The child reads its limits the way a run does: load_settings() from its environment."""
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({limit_bytes}, {limit_bytes}))
        from salestier_pipeline.ingest.decode import FileReadError, decode_file
        from salestier_pipeline.settings import load_settings
        try:
            decode_file(sys.argv[1], "bomb.xlsx", load_settings().limits)
        except FileReadError as exc:
            print(exc)
            sys.exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {}), "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert done.returncode == 3, (done.returncode, done.stdout, done.stderr[-2000:])
    return done.stdout.strip()


def test_tiny_xlsx_with_a_far_cell_fails_by_name_within_a_memory_bound(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "far.xlsx", far_cell="XFD1048576")
    assert path.stat().st_size < 10_000
    message = _decode_in_bounded_process(path, 2 << 30)
    assert message.startswith("bomb.xlsx: sheet xl/worksheets/sheet1.xml declares 1,048,576 rows × 16,384 columns")
    assert "SALESTIER_XLSX_MAX_CELLS" in message


def test_inflating_xlsx_fails_by_name_within_a_memory_bound(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "big.xlsx", rows_=20_000)
    message = _decode_in_bounded_process(path, 2 << 30, {"SALESTIER_XLSX_MAX_BYTES": str(1 << 20)})
    assert message.startswith("bomb.xlsx: workbook inflates to more than 1,048,576 bytes (SALESTIER_XLSX_MAX_BYTES)")


def test_xlsx_within_limits_loads_and_counts_blank_rows(land: Landing, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "ok.xlsx", rows_=3)
    wb = openpyxl.load_workbook(path)
    wb.active.append([None] * 8)
    wb.active.append(["4", "Ann", "D4", "Acme", "Qualification", 10, "01/31/2026", "01/02/2026 10:00:00", "extra"])
    wb.save(path)
    land.put("zoho", "2026-11-20", "ok.xlsx", path.read_bytes())
    res = land.ingest("opportunities")
    assert counts(res["ok.xlsx"]) == (4, 3, 1) and res["ok.xlsx"].rows_blank == 1
    assert [(q[1], q[4]) for q in land.quarantine()] == [(6, "long row: a value beyond the 8 headed columns")]


def test_a_file_over_the_quarantine_share_names_its_first_line(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "bad.csv", deals("1,Ann,D1,Acme", "2,Ann,D2,Acme", *rows(1, start=3)))
    with pytest.raises(IngestError, match=r"bad.csv: 2 of 3 rows quarantined .* short row: 4 of 8 fields \(line 2"):
        land.ingest("opportunities", max_share=0.2)


def test_symlinks_out_of_the_landing_zone_are_not_followed(land: Landing, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text(deals(*rows(2)), encoding="utf-8")
    land.put("zoho", "2026-11-20", "deals.csv", deals(*rows(1)))
    batch = land.landing / "zoho" / "2026-11-20"
    (batch / "linked.csv").symlink_to(secret)
    (batch / "inner.csv").symlink_to(batch / "deals.csv")  # a link inside the zone is an ordinary file
    (land.landing / "evil").symlink_to(secret.parent, target_is_directory=True)
    with caplog.at_level("WARNING"):
        names = sorted(f.rel for f in list_landing(land.landing, "2026-11-27"))
    assert names == ["zoho/2026-11-20/deals.csv", "zoho/2026-11-20/inner.csv"]
    assert "linked.csv" in caplog.text


def test_a_failed_files_rejected_rows_are_kept_for_the_user(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "bad.csv", deals("1,Ann,D1,Acme", "=HYPERLINK(1),Ann,D2,Acme", *rows(1, start=3)))
    with pytest.raises(IngestError, match=r"every rejected row: (\S+\.quarantine\.csv)") as failure:
        land.ingest("opportunities", max_share=0.2)
    kept = Path(re.search(r"every rejected row: (\S+\.quarantine\.csv)", str(failure.value))[1])
    text = kept.read_text(encoding="utf-8-sig")
    assert text.count("short row: 4 of 8 fields") == 2 and "'=HYPERLINK(1),Ann,D2,Acme" in text


def test_a_real_multi_line_note_with_commas_is_not_mistaken_for_swallowed_rows(land: Landing) -> None:
    body = rows(3)
    body[1] = body[1].replace(",D2,", ',"D2: called, left a message,\nwill call again, Tuesday",')
    land.put("zoho", "2026-11-20", "notes.csv", deals(*body))
    res = land.ingest("opportunities")
    assert counts(res["notes.csv"]) == (3, 3, 0)
    assert land.rows("opportunities", "source_line") == [(2,), (3,), (5,)]
