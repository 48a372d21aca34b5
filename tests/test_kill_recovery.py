"""A run killed at random points (ingest, dbt, publish) leaves yesterday's serving file intact."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.quality.fingerprint import table_fingerprints
from tests.runner import add_next_batch, copy_home, run_salestier, start_salestier


def _group_cmdlines(pgid: int) -> list[str]:
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) == pgid:
                out.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except (ProcessLookupError, PermissionError, FileNotFoundError):
            continue
    return out


def _kill_when(home: Path, as_of: str, reached) -> bool:
    """Start a run, kill its whole process group the moment `reached()` holds; True if it was killed."""
    proc = start_salestier(home, "run", as_of=as_of)
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if reached(proc):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=60)
                return True
            time.sleep(0.02)
        return False
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)


@pytest.mark.slow
def test_killed_runs_leave_the_previous_night_and_the_next_run_publishes(
    tmp_path: Path, published_demo: Path
) -> None:
    home = copy_home(published_demo, tmp_path / "home")  # last night: published
    yesterday, tonight = add_next_batch(home)  # tonight's exports have arrived
    serving = home / "serving" / "salestier.duckdb"
    before = table_fingerprints(serving)

    phases = {
        "ingest": lambda p: (home / "raw" / "_ingest" / "manifest" / f"as_of={tonight}.json").exists(),
        "dbt": lambda p: any(" build " in c and "dbt" in c for c in _group_cmdlines(p.pid)),
        "publish": lambda p: any((home / "serving").glob(".salestier.duckdb.candidate-*")),
    }
    for phase, reached in phases.items():
        assert _kill_when(home, tonight, reached), f"the run finished before it reached {phase}"
        assert table_fingerprints(serving) == before, f"killed during {phase}: serving changed"
        con = duckdb.connect(str(serving), read_only=True)
        try:
            assert str(con.execute("select max(as_of_date) from customer_tier_list").fetchone()[0]) == yesterday
        finally:
            con.close()

    last = run_salestier(home, "run", as_of=tonight)
    assert last.returncode == 0, last.stderr[-3000:]
    con = duckdb.connect(str(serving), read_only=True)
    try:
        assert str(con.execute("select max(as_of_date) from customer_tier_list").fetchone()[0]) == tonight
    finally:
        con.close()
    assert not list((home / "serving").glob(".*candidate-*")), "stale candidates were not cleaned up"
