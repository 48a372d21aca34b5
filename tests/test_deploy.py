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
  workspaceOrError { ... on Workspace { locationEntries { name loadStatus locationOrLoadError {
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
    # the documented first step: create the instance storage once, before two processes would race to
    # create it (both stamping alembic_version gave "more than one head" on a fresh home in CI)
    subprocess.run([str(BIN / "dagster"), "instance", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    port = _free_port()
    logs = {name: (tmp_path / f"{name}.log").open("w") for name in ("webserver", "daemon")}
    procs = [
        subprocess.Popen([str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                         cwd=ROOT, env=env, stdout=logs["webserver"], stderr=subprocess.STDOUT),
        subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                         cwd=ROOT, env=env, stdout=logs["daemon"], stderr=subprocess.STDOUT),
    ]
    try:
        data = _wait_until_loaded_and_healthy(port, deadline=time.monotonic() + 420)
        [entry] = data["workspaceOrError"]["locationEntries"]
        assert entry["name"] == "salestier"  # workspace.yaml names it; not the module's path
        location = entry["locationOrLoadError"] or {}
        assert "repositories" in location, (
            f"the code location did not load: {location.get('message')}\n" + _tails(tmp_path))
        [repo] = location["repositories"]
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
        for log in logs.values():
            log.close()


def _wait_until_loaded_and_healthy(port: int, deadline: float) -> dict:
    """Both processes import the definitions on their own; on a busy machine either may take a while.
    Wait until the location has finished loading (loaded or failed) and both daemons report healthy."""
    data: dict = {}
    while time.monotonic() < deadline:
        try:
            data = _graphql(port)
            [entry] = data["workspaceOrError"]["locationEntries"]
            loaded = entry["loadStatus"] == "LOADED" and entry["locationOrLoadError"] is not None
            failed = (entry["locationOrLoadError"] or {}).get("message") is not None
            daemons = {d["daemonType"]: d["healthy"] for d in data["instance"]["daemonHealth"]["allDaemonStatuses"]}
            if failed or (loaded and daemons.get("SCHEDULER") and daemons.get("SENSOR")):
                return data
        except (OSError, KeyError, TypeError, ValueError):
            pass
        time.sleep(2)
    return data


def _tails(tmp_path: Path, chars: int = 3000) -> str:
    """The end of each process's output, so a failure here says why."""
    return "\n".join(f"--- {log.name} ---\n{log.read_text(errors='replace')[-chars:]}"
                     for log in sorted(tmp_path.glob("*.log")))
