"""Every alert carries its cause: the innermost error of a failed step, a killed run, a full disk."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter
from dagster._utils.error import serializable_error_info_from_exc_info

from salestier_pipeline.alerts import MAX_TEXT, error_line, innermost_error, report_from_events
from salestier_pipeline.settings import load_settings
from tests.runner import run_salestier, start_salestier
from tests.test_alerts import Webhook, webhook  # noqa: F401 - shared fixture

AS_OF = "2026-11-28"  # the day after the demo's last export
HEADER = "Record Id,Deal Owner,Deal Name,Account Name,Stage,Amount,Closing Date,Created Time\n"
ROW = "{id},Ann,Deal {n},Acme,Qualification,10,12/31/2026,11/01/2026 10:00:00\n"
# 20 rows, 12 without a record id: 60% quarantined, over the default 20%: IngestError inside the asset
DEALS = HEADER + "".join(ROW.format(id="" if n < 12 else f"zcrm_q{n}", n=n) for n in range(20))


class IngestProblem(RuntimeError):
    pass


def test_innermost_error_of_a_real_chain() -> None:
    """Dagster's wrapper says only which op failed; the root of the cause/context chain is what to report."""
    try:
        try:
            raise IngestProblem("deals.csv: 12 of 20 rows quarantined\n  second line")
        except IngestProblem as inner:
            raise RuntimeError('Error occurred while executing op "ingest"') from inner
    except RuntimeError:
        caused = serializable_error_info_from_exc_info(sys.exc_info())
    assert caused.cause.message.startswith("tests.test_alert_causes.IngestProblem: ")  # the qualified name
    assert error_line(innermost_error(caused)) == "IngestProblem: deals.csv: 12 of 20 rows quarantined\n  second line"

    try:
        try:
            {}["missing"]
        except KeyError:
            raise RuntimeError("wrapper")  # noqa: B904 - the implicit __context__ is what this checks
    except RuntimeError:
        implicit = serializable_error_info_from_exc_info(sys.exc_info())
    assert error_line(implicit) == "RuntimeError: wrapper"
    assert error_line(innermost_error(implicit)) == "KeyError: 'missing'"


def test_long_causes_are_cut_to_max_text() -> None:
    try:
        raise IngestProblem("x" * (MAX_TEXT * 2))
    except IngestProblem:
        info = serializable_error_info_from_exc_info(sys.exc_info())
    from dagster._core.events import DagsterEvent, DagsterEventType, StepFailureData
    from dagster._core.events.log import EventLogEntry

    event = DagsterEvent(DagsterEventType.STEP_FAILURE.value, "salestier_nightly", step_key="raw__x",
                         event_specific_data=StepFailureData(error=info, user_failure_data=None))
    entry = EventLogEntry(error_info=None, level=40, user_message="", run_id="r", timestamp=0.0,
                          dagster_event=event)
    [step] = report_from_events("r", "salestier_nightly", AS_OF, [entry]).failed_steps
    assert step["error"].startswith("IngestProblem: xxx") and step["error"].endswith(" …")
    assert len(step["error"]) == MAX_TEXT + 2


def test_a_secret_across_the_cut_is_masked_before_the_cut() -> None:
    """The settings' secrets reach the report: a token quoted where the text is cut leaves no fragment."""
    from dagster._core.events import DagsterEvent, DagsterEventType, StepFailureData
    from dagster._core.events.log import EventLogEntry

    token = "T0KEN-across-the-cut-5e4d3c2b1a"
    try:
        raise IngestProblem("y" * (MAX_TEXT - 70) + f" POST https://hooks.example.com/services/{token} failed")
    except IngestProblem:
        info = serializable_error_info_from_exc_info(sys.exc_info())
    event = DagsterEvent(DagsterEventType.STEP_FAILURE.value, "salestier_nightly", step_key="serving__x",
                         event_specific_data=StepFailureData(error=info, user_failure_data=None))
    entry = EventLogEntry(error_info=None, level=40, user_message="", run_id="r", timestamp=0.0,
                          dagster_event=event)
    secrets = load_settings({"SALESTIER_ALERT_WEBHOOK_URL": f"https://hooks.example.com/services/{token}"}).secrets
    [step] = report_from_events("r", "salestier_nightly", AS_OF, [entry], secrets=secrets).failed_steps
    assert step["error"].endswith("POST https://hooks.example.com/*** failed")
    [unmasked] = report_from_events("r", "salestier_nightly", AS_OF, [entry]).failed_steps
    assert token[:8] in unmasked["error"]  # without the secrets the cut would have left a fragment


@dataclass
class FailedHome:
    home: Path
    result: subprocess.CompletedProcess
    posts: list[dict]


@pytest.fixture(scope="module")
def ingest_failure(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path, webhook: Webhook) -> FailedHome:  # noqa: F811
    home = tmp_path_factory.mktemp("causes_home")
    assert run_salestier(home, "demo", "--scale", "0.1").returncode == 0
    batch = home / "landing" / "zoho" / AS_OF
    batch.mkdir(parents=True)
    (batch / "deals.csv").write_text(DEALS, encoding="utf-8")
    before = len(webhook.posts)
    result = run_salestier(home, "run", as_of=AS_OF, timeout=900,
                           extra_env={"SALESTIER_ALERT_WEBHOOK_URL": webhook.url})
    return FailedHome(home, result, webhook.posts[before:])


def _alerts(home: Path) -> list[dict]:
    path = home / "logs" / "alerts.log"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


HEAD = "IngestError: 1 file(s) of module 'opportunities' failed:"
FILE_CAUSE = f"zoho/{AS_OF}/deals.csv: 12 of 20 rows quarantined (60% > allowed 20%)"


@pytest.mark.slow
def test_a_failure_that_is_not_dg_failure_alerts_its_cause(ingest_failure: FailedHome) -> None:
    assert ingest_failure.result.returncode == 1, ingest_failure.result.stderr[-3000:]
    [alert] = _alerts(ingest_failure.home)
    [step] = [s for s in alert["failed_steps"] if s["step"] == "ingest"]
    assert step["error"].startswith(HEAD) and FILE_CAUSE in step["error"], step["error"]
    assert "DagsterExecutionStepExecutionError" not in json.dumps(alert)
    assert f"- step ingest: {HEAD}" in alert["text"] and FILE_CAUSE in alert["text"]
    [post] = ingest_failure.posts
    assert post["run_id"] == alert["run_id"] and post["failed_steps"] == alert["failed_steps"]
    assert post["text"] == alert["text"]
    assert f"- step ingest: {HEAD}" in ingest_failure.result.stderr
    assert FILE_CAUSE in ingest_failure.result.stderr

    status = run_salestier(ingest_failure.home, "status")
    assert status.returncode == 0, status.stderr
    assert f"{alert['run_id']}  as-of {AS_OF}  FAILURE" in status.stdout
    assert f"failed step ingest: {HEAD}" in status.stdout
    assert FILE_CAUSE in status.stdout


@pytest.mark.slow
def test_a_killed_run_is_reaped_and_alerted(ingest_failure: FailedHome, monkeypatch: pytest.MonkeyPatch) -> None:
    home, tonight = ingest_failure.home, "2026-11-27"
    alerts_before = len(_alerts(home))
    proc = start_salestier(home, "run", as_of=tonight)
    manifest = home / "raw" / "_ingest" / "manifest" / f"as_of={tonight}.json"
    deadline = time.monotonic() + 600
    while not manifest.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)

    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    with dg.DagsterInstance.get() as instance:
        [killed] = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED]))
    assert killed.tags["salestier/pid"] == str(proc.pid)

    status = run_salestier(home, "status")
    assert status.returncode == 0, status.stderr
    assert f"{killed.run_id}  as-of {tonight}  FAILURE" in status.stdout
    assert f"process {proc.pid} ended without reporting (killed by a signal or crashed)" in status.stdout
    new = _alerts(home)[alerts_before:]
    assert [a["run_id"] for a in new] == [killed.run_id]
    assert new[0]["run_error"] == f"process {proc.pid} ended without reporting (killed by a signal or crashed)"
    assert new[0]["partition"] == tonight
    # reaped once: a second look neither alerts again nor changes the run
    assert run_salestier(home, "status").returncode == 0
    assert len(_alerts(home)) == alerts_before + 1


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 20 MB file system (tmpfs) to fill up; unmounted at the end."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def _fill(disk: Path, leave_mb: float) -> None:
    free = shutil.disk_usage(disk).free
    with (disk / "filler").open("wb") as fh:
        fh.write(b"\0" * max(0, free - int(leave_mb * 2**20)))


def test_preflight_refuses_a_nearly_full_disk_and_alerts(small_disk: Path, webhook: Webhook) -> None:  # noqa: F811
    home = small_disk / "home"
    before = len(webhook.posts)
    result = run_salestier(home, "run", "--as-of", "2026-11-27", timeout=120,
                           extra_env={"SALESTIER_ALERT_WEBHOOK_URL": webhook.url})
    assert result.returncode == 1, result.stderr
    free = shutil.disk_usage(small_disk).free / 2**20
    line = f"disk full under {home}: {free:.0f} MB free, at least 200 MB needed"
    assert result.stderr.startswith(line) and result.stderr.count("\n") == 1, result.stderr
    [post] = webhook.posts[before:]
    assert post["run_error"].startswith(line) and post["partition"] == "2026-11-27"
    [alert] = _alerts(home)
    assert alert["run_error"] == post["run_error"]
    assert not (home / "dagster").exists()  # refused before Dagster started


def test_preflight_on_a_full_disk_alerts_even_when_the_log_cannot_be_written(small_disk: Path,
                                                                              webhook: Webhook) -> None:  # noqa: F811
    home = small_disk / "home"
    home.mkdir()
    _fill(small_disk, 0)
    before = len(webhook.posts)
    result = run_salestier(home, "run", "--as-of", "2026-11-27", timeout=120,
                           extra_env={"SALESTIER_ALERT_WEBHOOK_URL": webhook.url})
    assert result.returncode == 1, result.stderr
    assert f"disk full under {home}: 0 MB free" in result.stderr
    assert "alert channel log failed: OSError: [Errno 28] No space left on device" in result.stderr
    [post] = webhook.posts[before:]
    assert post["run_error"].startswith(f"disk full under {home}: 0 MB free")


@pytest.mark.slow
def test_a_disk_that_fills_during_the_run_is_alerted_not_a_traceback(small_disk: Path, dbt_manifest: Path,
                                                                      webhook: Webhook) -> None:  # noqa: F811
    home = small_disk / "home"
    assert run_salestier(home, "demo", "--scale", "0.1").returncode == 0
    _fill(small_disk, 3)
    before = len(webhook.posts)
    result = run_salestier(home, "run", timeout=900, extra_env={
        "SALESTIER_ALERT_WEBHOOK_URL": webhook.url, "SALESTIER_MIN_FREE_MB": "0"})
    assert result.returncode == 1, result.stderr[-3000:]
    assert "disk full under " in result.stderr
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    posts = webhook.posts[before:]
    assert len(posts) == 1 and "disk full under " in posts[0]["text"], posts
