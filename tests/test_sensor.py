"""The new-export sensor runs a batch once it is complete, once per content, never on a half-written one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest

from salestier_pipeline.ingest.batches import load_cursor, plan_batches, scan_landing

DEALS = "Record Id,Deal Name,Amount\nzcrm_1,First deal,10\n"


@pytest.fixture()
def landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SALESTIER_HOME", str(tmp_path))
    monkeypatch.delenv("SALESTIER_LANDING", raising=False)
    monkeypatch.delenv("SALESTIER_SENSOR_SETTLE_SECONDS", raising=False)
    return tmp_path / "landing"


def write_batch(landing: Path, date: str, content: str = DEALS, marker: bool = False, source: str = "zoho") -> Path:
    folder = landing / source / date
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deals.csv").write_text(content, encoding="utf-8")
    if marker:
        (folder / "_SUCCESS").write_text("", encoding="utf-8")
    return folder


def evaluate(cursor: str | None) -> dg.SensorResult:
    from salestier_pipeline.sensors import salestier_new_export_sensor

    with dg.DagsterInstance.ephemeral() as instance:
        return salestier_new_export_sensor(dg.build_sensor_context(cursor=cursor, instance=instance))


def test_sensor_runs_a_complete_batch_once_and_a_changed_one_again(landing: Path) -> None:
    folder = write_batch(landing, "2026-11-27")
    first = evaluate(None)  # no marker, just written: not settled
    assert first.run_requests == []

    (folder / "_SUCCESS").write_text("", encoding="utf-8")
    second = evaluate(first.cursor)
    assert [(r.partition_key, r.tags["salestier/batches"]) for r in second.run_requests] == [
        ("2026-11-27", "zoho/2026-11-27")]
    assert evaluate(second.cursor).run_requests == []  # same batch: nothing

    write_batch(landing, "2026-11-27", content=DEALS + "zcrm_2,Second deal,20\n")  # re-export, new content
    third = evaluate(second.cursor)
    assert [r.partition_key for r in third.run_requests] == ["2026-11-27"]
    assert third.run_requests[0].run_key != second.run_requests[0].run_key

    write_batch(landing, "2026-11-27", content=DEALS + "zcrm_2,Second deal,20\n")  # identical copy, new mtime
    os.utime(folder / "deals.csv", (1_000_000_000, 1_000_000_000))
    assert evaluate(third.cursor).run_requests == []


def test_old_timestamps_are_not_skipped_and_sources_of_one_date_share_a_run(landing: Path) -> None:
    first = evaluate(None)
    assert first.run_requests == []
    for source in ("zoho", "fxiaoke"):
        folder = write_batch(landing, "2026-11-20", marker=True, source=source)
        for f in folder.iterdir():
            os.utime(f, (1_000_000_000, 1_000_000_000))  # copied with mtimes from 2001
    result = evaluate(first.cursor)
    assert [(r.partition_key, r.tags["salestier/batches"]) for r in result.run_requests] == [
        ("2026-11-20", "fxiaoke/2026-11-20,zoho/2026-11-20")]
    assert set(load_cursor(result.cursor)) == {"zoho/2026-11-20", "fxiaoke/2026-11-20"}


def test_a_batch_without_marker_runs_once_it_has_settled(landing: Path) -> None:
    folder = write_batch(landing, "2026-11-27")
    hashed: list[str] = []

    def hasher(scan) -> str:
        hashed.append(scan.key)
        return "h1"

    requests, state = plan_batches(scan_landing(landing), {}, now=1000.0, settle_seconds=120, hasher=hasher)
    assert requests == [] and hashed == []
    (folder / "deals.csv").write_text(DEALS + "zcrm_2,still writing,1\n", encoding="utf-8")  # still being written
    requests, state = plan_batches(scan_landing(landing), state, now=1100.0, settle_seconds=120, hasher=hasher)
    assert requests == []
    requests, state = plan_batches(scan_landing(landing), state, now=1200.0, settle_seconds=120, hasher=hasher)
    assert requests == []  # unchanged for 100 s only
    requests, state = plan_batches(scan_landing(landing), state, now=1221.0, settle_seconds=120, hasher=hasher)
    assert [(r.key, r.content_hash) for r in requests] == [("zoho/2026-11-27", "h1")]
    requests, _ = plan_batches(scan_landing(landing), state, now=5000.0, settle_seconds=120, hasher=hasher)
    assert requests == [] and hashed == ["zoho/2026-11-27"]  # hashed once, not on every tick


def test_settle_seconds_from_env_and_future_dates_wait(landing: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESTIER_SENSOR_SETTLE_SECONDS", "0")
    write_batch(landing, "2026-11-27")
    write_batch(landing, "2999-01-01", marker=True)  # not a partition yet: waits, not marked done
    result = evaluate(None)
    assert [r.partition_key for r in result.run_requests] == ["2026-11-27"]
    assert load_cursor(result.cursor)["zoho/2999-01-01"]["done"] is None
    assert json.loads(result.cursor)["v"] == 1


def test_sensor_is_registered_stopped_and_targets_the_nightly_job(dbt_manifest: Path, landing: Path) -> None:
    from salestier_pipeline.definitions import defs

    sensor = defs.resolve_sensor_def("salestier_new_export_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert sensor.job_name == "salestier_nightly"
    assert defs.resolve_sensor_def("salestier_run_failure_alert") is not None
    write_batch(landing, "2026-11-27", marker=True)
    with dg.DagsterInstance.ephemeral() as instance:  # the daemon's path: run requests resolved against the job
        data = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs))
    assert [r.partition_key for r in data.run_requests] == ["2026-11-27"]
