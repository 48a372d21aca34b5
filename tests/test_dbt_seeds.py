"""Business rules live in seeds: editing one changes the published result (issue 4).

A scratch copy of dbt_project gets two edited seeds and is built for 2024-06-30:
  tier_matrix     M x M -> A instead of B
  service_levels  tier A: contact every 1 day instead of 7
and the published tables are compared with the unchanged build (tests/fixtures/raw_fixture.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.fixtures.raw_fixture import AS_OF_1, DBT_FIXTURE_GROUP, DBT_PROJECT, IN_ORDER, dbt_runs  # noqa: E402

pytestmark = pytest.mark.xdist_group(DBT_FIXTURE_GROUP)  # shares the dbt_runs warehouses

def _edited(seed: str, old_line: str, new_line: str) -> str:
    text = (DBT_PROJECT / "seeds" / f"{seed}.csv").read_text(encoding="utf-8")
    assert old_line in text.splitlines(), (seed, old_line)
    return "\n".join(new_line if line == old_line else line for line in text.splitlines()) + "\n"


SEED_EDITS = (
    ("tier_matrix", _edited("tier_matrix", "M,M,B", "M,M,A")),
    ("service_levels", _edited("service_levels", "A,1,7,4,high", "A,1,1,4,high")),
)


@pytest.fixture(scope="module")
def unchanged() -> dict[str, pd.DataFrame]:
    return dbt_runs(IN_ORDER, unit_tests=True)["d1"]


@pytest.fixture(scope="module")
def changed() -> dict[str, pd.DataFrame]:
    return dbt_runs((("d1", AS_OF_1),), seed_edits=SEED_EDITS)["d1"]


def tiers(snapshot: dict[str, pd.DataFrame]) -> pd.DataFrame:
    t = snapshot["customer_tier_list"]
    return t[pd.to_datetime(t.as_of_date) == AS_OF_1].set_index("account_id")


def test_tier_matrix_edit_moves_the_mm_account_to_a(unchanged, changed):
    before, after = tiers(unchanged), tiers(changed)
    # 北方电子: value M (medium size, no purchase) x intent M (open deal at needs_analysis +
    # activities in 90 d) = the only MM account
    bf = "fxiaoke:fx-acc-bf"
    assert (before.loc[bf, "value_band"], before.loc[bf, "intent_band"]) == ("M", "M")
    assert (before.loc[bf, "tier"], after.loc[bf, "tier"]) == ("B", "A")
    assert after.loc[bf, "tier_reason"].split(";")[1].endswith("-> tier A")
    others = before.index != bf
    assert (before.loc[others, "tier"] == after.loc[others, "tier"]).all()
    # ... and everything counted by tier follows
    def company(snapshot, name):
        k = snapshot["kpi_snapshot"]
        return float(k[(k.level == "company") & (k.kpi == name)].value.iloc[0])
    assert company(changed, "accounts_tier_a") == company(unchanged, "accounts_tier_a") + 1
    assert company(changed, "accounts_tier_b") == company(unchanged, "accounts_tier_b") - 1
    alloc_before = unchanged["rep_allocation"].set_index("rep_id")
    alloc_after = changed["rep_allocation"].set_index("rep_id")
    assert alloc_after.loc["R004", "tier_a_accounts"] == alloc_before.loc["R004", "tier_a_accounts"] + 1


def test_service_level_edit_makes_tier_a_accounts_overdue(unchanged, changed):
    before, after = tiers(unchanged), tiers(changed)
    acme = "zoho:ZA1"   # tier A, last activity 2024-06-28: 2 days
    assert (before.loc[acme, "service_level_days"], after.loc[acme, "service_level_days"]) == (7, 1)
    assert not before.loc[acme, "is_past_service_level"] and after.loc[acme, "is_past_service_level"]
    # 北方电子 is tier A now too, contacted 2024-06-29: 1 day is not more than 1 day
    assert after.loc["fxiaoke:fx-acc-bf", "days_since_contact"] == 1
    assert not after.loc["fxiaoke:fx-acc-bf", "is_past_service_level"]

    def neglected(snapshot):
        a = snapshot["risk_alerts"]
        return a[a.alert_type == "neglected_account"].set_index("account_id")
    assert acme not in neglected(unchanged).index
    alert = neglected(changed).loc[acme]
    assert alert.severity == "high" and "(service level 1 days)" in alert.detail
    assert "2 days since the last contact" in alert.detail
