"""The bench's anchors and next-day batch (tools/anchors.py, tools/next_day.py).

Pure parts on crafted inputs; the ingest anchor and the next-day batch on a tiny demo landing (no pipeline
run); ONE real check: the transform anchor on the shared dbt fixture gives every mart the row count of the
real `dbt build`, and a mart that differs is reported."""

from __future__ import annotations

import csv
import io
import math
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.demo.generate import generate_demo
from salestier_pipeline.ingest.decode import decode_file
from salestier_pipeline.profiles import load_profiles
from salestier_pipeline.schema import raw_columns
from salestier_pipeline.settings import load_settings
from tools.anchors import (
    AnchorError,
    build_args,
    compare_counts,
    compile_manifest,
    dbt_env,
    execution_order,
    ingest_anchor,
    transform_anchor,
)
from tools.next_day import (
    MARK,
    add_next_day_batch,
    delta_csv_text,
    delta_rows,
    pick_column,
    pick_rows,
    write_delta_csv,
    write_delta_xlsx,
)

DEMO_AS_OF = "2026-11-27"


def node(kind: str, *parents: str) -> dict:
    return {"resource_type": kind, "depends_on": {"nodes": list(parents)}}


def test_execution_order_puts_parents_first_and_drops_what_is_not_executed() -> None:
    manifest = {"nodes": {
        "test.p.not_null_b": node("test", "model.p.b"),
        "model.p.c": node("model", "model.p.b", "seed.p.s"),
        "model.p.b": node("model", "model.p.a", "source.p.raw.x"),  # a source is no node to run
        "model.p.a": node("model", "seed.p.s"),
        "seed.p.s": node("seed"),
        "test.p.c_vs_a": node("test", "model.p.c", "model.p.a"),
        "unit_test.p.b.case": node("unit_test", "model.p.b"),
    }}
    order = execution_order(manifest)
    assert order == ["seed.p.s", "model.p.a", "model.p.b", "model.p.c", "test.p.c_vs_a", "test.p.not_null_b"]
    assert execution_order(manifest) == order  # stable


def test_execution_order_refuses_a_cycle() -> None:
    manifest = {"nodes": {"model.p.a": node("model", "model.p.b"), "model.p.b": node("model", "model.p.a"),
                          "seed.p.s": node("seed")}}
    with pytest.raises(AnchorError, match="cycle among 2 node"):
        execution_order(manifest)


def test_compare_counts_names_each_differing_or_missing_mart() -> None:
    assert compare_counts({"a": 3, "b": 5}, {"a": 3, "b": 5}) == []
    assert compare_counts({"a": 3, "b": 4}, {"a": 3, "b": 5, "c": 1}) == [
        {"model": "b", "anchor_rows": 4, "real_rows": 5},
        {"model": "c", "anchor_rows": -1, "real_rows": 1},
    ]


def test_build_args_are_the_nightly_build_with_the_date_in_the_environment(tmp_path: Path) -> None:
    args = build_args("EUR")
    assert args[:3] == ["build", "--exclude-resource-type", "unit_test"]
    assert args[args.index("--vars") + 1] == '{"reporting_currency": "EUR"}'
    settings = load_settings({"SALESTIER_HOME": str(tmp_path)})
    env = dbt_env({"PATH": "/bin"}, settings, "2026-11-27", tmp_path / "w.duckdb")
    assert env["SALESTIER_AS_OF_DATE"] == "2026-11-27" and env["SALESTIER_WAREHOUSE"] == str(tmp_path / "w.duckdb")
    assert env["SALESTIER_RAW_DIR"] == str(settings.raw) and env["PATH"] == "/bin"


# --------------------------------------------------------------------------- next-day batch, pure


def test_pick_rows_is_exactly_ceil_one_percent_spread_evenly() -> None:
    assert pick_rows(250) == [0, 83, 166]
    assert len(pick_rows(100)) == 1 and len(pick_rows(101)) == 2 and pick_rows(1) == [0]
    assert pick_rows(0) == []


def test_delta_rows_change_one_field_only() -> None:
    rows = [[f"id{i}", f"note {i}", ""] for i in range(300)]
    delta = delta_rows(rows, 2)
    assert [d[0] for d in delta] == ["id0", "id100", "id200"]
    assert all(d[2] == MARK.strip() and d[:2] == rows[int(d[0][2:])][:2] for d in delta)


def test_delta_csv_keeps_header_and_dialect_and_changes_exactly_one_field() -> None:
    body = [[f"r{i}", f"Subject {i}", "11/27/2026 10:00:00", f"{i},00"] for i in range(250)]
    text = "\r\n".join(["Record Id,Subject,Created Time,Amount",
                        *(",".join(f'"{c}"' if "," in c else c for c in r) for r in body)]) + "\r\n"
    delta = delta_csv_text(text, "Subject")
    assert delta.startswith("Record Id,Subject,Created Time,Amount\r\n") and "\r\n" in delta
    rows = list(csv.reader(io.StringIO(delta, newline="")))[1:]
    assert len(rows) == math.ceil(250 * 0.01) == 3
    for row in rows:
        original = body[int(row[0][1:])]
        assert row[1] != original[1] and row[1] == original[1] + MARK
        assert row[0] == original[0] and row[2:] == original[2:]  # everything else identical


def test_pick_column_prefers_free_text_outside_the_record_key() -> None:
    profiles = load_profiles()
    zoho = {m.key: m for m in profiles["zoho"].modules}
    fxiaoke = {m.key: m for m in profiles["fxiaoke"].modules}
    deals = ["Record Id", "Deal Owner", "Deal Name", "Account Name", "Amount", "Stage", "Lead Source",
             "Reason For Loss", "Closing Date"]
    assert pick_column(deals, zoho["opportunities"]) == "Lead Source"
    # fxiaoke activities: the subject is part of the natural key, so an optional text column changes instead
    activities = ["互动方式", "跟进内容", "关联对象", "关联商机", "创建人", "创建时间"]
    assert pick_column(activities, fxiaoke["activities"]) == "关联商机"


# --------------------------------------------------------------------------- on a tiny demo landing


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("bench-demo") / "landing"
    return landing, generate_demo(landing, scale=0.04)


def test_ingest_anchor_writes_every_record_of_every_file_in_raw_columns(demo: tuple[Path, dict],
                                                                        tmp_path: Path) -> None:
    landing, summary = demo
    profiles = load_profiles()
    canonical = {(name, m.key): m.canonical for name, p in profiles.items() for m in p.modules}
    expected: dict[str, int] = {}
    for source, modules in summary["rows"].items():
        for key, value in modules.items():
            module = canonical[(source, key)] if source != "reference" else key
            expected[module] = expected.get(module, 0) + (sum(value.values()) if isinstance(value, dict) else value)
    run = ingest_anchor(landing, DEMO_AS_OF, tmp_path / "out")
    assert run.by_module == expected and run.rows == sum(expected.values())
    assert run.files == sum(1 for p in landing.rglob("*") if p.is_file())
    assert run.decoded_in_python == 4 and run.xlsx == 2  # the GBK 商机 files; the 客户 workbooks
    with duckdb.connect() as con:
        for module in expected:
            files = sorted(str(p) for p in (tmp_path / "out" / module).glob("*.parquet"))
            described = con.sql("describe select * from read_parquet(?, union_by_name = true)",
                                params=[files]).fetchall()
            assert {name: kind for name, kind, *_ in described} == raw_columns(module)
        typed = con.sql("select count(*), count(amount), count(close_date), count(distinct source_record_id) "
                        "from read_parquet(?)", params=[str(tmp_path / "out" / "opportunities" / "*.parquet")]
                        ).fetchall()[0]
    assert typed[0] == expected["opportunities"] and typed[1] >= 0.9 * typed[0] and typed[2] == typed[0]


def test_next_day_batch_holds_one_percent_with_one_field_changed(demo: tuple[Path, dict], tmp_path: Path) -> None:
    landing = shutil.copytree(demo[0], tmp_path / "landing")
    day, files = add_next_day_batch(landing)
    assert day == "2026-11-28"
    latest = {p.name.replace("20261127", "20261128") for src in ("zoho", "fxiaoke")
              for p in (landing / src / DEMO_AS_OF).iterdir()}
    assert {Path(f.path).name for f in files} == latest
    for f in files:
        new = decode_file(Path(f.path), f.path)
        old = decode_file(Path(f.path.replace("2026-11-28", DEMO_AS_OF).replace("20261128", "20261127")), "old")
        assert new.headers == old.headers and new.encoding == old.encoding  # GBK stays GBK, a BOM stays
        assert len(new.rows) == f.rows == math.ceil(len(old.rows) * 0.01) and f.of_rows == len(old.rows)
        changed = new.rows[f.changed_column].tolist()
        assert all(v.endswith(MARK.strip()) for v in changed)


def test_next_day_workbook_keeps_its_header_and_cells(demo: tuple[Path, dict], tmp_path: Path) -> None:
    source = next((demo[0] / "fxiaoke" / "2026-11-06").glob("*.xlsx"))
    spec = next(m for m in load_profiles()["fxiaoke"].modules if m.key == "accounts")
    written = write_delta_xlsx(source, tmp_path / "delta.xlsx", spec)
    old, new = decode_file(source, "old"), decode_file(tmp_path / "delta.xlsx", "new")
    assert new.headers == old.headers and len(new.rows) == written.rows == math.ceil(len(old.rows) / 100)
    first = new.rows.iloc[0]
    assert first[written.changed_column] == old.rows.iloc[0][written.changed_column] + MARK
    others = [h for h in old.headers if h != written.changed_column]
    assert first[others].tolist() == old.rows.iloc[0][others].tolist()


def test_next_day_csv_keeps_a_gbk_encoding(tmp_path: Path) -> None:
    spec = next(m for m in load_profiles()["fxiaoke"].modules if m.key == "feedback")
    rows = "".join(f"客户{i},2026-11-2{i % 8} 10:00,{i % 11},服务满意,苏超\r\n" for i in range(120))
    (tmp_path / "回访记录.csv").write_bytes(("客户名称,回访时间,评分,回访内容,负责人\r\n" + rows).encode("gbk"))
    written = write_delta_csv(tmp_path / "回访记录.csv", tmp_path / "next.csv", spec)
    text = (tmp_path / "next.csv").read_bytes().decode("gb18030")
    assert written.changed_column == "回访内容" and written.rows == 2 and written.of_rows == 120
    assert text.splitlines()[1:] == ["客户0,2026-11-20 10:00,0,服务满意 (next day),苏超",
                                     "客户60,2026-11-24 10:00,5,服务满意 (next day),苏超"]


# --------------------------------------------------------------------------- the real check


def test_transform_anchor_matches_the_real_build_row_for_row(tmp_path: Path, dbt_manifest: Path) -> None:
    from tests.fixtures.raw_fixture import AS_OF_2, run_dbt, write_raw_fixture

    home = tmp_path / "home"
    settings = load_settings({"SALESTIER_HOME": str(home)})
    write_raw_fixture(settings.raw)
    settings.warehouse_dir.mkdir(parents=True)
    run_dbt(build_args(settings.reporting_currency), raw_dir=settings.raw, warehouse=settings.warehouse,
            work=tmp_path, as_of=AS_OF_2)
    manifest = compile_manifest(settings, AS_OF_2, tmp_path / "compile", os.environ)
    kinds = [n["resource_type"] for n in manifest["nodes"].values()]
    run = transform_anchor(manifest, tmp_path / "anchor", settings.warehouse)
    assert (run.seeds, run.models, run.tests) == (kinds.count("seed"), kinds.count("model"), kinds.count("test"))
    assert run.models >= 50 and run.tests >= 100 and run.wall_s > 0
    assert run.mismatches == [], run.mismatches
    # the real build passed every test; without hooks only tests on a model with post-hooks may fail
    # (is_*_changed is filled by refresh_previous_values)
    hooked = {uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model" and n["config"]["post-hook"]}
    assert all(set(manifest["nodes"][t["unique_id"]]["depends_on"]["nodes"]) & hooked for t in run.failing_tests)
    assert len(run.mart_rows) >= 15 and all(n >= 0 for n in run.mart_rows.values())
    assert run.mart_rows["customer_tier_list"] > 0 and run.mart_rows["kpi_snapshot"] > 0
    assert (tmp_path / "anchor" / "warehouse.duckdb").exists()

    # the check can fail: a real warehouse missing one row of a mart is named
    (tmp_path / "changed").mkdir()
    changed = Path(shutil.copy(settings.warehouse, tmp_path / "changed" / "warehouse.duckdb"))
    with duckdb.connect(str(changed)) as con:
        con.execute("delete from marts.customer_tier_list where rowid = (select min(rowid) "
                    "from marts.customer_tier_list)")
    again = transform_anchor(manifest, tmp_path / "anchor", changed)
    rows = run.mart_rows["customer_tier_list"]
    assert again.mismatches == [{"model": "customer_tier_list", "anchor_rows": rows, "real_rows": rows - 1}]
