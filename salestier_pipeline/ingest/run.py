"""Ingest one canonical module for one as-of date: landing files → raw Parquet.

Each file is processed once per content (its sha256 is in the output name):
a rerun reuses the files already written and only reads what changed.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import hashlib
import json
import re
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa

from salestier_pipeline.formulas import neutralise
from salestier_pipeline.ingest.decode import FileReadError, decode_file
from salestier_pipeline.ingest.headers import UnknownModuleError, detect_module
from salestier_pipeline.ingest.layout import SCHEMA_FILE, RawLayout, file_key
from salestier_pipeline.ingest.manifest import ClassifiedFile
from salestier_pipeline.ingest.mapping import FileContext, map_file
from salestier_pipeline.ingest.records import Reject
from salestier_pipeline.ingest.writer import FILES_TYPES, QUARANTINE_TYPES, write_parquet, write_schema_file
from salestier_pipeline.profiles import Profile
from salestier_pipeline.profiles.maps import MAP_TYPES, profile_maps
from salestier_pipeline.schema import ALL_MODULES, CANONICAL_PATH, raw_columns
from salestier_pipeline.settings import DEFAULT_LIMITS, PACKAGE_DIR, IngestLimits

PARALLEL_MIN_BYTES = 8 * 1024 * 1024  # below this, starting worker processes (~1 s each) costs more than it saves
# A worker's memory while it reads a file, per byte of the file: a file is held whole while decoded and mapped.
# Measured at 100x the demo (peak RSS above the worker's own ≈ 180 MB): CSV 5.9-7.7x (112 MB of Zoho calls:
# +665 MB; 88 MB of Chinese text: +680 MB), XLSX ≈ 60x (zip-compressed XML: 1.5 MB -> +90 MB).
MEMORY_PER_BYTE = {".xlsx": 64, ".xlsm": 64}
CSV_MEMORY_PER_BYTE = 8


class IngestError(RuntimeError):
    """One or more files of a module failed a file-level rule."""


@dataclass
class FileResult:
    """What happened to one file (one row of ingest_files)."""

    source_system: str
    module: str
    source_file: str
    file_sha256: str
    export_date: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_blank: int = 0
    status: str = "loaded"
    error: str | None = None
    missing_columns: str | None = None
    extra_columns: str | None = None
    encoding: str | None = None


@cache
def ingest_code_version() -> str:
    """Hash of the code and schema that turn a file into raw rows: an upgrade re-reads every file once."""
    digest = hashlib.sha256()
    for path in [*sorted(PACKAGE_DIR.joinpath("ingest").glob("*.py")), CANONICAL_PATH]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def version_key(file: ClassifiedFile, profile: Profile, limits: IngestLimits = DEFAULT_LIMITS) -> str:
    """What a raw file was made from: the landing file's content, the profile entry (and the
    profile-wide parse options) that read it, the limits it was read within, and the ingest code.
    Any change re-reads the file."""
    entry = next((m for m in profile.modules if m.key == file.profile_module), None)
    options = (profile.date_order, profile.default_currency, profile.date_formats, entry, limits.parse_key())
    digest = hashlib.sha256(f"{file.sha256}\0{ingest_code_version()}\0{options!r}".encode())
    return digest.hexdigest()[:8]


def ensure_schema_files(raw: Path) -> None:
    """Zero-row typed files so dbt sources exist before any export of a module arrives."""
    layout = RawLayout(raw)
    for module in ALL_MODULES:
        write_schema_file(raw_columns(module), layout.schema_file(module))
    write_schema_file(FILES_TYPES, layout.files_dir / SCHEMA_FILE)
    write_schema_file(QUARANTINE_TYPES, layout.quarantine_dir / SCHEMA_FILE)


def write_profile_maps(profiles: dict[str, Profile], raw: Path) -> Path:
    """The stage / status / activity maps of user profiles, for dbt (the seeds hold the built-in ones)."""
    return write_parquet(profile_maps(profiles), MAP_TYPES, RawLayout(raw).profile_maps)


def ingest_file(file: ClassifiedFile, profile: Profile, raw: Path, max_share: float,
                limits: IngestLimits = DEFAULT_LIMITS) -> FileResult:
    """Decode, map and write one file within `limits`; file-level problems come back as status 'failed'."""
    assert file.module is not None
    result = FileResult(file.source, file.module, file.rel, file.sha256, file.export_date)
    key = version_key(file, profile, limits)
    layout = RawLayout(raw)
    target = layout.records(file.module, file.source, file.export_date, file.rel, key)
    qpath = layout.quarantine(file.module, file.source, file.export_date, file.rel, key)
    sidecar = target.with_suffix(".json")
    if target.exists() and sidecar.exists():
        return FileResult(**json.loads(sidecar.read_text(encoding="utf-8")))
    try:
        decoded = decode_file(Path(file.path), file.rel, limits)
        match = detect_module(decoded.headers, profile, file.rel)
    except (FileReadError, UnknownModuleError) as exc:
        result.status, result.error = "failed", str(exc)
        return result
    ingested_at = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    ctx = FileContext(file.source, file.export_date, file.rel, file.sha256, ingested_at)
    mapped = map_file(decoded, match, profile, ctx, limits)
    rejected = reject_frame(decoded.rejects, ctx, file.module)
    encoding, rows_blank = decoded.encoding, decoded.rows_blank
    del decoded  # the file's text cells: not needed once mapped (at 100x the demo ≈ 300 MB for the largest file)
    quarantine = pd.concat([q for q in (rejected, mapped.quarantine) if len(q)], ignore_index=True) \
        if len(rejected) or len(mapped.quarantine) else mapped.quarantine
    result.rows_read = mapped.rows_read + len(rejected)
    result.rows_loaded = len(mapped.good)
    result.rows_quarantined = mapped.rows_quarantined + len(rejected)
    result.rows_blank = rows_blank
    result.cells_nulled = mapped.cells_nulled
    result.encoding = encoding
    result.missing_columns = ", ".join(mapped.missing_columns) or None
    result.extra_columns = ", ".join(mapped.extra_columns) or None
    share = result.rows_quarantined / result.rows_read if result.rows_read else 0.0
    if share > max_share:
        first = quarantine.sort_values(["line_number"], kind="stable").iloc[0]
        kept = rejected_rows_path(raw, file, key)
        write_rejected_csv(quarantine, kept)
        result.status = "failed"
        result.error = (
            f"{file.rel}: {result.rows_quarantined} of {result.rows_read} rows quarantined "
            f"({share:.0%} > allowed {max_share:.0%}); first reason: {first['reason']} "
            f"(line {first['line_number']}, column {first['column_name']}); every rejected row: {kept}"
        )
        return result
    _remove_versions(target.parent, file_key(file.rel))
    _remove_versions(qpath.parent, f"{file.module}-{file_key(file.rel)}")
    if len(quarantine):
        write_parquet(quarantine.sort_values(["line_number", "column_name"], kind="stable"), QUARANTINE_TYPES,
                      qpath)
    write_parquet(mapped.good, raw_columns(file.module), target)
    sidecar.write_text(json.dumps(asdict(result), ensure_ascii=False), encoding="utf-8")
    return result


def rejected_rows_path(raw: Path, file: ClassifiedFile, key: str) -> Path:
    """Where the quarantine of a file that failed its share limit is kept for the user to read."""
    return RawLayout(raw).failed_rows(file.source, file.export_date, file.rel, key)


def write_rejected_csv(quarantine: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM so Excel shows Chinese text; values are written as text, never as formulas."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = quarantine.sort_values(["line_number", "column_name"], kind="stable")
    neutralise(frame).to_csv(path, index=False, encoding="utf-8-sig")


def reject_frame(rejects: list[Reject], ctx: FileContext, module: str) -> pd.DataFrame:
    """Records the parser rejected (short / long rows, broken quotes) as quarantine rows, one per line."""
    return pd.DataFrame({
        "source_system": ctx.source_system,
        "export_date": pd.Timestamp(ctx.export_date),
        "module": module,
        "source_file": ctx.source_file,
        "file_sha256": ctx.file_sha256,
        "line_number": pd.Series([r.line for r in rejects], dtype="int64"),
        "column_name": pd.Series([None] * len(rejects), dtype="string"),
        "raw_value": pd.Series([r.raw for r in rejects], dtype="string"),
        "reason": pd.Series([r.reason for r in rejects], dtype="string"),
        "action": "row_quarantined",
    }, columns=list(QUARANTINE_TYPES))


def _remove_versions(folder: Path, stem: str) -> None:
    """Delete earlier versions (other sha) of the same landing file."""
    pattern = re.compile(re.escape(stem) + r"-[0-9a-f]{8}\.(parquet|json)$")  # stem: file_key, hex only
    if folder.is_dir():
        for path in folder.iterdir():
            if pattern.match(path.name):
                path.unlink()


def prune_removed(raw: Path, module: str, files: list[ClassifiedFile], profiles: dict[str, Profile],
                  as_of: str, limits: IngestLimits = DEFAULT_LIMITS) -> list[Path]:
    """Drop raw and quarantine files of batches <= as_of whose landing file is gone or changed."""
    keys = [(f, version_key(f, profiles[f.source], limits)) for f in files]
    layout = RawLayout(raw)
    keep = {layout.records(module, f.source, f.export_date, f.rel, k) for f, k in keys}
    keep |= {layout.quarantine(module, f.source, f.export_date, f.rel, k) for f, k in keys}
    candidates = layout.record_files(module) + layout.quarantine_files(module)
    removed = []
    for path in candidates:
        export_date = path.parent.name.split("=", 1)[1]
        if export_date <= as_of and path not in keep:
            path.unlink()
            path.with_suffix(".json").unlink(missing_ok=True)
            removed.append(path)
    return removed


def write_file_results(raw: Path, as_of: str, name: str, results: list[FileResult]) -> Path:
    frame = pd.DataFrame([asdict(r) for r in results], columns=list(asdict(FileResult("", "", "", "", ""))))
    frame = frame.drop(columns=["export_date"]).assign(as_of_date=pd.Timestamp(as_of))
    return write_parquet(frame, FILES_TYPES, RawLayout(raw).file_results(as_of, name))


def pending_bytes(files: list[ClassifiedFile], profiles: dict[str, Profile], raw: Path,
                  limits: IngestLimits = DEFAULT_LIMITS) -> int:
    """Bytes of landing files not yet in the raw layer: what a run will actually read (a rerun reads none)."""
    layout = RawLayout(raw)
    total = 0
    for f in files:
        assert f.module is not None
        target = layout.records(f.module, f.source, f.export_date, f.rel, version_key(f, profiles[f.source], limits))
        if not (target.exists() and target.with_suffix(".json").exists()):
            total += Path(f.path).stat().st_size
    return total


def release_memory() -> None:
    """Hand the memory a file's frames freed back to the system: a pool worker reads many files, and
    without this each one's peak stays resident (Arrow's mimalloc pool and glibc keep freed pages)."""
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: its allocator returns memory its own way
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _ingest_task(task: tuple[ClassifiedFile, Profile, Path, float, IngestLimits]) -> FileResult:
    """One file in a pool worker (a top-level function so it can be sent to another process)."""
    try:
        return ingest_file(*task)
    finally:
        release_memory()


def memory_estimate(path: Path) -> int:
    """Bytes a worker needs beyond its own while reading this file (MEMORY_PER_BYTE)."""
    return path.stat().st_size * MEMORY_PER_BYTE.get(path.suffix.lower(), CSV_MEMORY_PER_BYTE)


def admit(waiting: list[int], estimates: dict[int, int], running: set[int], slots: int, budget: int) -> list[int]:
    """Which waiting files start now: while a worker is free, each (in the waiting order: biggest first) whose
    estimate fits beside what is running. A file starts alone whatever its estimate, so nothing waits forever."""
    started: list[int] = []
    used = sum(estimates[i] for i in running)
    for i in waiting:
        if len(running) + len(started) >= slots:
            break
        if not running and not started or used + estimates[i] <= budget:
            started.append(i)
            used += estimates[i]
    return started


class Helper(Protocol):
    """A process that may wait while files are read (the GX worker): stopped to make room, started again.
    MEMORY_MB is what it holds once started, before it is given work."""

    MEMORY_MB: int

    def start(self) -> object: ...

    def stop(self) -> None: ...


def helper_may_start(waiting: list[int], estimates: dict[int, int], running: set[int], budget: int,
                     helper_bytes: int) -> bool:
    """A stopped helper starts again once it fits beside what runs now and every file still waiting fits
    beside it: from then on the files share budget - helper_bytes (100x first night: the GX worker loads
    while the small files are read, instead of after the last one was handed out)."""
    if not waiting:
        return True
    used = sum(estimates[i] for i in running)
    return used + helper_bytes <= budget and max(estimates[i] for i in waiting) + helper_bytes <= budget


def ingest_files(files: list[ClassifiedFile], profiles: dict[str, Profile], raw: Path, max_share: float,
                 limits: IngestLimits = DEFAULT_LIMITS, workers: int = 1,
                 memory_mb: int | None = None, helper: Helper | None = None) -> list[FileResult]:
    """ingest_file for each file, in `workers` processes when there is enough to read to pay for starting
    them (PARALLEL_MIN_BYTES); results in the order of `files`. Each file writes only its own raw files,
    so the order the workers finish in changes nothing. With `memory_mb`, files read at once together stay
    within it (memory_estimate): the two largest 100x files do not meet in memory (≈ 850 MB each). When
    the files would not fit in it all at once, `helper` is stopped while they are read and started again
    as soon as it fits beside the files still to read (helper_may_start), at the latest once the last one is
    handed out (100x first night: the GX worker would hold ≈ 290 MB beside the largest files)."""
    tasks = [(f, profiles[f.source], raw, max_share, limits) for f in files]
    if workers < 2 or len(files) < 2 or pending_bytes(files, profiles, raw, limits) < PARALLEL_MIN_BYTES:
        return [_ingest_task(t) for t in tasks]
    # spawn, not fork: the parent is a threaded Dagster process; biggest files first keeps the tail short
    waiting = sorted(range(len(tasks)), key=lambda i: -Path(files[i].path).stat().st_size)
    estimates = {i: memory_estimate(Path(files[i].path)) for i in waiting}
    budget = memory_mb * 1024 * 1024 if memory_mb is not None else sum(estimates.values())
    paused = helper if helper is not None and sum(estimates.values()) > budget else None
    if paused is not None:
        paused.stop()
    done: dict[int, FileResult] = {}
    with ProcessPoolExecutor(max_workers=min(workers, len(files)), mp_context=get_context("spawn")) as pool:
        running: dict[Future[FileResult], int] = {}
        while waiting or running:
            for i in admit(waiting, estimates, set(running.values()), workers, budget):
                waiting.remove(i)
                running[pool.submit(_ingest_task, tasks[i])] = i
            if paused is not None and helper_may_start(waiting, estimates, set(running.values()), budget,
                                                       paused.MEMORY_MB * 1024 * 1024):
                budget -= paused.MEMORY_MB * 1024 * 1024
                paused.start()  # its start-up overlaps the files still being read
                paused = None
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done[running.pop(future)] = future.result()
    return [done[i] for i in range(len(tasks))]


def ingest_modules(modules: list[str], manifest: list[ClassifiedFile], profiles: dict[str, Profile], raw: Path,
                   as_of: str, max_share: float, limits: IngestLimits = DEFAULT_LIMITS,
                   workers: int = 1, memory_mb: int | None = None,
                   helper: Helper | None = None) -> dict[str, list[FileResult]]:
    """Ingest every file the manifest assigned to these modules (files of all of them share one pool), then
    per module drop what left the landing zone and record the file results. Failed files come back with
    status 'failed' (see module_error); nothing is raised here, so one module's bad file does not hide
    another's."""
    ensure_schema_files(raw)
    files = [f for f in manifest if f.module in modules]
    results = ingest_files(files, profiles, raw, max_share, limits, workers, memory_mb, helper)
    by_module: dict[str, list[FileResult]] = {m: [] for m in modules}
    for f, r in zip(files, results, strict=True):
        by_module[f.module].append(r)  # type: ignore[index]  # f.module is in modules
    for module in modules:
        loaded = [f for f, r in zip(files, results, strict=True) if f.module == module and r.status == "loaded"]
        prune_removed(raw, module, loaded, profiles, as_of, limits)
        write_file_results(raw, as_of, module, by_module[module])
    return by_module


def module_error(module: str, results: list[FileResult]) -> IngestError | None:
    """The error naming every failed file of a module, or None when all loaded."""
    failed = [r for r in results if r.status == "failed"]
    if not failed:
        return None
    return IngestError(f"{len(failed)} file(s) of module '{module}' failed:\n" + "\n".join(
        f"- {r.error}" for r in failed))


def ingest_module(module: str, manifest: list[ClassifiedFile], profiles: dict[str, Profile],
                  raw: Path, as_of: str, max_share: float, limits: IngestLimits = DEFAULT_LIMITS) -> list[FileResult]:
    """Ingest every file the manifest assigned to `module` within `limits`; raise if any file failed."""
    results = ingest_modules([module], manifest, profiles, raw, as_of, max_share, limits)[module]
    error = module_error(module, results)
    if error is not None:
        raise error
    return results
