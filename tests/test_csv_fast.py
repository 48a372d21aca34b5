"""The Arrow fast path reads a plain CSV exactly as the strict parser does, and declines everything else."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest

from salestier_pipeline.demo.generate import generate_demo
from salestier_pipeline.ingest.csv_fast import parse_plain_csv
from salestier_pipeline.ingest.csv_text import CsvError, count_lines, parse_csv_text, parse_strict_csv, sniff_delimiter
from salestier_pipeline.ingest.decode import detect_encoding
from salestier_pipeline.settings import DEFAULT_LIMITS

ROOT = Path(__file__).resolve().parent.parent

PLAIN = {
    "zoho_all_quoted_crlf": (
        '"Record Id","Deal Name","Amount","Stage","Description"\r\n'
        '"zcrm_1","Big, deal","1,200.50","Qualification","He said ""yes"""\r\n'
        '"zcrm_2","","","Closed Won",""\r\n'
    ),
    "unquoted_lf_no_final_newline": "Id,Name,Owner,Created,Score\n1,Acme,Ann,2024-01-02,3\n2,Beta, Bob ,2024-01-03,",
    "chinese_semicolon": "客户编号;客户名称;负责人;区域;备注\nC1;华东科技;张三;华东;＝SUM(A1)\nC2;北京;李四;华北;  \n",
    "tab_separated": "a\tb\tc\td\te\n1\t2\t3\t4\t5\n6\t\t\t\t0\n",
    "bare_cr_lines": "a,b,c,d,e\r1,2,3,4,5\r6,7,8,9,10\r",
    "mixed_quotes_and_plain": 'id,name,note,x,y\n1,"a ""q"" b",plain,,\n2,plain,"x,y",1,2\n',
    "header_only": "Id,Name,Owner,Created,Score\n",
    "unicode_space_cell": "a,b,c\n\u3000,x,\u00a0\n",
    "formula_text": "a,b,c\n=1+2,@x,-3\n",
}

DECLINED = {
    "multi_line_cell": 'id,name,note,x,y\n1,a,"two\nlines",1,2\n',
    "short_row": "a,b,c,d,e\n1,2,3\n",
    "long_row": "a,b,c,d,e\n1,2,3,4,5,6\n",
    "trailing_separators": "a,b,c,d,e\n1,2,3,4,5,,\n",
    "excel_blank_row": "a,b,c,d,e\n1,2,3,4,5\n,,,,\n",
    "whitespace_blank_row": "a,b,c\n1,2,3\n \t, ,\u3000\n",
    "empty_line": "a,b,c,d,e\n1,2,3,4,5\n\n6,7,8,9,10\n",
    "blank_line_before_header": "\na,b,c,d,e\n1,2,3,4,5\n",
    "quote_inside_unquoted_cell": 'a,b,c,d,e\n1,ab"c,3,4,5\n',
    "text_after_closing_quote": 'a,b,c,d,e\n1,"ab"c,3,4,5\n',
    "space_before_quote": 'a,b,c,d,e\n1, "ab",3,4,5\n',
    "unbalanced_quote": 'a,b,c,d,e\n1,"ab,3,4,5\n6,7,8,9,10\n',
    "over_long_cell": "a,b,c\n1," + "x" * 50 + ",3\n",
}

# declined although the strict parser finds nothing to reject there: Arrow could split them otherwise
CAUTIOUS = ("trailing_separators", "quote_inside_unquoted_cell", "space_before_quote")


def _strict(text: str, limits=DEFAULT_LIMITS):
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    sep = sniff_delimiter(first)
    return sep, parse_strict_csv(text, "t.csv", sep, count_lines(text), limits)


def _same(plain, strict) -> None:
    assert plain.headers == strict.headers
    pd.testing.assert_frame_equal(plain.rows, strict.rows)
    assert plain.line_numbers.tolist() == strict.line_numbers.tolist()
    assert (plain.rejects, plain.rows_blank, plain.physical_lines) == (strict.rejects, strict.rows_blank,
                                                                       strict.physical_lines)


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_a_plain_text_is_read_by_arrow_exactly_as_the_strict_parser_reads_it(name: str) -> None:
    text = PLAIN[name]
    sep, strict = _strict(text)
    assert not strict.rejects and strict.rows_blank == 0
    plain = parse_plain_csv(text, sep, count_lines(text), DEFAULT_LIMITS.max_cell_chars)
    assert plain is not None, f"{name} should take the fast path"
    _same(plain, strict)


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_anything_the_strict_parser_must_judge_is_left_to_it(name: str) -> None:
    text = DECLINED[name]
    limits = dataclasses.replace(DEFAULT_LIMITS, max_cell_chars=40)
    sep = sniff_delimiter(next(ln for ln in text.splitlines() if ln.strip()))
    assert parse_plain_csv(text, sep, count_lines(text), limits.max_cell_chars) is None
    # and the whole parser still reports it as before (rows + rejects + blanks account for every line)
    try:
        _, strict = _strict(text, limits)
    except CsvError as exc:  # a file-level error (a quote that never closes): the same one either way
        with pytest.raises(CsvError, match=re.escape(str(exc))):
            parse_csv_text(text, "t.csv", limits)
        return
    assert strict.rejects or strict.rows_blank or strict.physical_lines != 1 + len(strict.rows) or name in CAUTIOUS, (
        "a declined text the strict parser takes as plain")
    _same(parse_csv_text(text, "t.csv", limits), strict)


@pytest.fixture(scope="module")
def demo_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("landing")
    generate_demo(landing, scale=0.04)
    return landing


def test_every_csv_of_the_demo_and_the_real_sample_reads_the_same_either_way(demo_landing: Path) -> None:
    files = sorted(demo_landing.rglob("*.csv")) + sorted((ROOT / "tests" / "fixtures" / "maven_crm").glob("*.csv"))
    fast = 0
    for path in files:
        data = path.read_bytes()
        text = data.decode(detect_encoding(data, path.name))
        sep, strict = _strict(text)
        plain = parse_plain_csv(text, sep, count_lines(text), DEFAULT_LIMITS.max_cell_chars)
        if plain is not None:
            fast += 1
            _same(plain, strict)
    assert fast >= len(files) * 0.8, f"only {fast} of {len(files)} files took the fast path"


def test_a_low_cell_limit_does_not_leak_into_other_csv_readers() -> None:
    """The csv module's field limit is process-wide: a file read with a 30-character limit must leave the
    next reader (the publish step's, a test's) with the limit it had."""
    import csv

    before = csv.field_size_limit()
    text = "a,b\n1," + "x" * 50 + "\n2,y\n"
    parsed = parse_strict_csv(text, "t.csv", ",", count_lines(text),
                              dataclasses.replace(DEFAULT_LIMITS, max_cell_chars=30))
    assert [r.line for r in parsed.rejects] == [2]
    assert len(parsed.rows) == 1
    assert csv.field_size_limit() == before
