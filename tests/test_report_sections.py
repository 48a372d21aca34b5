"""Report sections on data shaped like real exports (pure functions: rows in, HTML out)."""

from __future__ import annotations

from salestier_pipeline.publish.report import leaderboard_section


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
