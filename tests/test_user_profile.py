"""A CRM SalesTier has never seen (Maven Analytics CRM), through a YAML profile alone."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.profiles import ProfileError
from salestier_pipeline.profiles.loader import load_profile
from tests.runner import run_salestier

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "maven_crm"
PROFILE = ROOT / "docs" / "examples" / "maven.yml"


@pytest.mark.slow
def test_maven_crm_publishes_through_a_user_profile(tmp_path: Path, dbt_manifest: Path) -> None:
    home = tmp_path / "home"
    (home / "profiles").mkdir(parents=True)
    shutil.copy(PROFILE, home / "profiles" / "maven.yml")
    batch = home / "landing" / "maven" / "2017-12-31"
    batch.mkdir(parents=True)
    for name in ("sales_pipeline.csv", "accounts.csv", "sales_teams.csv"):
        shutil.copy(FIXTURE / name, batch / name)
    run = run_salestier(home, "run")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]

    with (FIXTURE / "sales_pipeline.csv").open(encoding="utf-8") as fh:
        deals = list(csv.DictReader(fh))
    won_2017 = sum(float(d["close_value"]) for d in deals if d["deal_stage"] == "Won" and d["close_date"] >= "2017")
    con = duckdb.connect(str(home / "serving" / "salestier.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from opportunities").fetchone()[0] == len(deals)
        stages = dict(con.execute(
            "select stage, count(*) from opportunities where is_open group by 1").fetchall())
        assert stages == {
            "lead_identified": sum(d["deal_stage"] == "Prospecting" for d in deals),
            "needs_analysis": sum(d["deal_stage"] == "Engaging" for d in deals),
        }
        won = con.execute(
            "select sum(amount) from opportunities where is_won and close_date >= date '2017-01-01'").fetchone()[0]
        assert won == pytest.approx(won_2017)
        assert con.execute("select count(*) from opportunities where is_lost").fetchone()[0] == sum(
            d["deal_stage"] == "Lost" for d in deals)
        # every account of accounts.csv gets exactly one tier; revenue was converted from millions
        tiers = con.execute("select count(*), count(distinct account_id) from customer_tier_list").fetchone()
        assert tiers[0] == tiers[1] >= 85
        reps = con.execute("select count(*), count(distinct team) from rep_tier_list").fetchone()
        assert reps == (35, 6)
        files = con.execute("select module, status, rows_loaded from ingest_files order by module").fetchall()
        assert files == [("accounts", "loaded", 85), ("opportunities", "loaded", len(deals)), ("reps", "loaded", 35)]
    finally:
        con.close()


def test_a_profile_mistake_is_reported_with_its_line(tmp_path: Path) -> None:
    text = PROFILE.read_text(encoding="utf-8").replace("stage: needs_analysis", "stage: needs_analysys")
    bad = tmp_path / "maven.yml"
    bad.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "needs_analysys" in t)
    with pytest.raises(ProfileError, match=rf"maven.yml:{line}: stage 'needs_analysys' is not one of lead_identified"):
        load_profile(bad)


def test_unknown_column_in_a_profile_is_reported_with_its_line(tmp_path: Path) -> None:
    text = PROFILE.read_text(encoding="utf-8").replace("industry: [sector]", "sector: [sector]")
    bad = tmp_path / "maven.yml"
    bad.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "sector: [sector]" in t)
    with pytest.raises(ProfileError, match=rf"maven.yml:{line}: unknown column 'sector' for module 'accounts'"):
        load_profile(bad)
