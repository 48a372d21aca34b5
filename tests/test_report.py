"""Static HTML report: rendered from a small serving DB the test builds, then drawn in headless Chromium.

The serving DB holds the marts the report reads, each table with exactly its dbt contract columns
(tests/fixtures/serving_marts.py), three as-of dates, Chinese and English names, and one hostile string.
The summary marts (tier distribution and movements, alert and win summaries) are hand-computed here from
the same generated rows, as dbt would. The screenshot goes to test-artifacts/report.png (gitignored) for a
person to look at.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.report import render_report, write_report, write_reports
from salestier_pipeline.report.sections import TREND_KPIS
from tests.browser import chromium_page
from tests.fixtures.serving_marts import create_mart, sql_logic

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
DATES = [dt.date(2026, 3, 13), dt.date(2026, 3, 20), dt.date(2026, 3, 27)]
HOSTILE = "<script>document.title='pwned'</script> & \"quoted\""

REPORT_TABLES = ("customer_tier_summary", "tier_distribution", "tier_movements", "lifecycle_transitions",
                 "rep_leaderboard", "funnel_conversion", "kpi_snapshot", "win_analysis", "win_analysis_summary",
                 "rep_allocation", "risk_alerts", "alert_summary")
REPS = [("M1", "李经理", None, "华东销售一部"), ("R1", "王芳", "M1", "华东销售一部"),
        ("R2", "张伟", "M1", "华东销售一部"),
        ("M2", "Ann Lee", None, "EMEA Enterprise"), ("R3", "Tom Hill", "M2", "EMEA Enterprise"),
        ("R4", "Eva Braun-Schmidt", "M2", "EMEA Enterprise")]
STAGES = ["lead_identified", "initial_contact", "needs_analysis", "solution", "follow_up", "closed_won"]
LIFECYCLE = ["prospect", "new", "active", "reactivated", "at_risk", "churned"]
TIERS = "ABCD"
SEVERITIES = ("high", "medium", "low", "info")


def _movement(previous: str | None, tier: str) -> str:
    if previous is None:
        return "new"
    return "same" if previous == tier else "up" if tier < previous else "down"


def build_serving(path: Path, seed: int = 7, alerts: bool = True) -> Path:
    """A deterministic serving DB with the report's marts over three snapshots."""
    rnd = random.Random(seed)
    data: dict[str, list[dict]] = {t: [] for t in REPORT_TABLES}
    tiers_before: dict[str, str] = {}
    for n, day in enumerate(DATES):
        accounts = []
        for i in range(60):
            tier = TIERS[min(3, int(rnd.random() * 4))]
            accounts.append(dict(account_id=f"acc{i}", tier=tier, previous_tier=tiers_before.get(f"acc{i}"),
                                 open_pipeline=rnd.randint(0, 90) * 1000.0, bookings_365d=rnd.randint(0, 200) * 1000.0,
                                 lifecycle_stage=rnd.choice(LIFECYCLE), is_past_service_level=rnd.random() < 0.3))
            tiers_before[f"acc{i}"] = tier
        data["customer_tier_summary"].append(dict(as_of_date=day, level="total", accounts=len(accounts),
                                                  currency="CNY"))
        for k, tier in enumerate(TIERS):
            mine = [a for a in accounts if a["tier"] == tier]
            data["tier_distribution"].append(dict(
                as_of_date=day, tier=tier, tier_order=k + 1, accounts=len(mine),
                accounts_past_service_level=sum(a["is_past_service_level"] for a in mine),
                open_pipeline=sum(a["open_pipeline"] for a in mine),
                bookings_365d=sum(a["bookings_365d"] for a in mine), currency="CNY"))
        moves = Counter((a["previous_tier"], a["tier"]) for a in accounts)
        for (previous, tier), count in sorted(moves.items(), key=lambda m: (m[0][0] or "new", m[0][1])):
            data["tier_movements"].append(dict(
                as_of_date=day, previous_tier=previous or "new", tier=tier, accounts=count,
                movement=_movement(previous, tier), is_change=previous is not None and previous != tier,
                is_new_account=previous is None, is_first_snapshot=n == 0))
        for f in LIFECYCLE:
            for t in rnd.sample(LIFECYCLE, 2) + [f]:
                data["lifecycle_transitions"].append(dict(as_of_date=day, from_stage=f, to_stage=t,
                                                          accounts=rnd.randint(1, 12), is_change=f != t))
        for rep_id, name, manager, team in REPS:
            attainment = None if manager is None else round(rnd.uniform(0.3, 1.8), 3)
            data["rep_leaderboard"].append(dict(
                as_of_date=day, rep_id=rep_id, rep_name=name, manager_rep_id=manager, team=team,
                rep_tier="core" if attainment is None else "top" if attainment > 1.2 else
                "developing" if attainment < 0.8 else "core",
                incentive_band=">=120%", period_type="trailing_90d", period_start=day - dt.timedelta(days=89),
                bookings=rnd.randint(1, 90) * 1e4, target_amount=3e5, attainment=attainment,
                win_rate=rnd.uniform(0.1, 0.7), satisfaction=None if manager is None else rnd.uniform(0.4, 0.95),
                satisfaction_responses=0 if manager is None else 4, leaderboard_basis="attainment",
                leaderboard_value=attainment, currency="CNY"))
            if manager is not None:
                counts = [rnd.randint(0, 12) for _ in range(4)]
                data["rep_allocation"].append(dict(
                    as_of_date=day, rep_id=rep_id, rep_name=name, team=team, tier_a_accounts=counts[0],
                    tier_b_accounts=counts[1], tier_c_accounts=counts[2], tier_d_accounts=counts[3],
                    accounts_owned=sum(counts), owned_value=sum(counts) * 1e5,
                    load_vs_team_median=rnd.uniform(0.5, 2.0), over_capacity=rep_id == "R1",
                    suggested_action="move 3 accounts to R2" if rep_id == "R1" else "none", currency="CNY"))
        for level, key in [("company", "all"), ("team", "华东销售一部"), ("team", "EMEA Enterprise")]:
            reached = 500
            rates = [rnd.uniform(0.45, 0.9) for _ in STAGES[:-1]]
            worst = rates.index(min(rates))
            for k, stage in enumerate(STAGES):
                rate = rates[k] if k < len(rates) else None
                data["funnel_conversion"].append(dict(
                    as_of_date=day, level=level, level_key=key, stage_order=k + 1, stage=stage, reached=reached,
                    conversion_rate=rate, is_bottleneck=k == worst))
                reached = int(reached * (rate or 1))
        for kpi, _, kind in TREND_KPIS:
            base = {"money": 1e6, "pct": 0.4, "ratio": 3.0, "int": 40}[kind]
            data["kpi_snapshot"].append(dict(as_of_date=day, level="company", level_key="all", kpi=kpi,
                                             value=base * (1 + 0.1 * n) * rnd.uniform(0.9, 1.1),
                                             unit="CNY" if kind == "money" else None))
        data["kpi_snapshot"].append(dict(as_of_date=day, level="company", level_key="all", kpi="accounts",
                                         value=float(60 + n)))
        data["kpi_snapshot"].append(dict(as_of_date=day, level="company", level_key="all", kpi="is_first_snapshot",
                                         value=1.0 if n == 0 else 0.0))
        for tier in TIERS:
            data["kpi_snapshot"].append(dict(as_of_date=day, level="tier", level_key=tier, kpi="satisfaction_t90d",
                                             value=rnd.uniform(0.5, 0.9)))
        for dimension, values in (("lead_source", ["官网", "Partner", "Trade Show", "Cold Call"]),
                                  ("industry", [f"行业{k}" for k in range(14)]), ("size_band", ["small", "large"]),
                                  ("region", ["华东", "EMEA"]), ("tier", list(TIERS))):
            rows = []
            for v in values:
                won, lost = rnd.randint(1, 30), rnd.randint(1, 30)
                rows.append(dict(as_of_date=day, dimension=dimension, dimension_value=v, won_count=won,
                                 lost_count=lost, win_rate=won / (won + lost), avg_deal_size=4e4,
                                 sales_cycle_days=30.0, currency="CNY"))
            data["win_analysis"] += rows
            won, lost = sum(r["won_count"] for r in rows), sum(r["lost_count"] for r in rows)
            data["win_analysis_summary"].append(dict(as_of_date=day, dimension=dimension, dimension_values=len(rows),
                                                     won_count=won, lost_count=lost, win_rate=won / (won + lost)))
        if alerts:
            fired = [("stale_deal", "high"), ("overdue_deal", "medium"), ("neglected_account", "low"),
                     ("low_satisfaction", "high")] * 3
            order = sorted(range(len(fired)), key=lambda k: (SEVERITIES.index(fired[k][1]), k))
            for k, (kind, severity) in enumerate(fired):
                data["risk_alerts"].append(dict(
                    as_of_date=day, alert_id=f"{kind}:acc{k}", alert_type=kind, severity=severity,
                    account_id=f"acc{k}", opportunity_id=None, rep_id=None, owner_rep_id=REPS[1 + k % 5][0],
                    rule="rule", detail=HOSTILE if k == 0 else f"客户 acc{k} 需要跟进 needs follow-up",
                    amount_at_stake=0.0, alert_rank=order.index(k) + 1, currency="CNY"))
            for kind in sorted({t for t, _ in fired}):
                mine = [s for t, s in fired if t == kind]
                data["alert_summary"].append(dict(
                    as_of_date=day, alert_type=kind, **{f"{s}_alerts": mine.count(s) for s in SEVERITIES},
                    alerts=len(mine), amount_at_stake=0.0,
                    first_alert_rank=min(order.index(k) + 1 for k, (t, _) in enumerate(fired) if t == kind),
                    currency="CNY"))
    con = duckdb.connect(str(path))
    try:
        for table in REPORT_TABLES:
            create_mart(con, table, data[table])
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_serving(tmp_path_factory.mktemp("report") / "salestier.duckdb")


EXPECTED_CHARTS = {
    "tier_distribution", "tier_movement", "funnel", "funnel_teams", "lifecycle_flow", "rep_leaderboard",
    "satisfaction_reps", "satisfaction_tiers", "allocation", "win_lead_source", "win_industry", "win_size_band",
    "win_region", "win_tier", "alerts", *(f"kpi_{kpi}" for kpi, _, _ in TREND_KPIS),
}


def test_report_is_deterministic_self_contained_and_escaped(serving: Path) -> None:
    html = render_report(serving)
    assert html == render_report(serving)
    assert "2026-03-27" in html and "<script" not in html.lower()
    assert "&lt;script&gt;" in html
    for needle in ("http://", "https://", "src=", "@import", "url("):
        assert needle not in html.replace('xmlns="http://www.w3.org/2000/svg"', ""), needle


def test_every_money_figure_names_its_currency(serving: Path) -> None:
    """The marts' currency (kpi_snapshot.unit) follows every compact amount: cards, trends, tiers, reps."""
    html = render_report(serving)
    amounts = re.findall(r"\d+\.\d[KMB](?: [A-Z]{3})?", html)
    assert len(amounts) > 20
    assert all(a.endswith(" CNY") for a in amounts), [a for a in amounts if not a.endswith(" CNY")][:5]


def test_one_file_per_as_of_date(serving: Path, tmp_path: Path) -> None:
    written = write_reports(serving, tmp_path)
    assert [p.name for p in written] == [f"salestier-report-{d.isoformat()}.html" for d in DATES]
    assert write_reports(serving, tmp_path) == [], "existing reports are kept"
    oldest = written[0].read_text(encoding="utf-8")
    assert "2026-03-13" in oldest and "2026-03-27" not in oldest, "an older report shows no later snapshot"


def test_report_draws_every_chart_in_chromium(serving: Path, tmp_path: Path) -> None:
    path = write_report(serving, tmp_path / "reports")
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium_page() as page:
        errors: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri(), wait_until="load")
        charts = page.evaluate("""() => [...document.querySelectorAll('figure.chart')].map(f => {
            const svg = f.querySelector('svg');
            const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
            return {id: f.dataset.chart, width: box.width, height: box.height,
                    shapes: svg ? svg.querySelectorAll('rect,path,circle,polyline,polygon,line').length : 0,
                    empty: f.textContent.includes('No data')};
        })""")
        scripts = page.evaluate("document.scripts.length")
        title = page.title()
        body = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert errors == []
    assert requests == [path.as_uri()], "the page loads nothing but itself"
    assert scripts == 0 and "pwned" not in title
    assert {c["id"] for c in charts} == EXPECTED_CHARTS
    for chart in charts:
        assert chart["width"] > 100 and chart["height"] > 40, chart
        assert chart["shapes"] >= 2, chart
        assert not chart["empty"], chart
    assert "销售分层报告" in body and "华东销售一部" in body and "王芳" in body
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


def test_empty_sections_say_so(tmp_path: Path) -> None:
    path = build_serving(tmp_path / "no-alerts.duckdb", alerts=False)
    html = render_report(path)
    assert "无预警 no alerts" in html and "No data for this as-of date" in html


def test_empty_serving_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(path))
    create_mart(con, "customer_tier_summary", [])
    con.close()
    with pytest.raises(ValueError, match="empty"):
        write_report(path, tmp_path)


def test_sections_show_the_marts_numbers_and_order(serving: Path) -> None:
    """Counts, averages and order come from the marts as they are: the tier changes (tier_movements.is_change),
    the win-rate line (win_analysis_summary), the alert table (risk_alerts.alert_rank), the first snapshot."""
    con = duckdb.connect(str(serving), read_only=True)
    try:
        changed = con.execute("SELECT sum(accounts) FROM tier_movements WHERE as_of_date = ? AND is_change",
                              [DATES[-1]]).fetchone()[0]
        tier_rate = con.execute("SELECT win_rate FROM win_analysis_summary WHERE as_of_date = ? "
                                "AND dimension = 'tier'", [DATES[-1]]).fetchone()[0]
        ranked = [r[0] for r in con.execute("SELECT account_id FROM risk_alerts WHERE as_of_date = ? "
                                            "ORDER BY alert_rank", [DATES[-1]]).fetchall()]
    finally:
        con.close()
    html = render_report(serving)
    assert f"{changed:,.0f} 个客户换档 accounts changed tier" in html
    assert f"平均 avg {tier_rate * 100:.1f}%" in html
    shown = re.findall(r"<td><small>(acc\d+)</small></td>", html)
    assert shown == ranked and ranked != sorted(ranked), "the alert table follows alert_rank"
    first = render_report(serving, DATES[0])
    assert first.count("首次快照 first snapshot") == 2, "tier and lifecycle sections of the first snapshot"
    assert "首次快照" not in html


def test_report_code_only_reads_marts() -> None:
    """No join, aggregation or SQL text in the report package (10 such places before issue 13)."""
    package = Path(__file__).resolve().parents[1] / "salestier_pipeline" / "report"
    assert [hit for path in sorted(package.glob("*.py")) for hit in sql_logic(path)] == []
    assert (package / "templates" / "report.html.j2").is_file() and (package / "report.css").is_file()
