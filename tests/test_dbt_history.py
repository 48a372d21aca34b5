"""History contract of the historical marts (issue 4, lead decision 3).

Warehouse A runs 2024-06-30, 2024-07-15, then 2024-06-30 again; warehouse B runs
2024-07-15 first and 2024-06-30 after it. previous_tier / previous_stage /
previous_rep_tier and lifecycle_transitions are recomputed from the whole history, so
both warehouses must hold the same history row for row, and a rerun changes nothing.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from salestier_pipeline.publish.tables import HISTORICAL, PUBLISHED_TABLES  # noqa: E402
from tests.fixtures.raw_fixture import AS_OF_1, AS_OF_2, DBT_FIXTURE_GROUP, IN_ORDER, REVERSED, dbt_runs  # noqa: E402

pytestmark = pytest.mark.xdist_group(DBT_FIXTURE_GROUP)  # shares the dbt_runs warehouses

@pytest.fixture(scope="module")
def in_order() -> dict[str, dict[str, pd.DataFrame]]:
    return dbt_runs(IN_ORDER, unit_tests=True)


@pytest.fixture(scope="module")
def reversed_order() -> dict[str, dict[str, pd.DataFrame]]:
    return dbt_runs(REVERSED)


def records(df: pd.DataFrame, as_of: str | None = None) -> list[tuple]:
    """Rows as sorted tuples of plain values (NULL -> None), optionally one as-of date."""
    if as_of is not None:
        df = df[pd.to_datetime(df["as_of_date"]) == pd.Timestamp(as_of)]
    values = df.astype(object).where(df.notna(), None).values.tolist()
    return sorted((tuple(str(v) if v is not None else None for v in row) for row in values),
                  key=lambda r: tuple("" if v is None else v for v in r))


def table_hash(df: pd.DataFrame) -> str:
    return hashlib.sha256(repr((list(df.columns), records(df))).encode()).hexdigest()


def assert_same(a: pd.DataFrame, b: pd.DataFrame, what: str, as_of: str | None = None) -> None:
    assert list(a.columns) == list(b.columns), what
    ra, rb = records(a, as_of), records(b, as_of)
    first_difference = next(((x, y) for x, y in zip(ra, rb, strict=False) if x != y), None)
    assert ra == rb, f"{what}: {len(ra)} vs {len(rb)} rows; first difference {first_difference}"


def test_history_tables_keep_every_date_and_the_others_only_the_latest(in_order):
    """After 2024-06-30 then 2024-07-15: a history table holds both dates, a latest-only one just the last."""
    for table in PUBLISHED_TABLES:
        frame = in_order["d2"][table]
        dates = {str(d)[:10] for d in frame["as_of_date"].dropna()} if "as_of_date" in frame.columns else set()
        if table in HISTORICAL:
            # a first snapshot has no lifecycle transitions, so that table starts at the second date
            expected = {AS_OF_2} if table == "lifecycle_transitions" else {AS_OF_1, AS_OF_2}
            assert dates == expected, (table, dates)
        else:
            assert dates <= {AS_OF_2}, (table, dates)


def test_out_of_order_runs_give_the_same_history(in_order, reversed_order):
    """D1, D2 (then D1 again) in one warehouse and D2, D1 in another: same rows, same hash."""
    for table in HISTORICAL:
        a, b = in_order["d1_again"][table], reversed_order["d1"][table]
        assert_same(a, b, table)
        assert table_hash(a) == table_hash(b), table


def test_rerun_of_a_date_is_identical(in_order):
    """Re-running 2024-06-30 after 2024-07-15 leaves every historical table exactly as it was."""
    for table in HISTORICAL:
        assert_same(in_order["d2"][table], in_order["d1_again"][table], table)
        assert table_hash(in_order["d2"][table]) == table_hash(in_order["d1_again"][table]), table


def test_a_later_date_does_not_touch_earlier_dates(in_order):
    for table in HISTORICAL:
        assert_same(in_order["d1"][table], in_order["d2"][table], f"{table} @ {AS_OF_1}", as_of=AS_OF_1)
        assert len(records(in_order["d2"][table], AS_OF_2)) > 0, f"{table} has no {AS_OF_2} rows"


def test_previous_values_are_filled_in_when_an_earlier_date_arrives(reversed_order):
    """Run alone, 2024-07-15 has no previous tier; once 2024-06-30 is run, it has (A -> B)."""
    def acme(snapshot: dict[str, pd.DataFrame]) -> pd.Series:
        t = snapshot["customer_tier_list"]
        t = t[pd.to_datetime(t.as_of_date) == AS_OF_2].set_index("account_id")
        return t.loc["zoho:ZA1"]

    alone = acme(reversed_order["d2"])
    assert alone.tier == "B" and pd.isna(alone.previous_tier) and not alone.is_tier_changed
    after = acme(reversed_order["d1"])
    assert (after.tier, after.previous_tier) == ("B", "A") and after.is_tier_changed

    lifecycle = reversed_order["d1"]["customer_lifecycle"]
    later = lifecycle[pd.to_datetime(lifecycle.as_of_date) == AS_OF_2]
    assert later.previous_stage.notna().all()
    transitions = reversed_order["d1"]["lifecycle_transitions"]
    assert set(pd.to_datetime(transitions.as_of_date).dt.strftime("%Y-%m-%d")) == {AS_OF_2}  # first: none
    assert "none" not in set(transitions[pd.to_datetime(transitions.as_of_date) == AS_OF_2].from_stage)


def test_latest_only_tables_keep_the_newest_date_when_an_older_one_runs(in_order, reversed_order):
    """A backfill of an older date must not replace today's latest-only tables."""
    for table in ("opportunities", "customer_segments", "ingest_quarantine"):
        for snapshot in (in_order["d1_again"][table], reversed_order["d1"][table]):
            dates = set(pd.to_datetime(snapshot["as_of_date"]).dt.strftime("%Y-%m-%d"))
            assert dates <= {AS_OF_2}, f"{table} holds {dates} after an older run"
        assert_same(in_order["d2"][table], in_order["d1_again"][table], f"{table} after the d1 rerun")
        assert_same(reversed_order["d2"][table], reversed_order["d1"][table], f"{table} after a backfill of d1")
    assert len(in_order["d2"]["opportunities"]) > 0
