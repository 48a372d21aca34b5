"""`salestier validate-profile PROFILE --against FOLDER`: a dry run over real-shaped files, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from salestier_pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = (
    "Opportunity ID,Sales Agent,Account,Sector,Region,Deal Stage,Engage Date,Close Date,Close Value,Notes\n"
    'A1,Ann,Acme,retail,East,Won,01-Jan-2026,15-Feb-2026,"1,200",x\n'
    "A2,Bo,Beta,software,West,Engaging,03-Feb-2026,,abc,y\n"
    ",,,,,,,,,\n"
    ",,,,,,,Total,1200,\n"
)


def test_dry_run_reports_module_columns_formats_and_counts(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "pipeline.csv").write_text(PIPELINE, encoding="utf-8")
    (folder / "other.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code = main(["validate-profile", str(ROOT / "docs" / "examples" / "pipeline.yml"), "--against", str(folder)])
    out = capsys.readouterr().out
    assert code == 1  # other.csv matches no module
    assert "other.csv: FAILS: other.csv: header row matches no module of profile 'pipeline'" in out
    assert "pipeline.csv: opportunities -> opportunities (utf-8)" in out
    assert "  rows: 3 read, 1 would load, 2 quarantined, 0 cell(s) nulled, 1 blank" in out
    assert "created_at: dd-MMM-yyyy, close_date: dd-MMM-yyyy" in out
    assert "stage_raw <- 'Deal Stage'" in out and "extra (kept in extra_columns): Notes" in out
    assert "  - line 3, Close Value='abc': unparseable amount for amount (row_quarantined)" in out
    assert "  - line 5, Opportunity ID=<NA>: missing record id (row_quarantined)" in out
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


def test_dry_run_on_a_folder_that_is_not_there_exits_2(tmp_path: Path) -> None:
    assert main(["validate-profile", str(ROOT / "docs" / "examples" / "pipeline.yml"),
                 "--against", str(tmp_path / "nope")]) == 2


def test_run_with_a_broken_profile_exits_2_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture) -> None:
    home = tmp_path / "home"
    (home / "profiles").mkdir(parents=True)
    (home / "profiles" / "acme.yml").write_text("name: acme\nmodules:\n  opportunities:\n    columns: [\n",
                                                encoding="utf-8")
    batch = home / "landing" / "acme" / "2026-11-20"
    batch.mkdir(parents=True)
    (batch / "deals.csv").write_text("id\n1\n", encoding="utf-8")
    monkeypatch.setenv("SALESTIER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    monkeypatch.delenv("SALESTIER_AS_OF", raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{home / 'profiles' / 'acme.yml'}:") and "not valid YAML" in err[0]
    assert not (home / "dagster").exists()
