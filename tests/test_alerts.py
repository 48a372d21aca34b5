"""A run failed by a blocking check alerts: one webhook POST naming the step and check, one alerts.log line."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from salestier_pipeline.alerts import FailureReport, send_alert
from salestier_pipeline.settings import load_settings
from tests.runner import run_salestier

DUP_DEALS = (
    "Record Id,Deal Owner,Deal Name,Account Name,Stage,Amount,Closing Date,Created Time\n"
    + "zcrm_dup1,Ann,Dup deal,Acme,Qualification,10,12/31/2026,11/01/2026 10:00:00\n" * 2
)
FAILING_AS_OF = "2026-11-28"  # the day after the demo's last export


@dataclass
class Webhook:
    url: str
    posts: list[dict] = field(default_factory=list)


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    hook = Webhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hook.posts.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/alert"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


@dataclass
class FailedRun:
    home: Path
    result: object
    webhook: Webhook


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory, webhook: Webhook) -> FailedRun:
    """A demo home plus a Zoho deals batch holding one record id twice: the raw GX check fails the run."""
    home = tmp_path_factory.mktemp("failing_home")
    demo = run_salestier(home, "demo", "--scale", "0.1")
    assert demo.returncode == 0, demo.stderr
    batch = home / "landing" / "zoho" / FAILING_AS_OF
    batch.mkdir(parents=True)
    (batch / "deals.csv").write_text(DUP_DEALS, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("SALESTIER_ALERT_WEBHOOK_URL", webhook.url)
    try:
        result = run_salestier(home, "run", as_of=FAILING_AS_OF, timeout=600)
    finally:
        mp.undo()
    return FailedRun(home, result, webhook)


def test_failed_run_alerts_webhook_and_log(failed_run: FailedRun) -> None:
    assert failed_run.result.returncode == 1, failed_run.result.stderr[-3000:]
    assert len(failed_run.webhook.posts) == 1
    post = failed_run.webhook.posts[0]
    assert post["event"] == "salestier_run_failed"
    assert post["partition"] == FAILING_AS_OF
    assert [s["step"] for s in post["failed_steps"]] == ["ingest"]
    assert "ids_unique_per_export" in post["failed_steps"][0]["error"]
    assert {(c["asset"], c["check"]) for c in post["failed_checks"]} == {("raw/opportunities", "ids_unique_per_export")}
    assert post["run_id"] in post["text"] and "ids_unique_per_export" in post["text"]

    lines = (failed_run.home / "logs" / "alerts.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    logged = json.loads(lines[0])
    assert logged["run_id"] == post["run_id"]
    assert logged["failed_checks"] == post["failed_checks"]
    assert "ids_unique_per_export" in failed_run.result.stderr


def test_failure_sensor_alerts_daemon_runs_but_not_cli_runs(failed_run: FailedRun, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from salestier_pipeline.runs import LAUNCHER_TAG
    from salestier_pipeline.sensors import salestier_run_failure_alert

    monkeypatch.setenv("DAGSTER_HOME", str(failed_run.home / "dagster"))
    monkeypatch.setenv("SALESTIER_HOME", str(tmp_path))  # alerts.log of this test only
    monkeypatch.delenv("SALESTIER_ALERT_WEBHOOK_URL", raising=False)
    log = tmp_path / "logs" / "alerts.log"
    with dg.DagsterInstance.get() as instance:
        cli_run = instance.get_run_by_id(failed_run.webhook.posts[0]["run_id"])
        event = instance.all_logs(cli_run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0].dagster_event
        daemon_run = cli_run.with_tags({k: v for k, v in cli_run.tags.items() if k != LAUNCHER_TAG})
        for run in (cli_run, daemon_run):
            context = dg.build_run_status_sensor_context(
                sensor_name="salestier_run_failure_alert", dagster_event=event, dagster_instance=instance,
                dagster_run=run).for_run_failure()
            salestier_run_failure_alert(context)
            if run is cli_run:
                assert not log.exists()  # the command alerted already
    [line] = log.read_text(encoding="utf-8").splitlines()
    alert = json.loads(line)
    assert [s["step"] for s in alert["failed_steps"]] == ["ingest"]
    assert [c["check"] for c in alert["failed_checks"]] == ["ids_unique_per_export"]


def test_a_broken_webhook_does_not_hide_the_log(tmp_path: Path) -> None:
    report = FailureReport("r1", "salestier_nightly", "2026-11-28", [{"step": "s", "error": "boom"}])
    settings = load_settings({"SALESTIER_HOME": str(tmp_path), "SALESTIER_ALERT_WEBHOOK_URL": "http://127.0.0.1:9/unreachable"})
    outcome = send_alert(report, settings)
    assert outcome["log"] == "ok" and outcome["webhook"] != "ok"
    assert json.loads((tmp_path / "logs" / "alerts.log").read_text(encoding="utf-8"))["run_id"] == "r1"
