"""Every raw-layer check can fail (issue 13).

GX part: one case per expectation of every raw suite, read from expectations/raw/*.json, so a new
expectation without a failing case here fails this file. Each case writes real raw Parquet (the
files ingest writes), builds the frame with raw_check_frame and validates it with the real
gx_adapter: the clean batches pass every expectation of their suite, and a crafted break of them
fails exactly the expectation it targets, with the number of rows it broke.

dbt part: the raw checks that need the seeds or the maps in force (stage_in_map, status_in_map,
score_within_scale) are dbt source tests; they fail on crafted raw rows, name the value, file and
line of each, and accept a stage / status that only a user profile maps (raw/_profiles/maps.parquet).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from salestier_pipeline.ingest.run import ensure_schema_files, write_profile_maps
from salestier_pipeline.ingest.writer import write_parquet
from salestier_pipeline.profiles import load_profiles
from salestier_pipeline.quality.gx_adapter import EXPECTATIONS_DIR, load_suite_json, validate_frame
from salestier_pipeline.quality.raw_checks import DATED, raw_check_frame
from salestier_pipeline.schema import raw_columns
from tests.fixtures.raw_fixture import AS_OF_1, DBT, DBT_PROJECT, write_raw_fixture

ROOT = Path(__file__).resolve().parent.parent
EXPORTS = ("2026-06-23", "2026-06-30")
AS_OF = EXPORTS[-1]
SUITES = sorted(p.stem for p in (EXPECTATIONS_DIR / "raw").glob("*.json"))
CASES = [(module, item["meta"]["check"])
         for module in SUITES for item in load_suite_json("raw", module)["expectations"]]


def _row(module: str, export_date: str, record: str, line: int) -> dict:
    source = "reference" if module in ("reps", "targets") else "zoho"
    row = {"source_system": source, "export_date": export_date, "source_record_id": record,
           "source_file": f"{source}/{export_date}/{module}.csv", "source_line": line}
    if module in DATED:  # dated on its export day: not after the export
        row[DATED[module]] = export_date if raw_columns(module)[DATED[module]] == "DATE" else f"{export_date} 09:00:00"
    if module == "opportunities":
        row["probability"] = 50.0
    return row


def clean_rows(module: str) -> list[dict]:
    """Four records in the first export; one new and one updated in the second (growth 5 / 4)."""
    first = [_row(module, EXPORTS[0], f"r{i}", i + 2) for i in range(4)]
    return first + [_row(module, EXPORTS[1], "r4", 2), _row(module, EXPORTS[1], "r0", 3)]


def _duplicate_id(module: str, rows: list[dict]) -> int:
    rows.append({**rows[-1], "source_line": 4})  # r0 twice in the second export
    return 2


def _date_after_export(module: str, rows: list[dict]) -> int:
    column = DATED[module]
    rows[-1][column] = "2026-07-05" if raw_columns(module)[column] == "DATE" else "2026-07-05 09:00:00"
    return 1


def _record_count_jump(module: str, rows: list[dict]) -> int:
    rows += [_row(module, EXPORTS[1], f"n{i}", 10 + i) for i in range(10)]  # 15 records up to the latest vs 4
    return len(rows)  # every row of the source carries the source's growth


def _probability_over_100(module: str, rows: list[dict]) -> int:
    rows[0]["probability"] = 150.0
    return 1


# check name -> a break of the clean rows that fails it (returns how many rows it breaks)
BREAKS: dict[str, Callable[[str, list[dict]], int]] = {
    "ids_unique_per_export": _duplicate_id,
    "dates_not_after_export": _date_after_export,
    "record_count_band": _record_count_jump,
    "probability_0_100": _probability_over_100,
}


def write_raw(raw: Path, module: str, rows: list[dict]) -> None:
    """The rows as ingest writes them: one typed Parquet file per export under raw/<module>/source=/export_date=."""
    ensure_schema_files(raw)
    frame = pd.DataFrame(rows)
    for (source, day), batch in frame.groupby(["source_system", "export_date"]):
        write_parquet(batch, raw_columns(module),
                      raw / module / f"source={source}" / f"export_date={day}" / "crafted.parquet")


def outcomes(tmp_path: Path, module: str, rows: list[dict]) -> dict:
    write_raw(tmp_path / "raw", module, rows)
    frame = raw_check_frame(tmp_path / "raw", module, AS_OF)
    return {o.check: o for o in validate_frame(frame, "raw", module)}


@pytest.mark.parametrize("module", SUITES)
def test_the_clean_batches_pass_every_raw_expectation(tmp_path: Path, module: str) -> None:
    """The baseline of the breaks below: without it a check failing on any input would look like a proof."""
    clean = outcomes(tmp_path, module, clean_rows(module))
    assert sorted(clean) == sorted(check for m, check in CASES if m == module)
    assert all(o.passed for o in clean.values()), [(o.check, o.observed, o.sample) for o in clean.values()]


@pytest.mark.parametrize(("module", "check"), CASES, ids=[f"{m}-{c}" for m, c in CASES])
def test_every_raw_expectation_fails_on_a_crafted_input(tmp_path: Path, module: str, check: str) -> None:
    assert check in BREAKS, f"raw suite {module} has expectation {check!r} without a failing case in this file"
    rows = clean_rows(module)
    broken_rows = BREAKS[check](module, rows)
    broken = outcomes(tmp_path / "broken", module, rows)
    assert not broken[check].passed
    assert broken[check].unexpected_count == broken_rows
    assert broken[check].locations, "a failing row check names the file and lines"
    assert all(o.passed for c, o in broken.items() if c != check), "the break fails only the check it targets"


def test_every_failing_case_belongs_to_a_raw_expectation() -> None:
    """No case outlives its expectation; the checks that need seeds or maps are gone from GX."""
    assert set(BREAKS) == {check for _, check in CASES}
    assert not {"stage_in_map", "status_in_map", "score_within_scale"} & {check for _, check in CASES}


# --- the raw checks that need dbt seeds or maps: dbt source tests ------------------------------------------------

# a stage and a status that only this user profile maps (no seed row): the dbt tests must see profile maps
PROFILE_STAGE = "  Handshake: {stage: solution, probability: 50}\n"
PROFILE_STATUSES = "statuses:\n  Parked: {}\n"


def _opportunity(source: str, export_date: str, record: str, line: int, stage: str, status: str | None) -> dict:
    return {"source_system": source, "export_date": export_date, "source_record_id": record, "source_line": line,
            "source_file": f"{source}/{export_date}/deals.csv", "stage_raw": stage, "status_raw": status,
            "amount": 10.0, "created_at": f"{export_date} 09:00:00"}


def _feedback(export_date: str, record: str, line: int, score: float, scale: str) -> dict:
    return {"source_system": "zoho", "export_date": export_date, "source_record_id": record, "source_line": line,
            "source_file": f"zoho/{export_date}/cases.csv", "score": score, "scale": scale,
            "received_at": f"{export_date} 09:00:00"}


@pytest.fixture(scope="module")
def dbt_raw_checks() -> dict[str, tuple[str, int, list[str]]]:
    """The hand-checkable fixture plus crafted raw rows, built with the real dbt project:
    {test name: (status, failures, sorted failure texts)} of the raw source tests."""
    work = Path(tempfile.mkdtemp(prefix="salestier-raw-tests-"))
    raw = work / "raw"
    write_raw_fixture(raw)
    profiles_dir = work / "profiles"
    profiles_dir.mkdir()
    example = (ROOT / "docs" / "examples" / "maven.yml").read_text(encoding="utf-8")
    assert "\nstages:\n" in example and "statuses:" not in example
    profile = example.replace("\nstages:\n", "\nstages:\n" + PROFILE_STAGE, 1) + PROFILE_STATUSES
    (profiles_dir / "maven.yml").write_text(profile, encoding="utf-8")
    write_profile_maps(load_profiles(profiles_dir), raw)  # what every run's landing manifest writes
    day, later = AS_OF_1, "2024-07-31"
    deals = [
        _opportunity("zoho", day, "x1", 2, "Waiting For Godot", None),  # in no map
        _opportunity("zoho", day, "x2", 3, " closed won ", None),  # the seed's row, matched trimmed / lower-cased
        _opportunity("maven", day, "m1", 2, "Handshake", "Parked"),  # only the maven profile maps these
        _opportunity("maven", day, "m2", 3, "Engaging", None),  # the seed's '*' row
        _opportunity("fxiaoke", day, "y1", 2, "商务谈判", "搁置"),  # a status in no map
        _opportunity("zoho", later, "x3", 2, "After The As-Of Date", None),  # a later batch is not checked yet
    ]
    feedback = [
        _feedback(day, "c1", 2, 6.0, "csat_1_5"),  # above its scale
        _feedback(day, "c2", 3, 3.0, "stars_1_10"),  # a scale the seed does not know
        _feedback(day, "c3", 4, 10.0, " NPS_0_10 "),  # on its scale, as staging reads the key
        _feedback(day, "c4", 5, 1.0, "csat_1_5"),
        _feedback(later, "c5", 2, 99.0, "csat_1_5"),
    ]
    for module, rows in (("opportunities", deals), ("feedback", feedback)):
        frame = pd.DataFrame(rows)
        for (source, export), batch in frame.groupby(["source_system", "export_date"]):
            write_parquet(batch, raw_columns(module),
                          raw / module / f"source={source}" / f"export_date={export}" / "crafted.parquet")
    warehouse = work / "w.duckdb"
    env = {**os.environ, "SALESTIER_RAW_DIR": str(raw), "SALESTIER_WAREHOUSE": str(warehouse),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    select = "+int_stage_map +int_status_map feedback_scales source:raw.opportunities source:raw.feedback"
    done = subprocess.run(
        [str(DBT), "build", "--vars", json.dumps({"as_of_date": day}), "--select", select,
         "--exclude-resource-type", "unit_test", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        env=env, capture_output=True, text=True, cwd=work)
    assert done.returncode == 1, done.stdout[-4000:]  # the failing error tests fail the build
    results = json.loads((work / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    checks = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for r in results:
            name = r["unique_id"].split(".")[2]
            if name in ("stage_in_map", "status_in_map", "score_within_scale"):
                texts = sorted(x[0] for x in con.table(r["relation_name"]).select("failure").fetchall())
                checks[name] = (r["status"], r["failures"], texts)
    finally:
        con.close()
    return checks


def test_an_unmapped_stage_fails_the_dbt_source_test(dbt_raw_checks) -> None:
    assert dbt_raw_checks["stage_in_map"] == (
        "fail", 1, [f"'Waiting For Godot' at zoho/{AS_OF_1}/deals.csv line 2"])


def test_an_unmapped_status_fails_and_a_profile_status_passes(dbt_raw_checks) -> None:
    assert dbt_raw_checks["status_in_map"] == ("fail", 1, [f"'搁置' at fxiaoke/{AS_OF_1}/deals.csv line 2"])


def test_a_score_off_its_scale_fails_the_dbt_source_test(dbt_raw_checks) -> None:
    day = AS_OF_1
    assert dbt_raw_checks["score_within_scale"] == ("fail", 2, [
        f"score 3.0 on scale 'stars_1_10' (not in seed feedback_scales) at zoho/{day}/cases.csv line 3",
        f"score 6.0 on scale 'csat_1_5' (outside 1.0-5.0) at zoho/{day}/cases.csv line 2",
    ])


def test_raw_checks_need_no_dbt_seed_in_python() -> None:
    """No Python module reads a dbt seed: the maps and scales are dbt's alone."""
    package = ROOT / "salestier_pipeline"
    readers = [str(p.relative_to(ROOT)) for p in package.rglob("*.py")
               if "seeds" in p.read_text(encoding="utf-8") and ".csv" in p.read_text(encoding="utf-8")]
    assert readers == []
