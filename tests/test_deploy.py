"""The documented deployment: webserver + daemon from deploy/, schedule and sensor RUNNING (GraphQL)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

QUERY = """
{
  workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError {
    ... on RepositoryLocation { repositories {
      schedules { name scheduleState { status } }
      sensors { name sensorState { status } }
    } }
    ... on PythonError { message }
  } } } }
  instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } }
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["data"]


@pytest.mark.slow
def test_webserver_and_daemon_run_the_schedule_and_sensor(tmp_path: Path, dbt_manifest: Path) -> None:
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "SALESTIER_HOME": str(tmp_path / "home"),
           "SALESTIER_AUTOMATION": "on", "PYTHONPATH": str(ROOT)}
    port = _free_port()
    procs = [
        subprocess.Popen([str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        deadline = time.monotonic() + 240
        data: dict = {}
        while time.monotonic() < deadline:
            try:
                data = _graphql(port)
                daemons = {d["daemonType"]: d["healthy"] for d in data["instance"]["daemonHealth"]["allDaemonStatuses"]}
                if daemons.get("SCHEDULER") and daemons.get("SENSOR"):
                    break
            except (OSError, KeyError, TypeError):
                pass
            time.sleep(2)
        [entry] = data["workspaceOrError"]["locationEntries"]
        [repo] = entry["locationOrLoadError"]["repositories"]
        schedules = {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]}
        sensors = {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}
        assert schedules["salestier_nightly_schedule"] == "RUNNING"
        assert sensors["salestier_new_export_sensor"] == "RUNNING"
        assert sensors["salestier_run_failure_alert"] == "RUNNING"
        daemons = {d["daemonType"]: d["healthy"] for d in data["instance"]["daemonHealth"]["allDaemonStatuses"]}
        assert daemons.get("SCHEDULER") and daemons.get("SENSOR"), daemons
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
