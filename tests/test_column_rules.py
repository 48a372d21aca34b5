"""column_rules: every blocking rule of a model in one dbt test (issue 14, "a lower floor").

A scratch copy of dbt_project gets a probe model whose rows break each rule kind (once or twice, by hand
below) and rows that pass everything, NULLs included; column_rules tests on it, one per rule kind plus
all kinds together, a passing one, a warning and an as-of-filtered one, store their failures. One real
`dbt build` of the probe (the as-of date from SALESTIER_AS_OF_DATE, as the orchestrator passes it) must
fail exactly those tests, with exactly the violations listed. The shipped project is checked too: its
models carry one column_rules test per filter group, filtered on the run's date, described in words.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `pytest` (not `python -m pytest`) does not put the repo root first
    sys.path.insert(0, str(REPO))

from tests.fixtures.raw_fixture import DBT, copy_project  # noqa: E402

AS_OF = "2024-06-30"
D, P = f"date '{AS_OF}'", "date '2024-06-29'"  # P: an earlier as-of date, outside the as-of filter

# id, code, status, amount, parent_id, grp, seq, closed, as_of_date  -- what each row breaks
ROWS = [
    f"(1, 'c1', 'open', 10, 'p1', 'g', 1, false, {D})",      # passes everything
    f"(2, null, 'open', 10, 'p1', 'g', 2, false, {D})",      # not_null(code)
    f"(3, 'c3', 'weird', 10, 'p1', 'g', 3, false, {D})",     # accepted_values(status)
    f"(4, 'c4', 'open', 500, 'p1', 'g', 4, false, {D})",     # accepted_range(amount)
    f"(5, 'c5', 'open', 10, 'p9', 'g', 5, false, {D})",      # relationships(parent_id)
    f"(6, 'c6', 'open', 10, 'p1', 'g', 1, false, {D})",      # unique_combination(grp, seq) with row 1
    f"(7, 'c1', 'open', 10, 'p1', 'g', 7, false, {D})",      # unique(code) with row 1
    f"(8, 'c8', 'closed', 10, 'p1', 'g', 8, true, {D})",     # expression: closed without closed_on
    f"(9, 'c9', null, null, null, 'g', 9, false, {D})",      # NULLs pass values, range, relationships
    f"(10, null, 'open', 100, 'p9', 'g', 10, false, {P})",   # earlier date: not_null, relationships;
                                                             # 100 = the exclusive range's bound
    f"(11, 'c11', 'open', 10, 'p8', 'g', 11, false, {D})",   # relationships, unless `where: seq <> 11`
]
PROBE_SQL = ("select id, code, status, amount, parent_id, grp, seq, closed, cast(null as date) as closed_on,"
             " as_of_date\nfrom (values\n    " + ",\n    ".join(ROWS)
             + "\n) as t(id, code, status, amount, parent_id, grp, seq, closed, as_of_date)\n")
PARENT_SQL = "select 'p1' as parent_id union all select 'p2' as parent_id\n"

RELATIONSHIP = "{column: parent_id, to: \"ref('rules_probe_parent')\", field: parent_id}"
EXPRESSION = "not closed or closed_on is not null"
ARGUMENTS = {
    "not_null": ["not_null: [id, code]"],
    "unique": ["unique: [id, code]"],
    "unique_combinations": ["unique_combinations: [[grp, seq], [id, as_of_date]]"],
    "accepted_values": ["accepted_values: {status: [open, closed]}"],
    "accepted_range": ["accepted_range: {amount: {min_value: 0, max_value: 100}}"],
    "accepted_range_exclusive": ["accepted_range: {amount: {min_value: 0, max_value: 100, inclusive: false}}"],
    "relationships": [f"relationships: [{RELATIONSHIP}]"],
    "relationships_where": [f"relationships: [{RELATIONSHIP[:-1]}, where: \"seq <> 11\"}}]"],
    "expressions": [f'expressions: ["{EXPRESSION}"]'],
    "rules_as_of": ['row_filter: "as_of_date = {{ as_of() }}"', "not_null: [code]", f"relationships: [{RELATIONSHIP}]"],
    "passes": ["not_null: [id, grp, seq, closed]", "unique: [id]", "unique_combinations: [[id, as_of_date]]",
               "accepted_values: {status: [open, closed, weird]}",
               "accepted_range: {amount: {min_value: 0, max_value: 500}, seq: {min_value: 1}}",
               f"relationships: [{RELATIONSHIP[:-1]}, where: \"parent_id not in ('p8', 'p9')\"}}]",
               'expressions: ["seq > 0", "id between 1 and 11"]'],
    "warns": ["not_null: [code]"],
}
ARGUMENTS["all"] = [line for kind in ("not_null", "unique", "unique_combinations", "accepted_values", "accepted_range",
                                      "relationships", "expressions") for line in ARGUMENTS[kind]]

NOT_NULL = ("not_null(code)", "code", None)
P9 = ("relationships(parent_id)", "parent_id", "p9")
P8 = ("relationships(parent_id)", "parent_id", "p8")
# test -> the violations it stores (rule, column_name, value), by hand from ROWS
EXPECTED = {
    "not_null": [NOT_NULL, NOT_NULL],  # rows 2 and 10
    "unique": [("unique(code)", "code", "c1")],  # rows 1 and 7; the NULL codes are not duplicates
    "unique_combinations": [("unique_combination(grp, seq)", "grp, seq", "g, 1")],  # rows 1 and 6
    "accepted_values": [("accepted_values(status)", "status", "weird")],  # row 9's NULL passes
    "accepted_range": [("accepted_range(amount)", "amount", "500")],  # 100 is in [0, 100]
    "accepted_range_exclusive": [("accepted_range(amount)", "amount", "100"),
                                 ("accepted_range(amount)", "amount", "500")],
    "relationships": [P8, P9, P9],  # rows 5, 10, 11; row 9's NULL passes
    "relationships_where": [P9, P9],
    "expressions": [(f"expression({EXPRESSION})", None, None)],  # row 8
    "rules_as_of": [NOT_NULL, P8, P9],  # rows 2, 5, 11: row 10 is of an earlier date
    "passes": [],
    "warns": [NOT_NULL, NOT_NULL],
}
EXPECTED["all"] = [v for kind in ("not_null", "unique", "unique_combinations", "accepted_values", "accepted_range",
                                  "relationships", "expressions") for v in EXPECTED[kind]]


def probe_yml() -> str:
    lines = ["version: 2", "models:", "- name: rules_probe", "  data_tests:"]
    for name, arguments in ARGUMENTS.items():
        severity = "warn" if name == "warns" else "error"
        lines += ["  - column_rules:", f"      name: probe__{name}", "      arguments:",
                  *(f"        {a}" for a in arguments),
                  "      config:", f"        severity: {severity}", "        store_failures: true"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One real dbt build of the probe in a scratch project; its run results, stored failures and SQL."""
    project = copy_project()
    (project / "models" / "probe").mkdir()
    (project / "models" / "probe" / "rules_probe.sql").write_text(PROBE_SQL, encoding="utf-8")
    (project / "models" / "probe" / "rules_probe_parent.sql").write_text(PARENT_SQL, encoding="utf-8")
    (project / "models" / "probe" / "rules_probe.yml").write_text(probe_yml(), encoding="utf-8")
    work = tmp_path_factory.mktemp("column-rules")
    warehouse = work / "probe.duckdb"
    env = {**os.environ, "SALESTIER_WAREHOUSE": str(warehouse), "SALESTIER_AS_OF_DATE": AS_OF,
           "SALESTIER_RAW_DIR": str(work / "raw"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

    def dbt(*args: str) -> subprocess.CompletedProcess:
        cmd = [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(project),
               "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=work)

    build = dbt("build", "--select", "rules_probe", "rules_probe_parent")
    assert build.returncode == 1, build.stdout[-6000:] + build.stderr[-2000:]  # failing tests, nothing else
    results = json.loads((work / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    tests = {r["unique_id"].split(".")[2]: r for r in results if r["unique_id"].startswith("test.")}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        stored = {name: sorted(con.table(f"dbt_test__audit.{name}").fetchall(), key=repr) for name in tests}
    finally:
        con.close()
    compiled = work / "target" / "compiled" / "salestier" / "models" / "probe" / "rules_probe.yml"
    sql = {name: (compiled / f"{name}.sql").read_text(encoding="utf-8") for name in tests}
    shipped = dbt("compile", "--select", "customer_tier_list__rules_as_of")
    assert shipped.returncode == 0, shipped.stdout[-6000:]
    sql["customer_tier_list__rules_as_of"] = (work / "target" / "compiled" / "salestier" / "models" / "marts"
                                              / "customer_tier_list.yml" / "customer_tier_list__rules_as_of.sql"
                                              ).read_text(encoding="utf-8")
    return {"build": build.stdout, "tests": tests, "stored": stored, "sql": sql}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_rule_kind_counts_and_names_exactly_its_violations(probe: dict, kind: str) -> None:
    result = probe["tests"][f"probe__{kind}"]
    expected = sorted(EXPECTED[kind], key=repr)
    status = "pass" if not expected else "warn" if kind == "warns" else "fail"
    assert (result["status"], result["failures"]) == (status, len(expected)), result["message"]
    assert probe["stored"][f"probe__{kind}"] == expected


def test_the_build_reports_the_failures_by_test_and_count(probe: dict) -> None:
    assert "Failure in test probe__all (models/probe/rules_probe.yml)" in probe["build"]
    assert "Got 10 results, configured to fail if != 0" in probe["build"]
    assert "Warning in test probe__warns (models/probe/rules_probe.yml)" in probe["build"]
    assert len(probe["tests"]) == len(EXPECTED)


def test_rules_filter_on_the_runs_as_of_date_in_portable_sql(probe: dict) -> None:
    """The as-of filter is rendered when the test runs (SALESTIER_AS_OF_DATE), not when dbt parsed (1970)."""
    for name in ("probe__rules_as_of", "customer_tier_list__rules_as_of"):
        assert f"where as_of_date = cast('{AS_OF}' as date)" in probe["sql"][name], name
        assert "1970-01-01" not in probe["sql"][name]
    for name, sql in probe["sql"].items():
        lowered = " ".join(sql.lower().split())
        for duckdb_only in ("::", " exclude ", "exclude(", "filter (where", " qualify ", "like any"):
            assert duckdb_only not in lowered, (name, duckdb_only)


# ------------------------------------------------------------------------------- the shipped project
FOLDED_KINDS = {"not_null", "unique", "unique_combination", "accepted_values", "accepted_range", "relationships",
                "expression_is_true"}


@pytest.fixture(scope="module")
def manifest(dbt_manifest: Path) -> dict:
    return json.loads(dbt_manifest.read_text(encoding="utf-8"))


def _tests(manifest: dict) -> list[dict]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]


def test_models_hold_their_blocking_rules_in_one_test_per_filter(manifest: dict) -> None:
    groups: dict[tuple, list[str]] = {}
    for node in _tests(manifest):
        meta = node.get("test_metadata") or {}
        attached = node.get("attached_node") or ""
        severity = node["config"]["severity"].lower()
        if meta.get("name") == "column_rules":
            kwargs = meta["kwargs"]
            key = (attached, severity, kwargs.get("row_filter"), node["config"].get("where"))
            groups.setdefault(key, []).append(node["name"])
            assert node["name"] == attached.rsplit(".", 1)[-1] + ("__rules_as_of" if kwargs.get("row_filter")
                                                                  else "__rules")
            assert kwargs.get("row_filter") in (None, "as_of_date = {{ as_of() }}")
        elif attached.startswith("model.") and severity == "error":
            assert meta.get("name") not in FOLDED_KINDS, node["name"]  # folded into the model's column_rules
    assert all(len(names) == 1 for names in groups.values()), groups
    assert {"customer_tier_list__rules", "customer_tier_list__rules_as_of", "int_reps__rules"} <= {
        n for names in groups.values() for n in names}
    for node in _tests(manifest):  # no filter is frozen at parse time any more
        assert "1970-01-01" not in str(node["config"].get("where") or ""), node["name"]


def test_a_rules_check_says_what_it_checks(manifest: dict) -> None:
    from salestier_pipeline.assets.dbt import describe_dbt_test

    by_name = {n["name"]: n for n in _tests(manifest)}
    assert describe_dbt_test(by_name["customer_tier_list__rules_as_of"]) == (
        "[dbt] rules on customer_tier_list rows where as_of_date = the as-of date: relationships(account_id in "
        "int_accounts.account_id, owner_rep_id in int_reps.rep_id); expressions(1) - severity error, "
        "blocks publishing")
    rules = describe_dbt_test(by_name["customer_tier_list__rules"])
    assert rules.startswith("[dbt] rules on customer_tier_list: not_null(as_of_date, account_id, tier, ")
    assert "; unique_combination(as_of_date + account_id); accepted_values(tier: A/B/C/D, " in rules
    assert "; relationships(tier in service_levels.tier, size_band in size_bands.size_band); " in rules
    assert rules.endswith(" - severity error, blocks publishing")
    assert describe_dbt_test(by_name["int_reps__rules"]) == (
        "[dbt] rules on int_reps: not_null(rep_id, is_active); unique(rep_id) - severity error, blocks publishing")
