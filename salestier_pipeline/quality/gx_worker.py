"""The raw-layer GX validations, in a worker process that imports Great Expectations ahead of time.

Importing GX and building its first context costs ≈ 4-7 s of one core, more than everything else a
small home's ingest does. `salestier run` starts this worker (`start()`) before it loads the Dagster
definitions, so GX loads on the second core while the first loads Dagster, plans the run and ingests
the exports; the ingest step then only hands over (raw folder, module, as-of) and gets the outcomes
back. The worker reads the raw Parquet itself, so no frame crosses the process boundary, and it is
stopped as soon as the outcomes are in (or when the night has nothing to validate): a worker that only
imported GX holds ≈ 300 MB, which must not sit beside dbt and publish (100x next-day night: the tree's
peak 1,948 MB during dbt, dbt's own process 1,191 MB). Each date of a backfill starts it again at the
start of its run, in parallel with loading Dagster. A run started by the Dagster UI or daemon gets the
same worker, started by the ingest step itself. The outcomes are exactly those of
gx_adapter.validate_frame on the whole frame, run in this process, although the worker validates a large
module in chunks of rows (raw_checks.CHUNK_ROWS: GX's pandas engine needs several times a frame's size, and
2 M activities in one frame took the worker to 1.5 GB); a worker that died is replaced on the next call.
"""

from __future__ import annotations

import atexit
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salestier_pipeline.quality.gx_adapter import CheckOutcome

# what the worker holds once GX is imported and its context built, before any validation (100x: 290 MB)
MEMORY_MB = 300

_pool: ProcessPoolExecutor | None = None
_lock = Lock()


def _warm() -> None:
    """Worker initializer: import GX and build its context before the first validation asks for it."""
    from salestier_pipeline.quality.gx_adapter import gx_context

    gx_context()


def _validate_raw(raw: str, module: str, as_of: str, batches: list[str] | None = None) -> list[CheckOutcome]:
    from salestier_pipeline.quality.gx_adapter import validate_chunks
    from salestier_pipeline.quality.raw_checks import raw_check_chunks

    frames = raw_check_chunks(Path(raw), module, as_of, None if batches is None else [Path(b) for b in batches])
    return validate_chunks(frames, "raw", module)


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
    validated in the worker, which is stopped afterwards (with no module: only stopped).

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
    stop()
    return outcomes
