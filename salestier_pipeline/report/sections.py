"""The report's sections: for each, its plain query (`<name>_rows`: one mart, one as-of date, chosen columns,
an order) and its renderer (`<name>_section`: rows in, HTML out).

The marts decide every number, flag, rank, total and order of importance (dbt); a section only picks
colours, labels and the layout. Text from the data is HTML-escaped here, so a section's HTML is safe to put
into the page as is.
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape
from typing import Any

import duckdb

from salestier_pipeline.publish.read import column, constant, select_dicts
from salestier_pipeline.report.charts import (
    GREY,
    REP_TIER_COLOURS,
    SEVERITY_COLOURS,
    STAGES_ZH,
    TIER_COLOURS,
    Bar,
    donut,
    fmt_money,
    fmt_pct,
    fmt_value,
    funnel_chart,
    hbar_chart,
    line_chart,
    matrix,
    mix,
    num,
    sankey,
    stacked_hbar,
)

Rows = list[dict[str, Any]]
Series = dict[str, list[tuple[dt.date, float]]]

ALERTS_ZH = {"stale_deal": "商机停滞", "overdue_deal": "商机逾期", "neglected_account": "客户久未跟进",
             "at_risk_high_value": "高价值客户流失风险", "low_satisfaction": "满意度低",
             "revenue_concentration": "收入过度集中", "low_coverage": "商机覆盖不足",
             "no_activity_export": "无跟进记录导出", "rule_summary": "规则汇总"}
DIMENSIONS = (("lead_source", "渠道 Channel"), ("industry", "行业 Industry"), ("region", "区域 Region"),
              ("size_band", "规模 Size"), ("tier", "客户等级 Customer tier"))
# (kpi, label, kind) for the trend small multiples; kind picks the number format.
TREND_KPIS = (
    ("bookings_t90d", "成交额 Bookings (90 d)", "money"), ("win_rate_t90d", "赢单率 Win rate (90 d)", "pct"),
    ("attainment_t90d", "达成率 Attainment (90 d)", "pct"), ("open_pipeline", "在途商机 Open pipeline", "money"),
    ("pipeline_coverage_t90d", "覆盖倍数 Coverage (90 d)", "ratio"),
    ("accounts_tier_a", "A 类客户 Tier-A accounts", "int"),
    ("accounts_past_service_level", "超服务周期 Past service level", "int"),
    ("satisfaction_t90d", "满意度 Satisfaction (90 d)", "pct"),
)
LOWER_IS_BETTER = frozenset({"accounts_past_service_level"})
CARD_KPIS = (("accounts", "客户 Accounts", "int"), ("accounts_tier_a", "A 类客户 Tier A", "int"),
             ("bookings_t90d", "成交 Bookings 90 d", "money"), ("win_rate_t90d", "赢单率 Win rate", "pct"),
             ("attainment_t90d", "达成率 Attainment", "pct"), ("open_pipeline", "在途商机 Pipeline", "money"))
PERIODS = {"trailing_90d": ("近 90 天", "trailing-90-day"), "quarter": ("本季度", "quarter-to-date"),
           "month": ("本月", "month-to-date")}
MOVEMENT_COLOURS = {"new": "#9aa5b1", "same": "#3a7dc9", "up": "#1a9850", "down": "#d73027"}
NEW_TIER = "新 new"  # the matrix row of accounts not in the previous run (tier_movements.previous_tier 'new')
FIRST_SNAPSHOT = "首次快照 first snapshot: changes are counted from the next run"
MAX_ALERT_ROWS = 150


# ---------------------------------------------------------------- page pieces

def figure(chart_id: str, body: str, caption: str = "") -> str:
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart" data-chart="{escape(chart_id)}">{body}{cap}</figure>'


def card(title: str, hint: str, body: str, wide: bool = False) -> str:
    cls = "card wide" if wide else "card"
    return f'<section class="{cls}"><h2>{escape(title)}</h2><p class="hint">{escape(hint)}</p>{body}</section>'


def _is_number(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


# ---------------------------------------------------------------- KPI history (cards, trends, first snapshot)

def company_kpis(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Series:
    """Company-level KPI history up to as_of (kpi_snapshot): kpi -> [(date, value)] in date order."""
    rows = select_dicts(con, "kpi_snapshot", None, ["as_of_date", "kpi", "value"], "as_of_date, kpi",
                        (column("level") == constant("company")) & (column("as_of_date") <= constant(as_of)))
    series: Series = {}
    for r in rows:
        if _is_number(r["value"]):
            series.setdefault(r["kpi"], []).append((r["as_of_date"], float(r["value"])))
    return series


def is_first_snapshot(series: Series, as_of: dt.date) -> bool:
    """The marts' flag (kpi_snapshot is_first_snapshot = 1): no earlier as-of date, nothing to compare with."""
    return any(d == as_of and v == 1 for d, v in series.get("is_first_snapshot", []))


def report_currency(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> str:
    """The currency the marts published their money in (kpi_snapshot.unit of the company's open pipeline)."""
    rows = select_dicts(con, "kpi_snapshot", as_of, ["unit"], "unit",
                        (column("level") == constant("company")) & (column("kpi") == constant("open_pipeline")))
    return next((r["unit"] for r in rows if r["unit"]), "")


def kpi_cards(series: Series, as_of: dt.date, alerts: int, currency: str = "") -> str:
    """Headline numbers with the change since the previous snapshot."""
    out = []
    for kpi, label, kind in CARD_KPIS:
        points = [p for p in series.get(kpi, []) if p[0] <= as_of]
        value = points[-1][1] if points and points[-1][0] == as_of else None
        delta = ""
        if value is not None and len(points) > 1:
            change = value - points[-2][1]
            cls = "up" if change > 0 else "down" if change < 0 else "flat"
            sign = "+" if change > 0 else "−" if change < 0 else "±"
            delta = f'<span class="delta {cls}">{sign}{escape(fmt_value(abs(change), kind, currency))}</span>'
        out.append(f'<div class="kpi"><div class="kpi-label">{escape(label)}</div>'
                   f'<div class="kpi-value">{escape(fmt_value(value, kind, currency))}{delta}</div></div>')
    out.append(f'<div class="kpi alert"><div class="kpi-label">预警 Alerts</div>'
               f'<div class="kpi-value">{alerts:,}</div></div>')
    return '<div class="kpis">' + "".join(out) + "</div>"


def trend_section(series: Series, as_of: dt.date, currency: str = "") -> str:
    charts = "".join(figure(f"kpi_{kpi}", line_chart(series.get(kpi, []), label, kind, as_of, currency,
                                                     kpi in LOWER_IS_BETTER))
                     for kpi, label, kind in TREND_KPIS)
    dates = sorted({d for points in series.values() for d, _ in points})
    hint = f"公司层面 KPI，{len(dates)} 个快照 company KPIs over {len(dates)} snapshot(s)"
    return card("KPI 趋势 KPI trends", hint, f'<div class="trends">{charts}</div>', wide=True)


# ---------------------------------------------------------------- customer tiers

def tier_distribution_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Rows:
    return select_dicts(con, "tier_distribution", as_of, ["tier", "accounts", "open_pipeline", "bookings_365d"],
                        "tier_order, tier")


def tier_movement_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Rows:
    return select_dicts(con, "tier_movements", as_of, ["previous_tier", "tier", "accounts", "movement", "is_change"],
                        "previous_tier, tier")


def tier_section(distribution: Rows, movements: Rows, first_snapshot: bool, currency: str = "") -> str:
    """Donut of the tier distribution and the previous_tier x tier matrix (coloured by the mart's movement)."""
    total = sum(t["accounts"] for t in distribution)
    segments = [(t["tier"] or "?", t["accounts"], TIER_COLOURS.get(t["tier"], GREY),
                 f"商机 pipeline {fmt_money(num(t['open_pipeline']), currency)} · "
                 f"成交 bookings {fmt_money(num(t['bookings_365d']), currency)}")
                for t in distribution]

    def label(tier: str) -> str:
        return NEW_TIER if tier == "new" else tier

    cells = {(label(m["previous_tier"]), m["tier"]): float(m["accounts"]) for m in movements}
    movement = {(label(m["previous_tier"]), m["tier"]): m["movement"] for m in movements}
    top = max(cells.values(), default=1)

    def colour(prev: str, tier: str, value: float) -> str:
        return mix(MOVEMENT_COLOURS.get(movement.get((prev, tier), ""), GREY), 0.18 + 0.72 * value / top)

    order = [t["tier"] for t in distribution]  # the mart's tier order, best first
    rows = [r for r in (NEW_TIER, *order) if any(k[0] == r for k in cells)]
    rows += sorted({k[0] for k in cells} - set(rows))
    cols = [c for c in order if any(k[1] == c for k in cells)]
    cols += sorted({k[1] for k in cells} - set(cols))
    changed = sum(m["accounts"] for m in movements if m["is_change"])
    caption = (FIRST_SNAPSHOT if first_snapshot else
               f"{changed:,.0f} 个客户换档 accounts changed tier; 绿色=升档 green = up, 红色=降档 red = down.")
    body = figure("tier_distribution", donut(segments, f"{total:,}", "客户 accounts", "Tier distribution"))
    body += figure("tier_movement", matrix(rows, cols, cells, colour, "Tier movement", "上期等级 previous tier ↓",
                                           "本期等级 tier →"), caption)
    return card("客户分层 Customer tiers", "A/B/C/D 分布与换档 distribution and movement (previous_tier → tier)", body)


# ---------------------------------------------------------------- funnel

def funnel_company_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Rows:
    return select_dicts(con, "funnel_conversion", as_of,
                        ["stage", "stage_order", "reached", "conversion_rate", "is_bottleneck"], "stage_order",
                        column("level") == constant("company"))


def funnel_team_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Rows:
    return select_dicts(con, "funnel_conversion", as_of,
                        ["level_key", "stage", "stage_order", "conversion_rate", "is_bottleneck"],
                        "level_key, stage_order", column("level") == constant("team"))


def funnel_section(company: Rows, teams: Rows) -> str:
    """Company funnel (the mart's bottleneck in red) and the team x stage conversion heatmap."""
    teams = [t for t in teams if _is_number(t["conversion_rate"])]
    bottleneck = next((s["stage"] for s in company if s["is_bottleneck"]), None)
    stages = list(dict.fromkeys(t["stage"] for t in sorted(teams, key=lambda t: t["stage_order"])))
    cells = {(t["level_key"], t["stage"]): float(t["conversion_rate"]) for t in teams}
    outline = frozenset((t["level_key"], t["stage"]) for t in teams if t["is_bottleneck"])
    heat = matrix(sorted({t["level_key"] for t in teams}), [STAGES_ZH.get(s, s) for s in stages],
                  {(r, STAGES_ZH.get(s, s)): v for (r, s), v in cells.items()},
                  lambda r, c, v: mix("#3a7dc9", 0.12 + 0.8 * v), "Team conversion", "团队 team",
                  "阶段转化率 stage → next stage", fmt_pct,
                  frozenset((r, STAGES_ZH.get(s, s)) for r, s in outline))
    caption = (f"瓶颈 bottleneck: {STAGES_ZH.get(bottleneck, bottleneck)} {bottleneck}" if bottleneck
               else "无瓶颈 no bottleneck flagged")
    body = figure("funnel", funnel_chart(company, "Sales funnel"), caption)
    body += figure("funnel_teams", heat, "红框 = 该团队的瓶颈 red outline = the team's bottleneck")
    return card("销售漏斗 Funnel", "各阶段到达数与转化率 reached and conversion to the next stage", body)


# ---------------------------------------------------------------- lifecycle

def lifecycle_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Rows:
    return select_dicts(con, "lifecycle_transitions", as_of, ["from_stage", "to_stage", "accounts", "is_change"],
                        "from_stage, to_stage")


def lifecycle_section(flows: Rows, first_snapshot: bool) -> str:
    """Previous stage -> stage flow; the mart says which flows are changes."""
    data = [(f["from_stage"] or "none", f["to_stage"] or "none", float(f["accounts"] or 0)) for f in flows]
    moved = sum(float(f["accounts"] or 0) for f in flows if f["is_change"])
    caption = (FIRST_SNAPSHOT if first_snapshot else
               f"{moved:,.0f} 个客户阶段变化 accounts changed lifecycle stage since the previous snapshot")
    body = figure("lifecycle_flow", sankey(data, "Lifecycle flow"), caption)
    return card("生命周期流转 Lifecycle flow", "上期阶段 → 本期阶段 previous stage → stage", body)


# ---------------------------------------------------------------- reps

REP_COLUMNS = ["rep_id", "rep_name", "team", "rep_tier", "incentive_band", "period_type", "leaderboard_basis",
               "attainment", "bookings", "win_rate", "satisfaction"]


def rep_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Rows:
    """The leaderboard mart: every rep with the tier period's numbers and satisfaction."""
    return select_dicts(con, "rep_leaderboard", as_of, REP_COLUMNS, "rep_id")


def _period(reps: Rows) -> tuple[str, str]:
    kind = next((r.get("period_type") for r in reps if r.get("period_type")), "trailing_90d")
    return PERIODS.get(kind, (kind, kind))


def leaderboard_section(reps: Rows, currency: str = "") -> str:
    """Attainment by rep tier; with no targets at all, bookings instead (attainment stays empty, never 0).

    Which of the two is the mart's decision (rep_leaderboard.leaderboard_basis)."""
    by_bookings = any(r["leaderboard_basis"] == "bookings" for r in reps)
    measure = "bookings" if by_bookings else "attainment"
    zh_period, en_period = _period(reps)
    bars: list[Bar | str] = []
    missing = [] if by_bookings else [r["rep_name"] or r["rep_id"] for r in reps if num(r["attainment"]) is None]
    for tier, zh in (("top", "优秀 top"), ("core", "骨干 core"), ("developing", "成长 developing")):
        group = sorted((r for r in reps if r["rep_tier"] == tier and num(r[measure]) is not None),
                       key=lambda r: (-r[measure], r["rep_id"]))
        if not group:
            continue
        bars.append(zh)
        for r in group:
            name = f'{r["rep_name"] or r["rep_id"]} · {r["team"] or ""}'
            bookings, win_rate = fmt_money(num(r["bookings"]), currency), fmt_pct(num(r["win_rate"]))
            shown = bookings if by_bookings else fmt_pct(r["attainment"])
            bars.append(Bar(name, num(r[measure]), REP_TIER_COLOURS.get(tier, GREY), shown,
                            f"赢单率 {win_rate}" if by_bookings else f"{bookings} · 赢单率 {win_rate}",
                            f'{name}: attainment {fmt_pct(r["attainment"])}, bookings {bookings}, win rate {win_rate}, '
                            f'incentive {r["incentive_band"]}'))
    if by_bookings:
        caption = "无目标 no targets in the exports: reps ranked by bookings; attainment is not shown"
        chart = hbar_chart(bars, "Rep leaderboard", label_px=200)
        subtitle = f"{zh_period}成交额，按销售等级分组 {en_period} bookings by rep tier (no targets)"
    else:
        caption = "无目标 no target: " + ", ".join(missing) if missing else ""
        chart = hbar_chart(bars, "Rep leaderboard", 1.0, "目标 100% target", label_px=200)
        subtitle = f"{zh_period}达成率，按销售等级分组 {en_period} attainment by rep tier"
    return card("销售排行 Rep leaderboard", subtitle, figure("rep_leaderboard", chart, caption))


def tier_satisfaction_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Rows:
    return select_dicts(con, "kpi_snapshot", as_of, ["level_key", "value"], "level_key",
                        (column("level") == constant("tier")) & (column("kpi") == constant("satisfaction_t90d")))


def satisfaction_section(reps: Rows, by_tier: Rows) -> str:
    """Satisfaction per rep (rep_leaderboard) and per customer tier (kpi_snapshot, trailing 90 days)."""
    rated = sorted((r for r in reps if num(r["satisfaction"]) is not None),
                   key=lambda r: (-r["satisfaction"], r["rep_id"]))
    bars = [Bar(f'{r["rep_name"] or r["rep_id"]} · {r["team"] or ""}', r["satisfaction"],
                REP_TIER_COLOURS.get(r["rep_tier"], GREY), fmt_pct(r["satisfaction"]), r["rep_tier"] or "")
            for r in rated]
    tier_bars = [Bar(f'{t["level_key"]} 类客户 tier {t["level_key"]}', t["value"],
                     TIER_COLOURS.get(t["level_key"], GREY), fmt_pct(t["value"]))
                 for t in by_tier if _is_number(t["value"])]
    body = figure("satisfaction_reps", hbar_chart(bars, "Satisfaction by rep", max_value=1.0, label_px=200))
    body += figure("satisfaction_tiers", hbar_chart(tier_bars, "Satisfaction by customer tier", max_value=1.0))
    zh_period, en_period = _period(reps)
    hint = f"满意度（按销售：{zh_period}；按客户等级：近 90 天）by rep ({en_period}) and by tier (trailing 90 days)"
    return card("客户满意度 Satisfaction", hint, body)


# ---------------------------------------------------------------- wins

def win_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date, dimension: str) -> Rows:
    """One dimension of win_analysis, the values with the most closed deals first."""
    return select_dicts(con, "win_analysis", as_of,
                        ["dimension_value", "won_count", "lost_count", "win_rate", "avg_deal_size"],
                        "won_count + lost_count DESC, dimension_value", column("dimension") == constant(dimension))


def win_summary_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Rows:
    return select_dicts(con, "win_analysis_summary", as_of, ["dimension", "dimension_values", "win_rate"],
                        "dimension")


def win_section(by_dimension: dict[str, Rows], summary: Rows, currency: str = "") -> str:
    """Win rate per value of each dimension (top 10 by closed deals) against the dimension's overall rate."""
    overall = {s["dimension"]: s for s in summary}
    figures = []
    for dimension, title in DIMENSIONS:
        rows = by_dimension.get(dimension, [])
        avg = num(overall.get(dimension, {}).get("win_rate"))
        values = overall.get(dimension, {}).get("dimension_values") or len(rows)
        top = sorted(rows[:10], key=lambda r: (-(num(r["win_rate"]) or 0), r["dimension_value"] or ""))
        bars = []
        for r in top:
            rate = num(r["win_rate"])
            colour = TIER_COLOURS.get(r["dimension_value"], GREY) if dimension == "tier" else (
                "#1a9850" if avg is not None and rate is not None and rate >= avg else "#f0a202")
            bars.append(Bar(r["dimension_value"] or "(未知 unknown)", rate, colour, fmt_pct(rate),
                            f'赢 {r["won_count"]} / 输 {r["lost_count"]}',
                            f'{r["dimension_value"]}: win rate {fmt_pct(rate)}, {r["won_count"]} won / '
                            f'{r["lost_count"]} lost, avg deal {fmt_money(num(r["avg_deal_size"]), currency)}'))
        chart = hbar_chart(bars, f"Win rate by {dimension}", avg, f"平均 avg {fmt_pct(avg)}")
        more = f" (前 10 / top 10 of {values})" if values > 10 else ""
        figures.append(f'<div class="sub"><h3>{escape(title)}{escape(more)}</h3>{figure("win_" + dimension, chart)}'
                       "</div>")
    body = '<div class="subgrid">' + "".join(figures) + "</div>"
    return card("赢单分析 Win analysis", "按渠道与客户细分的赢单率；绿色 = 高于平均 green = above average", body,
                wide=True)


# ---------------------------------------------------------------- allocation

def allocation_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Rows:
    """Reps owning accounts, over-capacity first, then the most accounts (rep_allocation)."""
    return select_dicts(con, "rep_allocation", as_of,
                        ["rep_id", "rep_name", "tier_a_accounts", "tier_b_accounts", "tier_c_accounts",
                         "tier_d_accounts", "owned_value", "load_vs_team_median", "over_capacity",
                         "suggested_action"],
                        "over_capacity DESC, accounts_owned DESC, rep_id", column("accounts_owned") > constant(0))


def allocation_section(rows: Rows) -> str:
    data = []
    for r in rows:
        segs = [(float(r[f"tier_{t.lower()}_accounts"] or 0), TIER_COLOURS[t], f"tier {t}") for t in TIER_COLOURS]
        load = num(r["load_vs_team_median"])
        note = ("⚠ 超负荷 over capacity" if r["over_capacity"] else
                f"{load:.1f}× 中位 median" if load is not None else "")
        data.append((r["rep_name"] or r["rep_id"], segs, note))
    actions = [(r["rep_name"] or r["rep_id"], r["suggested_action"]) for r in rows
               if r["suggested_action"] and r["suggested_action"] != "none"]
    items = "".join(f"<li><b>{escape(n)}</b>: {escape(a)}</li>" for n, a in actions)
    chart = stacked_hbar(data, [(f"{t} 类 tier {t}", TIER_COLOURS[t]) for t in TIER_COLOURS], "Resource allocation",
                         label_px=150)
    body = figure("allocation", chart)
    body += f'<ul class="actions">{items}</ul>' if items else '<p class="hint">无调整建议 no suggested actions</p>'
    return card("资源配置 Resource allocation", "每位销售负责的 A/B/C/D 客户数与建议 accounts per rep and suggestions",
                body)


# ---------------------------------------------------------------- alerts

def alert_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Rows:
    """Every alert of the as-of date in the mart's order of action (risk_alerts.alert_rank)."""
    return select_dicts(con, "risk_alerts", as_of,
                        ["alert_type", "severity", "account_id", "opportunity_id", "rep_id", "owner_rep_id",
                         "detail"], "alert_rank")


def alert_summary_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Rows:
    """Alerts per type and severity (alert_summary), the most frequent type first."""
    return select_dicts(con, "alert_summary", as_of,
                        ["alert_type", *(f"{s}_alerts" for s in SEVERITY_COLOURS), "alerts"], "alerts DESC, alert_type")


def alert_section(alerts: Rows, summary: Rows) -> str:
    data = [(f"{ALERTS_ZH.get(k['alert_type'], '')} {k['alert_type']}".strip(),
             [(float(k[f"{s}_alerts"] or 0), c, s) for s, c in SEVERITY_COLOURS.items()],
             f"{k['alerts']:,}") for k in summary]
    chart = stacked_hbar(data, [(f"{s}", c) for s, c in SEVERITY_COLOURS.items()], "Alerts by type",
                         label_px=230)
    rows = "".join(
        f'<tr><td><span class="sev {escape(a["severity"] or "")}">{escape(a["severity"] or "")}</span></td>'
        f'<td>{escape(ALERTS_ZH.get(a["alert_type"], ""))}<br><small>{escape(a["alert_type"] or "")}</small></td>'
        f'<td>{escape(a["rep_id"] or a["owner_rep_id"] or "")}</td>'
        f'<td><small>{escape(a["account_id"] or a["opportunity_id"] or "")}</small></td>'
        f'<td>{escape(a["detail"] or "")}</td></tr>' for a in alerts[:MAX_ALERT_ROWS])
    more = (f'<p class="hint">仅显示前 {MAX_ALERT_ROWS} 条 showing the first {MAX_ALERT_ROWS} of {len(alerts):,}; '
            "完整列表见 full list: risk_alerts table</p>") if len(alerts) > MAX_ALERT_ROWS else ""
    table = ('<div class="table-wrap"><table class="alerts"><thead><tr><th>级别 severity</th><th>类型 type</th>'
             "<th>销售 rep</th><th>对象 account / deal</th><th>说明 detail</th></tr></thead>"
             f"<tbody>{rows}</tbody></table></div>{more}") if alerts else '<p class="hint">无预警 no alerts</p>'
    body = figure("alerts", chart) + table
    return card("风险预警 Alerts", f"{len(alerts):,} 条预警，按严重程度排序 alerts, most severe first", body,
                wide=True)
