"""The benchmark's pure parts: /proc tree sampling, step attribution, ratios, medians, the table and the
target lines. No pipeline run here (tests/test_bench_anchors.py has the anchors)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tools import bench
from tools.bench import (
    MB,
    Sample,
    StepEvent,
    StepWindow,
    attribute,
    build_parser,
    build_windows,
    descendants,
    layer_of,
    merged_length,
    parse_ppid,
    parse_scales,
    peak_in,
    run_measured,
)
from tools.bench_report import (
    RoundResult,
    ScaleResult,
    Target,
    format_table,
    ratio,
    round_metrics,
    summarize,
    target_lines,
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


def run_figures(wall: float, rss: float, returncode: int = 0, **layers: float) -> dict:
    return {"wall_s": wall, "peak_rss_mb": rss, "returncode": returncode,
            "layers": {name: {"wall_s": s} for name, s in layers.items()}}


def a_round(number: int = 1, scale_time: float = 1.0, full_rc: int = 0) -> RoundResult:
    """Anchors 2 s + 5 s, dbt by hand 20 s; full run 28 s (ingest 4, dbt 10, publish 3, other 11),
    rerun 7 s, next-day 14 s; every time times `scale_time` (a slower round)."""
    t = scale_time
    return RoundResult(
        number, ingest_anchor={"wall_s": 2 * t}, transform_anchor={"wall_s": 5 * t},
        dbt_by_hand={"wall_s": 20 * t, "peak_rss_mb": 400.0, "returncode": 0},
        full=run_figures(28 * t, 900.0, full_rc, ingest=4 * t, dbt=10 * t, publish=3 * t, other=11 * t),
        rerun=run_figures(7 * t, 700.0), next_day=run_figures(14 * t, 950.0))


def test_round_metrics_take_each_ratio_within_the_round() -> None:
    m = round_metrics(a_round())
    assert (m["ingest_ratio"], m["dbt_ratio"], m["dbt_by_hand_ratio"]) == (2.0, 2.0, 4.0)
    assert m["whole_ratio"] == pytest.approx(4.0)  # 28 / (2 + 5)
    assert (m["rerun_ratio"], m["next_day_ratio"]) == (0.25, 0.5)
    assert (m["publish_s"], m["other_s"], m["peak_rss_mb"]) == (3.0, 11.0, 950.0)


def test_a_failed_run_has_no_time_and_no_ratio() -> None:
    m = round_metrics(a_round(full_rc=1))
    assert m["full_s"] is None and m["ingest_s"] is None
    assert m["whole_ratio"] is None and m["ingest_ratio"] is None and m["rerun_ratio"] is None
    assert m["dbt_by_hand_ratio"] == 4.0  # the anchors still stand
    assert ratio(1.0, 0.0) is None and ratio(None, 2.0) is None


def test_summarize_reports_median_min_max_over_rounds() -> None:
    rounds = [round_metrics(a_round(1, 1.0)), round_metrics(a_round(2, 3.0)), round_metrics(a_round(3, 1.5))]
    rounds[2]["rerun_s"] = None  # a round without the figure does not count
    summary = summarize(rounds)
    assert summary["full_s"] == {"median": 42.0, "min": 28.0, "max": 84.0, "n": 3}
    assert summary["whole_ratio"]["median"] == pytest.approx(4.0)  # the ratio is the same in every round
    assert summary["rerun_s"] == {"median": 14.0, "min": 7.0, "max": 21.0, "n": 2}


def scale_result(scale: float, *rounds: RoundResult) -> ScaleResult:
    result = ScaleResult(scale=scale, as_of="2026-11-27", next_day_as_of="2026-11-28", landing_mb=4.7,
                         landing_files=45, next_day_batch={"files": 9, "rows": 60}, rounds=list(rounds))
    result.summary = summarize([round_metrics(r) for r in rounds])
    return result


def test_table_shows_each_layer_with_its_ratio_to_its_anchor() -> None:
    text = format_table(scale_result(1.0, a_round(1, 1.0), a_round(2, 2.0)))
    lines = text.splitlines()
    assert lines[0].startswith("scale 1x; landing 4.7 MB in 45 files; as-of 2026-11-27; next day 2026-11-28: "
                               "60 changed records in 9 files; 2 round(s)")
    row = {re.split(r"\s{2,}", line.strip())[0]: line for line in lines[3:]}
    assert row["full run"].split()[2:5] == ["42.00", "28.00-56.00", "4.00"]
    assert "whole run : (ingest + transform anchors)" in row["full run"] and row["full run"].endswith("900")
    assert row["ingest"].split()[1:4] == ["6.00", "4.00-8.00", "2.00"] and "ingest : ingest anchor" in row["ingest"]
    assert "dbt step : transform anchor" in row["dbt"] and row["dbt"].split()[3] == "2.00"
    assert row["rerun"].split()[3] == "0.25" and row["next-day"].split()[3] == "0.50"
    assert row["dbt by hand"].split()[5] == "4.00"
    assert len({len(line) for line in lines[1:3]}) == 1  # header and rule line up


def test_a_scale_that_failed_says_why() -> None:
    text = format_table(ScaleResult(scale=0.5, status="failed", error="demo exited 1:\nboom"))
    assert "scale 0.5x" in text and "FAILED: boom" in text


def test_target_lines_pass_fail_and_not_measured() -> None:
    good, slow = scale_result(1.0, a_round()), scale_result(10.0, a_round())
    slow.summary["whole_ratio"]["median"] = 2.5
    lines = target_lines([good, slow])
    assert "PASS  1x     whole run : (ingest + transform anchors) <= 4: 4.00" in lines
    assert "FAIL  10x    whole run : (ingest + transform anchors) <= 2: 2.50" in lines
    assert "n/a   100x   whole run : (ingest + transform anchors) <= 2  (not measured)" in lines
    memory = Target("peak RSS MB", "peak_rss_mb", {1.0: 940.0}, worst=True)
    two = scale_result(1.0, a_round(1), a_round(2))
    two.summary["peak_rss_mb"].update(median=900.0, max=950.0)
    assert target_lines([two], [memory]) == ["FAIL  1x     peak RSS MB <= 940: 950.00"]  # the worst round decides
    assert target_lines([ScaleResult(scale=1.0)], [memory]) == [
        "n/a   1x     peak RSS MB <= 940  (no figure: a measurement failed)"]


def test_rounds_default_to_three() -> None:
    assert build_parser().parse_args([]).rounds == 3
    assert build_parser().parse_args(["--rounds", "1", "--scales", "0.2,1"]).scales == [0.2, 1.0]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--rounds", "0"])


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
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)  # this venv first
