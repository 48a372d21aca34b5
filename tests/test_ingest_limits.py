"""The ingest limits are passed down from the settings (IngestLimits), not read from the environment on the way.

Each limit is lowered through the function a run calls (ingest_module, build_manifest, the landing_manifest
asset, `salestier validate-profile --against`), and the text that names the variable to raise is checked.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import openpyxl
import pytest

from salestier_pipeline.assets.ingest import landing_manifest
from salestier_pipeline.cli import main
from salestier_pipeline.ingest.csv_text import parse_csv_text
from salestier_pipeline.resources import SalesTierResource
from salestier_pipeline.settings import IngestLimits, load_settings
from tests.test_ingest_corpus import AS_OF, DEAL_HEADER, Landing, counts, deals

ROOT = Path(__file__).resolve().parent.parent
ROW = "{i},Ann,D{i},Acme,Qualification,{amount},01/31/2026,01/02/2026 10:00:00"


@pytest.fixture()
def land(tmp_path: Path) -> Landing:
    return Landing(tmp_path)


def ingest(land: Landing, limits: IngestLimits) -> dict[str, tuple[int, int, int]]:
    from salestier_pipeline.ingest.run import ingest_module

    results = ingest_module("opportunities", build(land, limits), land.profiles, land.raw, AS_OF, 1.0, limits)
    return {Path(r.source_file).name: counts(r) for r in results}


def build(land: Landing, limits: IngestLimits):
    from salestier_pipeline.ingest.manifest import build_manifest

    return build_manifest(land.landing, AS_OF, land.profiles, limits)


def test_max_magnitude_quarantines_and_a_changed_limit_rereads_the_file(land: Landing) -> None:
    land.put("zoho", "2026-11-20", "deals.csv", deals(ROW.format(i=1, amount=5000), ROW.format(i=2, amount=700)))
    assert ingest(land, load_settings({"SALESTIER_MAX_MAGNITUDE": "1000"}).limits) == {"deals.csv": (2, 1, 1)}
    assert [q[4] for q in land.quarantine()] == ["amount beyond ±1000 (SALESTIER_MAX_MAGNITUDE)"]
    # the limit is part of the raw file's version key: the default limit re-reads the file, it is not reused
    assert ingest(land, IngestLimits()) == {"deals.csv": (2, 2, 0)}
    assert land.rows("opportunities", "name, amount") == [("D1", 5000.0), ("D2", 700.0)]
    assert land.quarantine() == []


def test_max_cell_chars_quarantines_the_long_cell_only(land: Landing) -> None:
    long_name = "x" * 40
    land.put("zoho", "2026-11-20", "deals.csv", deals(ROW.format(i=1, amount=1).replace("D1", long_name),
                                                      ROW.format(i=2, amount=2)))
    assert ingest(land, IngestLimits(max_cell_chars=30)) == {"deals.csv": (2, 1, 1)}
    assert [(q[1], q[4]) for q in land.quarantine()] == [
        (2, "cell longer than 30 characters (SALESTIER_MAX_CELL_CHARS)")]
    parsed = parse_csv_text(deals(ROW.format(i=1, amount=1).replace("D1", long_name)), "deals.csv")
    assert parsed.rejects == [] and len(parsed.rows) == 1  # the default limit (1,048,576) lets it through


def _workbook(path: Path, rows: int) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(DEAL_HEADER.split(","))
    for i in range(1, rows + 1):
        wb.active.append([str(i), "Ann", f"D{i}", "Acme", "Qualification", 10, "01/31/2026", "01/02/2026 10:00:00"])
    wb.save(path)
    return path


def test_workbook_limits_fail_the_file_by_name(land: Landing, tmp_path: Path) -> None:
    land.put("zoho", "2026-11-20", "deals.xlsx", _workbook(tmp_path / "w.xlsx", rows=3).read_bytes())
    [file] = build(land, IngestLimits(max_cells=20))  # 4 rows x 8 columns = 32 cells
    assert file.module is None and file.error.startswith(
        "zoho/2026-11-20/deals.xlsx: sheet xl/worksheets/sheet1.xml declares 4 rows × 8 columns = 32 cells, "
        "over the limit of 20 (SALESTIER_XLSX_MAX_CELLS)")
    [file] = build(land, IngestLimits(max_bytes=1000))
    assert "workbook inflates to more than 1,000 bytes (SALESTIER_XLSX_MAX_BYTES)" in file.error
    [file] = build(land, IngestLimits())
    assert file.module == "opportunities" and file.error is None


def test_the_landing_manifest_asset_uses_the_settings_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Env → load_settings → SalesTierResource → asset: a workbook over SALESTIER_XLSX_MAX_CELLS fails at once
    when SALESTIER_WRITE_SETTLE_SECONDS=0 (a fresh file would otherwise ask for a retry)."""
    folder = tmp_path / "landing" / "zoho" / "2026-11-20"
    folder.mkdir(parents=True)
    _workbook(folder / "deals.xlsx", rows=3)
    monkeypatch.setenv("SALESTIER_XLSX_MAX_CELLS", "20")
    monkeypatch.setenv("SALESTIER_WRITE_SETTLE_SECONDS", "0")
    context = dg.build_asset_context(partition_key="2026-11-20")
    with pytest.raises(dg.Failure, match=r"32 cells, over the limit of 20 \(SALESTIER_XLSX_MAX_CELLS\)"):
        landing_manifest(context, salestier=SalesTierResource(home=str(tmp_path)))
    monkeypatch.setenv("SALESTIER_WRITE_SETTLE_SECONDS", "120")
    with pytest.raises(dg.RetryRequested):
        landing_manifest(dg.build_asset_context(partition_key="2026-11-20"),
                         salestier=SalesTierResource(home=str(tmp_path)))


def test_validate_profile_against_uses_the_settings_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "pipeline.csv").write_text(
        "Opportunity ID,Sales Agent,Account,Sector,Region,Deal Stage,Engage Date,Close Date,Close Value\n"
        "A1,Ann,Acme,retail,East,Won,01-Jan-2026,15-Feb-2026,5000\n", encoding="utf-8")
    argv = ["validate-profile", str(ROOT / "docs" / "examples" / "pipeline.yml"), "--against", str(folder)]
    monkeypatch.setenv("SALESTIER_MAX_MAGNITUDE", "100")
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "rows: 1 read, 0 would load, 1 quarantined" in out
    assert "Close Value='5000': amount beyond ±100 (SALESTIER_MAX_MAGNITUDE) (row_quarantined)" in out
    monkeypatch.delenv("SALESTIER_MAX_MAGNITUDE")
    assert main(argv) == 0 and "rows: 1 read, 1 would load, 0 quarantined" in capsys.readouterr().out
