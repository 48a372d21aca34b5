"""Export batches in the landing zone: when one is complete and what its content is (for the new-export sensor).

A batch is the folder <landing>/<source>/<YYYY-MM-DD>/. The sensor must never run on a half-written
batch and never twice on the same content, so completeness comes from a marker file or from the
folder not changing for a while, and identity from a hash of the file names and contents (not from
timestamps: a batch copied in with old mtimes is still new).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from salestier_pipeline.ingest.landing import DATE_DIR, EXPORT_SUFFIXES, sha256_of

MARKERS = ("_SUCCESS", "_manifest.json")
CURSOR_VERSION = 1


@dataclass(frozen=True)
class BatchScan:
    """What a cheap stat() pass sees of one batch folder."""

    source: str
    export_date: str
    folder: Path
    files: tuple[str, ...]  # export files the ingest reads, sorted
    signature: str  # digest of every file's name, size and mtime (hidden/partial files included)
    has_marker: bool

    @property
    def key(self) -> str:
        return f"{self.source}/{self.export_date}"


@dataclass(frozen=True)
class BatchRequest:
    """A complete batch whose content was not run yet."""

    key: str
    export_date: str
    content_hash: str


def _is_export_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith((".", "_")) and path.suffix.lower() in EXPORT_SUFFIXES


def scan_batch(folder: Path, source: str) -> BatchScan:
    """Stat every file of one batch; any write (even to a temp file) changes the signature."""
    entries = sorted(p for p in folder.iterdir() if p.is_file())
    stats = [(p.name, p.stat()) for p in entries]
    signature = hashlib.sha256(
        json.dumps([[name, st.st_size, st.st_mtime_ns] for name, st in stats]).encode()
    ).hexdigest()
    return BatchScan(
        source=source,
        export_date=folder.name,
        folder=folder,
        files=tuple(p.name for p in entries if _is_export_file(p)),
        signature=signature,
        has_marker=any((folder / m).is_file() for m in MARKERS),
    )


def scan_landing(landing: Path) -> list[BatchScan]:
    """Every dated batch folder holding at least one export file, in (date, source) order."""
    if not landing.is_dir():
        return []
    scans = [
        scan_batch(batch, src.name)
        for src in landing.iterdir() if src.is_dir() and not src.name.startswith((".", "_"))
        for batch in src.iterdir() if batch.is_dir() and DATE_DIR.match(batch.name)
    ]
    return sorted((s for s in scans if s.files), key=lambda s: (s.export_date, s.source))


def batch_content_hash(folder: Path, files: tuple[str, ...]) -> str:
    """sha256 over the sorted file names and each file's sha256: same content, same hash, whatever the mtimes."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{sha256_of(folder / name)}\n".encode())
    return digest.hexdigest()


def load_cursor(raw: str | None) -> dict[str, dict]:
    """Per-batch state from the sensor cursor; an unreadable or foreign cursor starts afresh."""
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
        return {}
    batches = data.get("batches")
    return batches if isinstance(batches, dict) else {}


def dump_cursor(state: dict[str, dict]) -> str:
    return json.dumps({"v": CURSOR_VERSION, "batches": state}, sort_keys=True, separators=(",", ":"))


def plan_batches(
    scans: list[BatchScan],
    state: dict[str, dict],
    now: float,
    settle_seconds: float,
    hasher: Callable[[BatchScan], str] = lambda s: batch_content_hash(s.folder, s.files),
    runnable_date: Callable[[str], bool] = lambda d: True,
) -> tuple[list[BatchRequest], dict[str, dict]]:
    """Decide which batches to run and the next per-batch state.

    State per batch: sig (last signature seen), since (when that signature was first seen),
    hash (content hash of that signature, computed once), done (last content hash requested).
    A batch is complete with a marker, or when its signature has not changed for settle_seconds.
    A date that is not a runnable partition yet (e.g. tomorrow's) waits without being marked done.
    Batches that disappeared are dropped from the state.
    """
    requests: list[BatchRequest] = []
    new_state: dict[str, dict] = {}
    for scan in scans:
        prev = state.get(scan.key) or {}
        same = prev.get("sig") == scan.signature
        record = {
            "sig": scan.signature,
            "since": prev.get("since", now) if same else now,
            "hash": prev.get("hash") if same else None,
            "done": prev.get("done"),
        }
        complete = scan.has_marker or now - float(record["since"]) >= settle_seconds
        if complete and runnable_date(scan.export_date):
            if record["hash"] is None:
                record["hash"] = hasher(scan)
            if record["hash"] != record["done"]:
                requests.append(BatchRequest(scan.key, scan.export_date, record["hash"]))
                record["done"] = record["hash"]
        new_state[scan.key] = record
    return requests, new_state


def run_key(export_date: str, requests: list[BatchRequest]) -> str:
    """Run key of one as-of date: the batch keys and their content hashes, so a changed batch runs again."""
    parts = sorted(f"{r.key}:{r.content_hash}" for r in requests)
    return f"{export_date}@" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def group_by_date(requests: list[BatchRequest]) -> dict[str, list[BatchRequest]]:
    """Batches of several sources landing for the same date become one run: each run reads all batches <= as-of."""
    grouped: dict[str, list[BatchRequest]] = {}
    for r in requests:
        grouped.setdefault(r.export_date, []).append(r)
    return dict(sorted(grouped.items()))
