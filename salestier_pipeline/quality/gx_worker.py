"""The raw-layer GX validations, in a worker process that imports Great Expectations ahead of time.

Importing GX and building its first context costs ≈ 4-7 s of one core, more than everything else a
small home's ingest does. `salestier run` starts this worker (`start()`) before it loads the Dagster
definitions, so GX loads on the second core while the first loads Dagster, plans the run and ingests
the exports; the ingest step then only hands over (raw folder, module, as-of) and gets the outcomes
back. The worker reads the raw Parquet itself, so no frame crosses the process boundary, and it stays
up for the process's lifetime (every date of a backfill reuses it) unless it grew past RECYCLE_MB while
validating. A run started by the Dagster UI or daemon gets the same worker, started by the ingest step
itself. The outcomes are exactly those of gx_adapter.validate_frame, run in this process; a worker that
died is replaced on the next call.
"""

from __future__ import annotations

import atexit
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salestier_pipeline.quality.gx_adapter import CheckOutcome

_pool: ProcessPoolExecutor | None = None
_lock = Lock()
# A worker that grew beyond this while validating (pandas keeps a large module's frame memory: 0.9 GB at
# 100x the demo) is stopped once its work is done, so dbt and publish do not run beside it; the next
# validation starts a new one. A small home's worker stays up for every date of a backfill.
RECYCLE_MB = 512


def _warm() -> None:
    """Worker initializer: import GX and build its context before the first validation asks for it."""
    from salestier_pipeline.quality.gx_adapter import gx_context

    gx_context()


def _validate_raw(raw: str, module: str, as_of: str, batches: list[str] | None = None) -> list[CheckOutcome]:
    from salestier_pipeline.quality.gx_adapter import validate_frame
    from salestier_pipeline.quality.raw_checks import raw_check_frame

    frame = raw_check_frame(Path(raw), module, as_of, None if batches is None else [Path(b) for b in batches])
    return validate_frame(frame, "raw", module)


def _own_rss_mb() -> int:
    """Resident memory of this process (run in the worker)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20


def worker_rss_mb() -> int:
    """The running worker's resident memory, 0 when none runs or it does not answer."""
    with _lock:
        pool = _pool
    if pool is None:
        return 0
    try:
        return pool.submit(_own_rss_mb).result(timeout=30)
    except Exception:  # a dead or stuck worker holds no memory worth keeping it for
        return 0


def start() -> ProcessPoolExecutor:
    """The worker, started now if it is not running (idempotent, thread-safe)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=_warm)
            _pool.submit(int)  # processes start on the first submit: start it now, not when needed
            atexit.register(stop)
        return _pool


def stop() -> None:
    """Shut the worker down (at exit; tests may call it)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def validate_raw(raw: Path, modules: list[str], as_of: str,
                 batches: dict[str, list[Path]] | None = None) -> dict[str, list[CheckOutcome]]:
    """The raw suite of each module over every batch <= as_of (or the module's `batches` folders only),
    validated in the worker.

    A worker that died (killed, out of memory) is not a data problem: those modules are validated again
    in this process, so the outcomes never depend on where they ran."""
    chosen = {m: [str(b) for b in found] for m, found in (batches or {}).items()}
    try:
        futures: dict[str, Future[list[CheckOutcome]]] = {
            m: start().submit(_validate_raw, str(raw), m, as_of, chosen.get(m)) for m in modules}
    except BrokenProcessPool:
        stop()
        futures = {}
    outcomes = {}
    for module in modules:
        try:
            outcomes[module] = futures[module].result()
        except (KeyError, BrokenProcessPool):
            stop()
            outcomes[module] = _validate_raw(str(raw), module, as_of, chosen.get(module))
    if worker_rss_mb() > RECYCLE_MB:
        stop()
    return outcomes
