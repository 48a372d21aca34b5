"""The Dagster definitions load, with the groups, checks and schedule users see in the UI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from salestier_pipeline.dbt_command import dbt_executable
from salestier_pipeline.publish.tables import PUBLISHED_TABLES


def test_definitions_load_with_groups_checks_and_schedule(dbt_manifest: Path) -> None:
    from salestier_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    groups: dict[str, set[str]] = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, set()).add(key.to_user_string())
    assert set(groups) == {"ingest", "staging", "marts", "publish"}
    assert {"raw/opportunities", "raw/accounts", "raw/landing_manifest"} <= groups["ingest"]
    assert set(PUBLISHED_TABLES) <= groups["marts"]
    assert groups["publish"] == {"serving/salestier_duckdb", "exports/tier_lists", "reports/html_report",
                                 "serving/postgres"}

    checks = graph.asset_check_keys
    assert len(checks) >= 150
    assert all(graph.get_check_spec(c).description for c in checks), "every check says what it checks"
    raw_checks = {c.name: graph.get_check_spec(c) for c in checks
                  if c.asset_key.to_user_string() == "raw/opportunities"}
    assert set(raw_checks) == {"ids_unique_per_export", "dates_not_after_export", "probability_0_100",
                               "record_count_band"}  # GX: what ingest cannot guarantee
    assert raw_checks["ids_unique_per_export"].blocking and not raw_checks["probability_0_100"].blocking
    # the raw checks that need a map or a seed are dbt tests on the raw sources, shown on that map / seed
    by_name = {c.name: c for c in checks}
    assert {n: (by_name[n].asset_key.to_user_string(), graph.get_check_spec(by_name[n]).blocking)
            for n in ("stage_in_map", "status_in_map", "score_within_scale")} == {
        "stage_in_map": ("intermediate/int_stage_map", True),
        "status_in_map": ("intermediate/int_status_map", True),
        "score_within_scale": ("seeds/feedback_scales", True),
    }
    assert "customer_tier_list__copied_intact" in {
        c.name for c in checks if c.asset_key.to_user_string() == "serving/salestier_duckdb"}
    # a model's blocking dbt rules are one check per filter group (column_rules), not one per column and rule
    tier_checks = {c.name: graph.get_check_spec(c) for c in checks
                   if c.asset_key.to_user_string() == "customer_tier_list"}
    assert set(tier_checks) == {"customer_tier_list__rules", "customer_tier_list__rules_as_of",
                                "at_least_one_row_customer_tier_list_True", "every_account_once_in_tier_list"}
    assert tier_checks["customer_tier_list__rules"].blocking
    assert not tier_checks["at_least_one_row_customer_tier_list_True"].blocking
    assert tier_checks["customer_tier_list__rules"].description.startswith(
        "[dbt] rules on customer_tier_list: not_null(as_of_date, account_id, tier, ")
    single = ("not_null_", "unique_", "accepted_values_", "accepted_range_", "relationships_", "expression_is_true_")
    assert not [c.name for c in checks if c.asset_key.to_user_string() in PUBLISHED_TABLES
                and c.name.startswith(single) and graph.get_check_spec(c).blocking]

    schedule = defs.resolve_schedule_def("salestier_nightly_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    job = defs.resolve_job_def("salestier_nightly")
    assert job.partitions_def is not None

    # dbt sources hang off the ingest assets: marts are downstream of raw/<module>
    stg_parents = {
        p.to_user_string()
        for key in graph.get_all_asset_keys() if graph.get(key).group_name == "staging"
        for p in graph.get(key).parent_keys
    }
    assert "raw/opportunities" in stg_parents


def test_loading_the_definitions_imports_neither_dbt_core_nor_great_expectations(dbt_manifest: Path) -> None:
    """The code location loads for every run, the UI's code server and the daemon: dbt runs as its own
    CLI and GX in its worker, so neither may be imported here (they cost seconds each)."""
    probe = ("import sys, salestier_pipeline.definitions as d; d.defs.resolve_all_asset_specs(); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dbt', 'great_expectations')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = done.stdout.strip().splitlines()[-1]
    assert "'dbt.version'" not in loaded and "great_expectations" not in loaded, loaded
    assert Path(dbt_executable()).is_file()  # and yet the dbt CLI is there to run


def test_the_nightly_job_has_one_backfill_policy(dbt_manifest: Path) -> None:
    """Every partitioned asset runs one as-of date per run, so resolving the job warns about nothing
    (mixed policies printed a 'varying BackfillPolicies' warning on every run)."""
    import warnings

    import dagster as dg

    from salestier_pipeline.definitions import defs
    from salestier_pipeline.partitions import ONE_DATE_PER_RUN

    graph = defs.resolve_asset_graph()
    policies = {graph.get(key).backfill_policy for key in graph.get_all_asset_keys()
                if graph.get(key).is_materializable and graph.get(key).partitions_def is not None}
    assert policies == {ONE_DATE_PER_RUN}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        job = defs.resolve_job_def("salestier_nightly")
        assert isinstance(job, dg.JobDefinition)
    assert not [w for w in caught if "BackfillPolicies" in str(w.message)]
    # a fresh process, as `salestier run` and the UI's code server load them: no notice about the policy
    probe = ("import salestier_pipeline.definitions as d; d.defs.resolve_job_def('salestier_nightly')")
    done = subprocess.run([sys.executable, "-W", "always", "-c", probe], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "backfill_policy" not in done.stderr and "BackfillPolicies" not in done.stderr, done.stderr[-2000:]
