"""Files of all modules read by a pool of worker processes give exactly what one process gives."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.demo.generate import generate_demo
from salestier_pipeline.ingest import run as ingest_run
from salestier_pipeline.ingest.manifest import build_manifest
from salestier_pipeline.ingest.run import (
    admit,
    helper_may_start,
    ingest_modules,
    memory_estimate,
    module_error,
    pending_bytes,
)
from salestier_pipeline.profiles import load_profiles
from salestier_pipeline.quality import gx_worker
from salestier_pipeline.schema import ALL_MODULES

AS_OF = "2026-11-27"


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    land = tmp_path_factory.mktemp("parallel") / "landing"
    generate_demo(land, scale=0.04)
    return land


def _raw_rows(raw: Path) -> dict[str, list[tuple]]:
    """Every raw row per module, without ingested_at (the clock of the run, not the data)."""
    con = duckdb.connect()
    out = {}
    for module in ALL_MODULES:
        rel = con.read_parquet(str(raw / module / "**" / "*.parquet"), union_by_name=True)
        columns = [c for c in rel.columns if c != "ingested_at"]
        out[module] = sorted(rel.select(*columns).fetchall(), key=repr)
    return out


def test_a_pool_of_workers_writes_the_same_raw_rows(landing: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    profiles = load_profiles()
    manifest = build_manifest(landing, AS_OF, profiles)
    modules = sorted({f.module for f in manifest if f.module})
    assert len(modules) >= 8 and len(manifest) >= 20
    assert pending_bytes(manifest, profiles, tmp_path / "one") == sum(Path(f.path).stat().st_size for f in manifest)

    one = ingest_modules(modules, manifest, profiles, tmp_path / "one", AS_OF, 0.2, workers=1)
    monkeypatch.setattr(ingest_run, "PARALLEL_MIN_BYTES", 0)  # the demo is small: make the pool start anyway
    pool = ingest_modules(modules, manifest, profiles, tmp_path / "pool", AS_OF, 0.2, workers=2)
    # a memory budget smaller than any file: the pool reads one file at a time, and still everything
    alone = ingest_modules(modules, manifest, profiles, tmp_path / "alone", AS_OF, 0.2, workers=2, memory_mb=0)

    assert {m: [(r.source_file, r.rows_read, r.rows_loaded, r.rows_quarantined, r.status) for r in rs]
            for m, rs in one.items()} == \
           {m: [(r.source_file, r.rows_read, r.rows_loaded, r.rows_quarantined, r.status) for r in rs]
            for m, rs in pool.items()}
    assert all(module_error(m, rs) is None for m, rs in pool.items())
    assert sum(r.rows_loaded for rs in pool.values() for r in rs) > 500
    assert _raw_rows(tmp_path / "one") == _raw_rows(tmp_path / "pool") == _raw_rows(tmp_path / "alone")
    assert [r.rows_loaded for rs in alone.values() for r in rs] == [r.rows_loaded for rs in one.values() for r in rs]
    # the second run reads nothing: every file is already in the raw layer
    assert pending_bytes(manifest, profiles, tmp_path / "pool") == 0


class Recorder:
    """Stands for the GX worker: records when the pool stops and starts it."""

    MEMORY_MB = 300

    def __init__(self) -> None:
        self.events: list[str] = []

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")


def test_the_gx_worker_waits_outside_memory_while_files_compete_for_it(landing: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Files whose estimates exceed the budget: the helper is stopped before they are read and started once
    the last one is handed out; files that fit together leave it alone. The real worker comes back running."""
    profiles = load_profiles()
    manifest = build_manifest(landing, AS_OF, profiles)
    modules = sorted({f.module for f in manifest if f.module})
    monkeypatch.setattr(ingest_run, "PARALLEL_MIN_BYTES", 0)
    tight, roomy = Recorder(), Recorder()
    ingest_modules(modules, manifest, profiles, tmp_path / "tight", AS_OF, 0.2, workers=2, memory_mb=1, helper=tight)
    ingest_modules(modules, manifest, profiles, tmp_path / "roomy", AS_OF, 0.2, workers=2, memory_mb=10_000,
                   helper=roomy)
    assert tight.events == ["stop", "start"]
    assert roomy.events == []
    assert _raw_rows(tmp_path / "tight") == _raw_rows(tmp_path / "roomy")

    gx_worker.start()
    ingest_modules(modules, manifest, profiles, tmp_path / "real", AS_OF, 0.2, workers=2, memory_mb=1,
                   helper=gx_worker)
    try:
        assert gx_worker._pool is not None and gx_worker._pool.submit(sum, [1, 2]).result() == 3
    finally:
        gx_worker.stop()


def test_a_failed_file_is_reported_per_module_without_stopping_the_others(tmp_path: Path) -> None:
    land = tmp_path / "landing" / "zoho" / "2026-11-20"
    land.mkdir(parents=True)
    (land / "Deals.csv").write_text("Record Id,Deal Owner,Deal Name,Account Name,Stage,Amount,Closing Date,"
                                    "Created Time\n" + "x,Ann,D,Acme,Qualification,1,13/45/2026,junk\n" * 5,
                                    encoding="utf-8")
    (land / "Accounts.csv").write_text("Record Id,Account Name,Account Owner,Industry\nA1,Acme,Ann,Retail\n",
                                       encoding="utf-8")
    profiles = load_profiles()
    manifest = build_manifest(tmp_path / "landing", AS_OF, profiles)
    results = ingest_modules(["accounts", "opportunities"], manifest, profiles, tmp_path / "raw", AS_OF, 0.2)
    assert [r.status for r in results["accounts"]] == ["loaded"]
    assert [r.status for r in results["opportunities"]] == ["failed"]
    error = module_error("opportunities", results["opportunities"])
    assert error is not None and "1 file(s) of module 'opportunities' failed" in str(error)
    assert "zoho/2026-11-20/Deals.csv" in str(error)
    assert module_error("accounts", results["accounts"]) is None


def test_the_stopped_helper_starts_once_it_fits_beside_every_file_still_to_read() -> None:
    """It needs room beside the files running now and beside the largest file still waiting; with nothing
    left to hand out it always starts."""
    estimates = {0: 900, 1: 500, 2: 300, 3: 200}
    assert not helper_may_start([1, 2, 3], estimates, {0}, budget=1000, helper_bytes=300)  # 900 runs
    assert helper_may_start([2, 3], estimates, set(), budget=1000, helper_bytes=300)  # 300 + 300 fits
    assert not helper_may_start([1, 2, 3], estimates, set(), budget=1000, helper_bytes=600)  # 500 + 600 > 1000
    assert helper_may_start([2, 3], estimates, {1}, budget=1000, helper_bytes=300)  # 500 + 300, 300 + 300
    assert not helper_may_start([2, 3], estimates, {1, 3}, budget=1000, helper_bytes=400)  # 700 + 400 > 1000
    assert helper_may_start([], estimates, {0}, budget=10, helper_bytes=300)  # the last file is handed out


def test_files_read_at_once_stay_within_the_memory_budget(tmp_path: Path) -> None:
    """Biggest first; a file joins the running ones only while their estimates fit; one alone always starts."""
    estimates = {0: 900, 1: 700, 2: 500, 3: 400, 4: 100}
    waiting = [0, 1, 2, 3, 4]
    assert admit(waiting, estimates, set(), slots=2, budget=1000) == [0, 4]  # 700, 500, 400 do not fit beside 900
    assert admit([1, 2, 3, 4], estimates, {0}, slots=2, budget=1000) == [4]
    assert admit([1, 2, 3], estimates, set(), slots=2, budget=1000) == [1]  # 700 + 500 > 1000, 700 + 400 > 1000
    assert admit([2, 3], estimates, set(), slots=2, budget=1000) == [2, 3]
    assert admit([2, 3], estimates, set(), slots=1, budget=1000) == [2]  # one worker: one file
    assert admit([0], estimates, set(), slots=2, budget=10) == [0]  # larger than the budget: read alone
    assert admit([0], estimates, {4}, slots=2, budget=10) == []  # ... once nothing else runs
    csv, xlsx = tmp_path / "a.csv", tmp_path / "b.XLSX"
    csv.write_bytes(b"x" * 1000)
    xlsx.write_bytes(b"x" * 1000)
    assert (memory_estimate(csv), memory_estimate(xlsx)) == (8000, 64000)
