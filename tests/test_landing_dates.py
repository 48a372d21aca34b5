"""Dates are validated at the edge: bad date folders are skipped with a warning, bad as-of settings exit 2."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

import pytest

from salestier_pipeline import cli
from salestier_pipeline.ingest.batches import scan_landing
from salestier_pipeline.ingest.landing import export_dates, latest_export_date, list_landing, valid_batch_date
from salestier_pipeline.partitions import as_of_partitions, as_of_range
from salestier_pipeline.sensors import runnable_scans
from tests.runner import run_salestier

DEALS = "Record Id,Deal Name,Amount\nzcrm_1,First deal,10\n"
BAD = ["2026-13-45", "2026-02-30", "2009-12-31"]  # no month 13, no 30 February, before the partition start


def _tomorrow() -> str:
    return (dt.date.fromisoformat(as_of_range()[1]) + dt.timedelta(days=1)).isoformat()


@pytest.fixture()
def landing(tmp_path: Path) -> Path:
    for day in ["2026-11-27", *BAD, _tomorrow(), "9999-12-31"]:
        (tmp_path / "zoho" / day).mkdir(parents=True)
        (tmp_path / "zoho" / day / "deals.csv").write_text(DEALS, encoding="utf-8")
    (tmp_path / "zoho" / "notes").mkdir()  # not date-like at all: ignored silently, as before
    return tmp_path


def test_valid_batch_date_is_a_partition_key() -> None:
    first, last = as_of_range()
    for name in ["2026-11-27", first, last]:
        assert valid_batch_date(name) and as_of_partitions.has_partition_key(name)
    for name in [*BAD, _tomorrow(), "9999-12-31", "2026-1-05", "notadate", " 2026-11-27"]:
        assert not valid_batch_date(name), name


def test_bad_date_folders_are_skipped_with_one_warning_naming_them(landing: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="salestier_pipeline.ingest.landing"):
        assert export_dates(landing) == ["2026-11-27"]
    [warning] = caplog.records
    text = warning.getMessage()
    assert "zoho/2026-13-45 (not a calendar date)" in text and "zoho/2026-02-30 (not a calendar date)" in text
    assert "zoho/2009-12-31 (before 2010-01-01)" in text and f"zoho/{_tomorrow()} (after {as_of_range()[1]})" in text
    assert "zoho/9999-12-31" in text and "notes" not in text

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="salestier_pipeline.ingest.landing"):
        assert latest_export_date(landing) == "2026-11-27"
        files = list_landing(landing, "2026-11-27")
    assert [f.rel for f in files] == ["zoho/2026-11-27/deals.csv"]
    assert all("zoho/2026-13-45" in r.getMessage() for r in caplog.records) and len(caplog.records) == 2


def test_the_sensor_drops_impossible_dates_but_lets_future_ones_wait(landing: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    scans = scan_landing(landing)
    assert "2026-13-45" in {s.export_date for s in scans}  # batches.py still matches by pattern only
    with caplog.at_level(logging.WARNING, logger="salestier_pipeline.ingest.landing"):
        kept = runnable_scans(scans)
    assert sorted(s.export_date for s in kept) == ["2026-11-27", _tomorrow(), "9999-12-31"]
    [warning] = caplog.records
    assert "zoho/2026-13-45" in warning.getMessage() and "zoho/2009-12-31" in warning.getMessage()


@pytest.mark.parametrize(("argv", "env_as_of", "named"), [
    (["run"], "2026-02-30", "SALESTIER_AS_OF '2026-02-30'"),
    (["run"], "9999-12-31", "SALESTIER_AS_OF '9999-12-31'"),
    (["run"], "notadate", "SALESTIER_AS_OF 'notadate'"),
    (["run", "--as-of", "2026-13-45"], None, "--as-of '2026-13-45'"),
    (["run", "--as-of", "9999-12-31"], "2026-11-27", "--as-of '9999-12-31'"),
    (["backfill", "--from", "2026-02-30", "--to", "2026-03-02"], None, "--from '2026-02-30'"),
    (["backfill", "--from", "2026-11-01", "--to", "9999-12-31"], None, "--to '9999-12-31'"),
    (["backfill", "--from", "notadate", "--to", "2026-11-27"], None, "--from 'notadate'"),
])
def test_a_bad_as_of_exits_2_with_one_line(argv: list[str], env_as_of: str | None, named: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("SALESTIER_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.delenv("SALESTIER_LANDING", raising=False)
    if env_as_of:
        monkeypatch.setenv("SALESTIER_AS_OF", env_as_of)
    else:
        monkeypatch.delenv("SALESTIER_AS_OF", raising=False)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    first, last = as_of_range()
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert named in err and f"from {first} to {last}" in err
    assert not (tmp_path / "dagster").exists()  # refused before Dagster started


@pytest.mark.slow
def test_a_run_next_to_bad_date_folders_succeeds(tmp_path: Path, dbt_manifest: Path) -> None:
    home = tmp_path / "home"
    assert run_salestier(home, "demo", "--scale", "0.1").returncode == 0
    good = home / "landing" / "zoho" / "2026-11-27"
    for bad in ("2026-13-45", "2026-02-30", "9999-12-31"):
        shutil.copytree(good, good.with_name(bad))
    result = run_salestier(home, "run", timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "as_of=2026-11-27" in result.stdout  # the latest valid export date, not 9999-12-31
    assert "zoho/2026-13-45 (not a calendar date)" in result.stderr
    assert "zoho/9999-12-31 (after " in result.stderr
