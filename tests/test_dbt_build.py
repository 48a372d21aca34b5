"""dbt build on a tiny hand-checkable raw layer (tests/fixtures/raw_fixture.py).

One module-scoped fixture runs the real dbt CLI (subprocess of the venv's dbt):
seed, build for as-of 2024-06-30, the same date again, then 2024-07-15, then
2024-06-30 once more (out of order), snapshotting every published table after
each step. The tests assert hand-computed numbers and the history contract.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `pytest` (not `python -m pytest`) does not put the repo root first
    sys.path.insert(0, str(REPO))

from tests.fixtures.raw_fixture import AS_OF_1, AS_OF_2, write_raw_fixture  # noqa: E402

DBT_PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"

# SPEC §6.1: published tables and their required columns
SPEC_COLUMNS: dict[str, list[str]] = {
    "customer_tier_list": [
        "as_of_date", "account_id", "account_name", "source_system", "owner_rep_id", "owner_name",
        "tier", "previous_tier", "value_band", "intent_band", "tier_reason", "lifecycle_stage",
        "days_since_last_activity", "service_level_days", "is_past_service_level",
        "open_pipeline", "weighted_pipeline", "bookings_365d"],
    "customer_segments": [
        "account_id", "industry", "size_band", "region", "abc_class", "rfm_recency_score",
        "rfm_frequency_score", "rfm_monetary_score", "rfm_segment"],
    "customer_lifecycle": [
        "as_of_date", "account_id", "lifecycle_stage", "previous_stage", "first_purchase_date",
        "last_purchase_date", "days_since_last_purchase"],
    "lifecycle_transitions": ["as_of_date", "from_stage", "to_stage", "accounts"],
    "opportunities": [
        "opportunity_id", "source_system", "account_id", "owner_rep_id", "amount", "stage",
        "furthest_stage", "is_won", "is_lost", "is_open", "probability", "created_at", "close_date"],
    "rep_performance": [
        "as_of_date", "rep_id", "rep_name", "manager_rep_id", "team", "region", "period_type",
        "period_start", "bookings", "won_count", "lost_count", "win_rate", "avg_deal_size",
        "sales_cycle_days", "open_pipeline", "weighted_pipeline", "activity_count",
        "target_amount", "attainment", "pipeline_coverage", "satisfaction"],
    "rep_tier_list": [
        "as_of_date", "rep_id", "rep_name", "manager_rep_id", "team", "rep_tier", "training_focus",
        "incentive_band", "next_period_target", "tier_reason"],
    "funnel_conversion": [
        "as_of_date", "level", "level_key", "stage_order", "stage", "reached", "conversion_rate",
        "is_bottleneck"],
    "kpi_snapshot": ["as_of_date", "level", "level_key", "kpi", "value"],
    "win_analysis": [
        "as_of_date", "dimension", "dimension_value", "won_count", "lost_count", "win_rate",
        "avg_deal_size", "sales_cycle_days"],
    "rep_allocation": [
        "as_of_date", "rep_id", "tier_a_accounts", "tier_b_accounts", "tier_c_accounts",
        "tier_d_accounts", "owned_value", "load_vs_team_median", "over_capacity",
        "suggested_action"],
    "risk_alerts": [
        "as_of_date", "alert_type", "severity", "account_id", "opportunity_id", "rep_id",
        "owner_rep_id", "rule", "detail"],
    "ingest_files": [
        "as_of_date", "source_system", "module", "source_file", "file_sha256", "rows_read",
        "rows_loaded", "rows_quarantined", "status", "error"],
    "ingest_quarantine": [
        "as_of_date", "source_system", "source_file", "line_number", "column_name", "raw_value",
        "reason"],
}
LATEST_ONLY = {"customer_segments", "opportunities", "ingest_quarantine"}
HISTORICAL = sorted(set(SPEC_COLUMNS) - LATEST_ONLY)


def _dbt(args: list[str], env: dict[str, str], tmp: Path) -> None:
    cmd = [str(DBT), *args, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
           "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{proc.stdout[-8000:]}\n{proc.stderr[-4000:]}")


def _snapshot(warehouse: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {t: con.sql(f"select * from marts.{t} order by all").df() for t in SPEC_COLUMNS}
    finally:
        con.close()


def _same(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    """Same columns and same rows, value by value (dtype inference of all-NULL columns aside)."""
    assert list(a.columns) == list(b.columns), what

    def records(df: pd.DataFrame) -> list[list]:
        return df.astype(object).where(df.notna(), None).values.tolist()

    assert records(a) == records(b), what


def _rows(df: pd.DataFrame, as_of: str | None = None) -> pd.DataFrame:
    if as_of is not None and "as_of_date" in df.columns:
        df = df[pd.to_datetime(df["as_of_date"]) == pd.Timestamp(as_of)]
    return df.sort_values(list(df.columns)).reset_index(drop=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict[str, pd.DataFrame]]:
    tmp = tmp_path_factory.mktemp("dbt_build")
    raw = tmp / "raw"
    write_raw_fixture(raw)
    env = {**os.environ, "SALESTIER_RAW_DIR": str(raw),
           "SALESTIER_WAREHOUSE": str(tmp / "warehouse.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    warehouse = tmp / "warehouse.duckdb"
    out: dict[str, dict[str, pd.DataFrame]] = {}

    _dbt(["seed"], env, tmp)
    for step, as_of in [("d1", AS_OF_1), ("d1_rerun", AS_OF_1), ("d2", AS_OF_2),
                        ("d1_again", AS_OF_1)]:
        _dbt(["build", "--vars", f"{{as_of_date: '{as_of}'}}"], env, tmp)
        out[step] = _snapshot(warehouse)
    return out


def _kpi(df: pd.DataFrame, as_of: str, kpi: str, level: str = "company", key: str = "all") -> float:
    rows = _rows(df, as_of)
    hit = rows[(rows.level == level) & (rows.level_key == key) & (rows.kpi == kpi)]
    assert len(hit) == 1, (kpi, hit)
    return float(hit.value.iloc[0])


# ----------------------------------------------------------------------------- contract
def test_every_published_table_has_spec_columns(runs):
    for table, columns in SPEC_COLUMNS.items():
        missing = set(columns) - set(runs["d1"][table].columns)
        assert not missing, f"{table} lacks {sorted(missing)}"


def test_every_account_once_in_tier_list(runs):
    tiers = _rows(runs["d1"]["customer_tier_list"], AS_OF_1)
    assert sorted(tiers.account_id) == sorted(
        ["zoho:ZA1", "zoho:ZA2", "zoho:ZA3", "zoho:ZA4", "fxiaoke:fx-acc-hd", "fxiaoke:fx-acc-bf"])
    assert tiers.account_id.is_unique
    assert tiers.tier.notna().all()


# ----------------------------------------------------------------------------- hand-computed
def test_company_bookings_and_win_rate(runs):
    kpi = runs["d1"]["kpi_snapshot"]
    # Q2 2024: won ZD1 30000 + ZD4 8000 + F-D1 12000; lost ZD3, F-D2
    assert _kpi(kpi, AS_OF_1, "bookings_qtd") == pytest.approx(50000)
    assert _kpi(kpi, AS_OF_1, "won_count_qtd") == 3
    assert _kpi(kpi, AS_OF_1, "lost_count_qtd") == 2
    assert _kpi(kpi, AS_OF_1, "win_rate_qtd") == pytest.approx(0.6)
    # June: won ZD4, F-D1; lost ZD3, F-D2
    assert _kpi(kpi, AS_OF_1, "bookings_mtd") == pytest.approx(20000)
    assert _kpi(kpi, AS_OF_1, "win_rate_mtd") == pytest.approx(0.5)
    # targets: 30000 + 10000 + 20000 + 10000 for Q2 -> attainment 50000 / 70000
    assert _kpi(kpi, AS_OF_1, "target_amount_qtd") == pytest.approx(70000)
    assert _kpi(kpi, AS_OF_1, "attainment_qtd") == pytest.approx(0.7143, abs=1e-4)
    # open: ZD2 5000 (90 % default probability) + F-D3 15000 (30 %)
    assert _kpi(kpi, AS_OF_1, "open_pipeline") == pytest.approx(20000)
    assert _kpi(kpi, AS_OF_1, "weighted_pipeline") == pytest.approx(9000)

    # second run: July, ZD2 won 5000
    kpi2 = runs["d2"]["kpi_snapshot"]
    assert _kpi(kpi2, AS_OF_2, "bookings_mtd") == pytest.approx(5000)
    assert _kpi(kpi2, AS_OF_2, "win_rate_mtd") == pytest.approx(1.0)
    assert _kpi(kpi2, AS_OF_2, "bookings_qtd") == pytest.approx(5000)


def test_rep_performance_quarter(runs):
    perf = _rows(runs["d1"]["rep_performance"], AS_OF_1)
    q = perf[(perf.period_type == "quarter") & (pd.to_datetime(perf.period_start) == "2024-04-01")]
    by_rep = q.set_index("rep_id")
    assert by_rep.loc["R001", "bookings"] == 30000 and by_rep.loc["R001", "attainment"] == 1.0
    assert by_rep.loc["R002", "won_count"] == 1 and by_rep.loc["R002", "lost_count"] == 1
    assert by_rep.loc["R002", "win_rate"] == 0.5
    assert by_rep.loc["R003", "team"] == "North" and by_rep.loc["R004", "manager_rep_id"] == "R003"
    assert set(perf.period_type) == {"month", "quarter", "trailing_90d"}
    # satisfaction: 李伟's 北方电子 nps 6 -> 0.6 (June)
    assert by_rep.loc["R004", "satisfaction"] == pytest.approx(0.6)


def test_acme_tier_and_reason(runs):
    t1 = _rows(runs["d1"]["customer_tier_list"], AS_OF_1).set_index("account_id")
    acme = t1.loc["zoho:ZA1"]
    assert (acme.tier, acme.value_band, acme.intent_band) == ("A", "H", "H")
    assert pd.isna(acme.previous_tier)
    assert acme.lifecycle_stage == "new"
    assert acme.owner_rep_id == "R001" and acme.owner_name == "Alice Wang"
    for part in ("ABC A", "60.0% of total", "follow_up", "weighted 4500.00",
                 "2 activities in 30 d", "-> tier A"):
        assert part in acme.tier_reason, (part, acme.tier_reason)
    assert acme.service_level_days == 7 and not acme.is_past_service_level
    assert acme.bookings_365d == 30000 and acme.open_pipeline == 5000

    segments = runs["d1"]["customer_segments"].set_index("account_id")
    assert segments.loc["zoho:ZA1", "abc_class"] == "A"
    assert segments.loc["fxiaoke:fx-acc-hd", "abc_class"] == "B"   # 12000 order: cum 0.84
    assert segments.loc["zoho:ZA4", "abc_class"] == "C"
    assert segments.loc["zoho:ZA3", "abc_class"] == "none"

    # the deal won on 2024-07-10 leaves Acme with no open deal: intent L -> HL -> B
    t2 = _rows(runs["d2"]["customer_tier_list"], AS_OF_2).set_index("account_id")
    assert (t2.loc["zoho:ZA1", "tier"], t2.loc["zoho:ZA1", "previous_tier"]) == ("B", "A")
    assert t2.loc["zoho:ZA1", "intent_band"] == "L"


def test_reference_resolution(runs):
    opps = runs["d1"]["opportunities"].set_index("opportunity_id")
    assert opps.loc["zoho:ZD3", "account_id"] == "zoho:ZA2"         # by normalised name
    assert opps.loc["fxiaoke:fx-opp-3", "account_id"] == "fxiaoke:fx-acc-bf"
    assert opps.loc["fxiaoke:fx-opp-1", "owner_rep_id"] == "R003"   # by Chinese name
    tiers = _rows(runs["d1"]["customer_tier_list"], AS_OF_1).set_index("account_id")
    assert tiers.loc["zoho:ZA2", "owner_rep_id"] == "R002"           # '  bob SMITH '


def test_opportunity_stage_history(runs):
    o1 = runs["d1"]["opportunities"].set_index("opportunity_id")
    assert o1.loc["zoho:ZD2", "is_open"] and o1.loc["zoho:ZD2", "stage"] == "follow_up"
    assert o1.loc["fxiaoke:fx-opp-2", "is_lost"] and o1.loc["fxiaoke:fx-opp-2", "stage"] == "solution"
    assert o1.loc["fxiaoke:fx-opp-1", "is_won"] and o1.loc["fxiaoke:fx-opp-1", "furthest_stage"] == "closed_won"
    o2 = runs["d2"]["opportunities"].set_index("opportunity_id")
    zd2 = o2.loc["zoho:ZD2"]
    assert zd2.is_won and zd2.furthest_stage == "closed_won" and zd2.version_count == 2
    assert str(zd2.closed_date)[:10] == "2024-07-10"


def test_funnel_reached(runs):
    f = _rows(runs["d1"]["funnel_conversion"], AS_OF_1)
    company = f[f.level == "company"].set_index("stage_order")
    assert list(company.deals_reached) == [7, 7, 6, 5, 4, 3]
    # stage 1 = the 7 deals + the unconverted zoho lead (SPEC §3)
    assert company.loc[1, "reached"] == 8
    assert company.loc[2, "conversion_rate"] == pytest.approx(6 / 7, abs=1e-4)
    assert company.is_bottleneck.sum() == 1 and company.loc[4, "is_bottleneck"]


def test_alerts_and_allocation(runs):
    alerts = _rows(runs["d1"]["risk_alerts"], AS_OF_1)
    neglected = alerts[alerts.alert_type == "neglected_account"]
    assert set(neglected.account_id) == {"zoho:ZA2", "zoho:ZA4"}   # tier D, never contacted
    assert alerts.detail.notna().all() and alerts.rule.notna().all()
    alloc = _rows(runs["d1"]["rep_allocation"], AS_OF_1).set_index("rep_id")
    assert alloc.loc["R001", "tier_a_accounts"] == 1 and alloc.loc["R001", "tier_b_accounts"] == 1


def test_ingest_tables(runs):
    files = runs["d2"]["ingest_files"]
    assert set(pd.to_datetime(files.as_of_date).dt.strftime("%Y-%m-%d")) == {AS_OF_1, AS_OF_2}
    assert (files.status == "failed").sum() == 1
    q = runs["d1"]["ingest_quarantine"]
    assert len(q) == 1 and q.reason.iloc[0] == "unparseable amount"


# ----------------------------------------------------------------------------- history contract
def test_rerun_same_date_is_identical(runs):
    for table in SPEC_COLUMNS:
        _same(_rows(runs["d1"][table]), _rows(runs["d1_rerun"][table]), table)


def test_second_date_adds_history_without_touching_first(runs):
    for table in HISTORICAL:
        first = _rows(runs["d1"][table], AS_OF_1)
        after = _rows(runs["d2"][table], AS_OF_1)
        _same(first, after, f"{table} @ {AS_OF_1}")
        assert len(_rows(runs["d2"][table], AS_OF_2)) > 0, f"{table} has no {AS_OF_2} rows"
    for table in LATEST_ONLY - {"ingest_quarantine"}:
        dates = set(pd.to_datetime(runs["d2"][table].as_of_date).dt.strftime("%Y-%m-%d"))
        assert dates == {AS_OF_2}, (table, dates)


def test_out_of_order_run_keeps_other_dates(runs):
    for table in HISTORICAL:
        _same(_rows(runs["d2"][table], AS_OF_2), _rows(runs["d1_again"][table], AS_OF_2),
              f"{table} @ {AS_OF_2}")
        # and the re-run date itself comes out as it did the first time
        _same(_rows(runs["d1"][table], AS_OF_1), _rows(runs["d1_again"][table], AS_OF_1),
              f"{table} @ {AS_OF_1} re-run after {AS_OF_2}")
