"""The report page: the sections of one as-of date assembled by a Jinja2 template, written atomically.

One self-contained file per as-of date: no JavaScript, no CDN, no fonts or images fetched - the page carries
a Content-Security-Policy that forbids any network load, so it opens the same offline, from a mail
attachment or a file share. It reads only historical published tables (marts), so a report of an older
as-of date is as exact as the latest one. Output is deterministic for the same input (no clock, stable
ordering); the template autoescapes every value, the sections escape their own text.
"""

from __future__ import annotations

import datetime as dt
import os
from importlib.resources import files
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from salestier_pipeline.publish.read import column, constant, latest_as_of, select_rows
from salestier_pipeline.report import sections as s

# customer_tier_summary has one total row per as-of date with accounts: the dates there is a report of
DATES_TABLE = "customer_tier_summary"

_ENV = Environment(loader=PackageLoader("salestier_pipeline.report", "templates"), autoescape=True,
                   undefined=StrictUndefined, keep_trailing_newline=True)


def _css() -> Markup:
    """The report's stylesheet (report.css beside this module), inlined into the page."""
    return Markup(files("salestier_pipeline.report").joinpath("report.css").read_text(encoding="utf-8"))


def _empty(serving_db: Path) -> ValueError:
    return ValueError(f"{serving_db}: {DATES_TABLE} is empty, nothing to report")


def as_of_dates(serving_db: Path) -> list[dt.date]:
    """Every as-of date the serving file holds a customer tier list for (one total row per date)."""
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        _, rows = select_rows(con, DATES_TABLE, None, ["as_of_date"], "as_of_date",
                              column("level") == constant("total"))
        return [r[0] for r in rows if r[0] is not None]
    finally:
        con.close()


def render_sections(con: duckdb.DuckDBPyConnection, day: dt.date) -> tuple[str, list[str]]:
    """The KPI cards and every section of one as-of date, each from its plain query."""
    series = s.company_kpis(con, day)
    currency = s.report_currency(con, day)
    first = s.is_first_snapshot(series, day)
    reps = s.rep_rows(con, day)
    alerts = s.alert_rows(con, day)
    wins = {dimension: s.win_rows(con, day, dimension) for dimension, _ in s.DIMENSIONS}
    sections = [
        s.tier_section(s.tier_distribution_rows(con, day), s.tier_movement_rows(con, day), first, currency),
        s.funnel_section(s.funnel_company_rows(con, day), s.funnel_team_rows(con, day)),
        s.lifecycle_section(s.lifecycle_rows(con, day), first),
        s.leaderboard_section(reps, currency),
        s.satisfaction_section(reps, s.tier_satisfaction_rows(con, day)),
        s.allocation_section(s.allocation_rows(con, day)),
        s.win_section(wins, s.win_summary_rows(con, day), currency),
        s.trend_section(series, day, currency),
        s.alert_section(alerts, s.alert_summary_rows(con, day)),
    ]
    return s.kpi_cards(series, day, len(alerts), currency), sections


def render_report(serving_db: Path, as_of: dt.date | None = None) -> str:
    """The whole HTML page for one as-of date (default: the latest)."""
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        day = as_of or latest_as_of(con, DATES_TABLE)
        if day is None:
            raise _empty(serving_db)
        cards, sections = render_sections(con, day)
    finally:
        con.close()
    return _ENV.get_template("report.html.j2").render(
        title=f"销售分层报告 SalesTier report · {day.isoformat()}", as_of=day.isoformat(), css=_css(),
        kpi_cards=Markup(cards), sections=[Markup(section) for section in sections])


def report_path(reports_dir: Path, as_of: dt.date) -> Path:
    return reports_dir / f"salestier-report-{as_of.isoformat()}.html"


def write_report(serving_db: Path, reports_dir: Path, as_of: dt.date | None = None) -> Path:
    """Write one as-of date's report atomically (temp file + rename); returns its path."""
    day = as_of or max(as_of_dates(serving_db), default=None)
    if day is None:
        raise _empty(serving_db)
    html = render_report(serving_db, day)
    path = report_path(reports_dir, day)
    reports_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_reports(serving_db: Path, reports_dir: Path, only_missing: bool = True) -> list[Path]:
    """A report per as-of date in the serving file; by default only the dates without one yet (backfill)."""
    return [write_report(serving_db, reports_dir, day) for day in as_of_dates(serving_db)
            if not (only_missing and report_path(reports_dir, day).exists())]
