"""A file still being copied is retried later; the same error on an old file is bad data and fails at once."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
import pytest

from salestier_pipeline.assets.ingest import landing_manifest
from salestier_pipeline.ingest.landing import still_being_written
from salestier_pipeline.resources import SalesTierResource
from salestier_pipeline.settings import load_settings


def test_still_being_written_uses_the_settle_window(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("Record Id\n")
    window = load_settings({"SALESTIER_WRITE_SETTLE_SECONDS": "120"}).limits.write_settle_seconds
    assert still_being_written([path], window) == [path]
    assert still_being_written([path], window, now=time.time() + 121) == []
    assert still_being_written([path]) == [path]  # the default window is 120 s too
    no_wait = load_settings({"SALESTIER_WRITE_SETTLE_SECONDS": "0"}).limits.write_settle_seconds
    assert still_being_written([path], no_wait) == []


def _manifest(home: Path) -> None:
    context = dg.build_asset_context(partition_key="2026-11-20")
    landing_manifest(context, salestier=SalesTierResource(home=str(home)))


def test_an_empty_file_being_copied_asks_for_a_retry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "landing" / "zoho" / "2026-11-20"
    folder.mkdir(parents=True)
    (folder / "Deals.csv").write_bytes(b"")  # the copy has only just started
    monkeypatch.setenv("SALESTIER_WRITE_SETTLE_SECONDS", "120")
    monkeypatch.setenv("SALESTIER_HOME", str(tmp_path))
    with pytest.raises(dg.RetryRequested):
        _manifest(tmp_path)


def test_the_same_error_on_an_old_file_fails_without_retry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "landing" / "zoho" / "2026-11-20"
    folder.mkdir(parents=True)
    path = folder / "Deals.csv"
    path.write_bytes(b"")
    old = time.time() - 3600
    os.utime(path, (old, old))
    monkeypatch.setenv("SALESTIER_WRITE_SETTLE_SECONDS", "120")
    monkeypatch.setenv("SALESTIER_HOME", str(tmp_path))
    with pytest.raises(dg.Failure, match="zoho/2026-11-20/Deals.csv: empty file"):
        _manifest(tmp_path)


def test_a_folder_without_a_profile_fails_at_once_even_while_fresh(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "landing" / "mycrm" / "2026-11-20"
    folder.mkdir(parents=True)
    (folder / "deals.csv").write_text("id,name\n1,x\n")  # just written, but no wait gives it a profile
    monkeypatch.setenv("SALESTIER_WRITE_SETTLE_SECONDS", "120")
    monkeypatch.setenv("SALESTIER_HOME", str(tmp_path))
    with pytest.raises(dg.Failure, match="mycrm/2026-11-20/deals.csv: no source profile 'mycrm'"):
        _manifest(tmp_path)
