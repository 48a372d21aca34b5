"""Values from CRM files never render as markdown in the Dagster UI: escaped in markdown, or plain table cells.

The UI renders markdown metadata with GitHub-flavoured markdown (react-markdown + remark-gfm); markdown-it
(CommonMark + GFM tables and strike-through, installed with rich) stands in for it here.
"""

from __future__ import annotations

import html
from pathlib import Path

import dagster as dg
import pytest
from markdown_it import MarkdownIt

from salestier_pipeline.assets.ingest import RAW_KEYS, ingest_raw, ingest_summary, landing_manifest
from salestier_pipeline.markdown import md_escape
from salestier_pipeline.quality.gx_adapter import CheckOutcome, failures_text
from salestier_pipeline.resources import SalesTierResource

AS_OF = "2026-06-30"
HEADER = "![t](http://127.0.0.1:9/md-header.png)"
PIPE_HEADER = "a|b"
CELL = "[x](http://127.0.0.1:9/md-cell) | ![i](http://127.0.0.1:9/md-cell.png)"
STAGE = "![s](http://127.0.0.1:9/md-stage.png) | <b>x</b>"
FILE = "Deals ![f](md-file.png) | 1.csv"
COLUMNS = "Record Id,Deal Owner,Deal Name,Account Name,Stage,Amount,Closing Date,Created Time"
PAYLOADS = [HEADER, CELL, STAGE, "*em* _em_ **b** `code` ~~s~~ # h", "<img src=x onerror=alert(1)>",
            "&#33;&#91;t&#93;(http://x)", "http://127.0.0.1:9/auto www.example.com a@b.example", r"back\slash [x]"]


def render(markdown: str) -> str:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


def assert_inert(markdown: str) -> None:
    """Renders to text only: no image, link, table break, emphasis or HTML."""
    assert "![" not in markdown and "](" not in markdown, markdown
    out = render(markdown)
    for tag in ("<img", "<a ", "<em>", "<strong>", "<code>", "<s>", "<h1", "<b>", "<table"):
        assert tag not in out, (tag, out)


# --- the escape helper ------------------------------------------------------------------------------------

@pytest.mark.parametrize("ch", list("\\`*_{}[]()#+-.!|<>~:&"))
def test_every_markdown_metacharacter_is_backslash_escaped(ch: str) -> None:
    assert md_escape(ch) == "\\" + ch
    assert md_escape(f"a{ch}b") == f"a\\{ch}b"


def test_plain_text_is_unchanged_and_non_strings_are_stringified() -> None:
    assert md_escape("Acme GmbH 上海 123") == "Acme GmbH 上海 123"
    assert md_escape(["a_b"]) == "\\['a\\_b'\\]"
    assert md_escape(None) == "None"


def test_newlines_are_neutralised() -> None:
    assert md_escape("a\nb\r\nc\rd\u2028e") == "a\\\\nb\\\\nc\\\\nd\\\\ne"
    assert "\n" not in md_escape("# x\n# y") and render(md_escape("x\n# y")) == "<p>x\\n# y</p>\n"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escaped_payload_renders_as_its_literal_text(payload: str) -> None:
    escaped = md_escape(payload)
    assert_inert(escaped)
    assert render(escaped) == f"<p>{html.escape(payload, quote=True)}</p>\n".replace("&#x27;", "'")


def test_pipe_in_a_cell_does_not_break_a_table() -> None:
    out = render(f"| file | example |\n|---|---|\n| {md_escape(PIPE_HEADER)} | {md_escape(CELL)} |\n")
    assert out.count("<td>") == 2
    assert f"<td>{html.escape(CELL)}</td>" in out and "<td>a|b</td>" in out
    broken = render(f"| file | example |\n|---|---|\n| {PIPE_HEADER} | {CELL} |\n")
    assert "<td>a</td>\n<td>b</td>" in broken  # what the unescaped `|` would have done: cells split, data lost


def test_failures_text_escapes_data_only_in_its_markdown_form() -> None:
    outcomes = [CheckOutcome("stage_in_map", False, True, "", "expect", 1, 10.0, [STAGE]),
                CheckOutcome("rows_match", False, True, "", "expect", observed=HEADER)]
    plain = failures_text(outcomes, "raw/opportunities")
    assert plain.splitlines() == [
        f"check 'stage_in_map' failed on raw/opportunities: 1 unexpected; e.g. {[STAGE]}",
        f"check 'rows_match' failed on raw/opportunities: observed {HEADER}",
    ]
    markdown = failures_text(outcomes, "raw/opportunities", markdown=True)
    assert_inert(markdown)
    assert render(markdown).count("<li>") == 2
    assert html.escape(STAGE, quote=False) in render(markdown) and html.escape(HEADER) in render(markdown)


# --- a real ingest run on hostile headers and cells ---------------------------------------------------------

def _write_landing(home: Path, stage: str = "Qualification", duplicate_id: str | None = None) -> None:
    batch = home / "landing" / "zoho" / AS_OF
    batch.mkdir(parents=True)
    rows = [f'{COLUMNS},{HEADER},"{PIPE_HEADER}"']
    rows += [f"zcrm_{i},Ann,Deal {i},Acme,{stage},10,12/31/2026,06/01/2026 10:00:00,x,y" for i in range(9)]
    rows.append(f'zcrm_9,Ann,Deal 9,Acme,{stage},"{CELL}",12/31/2026,06/01/2026 10:00:00,x,y')
    if duplicate_id is not None:  # the same record twice in one export fails ids_unique_per_export
        rows += [f"{duplicate_id},Ann,Dup,Acme,{stage},10,12/31/2026,06/01/2026 10:00:00,x,y"] * 2
    (batch / FILE).write_text("\n".join(rows) + "\n", encoding="utf-8")


def _ingest(home: Path) -> tuple[bool, list[dg.DagsterEvent]]:
    """landing_manifest, raw/opportunities and ingest_summary, materialised in process; the run's events as
    stored in the Dagster instance."""
    selection = [landing_manifest.key, RAW_KEYS["opportunities"], *ingest_summary.keys]
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([landing_manifest, ingest_raw, ingest_summary], selection=selection,
                                partition_key=AS_OF,
                                instance=instance, resources={"salestier": SalesTierResource(home=str(home))},
                                raise_on_error=False)
        events = [e.dagster_event for e in instance.all_logs(result.run_id) if e.dagster_event is not None]
    return result.success, events


def _metadata(events: list[dg.DagsterEvent]) -> dict[str, dg.MetadataValue]:
    """Every metadata value of the run: materializations, check evaluations, failures."""
    found: dict[str, dg.MetadataValue] = {}
    for event in events:
        if event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            found.update({f"{materialization.asset_key.to_user_string()}:{k}": v
                          for k, v in materialization.metadata.items()})
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            found.update({f"{evaluation.check_name}:{k}": v for k, v in evaluation.metadata.items()})
        elif event.is_step_failure and event.step_failure_data.user_failure_data is not None:
            found.update({f"failure:{k}": v for k, v in event.step_failure_data.user_failure_data.metadata.items()})
    return found


@pytest.fixture(scope="module")
def loaded_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dg.MetadataValue]:
    home = tmp_path_factory.mktemp("md-home")
    _write_landing(home)
    success, events = _ingest(home)
    assert success
    return _metadata(events)


def test_no_markdown_metadata_renders_data_as_markup(loaded_run: dict[str, dg.MetadataValue]) -> None:
    assert "raw/opportunities:files_table" in loaded_run and "raw/ingest_quarantine:by_file_and_reason" in loaded_run
    for key, value in loaded_run.items():
        if isinstance(value, dg.MarkdownMetadataValue):
            assert_inert(value.md_str)
        else:  # every other kind is shown as text or JSON, never through the markdown renderer
            assert isinstance(value, dg.TableMetadataValue | dg.IntMetadataValue | dg.FloatMetadataValue
                              | dg.TextMetadataValue | dg.JsonMetadataValue | dg.PathMetadataValue), key


def test_tables_hold_the_literal_header_file_name_and_cell(loaded_run: dict[str, dg.MetadataValue]) -> None:
    files = loaded_run["raw/opportunities:files_table"]
    assert [r.data for r in files.records] == [{
        "file": f"zoho/{AS_OF}/{FILE}", "read": 10, "loaded": 9, "quarantined": 1,
        "extra_columns": f"{HEADER}, {PIPE_HEADER}",
    }]
    assert [c.name for c in files.schema.columns] == ["file", "read", "loaded", "quarantined", "extra_columns"]
    quarantine = loaded_run["raw/ingest_quarantine:by_file_and_reason"]
    assert [r.data for r in quarantine.records] == [{
        "file": f"zoho/{AS_OF}/{FILE}", "reason": "unparseable amount for amount", "rows": 1, "first_line": 11,
        "example": CELL,
    }]


def test_failed_check_markdown_escapes_the_sample_values(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _write_landing(home, duplicate_id=STAGE)
    success, events = _ingest(home)
    assert not success
    metadata = _metadata(events)
    failed = metadata["failure:failed_checks"]
    assert isinstance(failed, dg.MarkdownMetadataValue)
    assert_inert(failed.md_str)
    assert "ids\\_unique\\_per\\_export" in failed.md_str
    assert html.escape(STAGE, quote=False) in render(failed.md_str)  # the value shows, literally
    failure = next(e for e in events if e.is_step_failure and e.step_failure_data.user_failure_data)
    description = failure.step_failure_data.user_failure_data.description
    assert "e.g. [" in description and f"'source_record_id': '{STAGE}'" in description  # plain text: alerts
    # stay readable (the UI shows the description as text)
