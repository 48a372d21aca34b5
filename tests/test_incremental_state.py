"""Nights that bring the current state forward publish exactly what full rebuilds publish.

Two homes get the same exports and the same five as-of dates, one night after the other: one by plain
`salestier run` (each night after the first reads only its new batches into the current-state tables),
the other by `salestier run --full-refresh` or `salestier backfill --full-refresh` (every night rebuilds
them from every batch). After every
night the published tables and the current-state tables must have the same fingerprints. The fifth
night's batch is a delta export: every other record of each CSV of the fourth, re-exported a day later.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.quality.fingerprint import relation_fingerprint, table_fingerprints
from salestier_pipeline.state_mark import STATE_MODULES
from tests.runner import add_next_batch, run_salestier

DATES = ["2026-11-06", "2026-11-13", "2026-11-20", "2026-11-27", "2026-11-28"]


def _thin_to_every_other_record(batch: Path) -> None:
    """A delta export: keep the header and every other record of each CSV (records, not lines)."""
    for path in sorted(batch.glob("*.csv")):
        raw = path.read_bytes()
        encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:  # the Chinese CRM's GB18030 exports
            encoding, text = "gb18030", raw.decode("gb18030")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        with path.open("w", encoding=encoding, newline="") as out:
            csv.writer(out).writerows([rows[0], *rows[1::2]])


def _state_fingerprints(home: Path) -> dict[str, tuple[int, str]]:
    con = duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        return {m: relation_fingerprint(con, f"staging.stg_crm__{m}") for m in STATE_MODULES}
    finally:
        con.close()


@pytest.mark.slow
def test_incremental_nights_equal_full_refresh_nights(tmp_path: Path, published_demo: Path) -> None:
    homes = {"incremental": tmp_path / "incremental", "full": tmp_path / "full"}
    for home in homes.values():
        shutil.copytree(published_demo / "landing", home / "landing")
        previous, day = add_next_batch(home, DATES[-1])
        assert previous == DATES[-2]
        for source in ("zoho", "fxiaoke"):
            _thin_to_every_other_record(home / "landing" / source / day)

    for night, as_of in enumerate(DATES):
        incremental = run_salestier(homes["incremental"], "run", "--as-of", as_of)
        assert incremental.returncode == 0, incremental.stdout[-3000:] + incremental.stderr[-3000:]
        expected = ("current-state tables rebuilt from every raw batch" if night == 0
                    else f"current-state tables brought forward from {DATES[night - 1]}")
        assert expected in incremental.stdout + incremental.stderr, as_of
        # odd nights through `backfill --full-refresh` (one date): the same rebuild as `run --full-refresh`
        full = run_salestier(homes["full"], *(("backfill", "--from", as_of, "--to", as_of) if night % 2
                                              else ("run", "--as-of", as_of)), "--full-refresh")
        assert full.returncode == 0, full.stdout[-3000:] + full.stderr[-3000:]
        assert "current-state tables rebuilt from every raw batch" in full.stdout + full.stderr

        published = {name: table_fingerprints(home / "serving" / "salestier.duckdb") for name, home in homes.items()}
        assert len(published["full"]) >= 20
        assert published["incremental"] == published["full"], as_of
        state = {name: _state_fingerprints(home) for name, home in homes.items()}
        assert state["incremental"] == state["full"], as_of
        assert state["full"]["activities"][0] > 0

    # the delta night replaced re-exported records' versions: their first batch is still the first one
    con = duckdb.connect(str(homes["incremental"] / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        [(latest, first)] = con.execute(
            "select count(*) filter (where export_date = date '2026-11-28'), "
            "count(*) filter (where export_date = date '2026-11-28' and first_export_date < export_date) "
            "from staging.stg_crm__opportunities").fetchall()
    finally:
        con.close()
    assert latest > 0 and first == latest


def test_a_changed_old_batch_or_an_earlier_date_rebuilds_the_state(tmp_path: Path, published_demo: Path) -> None:
    """The state is brought forward only from a date it was built for, with the same old batches and code."""
    from salestier_pipeline.settings import load_settings
    from salestier_pipeline.state_mark import mark_state, state_code_fingerprint, state_since

    home = tmp_path / "home"
    shutil.copytree(published_demo, home, symlinks=True)
    settings = load_settings({"SALESTIER_HOME": str(home)})
    code = state_code_fingerprint()
    mark_state(settings, "2026-11-20", code)
    assert state_since(settings, "2026-11-27", code) == "2026-11-20"
    assert state_since(settings, "2026-11-20", code) == "2026-11-20"
    assert state_since(settings, "2026-11-13", code) is None  # an earlier date: rebuilt
    assert state_since(settings, "2026-11-27", "other code") is None
    # a batch dated after the mark may change; one dated on or before it may not
    later = next((home / "raw" / "opportunities").glob("source=zoho/export_date=2026-11-27/*.parquet"))
    later.write_bytes(later.read_bytes() + b"\0")
    assert state_since(settings, "2026-11-27", code) == "2026-11-20"
    older = next((home / "raw" / "opportunities").glob("source=zoho/export_date=2026-11-13/*.parquet"))
    older.unlink()
    assert state_since(settings, "2026-11-27", code) is None
