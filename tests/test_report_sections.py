"""Report sections on data shaped like real exports (pure functions: rows in, HTML out)."""

from __future__ import annotations

import re

from salestier_pipeline.report.charts import mix
from salestier_pipeline.report.sections import (
    FIRST_SNAPSHOT,
    MOVEMENT_COLOURS,
    alert_section,
    leaderboard_section,
    tier_section,
)


def _rep(rep_id: str, tier: str, bookings: float, attainment: float | None, basis: str = "attainment") -> dict:
    return {"rep_id": rep_id, "rep_name": f"Rep {rep_id}", "team": "funnel", "rep_tier": tier, "incentive_band": None,
            "attainment": attainment, "bookings": bookings, "win_rate": 1.0, "satisfaction": None,
            "leaderboard_basis": basis}


def test_leaderboard_without_targets_ranks_by_bookings_and_says_so() -> None:
    html = leaderboard_section([_rep("a", "core", 1_000.0, None, "bookings"),
                                _rep("b", "top", 50_000_000.0, None, "bookings"),
                                _rep("c", "core", 9_000.0, None, "bookings")], currency="CNY")
    assert "No data" not in html and "暂无数据" not in html
    assert "ranked by bookings" in html and "100% target" not in html
    assert html.index("Rep b") < html.index("Rep c") < html.index("Rep a")
    assert "50.0M CNY" in html and "9.0K CNY" in html  # every money figure carries its currency


def test_leaderboard_with_targets_ranks_by_attainment() -> None:
    html = leaderboard_section([_rep("a", "core", 1_000.0, 0.5), _rep("c", "core", 9_000.0, 1.2)])
    assert "100% target" in html and "ranked by bookings" not in html
    assert html.index("Rep c") < html.index("Rep a")


def _fills(html: str) -> dict[str, str]:
    """Matrix cell tooltip ("prev → tier: n") -> its fill colour."""
    return {tip: fill for fill, tip in re.findall(r'fill="(#[0-9a-f]{6})" stroke="#fff" stroke-width="2"><title>'
                                                  r"([^<]+)</title>", html)}


def test_tier_section_colours_and_counts_what_the_mart_says() -> None:
    """The movement (up / down / same / new) and is_change are the mart's: a cell the mart calls 'up' is green
    whatever its letters, and only is_change rows count as changed."""
    distribution = [{"tier": t, "accounts": n, "open_pipeline": 1000.0, "bookings_365d": 0.0}
                    for t, n in (("A", 10), ("B", 4))]
    movements = [
        {"previous_tier": "A", "tier": "B", "accounts": 3, "movement": "up", "is_change": True},
        {"previous_tier": "B", "tier": "A", "accounts": 1, "movement": "down", "is_change": True},
        {"previous_tier": "A", "tier": "A", "accounts": 6, "movement": "same", "is_change": False},
        {"previous_tier": "new", "tier": "B", "accounts": 4, "movement": "new", "is_change": False},
    ]
    html = tier_section(distribution, movements, first_snapshot=False, currency="CNY")
    fills = _fills(html)
    top = 6
    for prev, tier, n, movement in (("A", "B", 3, "up"), ("B", "A", 1, "down"), ("A", "A", 6, "same"),
                                    ("新 new", "B", 4, "new")):
        assert fills[f"{prev} → {tier}: {n}"] == mix(MOVEMENT_COLOURS[movement], 0.18 + 0.72 * n / top)
    assert "4 个客户换档 accounts changed tier" in html
    assert html.index(">新 new<") < html.index(">A</text><rect"), "new accounts are the first row"
    assert ">14</text>" in html, "the donut's centre: the distribution's accounts"
    first = tier_section(distribution, movements, first_snapshot=True)
    assert FIRST_SNAPSHOT in first and "个客户换档" not in first


def test_alert_chart_draws_the_summary_mart() -> None:
    """Counts per type and severity come from alert_summary, the table from risk_alerts in the given order."""
    summary = [{"alert_type": "stale_deal", "high_alerts": 5, "medium_alerts": 0, "low_alerts": 2, "info_alerts": 0,
                "alerts": 7}]
    alerts = [{"alert_type": "stale_deal", "severity": "low", "account_id": "acc2", "opportunity_id": None,
               "rep_id": None, "owner_rep_id": "R2", "detail": "second"},
              {"alert_type": "stale_deal", "severity": "high", "account_id": None, "opportunity_id": "opp1",
               "rep_id": "R1", "owner_rep_id": "R9", "detail": "<b>first</b>"}]
    html = alert_section(alerts, summary)
    assert "商机停滞 stale_deal · high: 5" in html and "商机停滞 stale_deal · low: 2" in html
    assert ">7</text>" in html and "2 条预警" in html
    assert html.index("second") < html.index("&lt;b&gt;first&lt;/b&gt;"), "the rows' order, text escaped"
    assert "<td>R1</td>" in html and "<td>R2</td>" in html, "the alert's rep, else the owner"
