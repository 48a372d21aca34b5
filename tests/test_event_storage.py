"""The home's Dagster instance keeps its SQLite event log open, in the files the stock storage reads.

A real Dagster run (a two-asset job with a check) on the instance `salestier run` prepares; then the same
event files are read by Dagster's own SqliteEventLogStorage, as the UI would if it used the stock class.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log import SqliteEventLogStorage

from salestier_pipeline.cli import DAGSTER_YAML_HEADER, open_instance, prepare_dagster_home
from salestier_pipeline.event_storage import MAX_OPEN_SHARDS, KeptOpenSqliteEventLogStorage
from salestier_pipeline.settings import load_settings


@dg.asset
def first() -> int:
    return 1


@dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="second")])
def second(first: int):
    yield dg.Output(first + 1)
    yield dg.AssetCheckResult(passed=True, check_name="positive")


def _home(tmp_path: Path) -> Path:
    return prepare_dagster_home(load_settings({"SALESTIER_HOME": str(tmp_path)}))


def test_runs_store_events_that_the_stock_storage_reads(tmp_path: Path) -> None:
    home = _home(tmp_path)
    with open_instance(home) as instance:
        assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
        runs = [dg.materialize([first, second], instance=instance) for _ in range(MAX_OPEN_SHARDS + 2)]
        assert all(r.success for r in runs)
        kept = len(instance.event_log_storage._engines)
    assert kept <= MAX_OPEN_SHARDS + 1  # the runs' shards beyond the limit were closed, plus the index

    stock = SqliteEventLogStorage(str(home / "history" / "runs"))
    try:
        for run in runs:
            types = [e.dagster_event_type for e in stock.get_logs_for_run(run.run_id) if e.is_dagster_event]
            assert types.count(dg.DagsterEventType.ASSET_MATERIALIZATION) == 2
            assert types.count(dg.DagsterEventType.ASSET_CHECK_EVALUATION) == 1
            assert types[-1] == dg.DagsterEventType.RUN_SUCCESS
        latest = stock.get_latest_materialization_events([dg.AssetKey("second")])[dg.AssetKey("second")]
        assert latest is not None and latest.run_id == runs[-1].run_id  # the asset index shard too
    finally:
        stock.dispose()


def test_own_config_is_upgraded_and_a_users_config_is_left_alone(tmp_path: Path) -> None:
    settings = load_settings({"SALESTIER_HOME": str(tmp_path)})
    config = settings.dagster_home / "dagster.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(DAGSTER_YAML_HEADER + "\ntelemetry:\n  enabled: false\n", encoding="utf-8")  # an older one
    prepare_dagster_home(settings)
    assert "KeptOpenSqliteEventLogStorage" in config.read_text(encoding="utf-8")
    assert str((settings.dagster_home / "history" / "runs").resolve()) in config.read_text(encoding="utf-8")

    own = "# mine\ntelemetry:\n  enabled: false\n"
    config.write_text(own, encoding="utf-8")
    prepare_dagster_home(settings)
    assert config.read_text(encoding="utf-8") == own
