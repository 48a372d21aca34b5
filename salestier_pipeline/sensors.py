"""Sensors: start the nightly job when a complete export batch lands; alert when a run fails.

Both need `dagster-daemon` (or `dagster dev`). The new-export sensor is STOPPED until turned on
(UI or `dagster sensor start`, see docs/operations.md); the failure alert sensor is RUNNING so a
deployment with a daemon alerts without extra steps. Runs started by `salestier run` alert
themselves (no daemon needed), so the sensor skips them to avoid double alerts; that includes a
CLI run killed by a signal or a native crash: the next `salestier run` or `salestier status`
reaps it (marks it failed) and sends its alert.
"""

from __future__ import annotations

import time

import dagster as dg

from salestier_pipeline.alerts import alert_run_failure
from salestier_pipeline.ingest.batches import (
    BatchScan,
    dump_cursor,
    group_by_date,
    load_cursor,
    plan_batches,
    run_key,
    scan_landing,
)
from salestier_pipeline.ingest.landing import future_batch_date, valid_batch_date, warn_skipped_batches
from salestier_pipeline.partitions import as_of_partitions
from salestier_pipeline.runs import LAUNCHER_TAG
from salestier_pipeline.settings import SENSOR_SETTLE_ENV, automation_on, load_settings

NIGHTLY_JOB = "salestier_nightly"


def _runnable(export_date: str) -> bool:
    return as_of_partitions.has_partition_key(export_date)


def runnable_scans(scans: list[BatchScan]) -> list[BatchScan]:
    """Drop (with a warning) batch folders whose name can never be an as-of date (2026-13-45, before the
    partition start); a future date is kept: it waits until it is a partition."""
    never = [s for s in scans if not valid_batch_date(s.export_date) and not future_batch_date(s.export_date)]
    warn_skipped_batches([s.key for s in never])
    return [s for s in scans if s not in never]


@dg.sensor(
    name="salestier_new_export_sensor",
    job_name=NIGHTLY_JOB,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING if automation_on() else dg.DefaultSensorStatus.STOPPED,
    description="Runs salestier_nightly for a batch's export date once the batch under <landing>/<source>/<date>/ "
    f"is complete: a _SUCCESS or _manifest.json marker, or no change for {SENSOR_SETTLE_ENV} seconds (default 120). "
    "Run key = content hash, so the same content never runs twice and a re-export runs again.",
)
def salestier_new_export_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    settings = load_settings()
    scans = runnable_scans(scan_landing(settings.landing))
    requests, state = plan_batches(scans, load_cursor(context.cursor), time.time(), settings.sensor_settle_seconds,
                                   runnable_date=_runnable)
    run_requests = [
        dg.RunRequest(
            run_key=run_key(date, batch_requests),
            partition_key=date,
            tags={"salestier/trigger": "new_export", "salestier/batches": ",".join(r.key for r in batch_requests)},
        )
        for date, batch_requests in group_by_date(requests).items()
    ]
    for request in run_requests:
        context.log.info(f"complete batch(es) {request.tags['salestier/batches']}: run {request.partition_key}")
    return dg.SensorResult(run_requests=run_requests, cursor=dump_cursor(state))


@dg.run_failure_sensor(
    name="salestier_run_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts (alerts.log, SALESTIER_ALERT_WEBHOOK_URL, SALESTIER_ALERT_SMTP_*) when a daemon-launched "
    "run fails, including a blocking data-quality check; `salestier run` alerts by itself.",
)
def salestier_run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    if run.tags.get(LAUNCHER_TAG) == "cli":
        return
    alert_run_failure(context.instance, run.run_id, load_settings())


sensors = [salestier_new_export_sensor, salestier_run_failure_alert]
