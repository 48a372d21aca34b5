"""docs/published-tables.md is generated from the dbt contracts and checked in: it must be up to date."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `pytest` (not `python -m pytest`) does not put the repo root first
    sys.path.insert(0, str(REPO))

from salestier_pipeline.publish.tables import Column, PublishedTable, published_tables  # noqa: E402
from tools.contract_docs import DOCS, TableRules, main, render  # noqa: E402


def test_checked_in_docs_are_what_the_contract_generates() -> None:
    assert DOCS.read_text(encoding="utf-8") == render(published_tables()), (
        "docs/published-tables.md is out of date: run `make manifest` and `python tools/contract_docs.py`")


def test_every_published_column_and_type_is_on_the_page() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for table in published_tables().values():
        section = text.split(f"\n## {table.name}\n", 1)[1].split("\n## ", 1)[0]
        rows = [line for line in section.splitlines() if line.startswith("| `")]
        assert [r.split(" | ")[0][3:-1] for r in rows] == list(table.column_names), table.name
        assert [r.split(" | ")[1] for r in rows] == [c.data_type for c in table.columns], table.name
    assert "| [opportunities](#opportunities) | latest only |" in text
    assert "| [customer_tier_list](#customer_tier_list) | history |" in text


def test_render_escapes_cells_and_check_mode_fails_on_a_stale_file(tmp_path: Path) -> None:
    table = PublishedTable("t", False, "A table.", (Column("id", "string", "a | b\n <source>:<id>"),))
    page = render({"t": table})
    assert "| `id` | string | a \\| b \\<source>:\\<id> |" in page
    assert "| [t](#t) | latest only | 1 | A table. |" in page
    stale = tmp_path / "published-tables.md"
    stale.write_text(DOCS.read_text(encoding="utf-8").replace("| bigint |", "| integer |", 1), encoding="utf-8")
    assert main(["--check", "--output", str(stale)]) == 1
    assert main(["--check", "--output", str(tmp_path / "missing.md")]) == 1
    fresh = tmp_path / "fresh.md"
    assert main(["--output", str(fresh)]) == 0
    assert main(["--check", "--output", str(fresh)]) == 0
    assert fresh.read_text(encoding="utf-8") == DOCS.read_text(encoding="utf-8")


def test_each_column_lists_its_blocking_rules_from_the_column_rules_tests() -> None:
    """The rules column is the model's column_rules tests in words; the grain is said under the table."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("\n## customer_tier_list\n", 1)[1].split("\n## ", 1)[0]
    assert "Keeps: history. Unique per (as_of_date, account_id).\n" in section
    rows = {r.split(" | ")[0][3:-1]: r.rsplit(" | ", 1)[1][:-2] for r in section.splitlines() if r.startswith("| `")}
    assert rows["tier"] == "not null, A/B/C/D, in service_levels.tier"
    assert rows["account_id"] == "not null, in int_accounts.account_id (where as_of_date = the as-of date)"
    assert rows["abc_class"] == "A/B/C/none"
    assert rows["account_name"] == ""
    perf = text.split("\n## rep_performance\n", 1)[1].split("\n## ", 1)[0]
    assert "| not null, in int_reps.rep_id where rep_id \\<> 'unassigned' (where as_of_date = the as-of date) |" in perf
    assert "| `win_rate` | double |" in perf and "| 0-1 |" in perf


def test_render_writes_given_rules_and_grains() -> None:
    table = PublishedTable("t", True, "A table.", (Column("id", "string", "An id."), Column("n", "bigint", "N.")))
    page = render({"t": table}, {"t": TableRules({"id": ["not null", "a|b"]}, [("id", "n")])})
    assert "A table. Keeps: history. Unique per (id, n).\n" in page
    assert "| `id` | string | An id. | not null, a\\|b |" in page
    assert "| `n` | bigint | N. |  |" in page
