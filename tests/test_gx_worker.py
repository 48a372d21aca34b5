"""The raw GX suites run in a worker process with exactly the outcomes of a validation in this process.

The raw fixture (tests/fixtures/raw_fixture.py) holds every module's Parquet: each suite is validated in the
worker and here, and the outcomes must be equal, failing checks and their row locations included. A worker
killed between runs is replaced and gives the same outcomes again.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from salestier_pipeline.quality import gx_worker
from salestier_pipeline.quality.gx_adapter import validate_frame
from salestier_pipeline.quality.raw_checks import raw_check_frame
from salestier_pipeline.schema import ALL_MODULES
from tests.fixtures.raw_fixture import write_raw_fixture

AS_OF = "2026-11-27"


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw_dir = tmp_path_factory.mktemp("gx_worker") / "raw"
    write_raw_fixture(raw_dir)
    yield raw_dir
    gx_worker.stop()


def test_worker_outcomes_equal_in_process_outcomes(raw: Path) -> None:
    modules = sorted(ALL_MODULES)
    in_worker = gx_worker.validate_raw(raw, modules, AS_OF)
    assert sorted(in_worker) == modules
    for module in modules:
        here = validate_frame(raw_check_frame(raw, module, AS_OF), "raw", module)
        assert in_worker[module] == here, module
        assert here, f"{module}: the suite checked nothing"


def test_a_killed_worker_is_replaced(raw: Path) -> None:
    module = "opportunities"
    before = gx_worker.validate_raw(raw, [module], AS_OF)[module]
    pool = gx_worker.start()
    for pid in list(pool._processes):  # the worker process dies between two runs
        os.kill(pid, signal.SIGKILL)
    assert gx_worker.validate_raw(raw, [module], AS_OF)[module] == before
    assert gx_worker.start() is not pool  # a fresh worker took over


def test_the_worker_stops_once_its_outcomes_are_in(raw: Path) -> None:
    """The worker (≈ 300 MB of GX and pandas) does not sit beside dbt and publish: it stops when the outcomes
    are in, or at once when there is nothing to validate; the next validation starts a new one with the same
    outcomes."""
    module = "activities"
    kept = gx_worker.validate_raw(raw, [module], AS_OF)[module]
    assert gx_worker._pool is None
    pool = gx_worker.start()  # as `salestier run` does before it loads Dagster
    pool.submit(int).result()
    processes = list(pool._processes.values())
    assert processes and all(p.is_alive() for p in processes)
    assert gx_worker.validate_raw(raw, [], AS_OF) == {} and gx_worker._pool is None
    assert all(not p.is_alive() for p in processes)
    assert gx_worker.validate_raw(raw, [module], AS_OF)[module] == kept
    assert gx_worker._pool is None
