"""First snapshot, ties and bottleneck rules of issue 12 on the real dbt build of the fixture.

The warehouses are the ones test_dbt_history.py builds (tests.fixtures.raw_fixture.dbt_runs,
cached per process): 2024-06-30, 2024-07-15, 2024-06-30 again; and 2024-07-15 then a
backfill of 2024-06-30. A first run has nothing to compare with: no lifecycle transition,
no previous tier / stage, and a flag (is_first_snapshot, KPI is_first_snapshot) that the
report can show instead of counting changes; a backfill of an earlier date moves the flag.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.fixtures.raw_fixture import AS_OF_1, AS_OF_2, DBT_FIXTURE_GROUP, IN_ORDER, REVERSED, dbt_runs  # noqa: E402

pytestmark = pytest.mark.xdist_group(DBT_FIXTURE_GROUP)  # shares the dbt_runs warehouses

Snapshots = dict[str, dict[str, pd.DataFrame]]
FLAGGED = ("customer_tier_list", "customer_lifecycle", "rep_tier_list")


@pytest.fixture(scope="module")
def in_order() -> Snapshots:
    return dbt_runs(IN_ORDER, unit_tests=True)


@pytest.fixture(scope="module")
def reversed_order() -> Snapshots:
    return dbt_runs(REVERSED)


def at(df: pd.DataFrame, as_of: str) -> pd.DataFrame:
    return df[pd.to_datetime(df["as_of_date"]) == pd.Timestamp(as_of)]


def first_snapshot_kpi(df: pd.DataFrame, as_of: str) -> float:
    rows = at(df, as_of)
    hit = rows[(rows.level == "company") & (rows.level_key == "all") & (rows.kpi == "is_first_snapshot")]
    assert len(hit) == 1, hit
    return float(hit.value.iloc[0])


def test_first_run_has_no_transitions_and_no_previous_values(in_order):
    first = in_order["d1"]
    assert first["lifecycle_transitions"].empty
    lifecycle = at(first["customer_lifecycle"], AS_OF_1)
    assert len(lifecycle) == 6
    assert lifecycle.previous_stage.isna().all() and not lifecycle.is_stage_changed.any()
    tiers = at(first["customer_tier_list"], AS_OF_1)
    assert tiers.previous_tier.isna().all() and not tiers.is_tier_changed.any()
    reps = at(first["rep_tier_list"], AS_OF_1)
    assert reps.previous_rep_tier.isna().all()
    for table in FLAGGED:
        assert at(first[table], AS_OF_1).is_first_snapshot.all(), table
    assert first_snapshot_kpi(first["kpi_snapshot"], AS_OF_1) == 1


def test_second_run_counts_changes_from_the_first(in_order):
    second = in_order["d2"]
    transitions = second["lifecycle_transitions"]
    assert set(pd.to_datetime(transitions.as_of_date).dt.strftime("%Y-%m-%d")) == {AS_OF_2}
    assert (pd.to_datetime(transitions.previous_as_of_date) == pd.Timestamp(AS_OF_1)).all()
    # the same 6 accounts in both runs: none is new, each counted once
    assert transitions.accounts.sum() == 6 and not transitions.is_new_account.any()
    assert "none" not in set(transitions.from_stage)
    assert (transitions.is_change == (transitions.from_stage != transitions.to_stage)).all()
    for table in FLAGGED:
        assert at(second[table], AS_OF_1).is_first_snapshot.all(), table
        assert not at(second[table], AS_OF_2).is_first_snapshot.any(), table
    assert first_snapshot_kpi(second["kpi_snapshot"], AS_OF_1) == 1
    assert first_snapshot_kpi(second["kpi_snapshot"], AS_OF_2) == 0
    # a rerun of the first date keeps it the first snapshot
    again = in_order["d1_again"]
    assert at(again["customer_lifecycle"], AS_OF_1).is_first_snapshot.all()
    assert first_snapshot_kpi(again["kpi_snapshot"], AS_OF_2) == 0


def test_backfill_of_an_earlier_date_moves_the_first_snapshot(reversed_order):
    alone = reversed_order["d2"]   # 2024-07-15 run first: it is the first snapshot
    assert alone["lifecycle_transitions"].empty
    for table in FLAGGED:
        assert at(alone[table], AS_OF_2).is_first_snapshot.all(), table
    assert first_snapshot_kpi(alone["kpi_snapshot"], AS_OF_2) == 1

    after = reversed_order["d1"]   # then 2024-06-30 is backfilled: it becomes the first
    for table in FLAGGED:
        assert at(after[table], AS_OF_1).is_first_snapshot.all(), table
        assert not at(after[table], AS_OF_2).is_first_snapshot.any(), table
    assert first_snapshot_kpi(after["kpi_snapshot"], AS_OF_1) == 1
    assert first_snapshot_kpi(after["kpi_snapshot"], AS_OF_2) == 0
    dates = set(pd.to_datetime(after["lifecycle_transitions"].as_of_date).dt.strftime("%Y-%m-%d"))
    assert dates == {AS_OF_2}


def test_rep_alone_in_a_team_is_core_with_the_reason(in_order):
    """East has only Alice (R001) today: fewer than rep_tier_min_team_size (3) comparable reps."""
    reps = at(in_order["d1"]["rep_tier_list"], AS_OF_1).set_index("rep_id")
    alice = reps.loc["R001"]
    assert alice.team == "East" and alice.rep_tier == "core" and alice.tier_score == 0.5
    assert pd.isna(alice.attainment_percentile) and pd.isna(alice.win_rate_percentile)
    assert "team East has 1 comparable rep(s), fewer than 3 (rep_tier_min_team_size): not ranked -> core" \
        in alice.tier_reason
    # North has three comparable reps: ranked, the percentiles are in the reason
    north = reps[reps.team == "North"]
    assert len(north) == 3 and north.attainment_percentile.notna().all()
    assert north.tier_reason.str.contains("team percentile").all()


def test_bottleneck_only_on_a_stage_losing_deals(in_order):
    funnel = at(in_order["d1"]["funnel_conversion"], AS_OF_1)
    flagged = funnel[funnel.is_bottleneck]
    assert len(flagged) > 0
    assert (flagged.reached_next < flagged.reached).all() and (flagged.conversion_rate < 0.9).all()
    company = funnel[funnel.level == "company"].set_index("stage_order")
    # stage 1 converts 7 / 7 = 100 %: never a candidate; solution (0.8) is the company bottleneck
    assert not company.loc[1, "is_bottleneck_candidate"] and company.loc[1, "conversion_rate"] == 1.0
    assert list(company.index[company.is_bottleneck]) == [4]
