"""A step may skip only when its inputs and outputs are exactly as its last success left them.

Plain files in a temporary home: the stamps see a new or edited file, a rewrite with the same bytes (no
change), another as-of date or setting, a touched large file, a deleted output, and a step that started
but did not finish.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from salestier_pipeline import unchanged
from salestier_pipeline.settings import load_settings
from salestier_pipeline.unchanged import CHAIN, StepStamp, chain_unchanged, step_started, step_succeeded, tree_stamp

AS_OF = "2026-11-27"


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_tree_stamp_sees_content_names_and_large_file_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(unchanged, "CONTENT_STAMP_MAX_BYTES", 8)
    small = _write(tmp_path / "t" / "small.json", b"[1]")
    large = _write(tmp_path / "t" / "sub" / "large.parquet", b"x" * 64)
    first = tree_stamp(tmp_path / "t")
    assert tree_stamp(tmp_path / "t") == first

    _write(small, b"[1]")  # rewritten with the same bytes, as ingest does every night
    os.utime(small, ns=(1, 1))
    assert tree_stamp(tmp_path / "t") == first
    _write(small, b"[2]")
    assert tree_stamp(tmp_path / "t") != first
    _write(small, b"[1]")
    assert tree_stamp(tmp_path / "t") == first

    stat = large.stat()
    os.utime(large, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a large file written again
    assert tree_stamp(tmp_path / "t") != first
    second = tree_stamp(tmp_path / "t")
    _write(tmp_path / "t" / "new.csv", b"")
    assert tree_stamp(tmp_path / "t") != second
    assert tree_stamp(tmp_path / "missing") != tree_stamp(tmp_path / "t")


def test_step_stamp_round_trip_and_forget(tmp_path: Path) -> None:
    stamp = StepStamp(tmp_path, "dbt")
    assert stamp.unchanged("i", "o") is None
    stamp.record("i", "o", "run-1", [{"check": "x"}])
    assert stamp.unchanged("i", "o")["run_id"] == "run-1"
    assert stamp.unchanged("i", "o")["result"] == [{"check": "x"}]
    assert stamp.unchanged("i2", "o") is None and stamp.unchanged("i", "o2") is None
    stamp.forget()
    assert stamp.unchanged("i", "o") is None
    stamp.path.write_text("{not json", encoding="utf-8")  # a damaged stamp is no stamp
    assert stamp.unchanged("i", "o") is None


def _home(tmp_path: Path) -> dict[str, str]:
    env = {"SALESTIER_HOME": str(tmp_path)}
    settings = load_settings(env)
    _write(settings.raw / "opportunities" / "a.parquet", b"rows")
    _write(settings.warehouse, b"warehouse")
    _write(settings.serving_db, b"serving")
    _write(settings.exports / "customer_tier_list.csv", b"csv")
    _write(settings.reports / f"salestier-report-{AS_OF}.html", b"<html>")
    return env


def _succeed_all(env: dict[str, str], run_id: str = "run-1") -> None:
    settings = load_settings(env)
    for step in CHAIN:
        step_succeeded(settings, AS_OF, step, run_id)


def test_the_chain_is_unchanged_only_when_every_step_is(tmp_path: Path) -> None:
    env = _home(tmp_path)
    settings = load_settings(env)
    assert chain_unchanged(settings, AS_OF) is None  # never ran
    _succeed_all(env)
    assert chain_unchanged(settings, AS_OF) == "run-1"
    assert chain_unchanged(settings, "2026-11-28") is None  # another night
    assert chain_unchanged(load_settings({**env, "SALESTIER_REPORTING_CURRENCY": "CNY"}), AS_OF) is None

    (settings.exports / "customer_tier_list.csv").unlink()  # someone deleted a published file
    assert chain_unchanged(settings, AS_OF) is None
    _write(settings.exports / "customer_tier_list.csv", b"csv")
    assert chain_unchanged(settings, AS_OF) == "run-1"

    _write(settings.raw / "opportunities" / "b.parquet", b"new batch")
    assert chain_unchanged(settings, AS_OF) is None
    _succeed_all(env, "run-2")
    assert chain_unchanged(settings, AS_OF) == "run-2"

    step_started(settings, "html_report")  # a report that failed half-way
    assert chain_unchanged(settings, AS_OF) is None


def test_a_copied_home_is_the_same_home(tmp_path: Path) -> None:
    import shutil

    env = _home(tmp_path / "a")
    _succeed_all(env)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert chain_unchanged(load_settings({"SALESTIER_HOME": str(tmp_path / "b")}), AS_OF) == "run-1"


def test_ingest_bookkeeping_json_is_not_a_dbt_input(tmp_path: Path) -> None:
    """The landing manifest holds absolute paths (a copied home writes other bytes): dbt never reads it."""
    env = _home(tmp_path)
    _succeed_all(env)
    settings = load_settings(env)
    _write(settings.raw / "_ingest" / "manifest" / f"{AS_OF}.json", b'[{"path": "/elsewhere"}]')
    assert chain_unchanged(settings, AS_OF) == "run-1"
    _write(settings.raw / "_ingest" / "files" / "x.parquet", b"a new result")
    assert chain_unchanged(settings, AS_OF) is None
