"""May tonight's dbt build bring the current-state tables forward, or must it rebuild them?

The latest-version staging tables (dbt_project/macros/current_state.sql) hold every CRM record's
latest version as of the date of the build that wrote them. A later night may add only its new batches
when nothing the tables were built from has changed since: the raw batches dated up to that date (a
re-exported old batch, a deleted file, a changed limit re-reading a file all change them), and the
staging SQL and macros. `state.json` beside the warehouse records both after a successful build; it is
removed before every build, so a build that fails or is killed leaves a full rebuild for next time.
No Dagster or dbt import here: the CLI and tests use it without loading the definitions.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from salestier_pipeline.dbt_command import project_files_fingerprint
from salestier_pipeline.ingest.layout import RawLayout
from salestier_pipeline.settings import DBT_PROJECT_DIR, Settings

STATE_MARK = "state.json"
STATE_MODULES = ("accounts", "activities", "contacts", "feedback", "leads", "opportunities", "orders")
STATE_CODE = ("models/staging", "macros")


def state_code_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """The staging models and the macros: the SQL a current-state table was built by."""
    return project_files_fingerprint(STATE_CODE, project_dir)


def batches_fingerprint(layout: RawLayout, as_of: str) -> str:
    """sha256 over the raw record files dated up to `as_of` (path and size; a file's name carries the
    version key of the export it came from, so a changed export is a new name)."""
    digest = hashlib.sha256()
    for module in STATE_MODULES:
        for path in sorted(layout.record_files(module)):
            export_date = path.parent.name.removeprefix("export_date=")
            if export_date <= as_of:
                rel = path.relative_to(layout.root).as_posix()
                digest.update(f"{rel}\0{path.stat().st_size}\0".encode())
    return digest.hexdigest()


def _mark(settings: Settings) -> Path:
    return settings.warehouse_dir / STATE_MARK


def state_since(settings: Settings, as_of: str, code: str) -> str | None:
    """The date the stored state is as of, when the build for `as_of` may bring it forward; else None."""
    mark = _mark(settings)
    if not (settings.warehouse.is_file() and mark.is_file()):
        return None
    try:
        stored = json.loads(mark.read_text(encoding="utf-8"))
        since, stored_code, stored_batches = stored["as_of"], stored["code"], stored["batches"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(since, str) or since > as_of or stored_code != code:
        return None
    return since if batches_fingerprint(RawLayout(settings.raw), since) == stored_batches else None


def forget_state(settings: Settings) -> None:
    """Before a build (and for --full-refresh): until a build succeeds, the stored state is not trusted."""
    _mark(settings).unlink(missing_ok=True)


def mark_state(settings: Settings, as_of: str, code: str) -> None:
    """After a successful build for `as_of`: what the current-state tables now hold."""
    record = {"as_of": as_of, "code": code, "batches": batches_fingerprint(RawLayout(settings.raw), as_of)}
    _mark(settings).write_text(json.dumps(record, sort_keys=True) + "\n", encoding="utf-8")
