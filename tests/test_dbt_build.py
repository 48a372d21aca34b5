"""dbt build on a tiny hand-checkable raw layer (tests/fixtures/raw_fixture.py).

One warehouse, built with the real dbt CLI (the venv's dbt): as-of 2024-06-30 (with
the dbt unit tests), then 2024-07-15, then 2024-06-30 again; every published table is
snapshotted after each step (tests.fixtures.raw_fixture.dbt_runs, shared with
test_dbt_history.py and test_dbt_seeds.py). Every `dbt build` also runs the data
tests and the reconciliation tests of dbt_project/tests. The tests here assert the
hand-computed numbers of the fixture's docstring.
"""

from __future__ import annotations

import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `pytest` (not `python -m pytest`) does not put the repo root first
    sys.path.insert(0, str(REPO))

from salestier_pipeline.publish.tables import CONTRACT  # noqa: E402
from tests.fixtures.raw_fixture import AS_OF_1, AS_OF_2, DBT_FIXTURE_GROUP, IN_ORDER, dbt_runs  # noqa: E402

pytestmark = pytest.mark.xdist_group(DBT_FIXTURE_GROUP)  # shares the dbt_runs warehouses

@pytest.fixture(scope="module")
def runs() -> dict[str, dict[str, pd.DataFrame]]:
    return dbt_runs(IN_ORDER, unit_tests=True)


def rows_at(df: pd.DataFrame, as_of: str | None = None) -> pd.DataFrame:
    if as_of is not None and "as_of_date" in df.columns:
        df = df[pd.to_datetime(df["as_of_date"]) == pd.Timestamp(as_of)]
    return df.sort_values(list(df.columns)).reset_index(drop=True)


FX_SEED = REPO / "dbt_project" / "seeds" / "fx_rates.csv"


def to_usd(amount: float, currency: str, on: str) -> float:
    """By hand from the shipped seed: the rate of the latest row on or before the date, rounded to cents."""
    rates = pd.read_csv(FX_SEED, dtype={"currency": str})
    rows = rates[(rates.currency == currency) & (rates.valid_from <= on)].sort_values("valid_from")
    return round(amount * float(rows.rate_to_reporting.iloc[-1]), 2)


def kpi(df: pd.DataFrame, as_of: str, name: str, level: str = "company", key: str = "all") -> float:
    rows = rows_at(df, as_of)
    hit = rows[(rows.level == level) & (rows.level_key == key) & (rows.kpi == name)]
    assert len(hit) == 1, (name, level, key, hit)
    return float(hit.value.iloc[0])


def quarter(perf: pd.DataFrame, as_of: str, start: str = "2024-04-01") -> pd.DataFrame:
    p = rows_at(perf, as_of)
    return p[(p.period_type == "quarter") & (pd.to_datetime(p.period_start) == pd.Timestamp(start))]


# ----------------------------------------------------------------------------- contract
def test_every_published_table_has_its_contract_columns_in_order(runs):
    """The dbt contracts (publish.tables, read from the manifest) are what the warehouse holds, run after run."""
    assert len(CONTRACT) >= 14
    for step, tables in runs.items():  # a first build, an incremental run, a rerun
        for table, columns in CONTRACT.items():
            assert tuple(tables[table].columns) == columns, (step, table)


def test_every_account_once_in_tier_list(runs):
    tiers = rows_at(runs["d1"]["customer_tier_list"], AS_OF_1)
    assert sorted(tiers.account_id) == sorted(
        ["zoho:ZA1", "zoho:ZA2", "zoho:ZA3", "zoho:ZA4", "fxiaoke:fx-acc-hd", "fxiaoke:fx-acc-bf"])
    assert tiers.account_id.is_unique
    assert tiers.tier.isin(list("ABCD")).all()


# ----------------------------------------------------------------------------- hand-computed
def test_company_bookings_and_win_rate(runs):
    k = runs["d1"]["kpi_snapshot"]
    # Q2 2024: won ZD1 30000 USD + ZD4 8000 USD + F-D1 12000 CNY (closed 2024-06, June's rate); lost ZD3, F-D2
    fd1 = to_usd(12000, "CNY", "2024-06-30")
    assert 1000 < fd1 < 2500  # CNY, not added as if it were USD
    assert kpi(k, AS_OF_1, "bookings_qtd") == pytest.approx(38000 + fd1)
    assert kpi(k, AS_OF_1, "won_count_qtd") == 3
    assert kpi(k, AS_OF_1, "lost_count_qtd") == 2
    assert kpi(k, AS_OF_1, "win_rate_qtd") == pytest.approx(0.6)
    # June: won ZD4, F-D1; lost ZD3, F-D2
    assert kpi(k, AS_OF_1, "bookings_mtd") == pytest.approx(8000 + fd1)
    assert kpi(k, AS_OF_1, "win_rate_mtd") == pytest.approx(0.5)
    # targets (no currency column: the reporting currency): 30000 + 10000 + 20000 + 10000 for Q2
    assert kpi(k, AS_OF_1, "target_amount_qtd") == pytest.approx(70000)
    assert kpi(k, AS_OF_1, "attainment_qtd") == pytest.approx((38000 + fd1) / 70000, abs=1e-4)
    # open, at the run date's rate: ZD2 5000 USD (90 % default probability) + F-D3 15000 CNY (30 %)
    fd3 = to_usd(15000, "CNY", AS_OF_1)
    assert kpi(k, AS_OF_1, "open_pipeline") == pytest.approx(5000 + fd3)
    assert kpi(k, AS_OF_1, "weighted_pipeline") == pytest.approx(4500 + fd3 * 0.3, abs=0.01)

    # second run: July, ZD2 won 5000
    k2 = runs["d2"]["kpi_snapshot"]
    assert kpi(k2, AS_OF_2, "bookings_mtd") == pytest.approx(5000)
    assert kpi(k2, AS_OF_2, "win_rate_mtd") == pytest.approx(1.0)
    assert kpi(k2, AS_OF_2, "bookings_qtd") == pytest.approx(5000)


def test_rep_performance_quarter(runs):
    by_rep = quarter(runs["d1"]["rep_performance"], AS_OF_1).set_index("rep_id")
    assert by_rep.loc["R001", "bookings"] == 30000 and by_rep.loc["R001", "attainment"] == 1.0
    assert by_rep.loc["R002", "won_count"] == 1 and by_rep.loc["R002", "lost_count"] == 1
    assert by_rep.loc["R002", "win_rate"] == 0.5
    assert by_rep.loc["R003", "team"] == "North" and by_rep.loc["R004", "manager_rep_id"] == "R003"
    assert set(rows_at(runs["d1"]["rep_performance"]).period_type) == {"month", "quarter", "trailing_90d"}
    # satisfaction: 李伟's 北方电子 nps 6 -> 0.6 (June); Alice's Acme csat 4 -> 0.75
    assert by_rep.loc["R004", "satisfaction"] == pytest.approx(0.6)
    assert by_rep.loc["R001", "satisfaction"] == pytest.approx(0.75)


def test_win_rate_is_null_when_nothing_closed(runs):
    # 陈静 closed F-D1 in Q2 but nothing in July: NULL, not 0
    perf = rows_at(runs["d2"]["rep_performance"], AS_OF_2)
    july = perf[(perf.period_type == "month") & (pd.to_datetime(perf.period_start) == "2024-07-01")]
    r003 = july.set_index("rep_id").loc["R003"]
    assert r003.won_count == 0 and r003.lost_count == 0 and pd.isna(r003.win_rate)
    assert pd.isna(r003.avg_deal_size)


def test_roster_change_mid_quarter(runs):
    """Bob moved East -> North on 2024-06-08: his lost ZD3 (06-05) stays with East, his won ZD4
    (06-10) counts for North; his own numbers and the company's do not change."""
    k = runs["d1"]["kpi_snapshot"]
    assert kpi(k, AS_OF_1, "bookings_qtd", "team", "East") == pytest.approx(30000)
    assert kpi(k, AS_OF_1, "won_count_qtd", "team", "East") == 1
    assert kpi(k, AS_OF_1, "lost_count_qtd", "team", "East") == 1
    north = 8000 + to_usd(12000, "CNY", "2024-06-30")  # ZD4 (USD) + F-D1 (CNY at June's rate)
    assert kpi(k, AS_OF_1, "bookings_qtd", "team", "North") == pytest.approx(north)
    assert kpi(k, AS_OF_1, "won_count_qtd", "team", "North") == 2
    assert kpi(k, AS_OF_1, "lost_count_qtd", "team", "North") == 1
    assert kpi(k, AS_OF_1, "win_rate_qtd", "team", "North") == pytest.approx(2 / 3, abs=1e-4)
    # manager and region roll-ups follow the same roster row
    assert kpi(k, AS_OF_1, "bookings_qtd", "manager", "R001") == pytest.approx(30000)   # Alice + Bob until 06-07
    assert kpi(k, AS_OF_1, "lost_count_qtd", "manager", "R001") == 1
    assert kpi(k, AS_OF_1, "bookings_qtd", "manager", "R003") == pytest.approx(north)   # 陈静 + 李伟 + Bob from 06-08
    assert kpi(k, AS_OF_1, "bookings_qtd", "region", "North") == pytest.approx(north)
    # Bob's Q2 target 10000 follows him by days: 68 in East, 23 in North (91-day quarter)
    assert kpi(k, AS_OF_1, "target_amount_qtd", "team", "East") == pytest.approx(30000 + 10000 * 68 / 91, abs=0.01)
    assert kpi(k, AS_OF_1, "target_amount_qtd", "team", "North") == pytest.approx(30000 + 10000 * 23 / 91, abs=0.01)
    # the deal list says which team each deal counts for
    opps = runs["d1"]["opportunities"].set_index("opportunity_id")
    assert (opps.loc["zoho:ZD3", "team"], opps.loc["zoho:ZD3", "manager_rep_id"]) == ("East", "R001")
    assert (opps.loc["zoho:ZD4", "team"], opps.loc["zoho:ZD4", "manager_rep_id"]) == ("North", "R003")
    # rep_performance shows the rep's team today; his own quarter is unchanged
    bob = quarter(runs["d1"]["rep_performance"], AS_OF_1).set_index("rep_id").loc["R002"]
    assert (bob.team, bob.manager_rep_id, bob.bookings) == ("North", "R003", 8000)


def test_unassigned_owner(runs):
    """ZD5's owner is not on the roster: it counts for rep / team 'unassigned', so the reps add up."""
    perf = rows_at(runs["d1"]["rep_performance"], AS_OF_1)
    jan = perf[(perf.period_type == "month") & (pd.to_datetime(perf.period_start) == "2024-01-01")]
    assert jan.set_index("rep_id").loc["unassigned", "lost_count"] == 1
    assert jan.lost_count.sum() == 1
    opps = runs["d1"]["opportunities"].set_index("opportunity_id")
    assert pd.isna(opps.loc["zoho:ZD5", "owner_rep_id"]) and pd.isna(opps.loc["zoho:ZD5", "team"])


def test_bookings_reconcile(runs):
    """Σ reps (rep_performance) = won amounts (opportunities) = company (kpi_snapshot), per period."""
    for step, as_of in IN_ORDER[:2]:
        perf = rows_at(runs[step]["rep_performance"], as_of)
        opps = runs[step]["opportunities"]
        k = rows_at(runs[step]["kpi_snapshot"], as_of)
        for (ptype, start, end), group in perf.groupby(["period_type", "period_start", "period_end"]):
            closed = opps[(pd.to_datetime(opps.closed_date) >= pd.Timestamp(start))
                          & (pd.to_datetime(opps.closed_date) <= pd.Timestamp(end))]
            won = closed[closed.is_won].amount.sum()
            assert group.bookings.sum() == pytest.approx(won), (step, ptype, start)
            assert group.won_count.sum() == closed.is_won.sum() and group.lost_count.sum() == closed.is_lost.sum()
            suffix = {"month": "mtd", "quarter": "qtd", "trailing_90d": "t90d"}[ptype]
            company = k[(k.level == "company") & (k.kpi == f"bookings_{suffix}")
                        & (pd.to_datetime(k.period_start) == pd.Timestamp(start))]
            if len(company):
                assert company.value.iloc[0] == pytest.approx(won), (step, ptype, start)


def test_acme_tier_and_reason(runs):
    t1 = rows_at(runs["d1"]["customer_tier_list"], AS_OF_1).set_index("account_id")
    acme = t1.loc["zoho:ZA1"]
    assert (acme.tier, acme.value_band, acme.intent_band) == ("A", "H", "H")
    assert pd.isna(acme.previous_tier)
    assert acme.lifecycle_stage == "new"
    assert acme.owner_rep_id == "R001" and acme.owner_name == "Alice Wang"
    # purchases: Acme 30000 + ZA? 8000 (USD deals) + a 12000 CNY order of 2024-06-22 at June's rate
    share = Decimal(str(round(30000 / (38000 + to_usd(12000, "CNY", "2024-06-22")), 4))) * 100
    share_text = f"{share.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}% of total"
    for part in ("ABC A", share_text, "follow_up", "weighted 4500.00",
                 "2 activities in 30 d", "-> tier A", "satisfaction 0.75 (1 response(s) in 365 d)"):
        assert part in acme.tier_reason, (part, acme.tier_reason)
    assert acme.service_level_days == 7 and not acme.is_past_service_level
    assert acme.bookings_365d == 30000 and acme.open_pipeline == 5000

    segments = runs["d1"]["customer_segments"].set_index("account_id")
    assert segments.loc["zoho:ZA1", "abc_class"] == "A"
    # the 12000 CNY order is ~1658 USD, the smallest purchase: after Acme (0.76) and ZA4 (0.96) it is C
    assert segments.loc["fxiaoke:fx-acc-hd", "abc_class"] == "C"
    assert segments.loc["zoho:ZA4", "abc_class"] == "C"
    assert segments.loc["zoho:ZA3", "abc_class"] == "none"

    # the deal won on 2024-07-10 leaves Acme with no open deal: intent L -> HL -> B
    t2 = rows_at(runs["d2"]["customer_tier_list"], AS_OF_2).set_index("account_id")
    assert (t2.loc["zoho:ZA1", "tier"], t2.loc["zoho:ZA1", "previous_tier"]) == ("B", "A")
    assert t2.loc["zoho:ZA1", "is_tier_changed"]
    assert t2.loc["zoho:ZA1", "intent_band"] == "L"


def test_reference_resolution(runs):
    opps = runs["d1"]["opportunities"].set_index("opportunity_id")
    assert opps.loc["zoho:ZD3", "account_id"] == "zoho:ZA2"         # by normalised name
    assert opps.loc["fxiaoke:fx-opp-3", "account_id"] == "fxiaoke:fx-acc-bf"
    assert opps.loc["fxiaoke:fx-opp-1", "owner_rep_id"] == "R003"   # by Chinese name
    tiers = rows_at(runs["d1"]["customer_tier_list"], AS_OF_1).set_index("account_id")
    assert tiers.loc["zoho:ZA2", "owner_rep_id"] == "R002"           # '  bob SMITH '


def test_opportunity_stage_history(runs):
    o1 = runs["d1"]["opportunities"].set_index("opportunity_id")
    assert o1.loc["zoho:ZD2", "is_open"] and o1.loc["zoho:ZD2", "stage"] == "follow_up"
    assert o1.loc["fxiaoke:fx-opp-2", "is_lost"] and o1.loc["fxiaoke:fx-opp-2", "stage"] == "solution"
    assert o1.loc["fxiaoke:fx-opp-1", "is_won"] and o1.loc["fxiaoke:fx-opp-1", "furthest_stage"] == "closed_won"
    assert o1.loc["zoho:ZD3", "furthest_stage"] == "initial_contact"   # lost, no stage ever seen
    o2 = runs["d2"]["opportunities"].set_index("opportunity_id")
    zd2 = o2.loc["zoho:ZD2"]
    assert zd2.is_won and zd2.furthest_stage == "closed_won" and zd2.version_count == 2
    assert str(zd2.closed_date)[:10] == "2024-07-10" and zd2.cycle_days == 100


def test_funnel_reached(runs):
    f = rows_at(runs["d1"]["funnel_conversion"], AS_OF_1)
    company = f[f.level == "company"].set_index("stage_order")
    # deals only: reached(1) = the 7 deals created in the last 365 days
    assert list(company.reached) == [7, 7, 6, 5, 4, 3]
    # the unconverted zoho lead is reported on the stage-1 row only (SPEC §3)
    assert list(company.leads_reached) == [1, 0, 0, 0, 0, 0]
    assert company.loc[1, "reached_incl_leads"] == 8
    assert company.loc[1, "conversion_rate"] == 1.0
    assert company.loc[2, "conversion_rate"] == pytest.approx(6 / 7, abs=1e-4)
    # stage 5 converts 0.75 but only 4 deals reached it (< funnel_min_deals 5): solution (0.8) is it
    assert company.is_bottleneck.sum() == 1 and company.loc[4, "is_bottleneck"]
    teams = f[(f.level == "team") & (f.stage_order == 1)].set_index("level_key")
    assert teams.reached.sum() == 7 and teams.loc["North", "reached"] == 4   # ZD4 closed in North


def test_alerts_and_allocation(runs):
    alerts = rows_at(runs["d1"]["risk_alerts"], AS_OF_1)
    neglected = alerts[alerts.alert_type == "neglected_account"]
    assert set(neglected.account_id) == {"zoho:ZA2", "zoho:ZA4"}   # tier D, never contacted
    assert alerts.detail.notna().all() and alerts.rule.notna().all()
    assert set(alerts.alert_type) <= {"stale_deal", "overdue_deal", "neglected_account", "at_risk_high_value",
                                      "low_satisfaction", "revenue_concentration", "low_coverage"}
    alloc = rows_at(runs["d1"]["rep_allocation"], AS_OF_1).set_index("rep_id")
    assert alloc.loc["R001", "tier_a_accounts"] == 1 and alloc.loc["R001", "tier_b_accounts"] == 1


def test_lifecycle_transitions(runs):
    tr = rows_at(runs["d2"]["lifecycle_transitions"])
    assert not (pd.to_datetime(tr.as_of_date) == AS_OF_1).any()  # first snapshot: nothing to compare with
    second = tr[pd.to_datetime(tr.as_of_date) == AS_OF_2]
    assert second.accounts.sum() == 6
    assert (pd.to_datetime(second.previous_as_of_date) == AS_OF_1).all()


def test_ingest_tables(runs):
    files = runs["d2"]["ingest_files"]
    assert set(pd.to_datetime(files.as_of_date).dt.strftime("%Y-%m-%d")) == {AS_OF_1, AS_OF_2}
    assert (files.status == "failed").sum() == 1
    q = runs["d1"]["ingest_quarantine"]
    assert len(q) == 1 and q.reason.iloc[0] == "unparseable amount"
