"""The raw GX suites validate each export batch once: the night it arrives, or again when it, the code or the
settings change, or when it failed a blocking check. The rows of one batch give the verdicts they give inside
the whole module (the suites are per row and per export; the record growth is counted over every batch).

The raw fixture (tests/fixtures/raw_fixture.py) has opportunities in two exports (2024-06-30, 2024-07-15).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from salestier_pipeline.quality.gx_adapter import validate_frame
from salestier_pipeline.quality.raw_checks import batch_dirs, raw_check_frame
from salestier_pipeline.settings import Settings
from salestier_pipeline.unchanged import ValidatedBatches
from tests.fixtures.raw_fixture import write_raw_fixture

LATEST = "2024-07-15"
MODULE = "opportunities"


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    write_raw_fixture(home / "raw")
    return Settings(home=home)


def test_batches_are_the_export_folders_up_to_the_as_of_date(settings: Settings) -> None:
    names = [(b.parent.name, b.name) for b in batch_dirs(settings.raw, MODULE, LATEST)]
    assert names == [("source=fxiaoke", "export_date=2024-06-30"), ("source=zoho", "export_date=2024-06-30"),
                     ("source=zoho", f"export_date={LATEST}")]
    earlier = batch_dirs(settings.raw, MODULE, "2024-07-14")
    assert earlier and all(b.name == "export_date=2024-06-30" for b in earlier)
    assert batch_dirs(settings.raw, MODULE, "2024-06-29") == []


def test_a_batch_alone_has_its_rows_with_the_growth_of_every_batch(settings: Settings) -> None:
    whole = raw_check_frame(settings.raw, MODULE, LATEST)
    latest = [b for b in batch_dirs(settings.raw, MODULE, LATEST) if b.name == f"export_date={LATEST}"]
    part = raw_check_frame(settings.raw, MODULE, LATEST, latest)
    assert set(whole["export_date"].astype(str)) == {"2024-06-30", LATEST}
    assert set(part["export_date"].astype(str)) == {LATEST}
    key = ["source_system", "source_record_id"]
    expected = whole[whole["export_date"].astype(str) == LATEST].sort_values(key).reset_index(drop=True)
    got = part.sort_values(key).reset_index(drop=True)
    assert len(got) == len(expected) > 0
    pd.testing.assert_series_equal(got["_record_growth"], expected["_record_growth"])
    assert got["_record_growth"].notna().any()  # the latest export has an earlier one to grow from
    assert len(raw_check_frame(settings.raw, MODULE, LATEST, [])) == 0


def test_a_batch_is_validated_until_it_passed_and_again_when_it_changes(settings: Settings) -> None:
    ledger = ValidatedBatches(settings, MODULE)
    batches = batch_dirs(settings.raw, MODULE, LATEST)
    stamps = ledger.stamps(batches)
    assert ledger.pending(batches, stamps) == batches  # nothing validated yet
    first = [b for b in batches if b.name == "export_date=2024-06-30"]
    ledger.add(first, stamps, "run-1")
    assert ledger.pending(batches, ledger.stamps(batches)) == [b for b in batches if b not in first]
    ledger.add(batches, stamps, "run-2")
    assert ledger.pending(batches, ledger.stamps(batches)) == []
    # a batch that got another file (a second export file of that day) is validated again, alone
    existing = next(first[0].glob("*.parquet"))
    shutil.copy(existing, existing.with_name("second-file.parquet"))
    assert ledger.pending(batches, ledger.stamps(batches)) == [first[0]]
    # other settings: every batch again
    other = ValidatedBatches(Settings(home=settings.home, max_quarantine_share=0.5), MODULE)
    assert other.pending(batches, other.stamps(batches)) == batches


def test_the_new_batch_alone_gives_the_verdicts_it_has_in_the_whole_module(settings: Settings) -> None:
    """The latest export carries every record twice (its file landed twice under two names): the blocking
    uniqueness check fails on that batch alone with the count and rows it fails with in the whole module."""
    latest = [b for b in batch_dirs(settings.raw, MODULE, LATEST) if b.name == f"export_date={LATEST}"]
    existing = next(latest[0].glob("*.parquet"))
    shutil.copy(existing, existing.with_name("twice.parquet"))
    whole = {o.check: o for o in validate_frame(raw_check_frame(settings.raw, MODULE, LATEST), "raw", MODULE)}
    part = {o.check: o for o in validate_frame(raw_check_frame(settings.raw, MODULE, LATEST, latest), "raw", MODULE)}
    assert set(part) == set(whole) == {"ids_unique_per_export", "dates_not_after_export", "probability_0_100",
                                       "record_count_band"}
    duplicated = len(raw_check_frame(settings.raw, MODULE, LATEST, latest))
    assert duplicated >= 2
    for result in (whole, part):
        assert not result["ids_unique_per_export"].passed
        assert result["ids_unique_per_export"].unexpected_count == duplicated  # every row of the export, twice
    assert part["ids_unique_per_export"].locations == whole["ids_unique_per_export"].locations
    assert {c: o.passed for c, o in part.items()} == {c: o.passed for c, o in whole.items()}


def test_a_night_validates_only_new_batches_and_a_failed_one_again(settings: Settings) -> None:
    """raw_outcomes as the ingest step runs it (GX in its worker): the first night validates every batch; a
    batch that fails a blocking check is validated (and fails) every night until it is fixed; a rerun of a
    night repeats its outcomes; a new night with nothing new passes without validating; a new batch is
    validated alone."""
    from salestier_pipeline.assets.ingest import raw_outcomes
    from salestier_pipeline.quality import gx_worker

    said: list[str] = []

    def night(as_of: str, run: str) -> dict:
        return {o.check: o for o in raw_outcomes(settings, [MODULE], as_of, run, said.append)[MODULE]}

    latest = [b for b in batch_dirs(settings.raw, MODULE, LATEST) if b.name == f"export_date={LATEST}"]
    twice = latest[0] / "twice.parquet"
    shutil.copy(next(latest[0].glob("*.parquet")), twice)
    try:
        for run in ("run-1", "run-2"):  # the duplicated export blocks both nights
            checks = night(LATEST, run)
            assert not checks["ids_unique_per_export"].passed and checks["ids_unique_per_export"].critical
            assert said[-1] == f"raw checks of {MODULE}: 3 of 3 export batch(es) up to {LATEST} new or changed, " \
                               "the rest passed before"
        twice.unlink()  # fixed: validated again, passes, and is recorded
        fixed = night(LATEST, "run-3")
        assert all(o.passed for o in fixed.values()) and said[-1].startswith(f"raw checks of {MODULE}: 3 of 3")
        assert all(o.observed != "not evaluated" and "no new export" not in str(o.observed) for o in fixed.values())
        rerun = night(LATEST, "run-4")  # the same night again: nothing validated, the same outcomes
        assert said[-1].startswith(f"raw checks of {MODULE}: 0 of 3") and rerun == fixed
        quiet = night("2024-07-16", "run-5")  # the next night, no new batch of this module
        assert said[-1].startswith(f"raw checks of {MODULE}: 0 of 3 export batch(es) up to 2024-07-16")
        assert all(o.passed and o.observed == "no new export batch: all 3 batch(es) up to 2024-07-16 passed these "
                   "checks before" for o in quiet.values())
        assert set(quiet) == set(fixed) == {"ids_unique_per_export", "dates_not_after_export", "probability_0_100",
                                            "record_count_band"}
        # the next day's export: that batch alone
        new = latest[0].parent / "export_date=2024-07-16"
        shutil.copytree(latest[0], new)
        for file in new.glob("*.parquet"):  # its rows say the new export date
            frame = pd.read_parquet(file)
            frame["export_date"] = pd.Timestamp("2024-07-16").date()
            frame.to_parquet(file, index=False)
        night("2024-07-16", "run-6")
        assert said[-1].startswith(f"raw checks of {MODULE}: 1 of 4 export batch(es) up to 2024-07-16")
    finally:
        gx_worker.stop()
