"""Impossible facts in an export are warnings that name the records (issue 12), not silent fixes.

A small Zoho export, as downloaded, with: a deal won two days before it was created, a probability of
150 %, a close date in 2062, and an account owned by someone who is not on the roster. The run
succeeds (warnings do not block) and each warning check in Dagster names the ids it found.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef

from tests.runner import run_salestier

AS_OF = "2026-11-27"
DEALS = ["Record Id", "Deal Owner", "Deal Name", "Account Name", "Account Name.id", "Amount", "Currency",
         "Closing Date", "Stage", "Probability (%)", "Created Time", "Modified Time"]
DEAL_ROWS = [
    ["zd_ok", "James Hill", "Fine deal", "Acme", "za_1", "1000.00", "USD", "11/10/2026", "Closed Won", "100",
     "10/01/2026 09:00:00", "11/10/2026 10:00:00"],
    ["zd_neg", "James Hill", "Won before created", "Acme", "za_1", "2000.00", "USD", "11/08/2026", "Closed Won", "100",
     "11/10/2026 09:00:00", "11/10/2026 10:00:00"],
    ["zd_prob", "James Hill", "Odd probability", "Acme", "za_1", "3000.00", "USD", "12/20/2026", "Negotiation/Review",
     "150", "10/01/2026 09:00:00", "11/20/2026 10:00:00"],
    ["zd_2062", "James Hill", "Typo year", "Globex", "za_2", "4000.00", "USD", "12/20/2062", "Qualification", "10",
     "10/01/2026 09:00:00", "11/20/2026 10:00:00"],
]
ACCOUNTS = [["Record Id", "Account Name", "Account Owner"], ["za_1", "Acme", "James Hill"],
            ["za_2", "Globex", "Ghost Rep"]]
ROSTER = [["rep_id", "rep_name", "manager_rep_id", "team", "region", "hire_date", "level"],
          ["R1", "James Hill", "", "Team A", "East", "2020-01-01", "senior"]]


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


@pytest.fixture(scope="module")
def checks(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> dict[str, dg.AssetCheckEvaluation]:
    home = tmp_path_factory.mktemp("warnings")
    batch = home / "landing" / "zoho" / AS_OF
    batch.mkdir(parents=True)
    (batch / "Deals.csv").write_text(_csv([DEALS, *DEAL_ROWS]), encoding="utf-8")
    (batch / "Accounts.csv").write_text(_csv(ACCOUNTS), encoding="utf-8")
    (home / "landing" / "reference").mkdir()
    (home / "landing" / "reference" / "reps.csv").write_text(_csv(ROSTER), encoding="utf-8")
    run = run_salestier(home, "run")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home / "dagster"))) as instance:
        [record] = instance.get_run_records(limit=1)
        entries = instance.all_logs(record.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        return {e.dagster_event.event_specific_data.check_name: e.dagster_event.event_specific_data for e in entries}


@pytest.mark.parametrize(("check", "ids"), [
    ("deals_closed_before_created", "zoho:zd_neg"),
    ("probabilities_outside_0_100", "zoho:zd_prob"),
    ("close_dates_far_in_the_future", "zoho:zd_2062"),
    ("accounts_owned_by_reps_not_in_roster", "zoho:za_2"),
])
def test_each_impossible_fact_is_a_warning_naming_its_records(checks: dict, check: str, ids: str) -> None:
    evaluation = checks[check]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["failing_ids"].value == ids
    assert evaluation.description.startswith("1 row(s) of ")


def test_checks_that_pass_carry_no_ids(checks: dict) -> None:
    assert checks["closed_deals_without_creation_date"].passed
    assert "failing_ids" not in checks["closed_deals_without_creation_date"].metadata
