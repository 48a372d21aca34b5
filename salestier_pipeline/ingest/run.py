"""Ingest one canonical module for one as-of date: landing files → raw Parquet.

Each file is processed once per content (its sha256 is in the output name):
a rerun reuses the files already written and only reads what changed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from salestier_pipeline.ingest.decode import FileReadError, decode_file
from salestier_pipeline.ingest.headers import UnknownModuleError, detect_module
from salestier_pipeline.ingest.manifest import ClassifiedFile
from salestier_pipeline.ingest.mapping import FileContext, map_file
from salestier_pipeline.ingest.writer import FILES_TYPES, QUARANTINE_TYPES, write_parquet, write_schema_file
from salestier_pipeline.profiles import Profile
from salestier_pipeline.schema import ALL_MODULES, raw_columns


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
    status: str = "loaded"
    error: str | None = None
    missing_columns: str | None = None
    extra_columns: str | None = None
    encoding: str | None = None


def raw_path(raw: Path, module: str, source: str, export_date: str, rel: str, sha: str) -> Path:
    stem = Path(rel).stem
    return raw / module / f"source={source}" / f"export_date={export_date}" / f"{stem}-{sha[:8]}.parquet"


def quarantine_path(raw: Path, module: str, source: str, export_date: str, rel: str, sha: str) -> Path:
    stem = Path(rel).stem
    return (raw / "_ingest" / "quarantine" / f"source={source}" / f"export_date={export_date}"
            / f"{module}-{stem}-{sha[:8]}.parquet")


def ensure_schema_files(raw: Path) -> None:
    """Zero-row typed files so dbt sources exist before any export of a module arrives."""
    for module in ALL_MODULES:
        write_schema_file(raw_columns(module), raw / module / "_schema.parquet")
    write_schema_file(FILES_TYPES, raw / "_ingest" / "files" / "_schema.parquet")
    write_schema_file(QUARANTINE_TYPES, raw / "_ingest" / "quarantine" / "_schema.parquet")


def ingest_file(file: ClassifiedFile, profile: Profile, raw: Path, max_share: float) -> FileResult:
    """Decode, map and write one file; file-level problems come back as status 'failed'."""
    assert file.module is not None
    result = FileResult(file.source, file.module, file.rel, file.sha256, file.export_date)
    target = raw_path(raw, file.module, file.source, file.export_date, file.rel, file.sha256)
    qpath = quarantine_path(raw, file.module, file.source, file.export_date, file.rel, file.sha256)
    sidecar = target.with_suffix(".json")
    if target.exists() and sidecar.exists():
        return FileResult(**json.loads(sidecar.read_text(encoding="utf-8")))
    try:
        decoded = decode_file(Path(file.path), file.rel)
        match = detect_module(decoded.headers, profile, file.rel)
    except (FileReadError, UnknownModuleError) as exc:
        result.status, result.error = "failed", str(exc)
        return result
    ingested_at = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    ctx = FileContext(file.source, file.export_date, file.rel, file.sha256, ingested_at)
    mapped = map_file(decoded, match, profile, ctx)
    result.rows_read = mapped.rows_read
    result.rows_loaded = len(mapped.good)
    result.rows_quarantined = mapped.rows_quarantined
    result.encoding = decoded.encoding
    result.missing_columns = ", ".join(mapped.missing_columns) or None
    result.extra_columns = ", ".join(mapped.extra_columns) or None
    share = mapped.rows_quarantined / mapped.rows_read if mapped.rows_read else 0.0
    if share > max_share:
        result.status = "failed"
        result.error = (
            f"{file.rel}: {mapped.rows_quarantined} of {mapped.rows_read} rows quarantined "
            f"({share:.0%} > allowed {max_share:.0%}); first reason: {mapped.quarantine['reason'].iloc[0]} "
            f"(line {mapped.quarantine['line_number'].iloc[0]}, column {mapped.quarantine['column_name'].iloc[0]})"
        )
        return result
    _remove_versions(target.parent, Path(file.rel).stem)
    _remove_versions(qpath.parent, f"{file.module}-{Path(file.rel).stem}")
    if len(mapped.quarantine):
        write_parquet(mapped.quarantine, QUARANTINE_TYPES, qpath)
    write_parquet(mapped.good, raw_columns(file.module), target)
    sidecar.write_text(json.dumps(asdict(result), ensure_ascii=False), encoding="utf-8")
    return result


def _remove_versions(folder: Path, stem: str) -> None:
    """Delete earlier versions (other sha) of the same landing file."""
    pattern = re.compile(re.escape(stem) + r"-[0-9a-f]{8}\.(parquet|json)$")
    if folder.is_dir():
        for path in folder.iterdir():
            if pattern.match(path.name):
                path.unlink()


def prune_removed(raw: Path, module: str, files: list[ClassifiedFile], as_of: str) -> list[Path]:
    """Drop raw and quarantine files of batches <= as_of whose landing file is gone or changed."""
    keep = {raw_path(raw, module, f.source, f.export_date, f.rel, f.sha256) for f in files}
    keep |= {quarantine_path(raw, module, f.source, f.export_date, f.rel, f.sha256) for f in files}
    candidates = list((raw / module).glob("source=*/export_date=*/*.parquet"))
    candidates += list((raw / "_ingest" / "quarantine").glob(f"source=*/export_date=*/{module}-*.parquet"))
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
    return write_parquet(frame, FILES_TYPES, raw / "_ingest" / "files" / f"as_of={as_of}" / f"{name}.parquet")


def ingest_module(module: str, manifest: list[ClassifiedFile], profiles: dict[str, Profile],
                  raw: Path, as_of: str, max_share: float) -> list[FileResult]:
    """Ingest every file the manifest assigned to `module`; raise if any file failed."""
    ensure_schema_files(raw)
    mine = [f for f in manifest if f.module == module]
    results = [ingest_file(f, profiles[f.source], raw, max_share) for f in mine]
    loaded = [f for f, r in zip(mine, results, strict=True) if r.status == "loaded"]
    prune_removed(raw, module, loaded, as_of)
    write_file_results(raw, as_of, module, results)
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise IngestError(f"{len(failed)} file(s) of module '{module}' failed:\n" + "\n".join(
            f"- {r.error}" for r in failed))
    return results
