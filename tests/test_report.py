"""Static HTML report: rendered from a small serving DB the test builds, then drawn in headless Chromium.

The serving DB holds only the contract columns (SPEC §6.1) of the historical tables the report reads,
three as-of dates, Chinese and English names, and one hostile string. The screenshot goes to
test-artifacts/report.png (gitignored) for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.publish.report import TREND_KPIS, render_report, write_report, write_reports
from salestier_pipeline.publish.tables import CONTRACT
from tests.browser import chromium_page

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
DATES = [dt.date(2026, 3, 13), dt.date(2026, 3, 20), dt.date(2026, 3, 27)]
HOSTILE = "<script>document.title='pwned'</script> & \"quoted\""

TYPES = {
    "as_of_date": "DATE", "period_start": "DATE", "stage_order": "INTEGER", "reached": "BIGINT",
    "accounts": "BIGINT", "won_count": "BIGINT", "lost_count": "BIGINT", "activity_count": "BIGINT",
    "days_since_last_activity": "BIGINT", "service_level_days": "INTEGER", "is_past_service_level": "BOOLEAN",
    "is_first_snapshot": "BOOLEAN", "is_change": "BOOLEAN", "leaderboard_rank": "BIGINT",
    "is_bottleneck": "BOOLEAN", "over_capacity": "BOOLEAN", "tier_a_accounts": "BIGINT",
    "tier_b_accounts": "BIGINT", "tier_c_accounts": "BIGINT", "tier_d_accounts": "BIGINT",
}
DOUBLES = {"open_pipeline", "weighted_pipeline", "bookings_365d", "conversion_rate", "value", "win_rate",
           "avg_deal_size", "sales_cycle_days", "owned_value", "load_vs_team_median", "bookings", "target_amount",
           "attainment", "pipeline_coverage", "satisfaction", "next_period_target", "amount_at_stake",
           "amount_original"}
REPORT_TABLES = ("customer_tier_list", "lifecycle_transitions", "rep_performance", "rep_tier_list",
                 "funnel_conversion", "kpi_snapshot", "win_analysis", "rep_allocation", "risk_alerts")
REPS = [("M1", "李经理", None, "华东销售一部"), ("R1", "王芳", "M1", "华东销售一部"),
        ("R2", "张伟", "M1", "华东销售一部"),
        ("M2", "Ann Lee", None, "EMEA Enterprise"), ("R3", "Tom Hill", "M2", "EMEA Enterprise"),
        ("R4", "Eva Braun-Schmidt", "M2", "EMEA Enterprise")]
STAGES = ["lead_identified", "initial_contact", "needs_analysis", "solution", "follow_up", "closed_won"]
LIFECYCLE = ["prospect", "new", "active", "reactivated", "at_risk", "churned"]


def _type(column: str) -> str:
    return "DOUBLE" if column in DOUBLES else TYPES.get(column, "VARCHAR")


def build_serving(path: Path, seed: int = 7, alerts: bool = True) -> Path:
    """A deterministic serving DB with the report's tables over three snapshots."""
    rnd = random.Random(seed)
    data: dict[str, list[dict]] = {t: [] for t in REPORT_TABLES}
    tiers_before: dict[str, str] = {}
    for n, day in enumerate(DATES):
        for i in range(60):
            tier = "ABCD"[min(3, int(rnd.random() * 4))]
            owner = REPS[1 + i % 5 if i % 5 != 2 else 4]
            data["customer_tier_list"].append(dict(
                as_of_date=day, account_id=f"acc{i}", account_name=f"上海客户{i}有限公司" if i % 2 else f"Acme {i}",
                source_system="zoho", owner_rep_id=owner[0], owner_name=owner[1], tier=tier,
                previous_tier=tiers_before.get(f"acc{i}"), value_band="H", intent_band="M", tier_reason="rule",
                lifecycle_stage=rnd.choice(LIFECYCLE), days_since_last_activity=rnd.randint(0, 120),
                service_level_days=30, is_past_service_level=rnd.random() < 0.3,
                open_pipeline=rnd.randint(0, 90) * 1000.0, weighted_pipeline=0.0,
                bookings_365d=rnd.randint(0, 200) * 1000.0))
            tiers_before[f"acc{i}"] = tier
        for f in LIFECYCLE:
            for t in rnd.sample(LIFECYCLE, 2) + [f]:
                data["lifecycle_transitions"].append(dict(as_of_date=day, from_stage=f, to_stage=t,
                                                          accounts=rnd.randint(1, 12), is_change=f != t))
        for rep_id, name, manager, team in REPS:
            attainment = None if manager is None else round(rnd.uniform(0.3, 1.8), 3)
            data["rep_tier_list"].append(dict(
                as_of_date=day, rep_id=rep_id, rep_name=name, manager_rep_id=manager, team=team,
                rep_tier="core" if attainment is None else "top" if attainment > 1.2 else
                "developing" if attainment < 0.8 else "core",
                training_focus="negotiation", incentive_band=">=120%", next_period_target=300000.0,
                tier_reason="attainment", leaderboard_basis="attainment", currency="CNY"))
            data["rep_performance"].append(dict(
                as_of_date=day, rep_id=rep_id, rep_name=name, manager_rep_id=manager, team=team, region="CN",
                period_type="trailing_90d", period_start=day - dt.timedelta(days=89), bookings=rnd.randint(1, 90) * 1e4,
                won_count=3, lost_count=4, win_rate=rnd.uniform(0.1, 0.7), avg_deal_size=5e4, sales_cycle_days=40.0,
                open_pipeline=1e5, weighted_pipeline=5e4, activity_count=20, target_amount=3e5, attainment=attainment,
                pipeline_coverage=2.0, satisfaction=None if manager is None else rnd.uniform(0.4, 0.95)))
            if manager is not None:
                counts = [rnd.randint(0, 12) for _ in range(4)]
                data["rep_allocation"].append(dict(
                    as_of_date=day, rep_id=rep_id, tier_a_accounts=counts[0], tier_b_accounts=counts[1],
                    tier_c_accounts=counts[2], tier_d_accounts=counts[3], owned_value=sum(counts) * 1e5,
                    load_vs_team_median=rnd.uniform(0.5, 2.0), over_capacity=rep_id == "R1",
                    suggested_action="move 3 accounts to R2" if rep_id == "R1" else "none"))
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
        for tier in "ABCD":
            data["kpi_snapshot"].append(dict(as_of_date=day, level="tier", level_key=tier, kpi="satisfaction_t90d",
                                             value=rnd.uniform(0.5, 0.9)))
        for dimension, values in (("lead_source", ["官网", "Partner", "Trade Show", "Cold Call"]),
                                  ("industry", [f"行业{k}" for k in range(14)]), ("size_band", ["small", "large"]),
                                  ("region", ["华东", "EMEA"]), ("tier", list("ABCD"))):
            for v in values:
                won, lost = rnd.randint(1, 30), rnd.randint(1, 30)
                data["win_analysis"].append(dict(as_of_date=day, dimension=dimension, dimension_value=v,
                                                 won_count=won, lost_count=lost, win_rate=won / (won + lost),
                                                 avg_deal_size=4e4, sales_cycle_days=30.0))
        if alerts:
            for k, (kind, severity) in enumerate([("stale_deal", "high"), ("overdue_deal", "medium"),
                                                  ("neglected_account", "low"), ("low_satisfaction", "high")] * 3):
                data["risk_alerts"].append(dict(
                    as_of_date=day, alert_type=kind, severity=severity, account_id=f"acc{k}", opportunity_id=None,
                    rep_id=None, owner_rep_id=REPS[1 + k % 5][0], rule="rule",
                    detail=HOSTILE if k == 0 else f"客户 acc{k} 需要跟进 needs follow-up"))
    con = duckdb.connect(str(path))
    try:
        for table in REPORT_TABLES:
            cols = CONTRACT[table]
            con.execute(f"CREATE TABLE {table} (" + ", ".join(f"{c} {_type(c)}" for c in cols) + ")")
            rows = [tuple(r.get(c) for c in cols) for r in data[table]]
            if rows:
                con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})", rows)
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
    import re

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
    con.execute("CREATE TABLE customer_tier_list (as_of_date DATE)")
    con.close()
    with pytest.raises(ValueError, match="empty"):
        write_report(path, tmp_path)
