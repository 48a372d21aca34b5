"""`salestier validate-profile`, `status` and `backfill`: what they print and their exit codes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.runner import ROOT, run_salestier
from tests.test_alerts import FAILING_AS_OF, FailedRun, failed_run, webhook  # noqa: F401 - shared fixtures

MAVEN = ROOT / "docs" / "examples" / "maven.yml"


def test_validate_profile_ok(tmp_path: Path) -> None:
    result = run_salestier(tmp_path, "validate-profile", str(MAVEN))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "opportunities" in result.stdout


def test_validate_profile_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    lines = MAVEN.read_text(encoding="utf-8").splitlines()
    lines.append("  : [unbalanced")
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_salestier(tmp_path, "validate-profile", str(broken))
    assert result.returncode == 2
    assert f"{broken}:" in result.stderr
    assert run_salestier(tmp_path, "validate-profile", str(tmp_path / "missing.yml")).returncode == 2


def test_status_names_failed_step_and_check(failed_run: FailedRun) -> None:  # noqa: F811
    result = run_salestier(failed_run.home, "status")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"as-of {FAILING_AS_OF}  FAILURE" in out
    assert "failed step ingest" in out
    assert "failed check raw/opportunities:ids_unique_per_export" in out
    assert "published: nothing yet" in out


def test_status_on_an_empty_home(tmp_path: Path) -> None:
    result = run_salestier(tmp_path, "status")
    assert result.returncode == 0
    assert "no run yet" in result.stdout and "published: nothing yet" in result.stdout
    assert not (tmp_path / "dagster").exists()  # status only reads


def test_backfill_rejects_bad_ranges(tmp_path: Path) -> None:
    assert run_salestier(tmp_path, "backfill", "--from", "2026-11-28", "--to", "2026-11-27").returncode == 2
    assert run_salestier(tmp_path, "backfill", "--from", "yesterday", "--to", "2026-11-27").returncode == 2
    assert run_salestier(tmp_path, "backfill", "--from", "2026-11-27").returncode == 2
    future = run_salestier(tmp_path, "backfill", "--from", "2026-11-27", "--to", "2999-01-01")
    assert future.returncode == 2 and "2999-01-01" in future.stderr


def test_backfill_stops_at_the_first_failure(failed_run: FailedRun) -> None:  # noqa: F811
    # the failing date first: the day after must not run
    result = run_salestier(failed_run.home, "backfill", "--from", FAILING_AS_OF, "--to", "2026-11-29", timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert f"backfill stopped at {FAILING_AS_OF}" in result.stderr
    assert "backfill 2/2" not in result.stdout


def test_backfill_runs_dates_in_order_and_stops_at_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from salestier_pipeline import cli

    monkeypatch.setenv("SALESTIER_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    ran: list[str] = []
    monkeypatch.setattr(cli, "_execute", lambda settings, as_of: ran.append(as_of) or as_of != "2026-10-02")
    assert cli.main(["backfill", "--from", "2026-09-30", "--to", "2026-10-01"]) == 0
    assert ran == ["2026-09-30", "2026-10-01"]
    ran.clear()
    assert cli.main(["backfill", "--from", "2026-10-01", "--to", "2026-10-04"]) == 1
    assert ran == ["2026-10-01", "2026-10-02"]
    ran.clear()
    for day in ("2026-11-06", "2026-11-13"):
        (tmp_path / "landing" / "zoho" / day).mkdir(parents=True)
        (tmp_path / "landing" / "zoho" / day / "deals.csv").write_text("Record Id\n1\n", encoding="utf-8")
    assert cli.main(["backfill", "--from", "2026-11-01", "--to", "2026-11-30", "--export-dates-only"]) == 0
    assert ran == ["2026-11-06", "2026-11-13"]


def test_status_shows_the_published_as_of(tmp_path: Path) -> None:
    serving = tmp_path / "serving"
    serving.mkdir()
    con = duckdb.connect(str(serving / "salestier.duckdb"))
    con.execute("create table customer_tier_list as select date '2026-11-27' as as_of_date "
                "union all select date '2026-11-20'")
    con.close()
    result = run_salestier(tmp_path, "status")
    assert result.returncode == 0, result.stderr
    assert "customer_tier_list latest as-of: 2026-11-27" in result.stdout


@pytest.mark.parametrize("args", [("--as-of", "notadate"), ("--as-of", "2026-13-01"), ("--scale", "-1"),
                                  ("--scale", "nan")])
def test_demo_rejects_bad_arguments_in_one_line_with_exit_2(tmp_path: Path, args: tuple[str, str]) -> None:
    """Bad input is a usage error (exit 2, one line naming the option and the value), and nothing is written."""
    result = run_salestier(tmp_path, "demo", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and args[0] in lines[0] and args[1] in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "landing").exists()
