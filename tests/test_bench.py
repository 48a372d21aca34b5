"""The benchmark's pure parts: /proc tree sampling, step attribution, the table. No pipeline run here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tools import bench
from tools.bench import (
    MB,
    Sample,
    ScaleResult,
    StepEvent,
    StepWindow,
    attribute,
    build_windows,
    descendants,
    format_table,
    layer_of,
    merged_length,
    parse_ppid,
    parse_scales,
    peak_in,
    run_measured,
)

pytestmark = pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")

# The parent only waits; the grandchild holds 120 MB of touched pages (b"x" * n writes every page,
# unlike a calloc'd bytearray), so a peak >= 100 MB proves grandchildren are counted.
ALLOCATING_TREE = (
    "import subprocess, sys\n"
    "subprocess.run([sys.executable, '-c', \"import time; b = b'x' * (120 * 1024 * 1024); time.sleep(1.0)\"],"
    " check=True)\n"
)


def test_tree_sampling_sees_a_grandchild_allocating_120_mb(tmp_path: Path) -> None:
    measured = run_measured([sys.executable, "-c", ALLOCATING_TREE], dict(os.environ), tmp_path / "alloc",
                            interval=0.05, cwd=tmp_path)
    assert measured.returncode == 0, measured.stderr_tail
    assert measured.peak_rss >= 100 * MB
    assert max(s.processes for s in measured.samples) >= 2
    assert measured.peak.top_name.startswith("python") and measured.peak.top_rss >= 100 * MB
    assert measured.max_single_rss >= 100 * MB  # the kernel's figure agrees
    assert measured.wall >= 1.0


def test_parse_ppid_survives_odd_command_names() -> None:
    assert parse_ppid("1234 (my (odd) name) S 77 1234 1234 0 -1") == 77


def test_descendants_follow_the_tree_only() -> None:
    parents = {1: 0, 10: 1, 11: 10, 12: 11, 13: 10, 20: 1, 21: 20}
    assert descendants(10, parents) == {10, 11, 12, 13}
    assert descendants(99, parents) == {99}


def test_merged_length_counts_overlaps_once() -> None:
    assert merged_length([(0, 2), (1, 3), (5, 6)]) == pytest.approx(4.0)
    assert merged_length([]) == 0.0


def test_peak_in_uses_the_last_sample_for_a_window_between_samples() -> None:
    samples = [Sample(0.0, 100, 1), Sample(1.0, 300, 1), Sample(2.0, 200, 1)]
    assert peak_in(samples, [(0.5, 1.5)]) == 300
    assert peak_in(samples, [(1.2, 1.4)]) == 300  # no sample inside: memory at the step's start
    assert peak_in(samples, [(-2.0, -1.0)]) is None


def test_layer_of_prefers_asset_keys_then_step_keys() -> None:
    assert layer_of("raw__landing_manifest") == "ingest"
    assert layer_of("ingest_accounts", [("raw", "accounts")]) == "ingest"
    assert layer_of("ingest_summary", [("raw", "ingest_files"), ("raw", "ingest_quarantine")]) == "ingest"
    assert layer_of("salestier_dbt_models", [("stg_accounts",), ("customer_tier_list",)]) == "dbt"
    assert layer_of("serving__salestier_duckdb") == "publish"
    assert layer_of("anything", [("exports", "tier_lists")]) == "publish"
    assert layer_of("mystery_step") == "other"


def synthetic_run() -> tuple[list[StepWindow], list[Sample]]:
    """Run 0..10 s: ingest 1-3 s, dbt 3-8 s (a 900 MB spike from its child), publish 8-9 s."""
    events = [
        StepEvent("raw__landing_manifest", "STEP_START", 1.0),
        StepEvent("raw__landing_manifest", "ASSET_MATERIALIZATION", 1.4, ("raw", "landing_manifest")),
        StepEvent("raw__landing_manifest", "STEP_SUCCESS", 1.5),
        StepEvent("ingest_accounts", "STEP_START", 1.5),
        StepEvent("ingest_accounts", "STEP_SUCCESS", 3.0),
        StepEvent("salestier_dbt_models", "STEP_START", 3.0),
        StepEvent("salestier_dbt_models", "STEP_SUCCESS", 8.0),
        StepEvent("serving__salestier_duckdb", "STEP_START", 8.0),
        StepEvent("serving__salestier_duckdb", "STEP_SUCCESS", 8.7),
        StepEvent("exports__tier_lists", "STEP_START", 8.7),
        StepEvent("exports__tier_lists", "STEP_SUCCESS", 9.0),
    ]
    rss = {0.5: 150, 1.2: 250, 2.0: 400, 2.9: 420, 4.0: 600, 5.0: 900, 7.0: 500, 8.5: 450, 9.5: 300}
    samples = [Sample(t, int(mb * MB), 2, "dbt" if 3 <= t <= 8 else "python", int(mb * MB) - 100 * MB)
               for t, mb in rss.items()]
    return build_windows(reversed(events), run_end=10.0), samples


def test_build_windows_pairs_starts_and_ends_in_time_order() -> None:
    windows, _ = synthetic_run()
    assert [w.step_key for w in windows][:2] == ["raw__landing_manifest", "ingest_accounts"]
    assert windows[0].asset_keys == [("raw", "landing_manifest")]
    assert all(w.status == "success" for w in windows)


def test_unfinished_step_is_open_until_the_run_ended() -> None:
    windows = build_windows([StepEvent("salestier_dbt_models", "STEP_START", 3.0)], run_end=7.5)
    assert windows[0].status == "running" and windows[0].wall == pytest.approx(4.5)


def test_attribution_splits_time_and_peaks_by_layer() -> None:
    windows, samples = synthetic_run()
    stats = attribute(windows, samples, run_start=0.0, run_end=10.0)
    assert list(stats) == ["ingest", "dbt", "publish", "other"]
    assert stats["ingest"].wall_s == pytest.approx(2.0) and stats["ingest"].peak_rss_mb == 420
    assert stats["dbt"].wall_s == pytest.approx(5.0) and stats["dbt"].peak_rss_mb == 900
    assert (stats["dbt"].top_process, stats["dbt"].top_process_rss_mb) == ("dbt", 800)
    assert stats["publish"].wall_s == pytest.approx(1.0) and stats["publish"].peak_rss_mb == 450
    assert stats["publish"].steps == 2
    assert stats["other"].wall_s == pytest.approx(2.0) and stats["other"].peak_rss_mb == 300
    assert sum(s.wall_s for s in stats.values()) == pytest.approx(10.0)


def result_for_table(status: str = "ok") -> ScaleResult:
    windows, samples = synthetic_run()
    layers = {k: vars(v) for k, v in attribute(windows, samples, 0.0, 10.0).items()}
    return ScaleResult(scale=10, status=status, demo={"wall_s": 4.2, "peak_rss_mb": 210.0},
                       run={"wall_s": 10.0, "peak_rss_mb": 900.0}, layers=layers, landing_mb=12.5,
                       ingest_rows_read=50_000, published_rows=8_000)


def test_table_has_a_line_per_phase_with_rates() -> None:
    text = format_table([result_for_table(), ScaleResult(scale=0.5, status="failed")])
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["scale", "phase"]
    ingest = next(line for line in lines if " ingest " in line)
    assert "50,000" in ingest and "25,000" in ingest  # rows, rows/s over 2 s
    assert "6.25" in ingest  # MB/s: 12.5 MB over 2 s
    publish = next(line for line in lines if " publish " in line)
    assert "8,000" in publish and "8,000" in publish.split("8,000", 1)[1]  # 8,000 rows in 1 s
    assert "dbt 800.0" in next(line for line in lines if " dbt " in line)
    total = next(line for line in lines if "run total" in line)
    assert "900.0" in total and "5,000" in total
    assert "0.5x FAILED  not run" in text
    assert len({len(line) for line in lines if line}) == 1  # columns line up


def test_failed_scale_is_marked() -> None:
    text = format_table([result_for_table(status="failed")])
    assert "10x FAILED" in text


def test_parse_scales() -> None:
    assert parse_scales("1,10,100") == [1.0, 10.0, 100.0]
    assert parse_scales("0.5") == [0.5]
    with pytest.raises(Exception, match="positive"):
        parse_scales("1,0")


def test_child_env_points_everything_at_the_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SALESTIER_LANDING", "/somewhere/else")
    monkeypatch.setenv("SALESTIER_AS_OF", "2020-01-01")
    env = bench.child_env(tmp_path)
    assert env["SALESTIER_HOME"] == str(tmp_path) and env["DAGSTER_HOME"] == str(tmp_path / "dagster")
    assert "SALESTIER_LANDING" not in env and "SALESTIER_AS_OF" not in env
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)  # where `dbt` is
