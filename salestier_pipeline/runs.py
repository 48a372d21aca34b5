"""Run bookkeeping for runs started by the `salestier` command (in-process, no daemon).

A run killed hard (SIGKILL, power loss) never tells the Dagster instance it
ended: it stays STARTED and keeps its slot in the `warehouse` pool, so the
next run would wait for that slot forever. Runs we launch carry our pid; one
whose process is gone is marked failed and its slots are freed. The same holds for a run whose
process died of a signal (SIGABRT from a native crash, the OOM killer): the caller alerts each
reaped run, since that process could not.
"""

from __future__ import annotations

import os
import socket

import dagster as dg

LAUNCHER_TAG = "salestier/launcher"
PID_TAG = "salestier/pid"
HOST_TAG = "salestier/host"
LIVE_STATUSES = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.NOT_STARTED]


def reaped_message(pid: int) -> str:
    return f"process {pid} ended without reporting (killed by a signal or crashed)"


def launch_tags() -> dict[str, str]:
    return {LAUNCHER_TAG: "cli", PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail and free the pool slots of our runs whose process no longer exists on this host; returns their ids."""
    reaped = []
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=LIVE_STATUSES, tags={LAUNCHER_TAG: "cli"}))
    for run in runs:
        if run.tags.get(HOST_TAG) != socket.gethostname():
            continue
        pid = int(run.tags.get(PID_TAG, "0") or 0)
        if pid and _alive(pid) and pid != os.getpid():
            continue
        instance.report_run_failed(run, message=reaped_message(pid))
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped.append(run.run_id)
    return reaped
