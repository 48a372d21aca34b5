"""Static HTML report: one self-contained file per as-of date, charts drawn as inline SVG in Python.

No JavaScript, no CDN, no fonts or images fetched: the page carries a Content-Security-Policy that forbids
any network load, so it opens the same offline, from a mail attachment or a file share. It reads only
historical published tables (SPEC §6.1), so a report of an older as-of date is as exact as the latest one.
Output is deterministic for the same input (no clock, stable ordering).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import duckdb

# Tier colours (strong hues for charts; the XLSX uses light fills of the same hues).
TIER_COLOURS = {"A": "#1a9850", "B": "#3a7dc9", "C": "#f0a202", "D": "#d6604d"}
REP_TIER_COLOURS = {"top": "#1a9850", "core": "#3a7dc9", "developing": "#f0a202"}
SEVERITY_COLOURS = {"high": "#d73027", "medium": "#f0a202", "low": "#8fa6bf"}
GREY, INK, MUTED, GRID = "#b8c2cc", "#1f2a37", "#6b7785", "#e6eaef"

STAGES_ZH = {"lead_identified": "潜在客户识别", "initial_contact": "初步接触", "needs_analysis": "需求分析",
             "solution": "解决方案提供", "follow_up": "客户跟进", "closed_won": "成交"}
LIFECYCLE_ORDER = ("none", "prospect", "new", "active", "reactivated", "at_risk", "churned")
LIFECYCLE_ZH = {"none": "首次出现", "prospect": "潜在", "new": "新客户", "active": "活跃", "reactivated": "召回",
                "at_risk": "流失风险", "churned": "已流失"}
LIFECYCLE_COLOURS = {"none": "#9aa5b1", "prospect": "#8fa6bf", "new": "#66bd63", "active": "#1a9850",
                     "reactivated": "#3a7dc9", "at_risk": "#f0a202", "churned": "#d73027"}
ALERTS_ZH = {"stale_deal": "商机停滞", "overdue_deal": "商机逾期", "neglected_account": "客户久未跟进",
             "at_risk_high_value": "高价值客户流失风险", "low_satisfaction": "满意度低",
             "revenue_concentration": "收入过度集中", "low_coverage": "商机覆盖不足"}
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
LOWER_IS_BETTER = frozenset(label for kpi, label, _ in TREND_KPIS if kpi == "accounts_past_service_level")
CARD_KPIS = (("accounts", "客户 Accounts", "int"), ("accounts_tier_a", "A 类客户 Tier A", "int"),
             ("bookings_t90d", "成交 Bookings 90 d", "money"), ("win_rate_t90d", "赢单率 Win rate", "pct"),
             ("attainment_t90d", "达成率 Attainment", "pct"), ("open_pipeline", "在途商机 Pipeline", "money"))
WIDTH = 640
MAX_ALERT_ROWS = 150


# ---------------------------------------------------------------- formatting

def fmt_money(value: float | None, currency: str = "") -> str:
    """Compact amounts with their currency (1.2M USD, 350K USD): the report compares magnitudes, the XLSX
    carries exact figures."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    unit = f" {currency}" if currency else ""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}{unit}"
    return f"{value:.0f}{unit}"


def fmt_pct(value: float | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value * 100:.1f}%"


def fmt_value(value: float | None, kind: str, currency: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "money":
        return fmt_money(value, currency)
    if kind == "pct":
        return fmt_pct(value)
    return f"{value:.2f}" if kind == "ratio" else f"{value:,.0f}"


def text_width(text: str, size: float = 12) -> float:
    """Approximate rendered width: CJK glyphs are about one em, Latin about 0.58 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.58 for ch in text)


def clip(text: str, max_px: float, size: float = 12) -> str:
    """Shorten a label to fit max_px, with an ellipsis; the full text stays in the tooltip."""
    if text_width(text, size) <= max_px:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > max_px:
            break
        out += ch
    return out + "…"


def _num(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


# ---------------------------------------------------------------- SVG primitives

def svg(width: float, height: float, body: str, label: str) -> str:
    return (f'<svg viewBox="0 0 {width:.0f} {height:.0f}" width="100%" style="max-width:{width * 1.25:.0f}px" '
            f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>')


def text(x: float, y: float, content: str, size: float = 12, anchor: str = "start", fill: str = INK,
         weight: str = "normal", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}" {extra}>{escape(content)}</text>')


def rect(x: float, y: float, w: float, h: float, fill: str, tip: str = "", extra: str = "") -> str:
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}" {extra}>'
            f"{title}</rect>")


def empty_chart(label: str) -> str:
    """A visible placeholder so a section with no data still says so instead of leaving a hole."""
    return svg(WIDTH, 60, rect(0, 0, WIDTH, 60, "#f5f7fa", extra='rx="6"')
               + text(WIDTH / 2, 35, "暂无数据 No data for this as-of date", 13, "middle", MUTED), label)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    colour: str
    shown: str
    note: str = ""
    tip: str = ""


def hbar_chart(bars: Sequence[Bar | str], label: str, ref: float | None = None, ref_label: str = "",
               max_value: float | None = None, label_px: float = 170) -> str:
    """Horizontal bars; a str item is a group heading. ref draws a dashed target line (e.g. 100 %)."""
    if not any(isinstance(b, Bar) for b in bars):
        return empty_chart(label)
    values = [b.value for b in bars if isinstance(b, Bar) and b.value is not None]
    top = max([max_value or 0, *(v for v in values), ref or 0]) or 1
    note_px = max((text_width(b.note, 10) for b in bars if isinstance(b, Bar)), default=0)
    x0, x1, row = label_px + 10, WIDTH - 56 - (note_px + 10 if note_px else 0), 24
    y, parts = 22 if ref is not None else 6, []
    for item in bars:
        if isinstance(item, str):
            parts.append(text(4, y + 15, item, 12, weight="bold", fill=MUTED))
            y += row
            continue
        width = (x1 - x0) * max(item.value or 0, 0) / top
        tip = item.tip or f"{item.label}: {item.shown}"
        parts.append(f"<g><title>{escape(tip)}</title>")
        parts.append(text(x0 - 8, y + 15, clip(item.label, label_px - 4), 12, "end"))
        parts.append(rect(x0, y + 3, (x1 - x0), row - 8, "#f3f5f8", extra='rx="3"'))
        parts.append(rect(x0, y + 3, max(width, 1.5), row - 8, item.colour, extra='rx="3"'))
        parts.append(text(x0 + width + 6, y + 15, item.shown, 11, fill=INK, weight="bold"))
        if item.note:
            parts.append(text(WIDTH - 2, y + 15, item.note, 10, "end", MUTED))
        parts.append("</g>")
        y += row
    if ref is not None:
        rx = x0 + (x1 - x0) * ref / top
        parts.append(f'<line x1="{rx:.1f}" y1="14" x2="{rx:.1f}" y2="{y:.1f}" stroke="{INK}" '
                     'stroke-dasharray="4 3" stroke-width="1"/>')
        parts.append(text(rx, 10, ref_label, 10, "middle", MUTED))
    return svg(WIDTH, y + 6, "".join(parts), label)


def legend(items: Sequence[tuple[str, str]], x: float, y: float) -> str:
    parts, cx = [], x
    for name, colour in items:
        parts.append(rect(cx, y - 9, 10, 10, colour, extra='rx="2"') + text(cx + 14, y, name, 11, fill=MUTED))
        cx += 24 + text_width(name, 11)
    return "".join(parts)


def stacked_hbar(rows: Sequence[tuple[str, Sequence[tuple[float, str, str]], str]], series: Sequence[tuple[str, str]],
                 label: str, label_px: float = 170) -> str:
    """rows: (label, [(value, colour, segment name)], right-hand note); a legend of series on top."""
    if not rows:
        return empty_chart(label)
    top = max(sum(v for v, _, _ in segs) for _, segs, _ in rows) or 1
    note_px = max(text_width(note, 11) for _, _, note in rows)
    x0, x1, row, y = label_px + 10, WIDTH - note_px - 12, 24, 30
    parts = [legend(series, x0, 14)]
    for name, segs, note in rows:
        parts.append(text(x0 - 8, y + 15, clip(name, label_px - 4), 12, "end"))
        x = x0
        for value, colour, seg in segs:
            w = (x1 - x0) * value / top
            if w > 0:
                parts.append(rect(x, y + 3, w, row - 8, colour, f"{name} · {seg}: {value:,.0f}"))
                if w > 18:
                    parts.append(text(x + w / 2, y + 14.5, f"{value:,.0f}", 10, "middle", "#ffffff", "bold"))
            x += w
        parts.append(text(x + 6, y + 15, note, 11, fill=INK))
        y += row
    return svg(WIDTH, y + 6, "".join(parts), label)


def _arc(cx: float, cy: float, r_out: float, r_in: float, start: float, end: float) -> str:
    """Donut segment path from angle start to end (radians, 0 = 12 o'clock, clockwise)."""
    def point(r: float, a: float) -> str:
        return f"{cx + r * math.sin(a):.2f} {cy - r * math.cos(a):.2f}"
    large = 1 if end - start > math.pi else 0
    return (f"M {point(r_out, start)} A {r_out} {r_out} 0 {large} 1 {point(r_out, end)} "
            f"L {point(r_in, end)} A {r_in} {r_in} 0 {large} 0 {point(r_in, start)} Z")


def donut(segments: Sequence[tuple[str, float, str, str]], centre: str, sub: str, label: str) -> str:
    """segments: (name, value, colour, legend note). A full ring is split in two arcs so SVG can draw it."""
    total = sum(v for _, v, _, _ in segments)
    if total <= 0:
        return empty_chart(label)
    cx, cy, r_out, r_in = 120, 110, 95, 58
    parts, angle = [], 0.0
    for name, value, colour, _ in segments:
        if value <= 0:
            continue
        sweep = 2 * math.pi * value / total
        tip = f"<title>{escape(name)}: {value:,.0f} ({value / total:.0%})</title>"
        for a, b in ((angle, angle + sweep / 2), (angle + sweep / 2, angle + sweep)):
            parts.append(f'<path d="{_arc(cx, cy, r_out, r_in, a, b)}" fill="{colour}" stroke="#fff" '
                         f'stroke-width="0">{tip}</path>')
        mid = angle + sweep / 2
        if value / total >= 0.05:
            parts.append(text(cx + 77 * math.sin(mid), cy - 77 * math.cos(mid) + 4, f"{value / total:.0%}", 11,
                              "middle", "#fff", "bold"))
        angle += sweep
    parts.append(text(cx, cy + 2, centre, 26, "middle", weight="bold"))
    parts.append(text(cx, cy + 22, sub, 11, "middle", MUTED))
    y = 40
    for name, value, colour, note in segments:
        parts.append(rect(260, y - 12, 14, 14, colour, extra='rx="3"'))
        parts.append(text(282, y, name, 13, weight="bold"))
        parts.append(text(340, y, f"{value:,.0f}", 13))
        parts.append(text(400, y, note, 11, fill=MUTED))
        y += 40
    return svg(WIDTH, 220, "".join(parts), label)


def matrix(rows: Sequence[str], cols: Sequence[str], cells: dict[tuple[str, str], float],
           colour: Callable[[str, str, float], str], label: str, row_title: str, col_title: str,
           fmt: Callable[[float], str] = lambda v: f"{v:,.0f}", outline: frozenset = frozenset()) -> str:
    """Heatmap grid; colour(row, col, value) picks the fill; outline marks cells (e.g. bottlenecks)."""
    if not cells:
        return empty_chart(label)
    label_px = min(200, max(text_width(r, 12) for r in rows) + 16)
    cw = min(90, (WIDTH - label_px - 10) / max(len(cols), 1))
    ch, x0, y0 = 30, label_px, 44
    parts = [text(x0 + cw * len(cols) / 2, 12, col_title, 11, "middle", MUTED), text(4, 12, row_title, 11, fill=MUTED)]
    marks: list[str] = []
    for j, c in enumerate(cols):
        parts.append(text(x0 + cw * (j + 0.5), 34, clip(c, cw - 4, 11), 11, "middle", INK, "bold"))
    for i, r in enumerate(rows):
        y = y0 + i * ch
        parts.append(text(x0 - 8, y + 19, clip(r, label_px - 12), 12, "end"))
        for j, c in enumerate(cols):
            value = cells.get((r, c))
            x = x0 + j * cw
            fill = colour(r, c, value) if value is not None else "#f5f7fa"
            parts.append(rect(x, y, cw, ch, fill, f"{r} → {c}: {fmt(value) if value is not None else '–'}",
                              'stroke="#fff" stroke-width="2"'))
            if (r, c) in outline:
                marks.append(rect(x + 1, y + 1, cw - 2, ch - 2, "none",
                                  extra=f'stroke="{SEVERITY_COLOURS["high"]}" stroke-width="2.5" rx="2"'))
            if value is not None:
                parts.append(text(x + cw / 2, y + 19, fmt(value), 12, "middle", INK, "bold",
                                  'style="pointer-events:none"'))
    return svg(WIDTH, y0 + ch * len(rows) + 8, "".join(parts + marks), label)


def mix(colour: str, weight: float) -> str:
    """Blend colour with white: weight 0 = white, 1 = the colour (heatmap intensity)."""
    weight = max(0.0, min(1.0, weight))
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * weight):02x}" for c in rgb)


def funnel_chart(stages: Sequence[dict[str, Any]], label: str) -> str:
    """Centred funnel bars; the conversion to the next stage sits between bars; the bottleneck is red."""
    if not stages:
        return empty_chart(label)
    top = max(s["reached"] or 0 for s in stages) or 1
    cx, span, row, y, parts = 345, 300, 46, 8, []
    for s in stages:
        w = max(span * (s["reached"] or 0) / top, 4)
        bottleneck = bool(s["is_bottleneck"])
        colour = SEVERITY_COLOURS["high"] if bottleneck else "#3a7dc9"
        name = f'{STAGES_ZH.get(s["stage"], s["stage"])} {s["stage"]}'
        tip = f'{name}: {s["reached"]:,} reached'
        parts.append(rect(cx - w / 2, y, w, 26, colour, tip, 'rx="4"'))
        parts.append(text(cx, y + 17.5, f'{s["reached"]:,}', 12, "middle", "#fff", "bold"))
        parts.append(text(cx - span / 2 - 12, y + 17.5, clip(name, 180), 12, "end"))
        if bottleneck:
            parts.append(text(cx + span / 2 + 12, y + 17.5, "⚠ 瓶颈 bottleneck", 12, "start", colour, "bold"))
        if s["conversion_rate"] is not None and not math.isnan(s["conversion_rate"]):
            parts.append(text(cx + span / 2 + 12, y + 36, f'↓ {fmt_pct(s["conversion_rate"])}', 11, "start",
                              colour if bottleneck else MUTED, "bold" if bottleneck else "normal"))
        y += row
    return svg(WIDTH, y - 14, "".join(parts), label)


def sankey(flows: Sequence[tuple[str, str, float]], label: str) -> str:
    """Two-column flow (previous lifecycle stage -> current stage); band width is the number of accounts."""
    flows = [f for f in flows if f[2] > 0]
    if not flows:
        return empty_chart(label)

    def order(stage: str) -> tuple[int, str]:
        return (LIFECYCLE_ORDER.index(stage) if stage in LIFECYCLE_ORDER else len(LIFECYCLE_ORDER), stage)

    total = sum(v for _, _, v in flows)
    lefts = sorted({f for f, _, _ in flows}, key=order)
    rights = sorted({t for _, t, _ in flows}, key=order)
    gap, height, top = 10, 300, 24
    scale = (height - gap * (max(len(lefts), len(rights)) - 1)) / total
    xl, xr, nw = 180, WIDTH - 180, 14

    def place(nodes: list[str], side: int) -> dict[str, float]:
        y, out = top, {}
        for node in nodes:
            out[node] = y
            y += sum(v for f in flows if f[side] == node for v in [f[2]]) * scale + gap
        return out

    ly, ry = place(lefts, 0), place(rights, 1)
    lo, ro = dict(ly), dict(ry)
    parts = [text(xl, 14, "上期 previous stage", 11, "middle", MUTED),
             text(xr + nw, 14, "本期 stage", 11, "middle", MUTED)]
    for f, t, v in sorted(flows, key=lambda x: (order(x[0]), order(x[1]))):
        h = v * scale
        y1, y2 = lo[f], ro[t]
        lo[f] += h
        ro[t] += h
        mx = (xl + nw + xr) / 2
        d = (f"M {xl + nw} {y1:.1f} C {mx} {y1:.1f}, {mx} {y2:.1f}, {xr} {y2:.1f} L {xr} {y2 + h:.1f} "
             f"C {mx} {y2 + h:.1f}, {mx} {y1 + h:.1f}, {xl + nw} {y1 + h:.1f} Z")
        tip = f"{LIFECYCLE_ZH.get(f, f)} {f} → {LIFECYCLE_ZH.get(t, t)} {t}: {v:,.0f}"
        parts.append(f'<path d="{d}" fill="{LIFECYCLE_COLOURS.get(t, GREY)}" fill-opacity="0.38">'
                     f"<title>{escape(tip)}</title></path>")
    for nodes, ys, x, side in ((lefts, ly, xl, 0), (rights, ry, xr, 1)):
        for node in nodes:
            v = sum(f[2] for f in flows if f[side] == node)
            h = v * scale
            colour = LIFECYCLE_COLOURS.get(node, GREY)
            parts.append(rect(x, ys[node], nw, max(h, 1.5), colour, f"{node}: {v:,.0f}"))
            name = f"{LIFECYCLE_ZH.get(node, node)} {node} · {v:,.0f}"
            tx, anchor = (x - 8, "end") if side == 0 else (x + nw + 8, "start")
            parts.append(text(tx, ys[node] + h / 2 + 4, clip(name, 170), 12, anchor))
    return svg(WIDTH, top + height + 12, "".join(parts), label)


def line_chart(points: Sequence[tuple[dt.date, float]], title: str, kind: str, as_of: dt.date,
               currency: str = "") -> str:
    """Small-multiple trend: line + dots over the snapshot history, last value called out."""
    w, h, x0, x1, y0, y1 = 300, 150, 14, 286, 44, 122
    parts = [text(x0, 16, title, 12, weight="bold")]
    if not points:
        return svg(w, h, "".join(parts) + text(w / 2, 86, "暂无数据 no data", 11, "middle", MUTED), title)
    values = [v for _, v in points]
    lo, hi = min(values), max(values)
    if kind in ("money", "int") and lo >= 0:
        lo = 0.0
    if hi - lo < 1e-9:
        hi, lo = hi + (abs(hi) or 1) * 0.1, lo - (abs(lo) or 1) * 0.1
    days = [(d - points[0][0]).days for d, _ in points]
    span = max(days[-1], 1)

    def xy(i: int) -> tuple[float, float]:
        x = (x0 + x1) / 2 if len(points) == 1 else x0 + (x1 - x0) * days[i] / span
        return x, y1 - (y1 - y0) * (values[i] - lo) / (hi - lo)

    coords = [xy(i) for i in range(len(points))]
    parts.append(f'<line x1="{x0}" y1="{y1}" x2="{x1}" y2="{y1}" stroke="{GRID}"/>')
    if len(coords) > 1:
        area = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polygon points="{coords[0][0]:.1f},{y1} {area} {coords[-1][0]:.1f},{y1}" '
                     'fill="#3a7dc9" fill-opacity="0.10"/>')
        parts.append(f'<polyline points="{area}" fill="none" stroke="#3a7dc9" stroke-width="2.2" '
                     'stroke-linejoin="round"/>')
    for (x, y), (d, v) in zip(coords, points, strict=True):
        r = 4.5 if d == as_of else 3
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="#3a7dc9" stroke="#fff" stroke-width="1.5">'
                     f"<title>{d.isoformat()}: {escape(fmt_value(v, kind, currency))}</title></circle>")
    last = fmt_value(values[-1], kind, currency)
    parts.append(text(x1, 16, last, 15, "end", INK, "bold"))
    if len(values) > 1:
        change = values[-1] - values[-2]
        if fmt_value(abs(change), kind, currency) == fmt_value(0.0, kind, currency):
            change = 0.0
        good, bad = ("#d73027", "#1a9850") if title in LOWER_IS_BETTER else ("#1a9850", "#d73027")
        arrow, colour = ("▲", good) if change > 0 else ("▼", bad) if change < 0 else ("■", MUTED)
        parts.append(text(x1, 32, f"{arrow} {fmt_value(abs(change), kind, currency)} vs prev.", 10, "end", colour))
    parts.append(text(x0, h - 8, points[0][0].isoformat(), 10, "start", MUTED))
    if len(points) > 1:
        parts.append(text(x1, h - 8, points[-1][0].isoformat(), 10, "end", MUTED))
    return svg(w, h, "".join(parts), title)


# ---------------------------------------------------------------- data

Rows = list[dict[str, Any]]


def query(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Rows:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def as_of_dates(serving_db: Path) -> list[dt.date]:
    """Every as-of date the serving file holds (customer_tier_list keeps the history)."""
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        return [r[0] for r in con.execute(
            "SELECT DISTINCT as_of_date FROM customer_tier_list WHERE as_of_date IS NOT NULL ORDER BY 1").fetchall()]
    finally:
        con.close()


def figure(chart_id: str, body: str, caption: str = "") -> str:
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart" data-chart="{chart_id}">{body}{cap}</figure>'


def card(title: str, hint: str, body: str, wide: bool = False) -> str:
    cls = "card wide" if wide else "card"
    return f'<section class="{cls}"><h2>{escape(title)}</h2><p class="hint">{escape(hint)}</p>{body}</section>'


def report_currency(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> str:
    """The currency the marts published their money in (kpi_snapshot.unit of the money KPIs)."""
    row = con.execute("SELECT max(unit) FROM kpi_snapshot WHERE as_of_date = ? AND kpi = 'open_pipeline'",
                      [as_of]).fetchone()
    return (row[0] if row else None) or ""


def company_kpis(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, list[tuple[dt.date, float]]]:
    """Company-level KPI history up to as_of: kpi -> [(date, value)] in date order."""
    series: dict[str, list[tuple[dt.date, float]]] = {}
    for r in query(con, "SELECT as_of_date, kpi, value FROM kpi_snapshot WHERE level = 'company' "
                        "AND as_of_date <= ? AND value IS NOT NULL AND NOT isnan(value) ORDER BY as_of_date, kpi",
                   [as_of]):
        series.setdefault(r["kpi"], []).append((r["as_of_date"], float(r["value"])))
    return series


def kpi_cards(series: dict[str, list[tuple[dt.date, float]]], as_of: dt.date, alerts: int, currency: str = "") -> str:
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


def tier_section(con: duckdb.DuckDBPyConnection, as_of: dt.date, currency: str = "") -> str:
    tiers = query(con, """
        SELECT tier, count(*) AS accounts, sum(open_pipeline) AS pipeline, sum(bookings_365d) AS bookings
        FROM customer_tier_list WHERE as_of_date = ? GROUP BY tier ORDER BY tier NULLS LAST""", [as_of])
    total = sum(t["accounts"] for t in tiers)
    segments = [(t["tier"] or "?", t["accounts"], TIER_COLOURS.get(t["tier"], GREY),
                 f"商机 pipeline {fmt_money(_num(t['pipeline']), currency)} · "
                 f"成交 bookings {fmt_money(_num(t['bookings']), currency)}")
                for t in tiers]
    moves = query(con, """
        SELECT coalesce(previous_tier, 'new') AS prev, tier, count(*) AS n FROM customer_tier_list
        WHERE as_of_date = ? AND tier IS NOT NULL GROUP BY ALL""", [as_of])
    cells = {("新 new" if m["prev"] == "new" else m["prev"], m["tier"]): float(m["n"]) for m in moves}
    top = max(cells.values(), default=1)

    def colour(prev: str, tier: str, value: float) -> str:
        weight = 0.18 + 0.72 * value / top
        if prev == "新 new":
            return mix("#9aa5b1", weight)
        if prev == tier:
            return mix("#3a7dc9", weight)
        return mix("#1a9850" if tier < prev else "#d73027", weight)

    rows = [r for r in ("新 new", "A", "B", "C", "D") if any(k[0] == r for k in cells)] + sorted(
        {k[0] for k in cells} - {"新 new", "A", "B", "C", "D"})
    cols = sorted({k[1] for k in cells})
    changed = sum(v for (p, t), v in cells.items() if p != t and p != "新 new")
    caption = (FIRST_SNAPSHOT if is_first_snapshot(con, as_of) else
               f"{changed:,.0f} 个客户换档 accounts changed tier; 绿色=升档 green = up, 红色=降档 red = down.")
    body = figure("tier_distribution", donut(segments, f"{total:,}", "客户 accounts", "Tier distribution"))
    body += figure("tier_movement", matrix(rows, cols, cells, colour, "Tier movement", "上期等级 previous tier ↓",
                                           "本期等级 tier →"), caption)
    return card("客户分层 Customer tiers", "A/B/C/D 分布与换档 distribution and movement (previous_tier → tier)", body)


def funnel_section(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> str:
    company = query(con, """
        SELECT stage, stage_order, reached, conversion_rate, is_bottleneck FROM funnel_conversion
        WHERE as_of_date = ? AND level = 'company' ORDER BY stage_order""", [as_of])
    teams = query(con, """
        SELECT level_key, stage, stage_order, conversion_rate, is_bottleneck FROM funnel_conversion
        WHERE as_of_date = ? AND level = 'team' AND conversion_rate IS NOT NULL AND NOT isnan(conversion_rate)
        ORDER BY level_key, stage_order""", [as_of])
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


FIRST_SNAPSHOT = "首次快照 first snapshot: changes are counted from the next run"


def is_first_snapshot(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> bool:
    """The marts say whether this as-of date is the first one (nothing to compare with)."""
    rows = query(con, "SELECT is_first_snapshot FROM customer_tier_list WHERE as_of_date = ? LIMIT 1", [as_of])
    return bool(rows and rows[0]["is_first_snapshot"])


def lifecycle_section(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> str:
    flows = query(con, "SELECT from_stage, to_stage, accounts, is_change FROM lifecycle_transitions "
                       "WHERE as_of_date = ?", [as_of])
    data = [(f["from_stage"] or "none", f["to_stage"] or "none", float(f["accounts"] or 0)) for f in flows]
    moved = sum(float(f["accounts"] or 0) for f in flows if f["is_change"])
    caption = (FIRST_SNAPSHOT if is_first_snapshot(con, as_of) else
               f"{moved:,.0f} 个客户阶段变化 accounts changed lifecycle stage since the previous snapshot")
    body = figure("lifecycle_flow", sankey(data, "Lifecycle flow"), caption)
    return card("生命周期流转 Lifecycle flow", "上期阶段 → 本期阶段 previous stage → stage", body)


def rep_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Rows:
    """Rep tier list joined to the trailing-90-day performance row of the same as-of date."""
    return query(con, """
        SELECT r.rep_id, r.rep_name, r.team, r.rep_tier, r.incentive_band, r.leaderboard_basis, p.attainment,
               p.bookings, p.win_rate, p.satisfaction
        FROM rep_tier_list r
        LEFT JOIN (SELECT * FROM rep_performance WHERE as_of_date = ? AND period_type = 'trailing_90d'
                   QUALIFY row_number() OVER (PARTITION BY rep_id ORDER BY period_start DESC) = 1) p
          ON p.rep_id = r.rep_id
        WHERE r.as_of_date = ? ORDER BY r.rep_id""", [as_of, as_of])


def leaderboard_section(reps: Rows, currency: str = "") -> str:
    """Attainment by rep tier; with no targets at all, bookings instead (attainment stays empty, never 0).

    Which of the two is the mart's decision (rep_tier_list.leaderboard_basis)."""
    by_bookings = any(r["leaderboard_basis"] == "bookings" for r in reps)
    measure = "bookings" if by_bookings else "attainment"
    bars: list[Bar | str] = []
    missing = [] if by_bookings else [r["rep_name"] or r["rep_id"] for r in reps if _num(r["attainment"]) is None]
    for tier, zh in (("top", "优秀 top"), ("core", "骨干 core"), ("developing", "成长 developing")):
        group = sorted((r for r in reps if r["rep_tier"] == tier and _num(r[measure]) is not None),
                       key=lambda r: (-r[measure], r["rep_id"]))
        if not group:
            continue
        bars.append(zh)
        for r in group:
            name = f'{r["rep_name"] or r["rep_id"]} · {r["team"] or ""}'
            bookings, win_rate = fmt_money(_num(r["bookings"]), currency), fmt_pct(_num(r["win_rate"]))
            shown = bookings if by_bookings else fmt_pct(r["attainment"])
            bars.append(Bar(name, _num(r[measure]), REP_TIER_COLOURS.get(tier, GREY), shown,
                            f"赢单率 {win_rate}" if by_bookings else f"{bookings} · 赢单率 {win_rate}",
                            f'{name}: attainment {fmt_pct(r["attainment"])}, bookings {bookings}, win rate {win_rate}, '
                            f'incentive {r["incentive_band"]}'))
    if by_bookings:
        caption = "无目标 no targets in the exports: reps ranked by bookings; attainment is not shown"
        chart = hbar_chart(bars, "Rep leaderboard", label_px=200)
        subtitle = "近 90 天成交额，按销售等级分组 trailing-90-day bookings by rep tier (no targets)"
    else:
        caption = "无目标 no target: " + ", ".join(missing) if missing else ""
        chart = hbar_chart(bars, "Rep leaderboard", 1.0, "目标 100% target", label_px=200)
        subtitle = "近 90 天达成率，按销售等级分组 trailing-90-day attainment by rep tier"
    return card("销售排行 Rep leaderboard", subtitle, figure("rep_leaderboard", chart, caption))


def satisfaction_section(con: duckdb.DuckDBPyConnection, as_of: dt.date, reps: Rows) -> str:
    rated = sorted((r for r in reps if _num(r["satisfaction"]) is not None), key=lambda r: (-r["satisfaction"],
                                                                                          r["rep_id"]))
    bars = [Bar(f'{r["rep_name"] or r["rep_id"]} · {r["team"] or ""}', r["satisfaction"],
                REP_TIER_COLOURS.get(r["rep_tier"], GREY), fmt_pct(r["satisfaction"]), r["rep_tier"] or "")
            for r in rated]
    by_tier = query(con, """
        SELECT level_key, value FROM kpi_snapshot WHERE as_of_date = ? AND level = 'tier'
        AND kpi = 'satisfaction_t90d' AND value IS NOT NULL AND NOT isnan(value) ORDER BY level_key""", [as_of])
    tier_bars = [Bar(f'{t["level_key"]} 类客户 tier {t["level_key"]}', t["value"],
                     TIER_COLOURS.get(t["level_key"], GREY), fmt_pct(t["value"])) for t in by_tier]
    body = figure("satisfaction_reps", hbar_chart(bars, "Satisfaction by rep", max_value=1.0, label_px=200))
    body += figure("satisfaction_tiers", hbar_chart(tier_bars, "Satisfaction by customer tier", max_value=1.0))
    return card("客户满意度 Satisfaction", "近 90 天满意度（按销售 / 按客户等级）trailing 90 days, by rep and by tier",
                body)


def win_section(con: duckdb.DuckDBPyConnection, as_of: dt.date, currency: str = "") -> str:
    figures = []
    for dimension, title in DIMENSIONS:
        rows = query(con, """
            SELECT dimension_value, won_count, lost_count, win_rate, avg_deal_size FROM win_analysis
            WHERE as_of_date = ? AND dimension = ? ORDER BY won_count + lost_count DESC, dimension_value""",
                     [as_of, dimension])
        won = sum(r["won_count"] or 0 for r in rows)
        closed = won + sum(r["lost_count"] or 0 for r in rows)
        avg = won / closed if closed else None
        top = sorted(rows[:10], key=lambda r: (-(_num(r["win_rate"]) or 0), r["dimension_value"] or ""))
        bars = []
        for r in top:
            rate = _num(r["win_rate"])
            colour = TIER_COLOURS.get(r["dimension_value"], GREY) if dimension == "tier" else (
                "#1a9850" if avg is not None and rate is not None and rate >= avg else "#f0a202")
            bars.append(Bar(r["dimension_value"] or "(未知 unknown)", rate, colour, fmt_pct(rate),
                            f'赢 {r["won_count"]} / 输 {r["lost_count"]}',
                            f'{r["dimension_value"]}: win rate {fmt_pct(rate)}, {r["won_count"]} won / '
                            f'{r["lost_count"]} lost, avg deal {fmt_money(_num(r["avg_deal_size"]), currency)}'))
        chart = hbar_chart(bars, f"Win rate by {dimension}", avg, f"平均 avg {fmt_pct(avg)}")
        more = f" (前 10 / top 10 of {len(rows)})" if len(rows) > 10 else ""
        figures.append(f'<div class="sub"><h3>{escape(title)}{escape(more)}</h3>{figure("win_" + dimension, chart)}'
                       "</div>")
    body = '<div class="subgrid">' + "".join(figures) + "</div>"
    return card("赢单分析 Win analysis", "按渠道与客户细分的赢单率；绿色 = 高于平均 green = above average", body,
                wide=True)


def allocation_section(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> str:
    rows = query(con, """
        SELECT a.rep_id, coalesce(r.rep_name, a.rep_id) AS rep_name, a.tier_a_accounts, a.tier_b_accounts,
               a.tier_c_accounts, a.tier_d_accounts, a.owned_value, a.load_vs_team_median, a.over_capacity,
               a.suggested_action
        FROM rep_allocation a
        LEFT JOIN rep_tier_list r ON r.rep_id = a.rep_id AND r.as_of_date = a.as_of_date
        WHERE a.as_of_date = ? AND coalesce(a.tier_a_accounts + a.tier_b_accounts + a.tier_c_accounts
              + a.tier_d_accounts, 0) > 0
        ORDER BY a.over_capacity DESC, a.tier_a_accounts + a.tier_b_accounts + a.tier_c_accounts
              + a.tier_d_accounts DESC, a.rep_id""", [as_of])
    data = []
    for r in rows:
        segs = [(float(r[f"tier_{t.lower()}_accounts"] or 0), TIER_COLOURS[t], f"tier {t}") for t in "ABCD"]
        load = _num(r["load_vs_team_median"])
        note = ("⚠ 超负荷 over capacity" if r["over_capacity"] else
                f"{load:.1f}× 中位 median" if load is not None else "")
        data.append((r["rep_name"], segs, note))
    actions = [(r["rep_name"], r["suggested_action"]) for r in rows
               if r["suggested_action"] and r["suggested_action"] != "none"]
    items = "".join(f"<li><b>{escape(n)}</b>: {escape(a)}</li>" for n, a in actions)
    chart = stacked_hbar(data, [(f"{t} 类 tier {t}", TIER_COLOURS[t]) for t in "ABCD"], "Resource allocation",
                         label_px=150)
    body = figure("allocation", chart)
    body += f'<ul class="actions">{items}</ul>' if items else '<p class="hint">无调整建议 no suggested actions</p>'
    return card("资源配置 Resource allocation", "每位销售负责的 A/B/C/D 客户数与建议 accounts per rep and suggestions",
                body)


def trend_section(series: dict[str, list[tuple[dt.date, float]]], as_of: dt.date, currency: str = "") -> str:
    charts = "".join(figure(f"kpi_{kpi}", line_chart(series.get(kpi, []), label, kind, as_of, currency))
                     for kpi, label, kind in TREND_KPIS)
    dates = sorted({d for points in series.values() for d, _ in points})
    hint = f"公司层面 KPI，{len(dates)} 个快照 company KPIs over {len(dates)} snapshot(s)"
    return card("KPI 趋势 KPI trends", hint, f'<div class="trends">{charts}</div>', wide=True)


def alert_section(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> tuple[str, int]:
    alerts = query(con, """
        SELECT alert_type, severity, account_id, opportunity_id, coalesce(rep_id, owner_rep_id) AS rep, detail
        FROM risk_alerts WHERE as_of_date = ?
        ORDER BY CASE severity WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END,
                 alert_type, rep NULLS LAST, account_id NULLS LAST, opportunity_id NULLS LAST""", [as_of])
    counts: dict[str, dict[str, int]] = {}
    for a in alerts:
        counts.setdefault(a["alert_type"], {}).setdefault(a["severity"], 0)
        counts[a["alert_type"]][a["severity"]] += 1
    order = sorted(counts, key=lambda k: (-sum(counts[k].values()), k))
    data = [(f"{ALERTS_ZH.get(k, '')} {k}".strip(),
             [(float(counts[k].get(s, 0)), c, s) for s, c in SEVERITY_COLOURS.items()],
             f"{sum(counts[k].values()):,}") for k in order]
    chart = stacked_hbar(data, [(f"{s}", c) for s, c in SEVERITY_COLOURS.items()], "Alerts by type",
                         label_px=230)
    rows = "".join(
        f'<tr><td><span class="sev {escape(a["severity"] or "")}">{escape(a["severity"] or "")}</span></td>'
        f'<td>{escape(ALERTS_ZH.get(a["alert_type"], ""))}<br><small>{escape(a["alert_type"] or "")}</small></td>'
        f'<td>{escape(a["rep"] or "")}</td>'
        f'<td><small>{escape(a["account_id"] or a["opportunity_id"] or "")}</small></td>'
        f'<td>{escape(a["detail"] or "")}</td></tr>' for a in alerts[:MAX_ALERT_ROWS])
    more = (f'<p class="hint">仅显示前 {MAX_ALERT_ROWS} 条 showing the first {MAX_ALERT_ROWS} of {len(alerts):,}; '
            "完整列表见 full list: risk_alerts table</p>") if len(alerts) > MAX_ALERT_ROWS else ""
    table = ('<div class="table-wrap"><table class="alerts"><thead><tr><th>级别 severity</th><th>类型 type</th>'
             "<th>销售 rep</th><th>对象 account / deal</th><th>说明 detail</th></tr></thead>"
             f"<tbody>{rows}</tbody></table></div>{more}") if alerts else '<p class="hint">无预警 no alerts</p>'
    body = figure("alerts", chart) + table
    return card("风险预警 Alerts", f"{len(alerts):,} 条预警，按严重程度排序 alerts, most severe first", body,
                wide=True), len(alerts)


# ---------------------------------------------------------------- page

CSS = """
:root { --ink: #1f2a37; --muted: #6b7785; --line: #e6eaef; --bg: #f3f5f8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.5 "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC",
  "WenQuanYi Micro Hei", "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
header { background: linear-gradient(120deg, #1f3a5f, #2f5d8a); color: #fff; padding: 28px 36px 22px; }
header h1 { margin: 0; font-size: 26px; font-weight: 700; letter-spacing: .5px; }
header .sub { opacity: .85; margin-top: 4px; }
main { max-width: 1320px; margin: 0 auto; padding: 20px 24px 40px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin: -42px 0 18px; }
.kpi { background: #fff; border-radius: 10px; padding: 12px 16px; box-shadow: 0 1px 3px rgba(31,42,55,.12); }
.kpi-label { color: var(--muted); font-size: 12px; }
.kpi-value { font-size: 24px; font-weight: 700; white-space: nowrap; }
.kpi.alert .kpi-value { color: #d73027; }
.delta { font-size: 12px; font-weight: 600; margin-left: 8px; }
.delta.up { color: #1a9850; } .delta.down { color: #d73027; } .delta.flat { color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(540px, 1fr)); gap: 16px; }
.card { background: #fff; border-radius: 12px; padding: 18px 20px; box-shadow: 0 1px 3px rgba(31,42,55,.10);
  min-width: 0; }
.card.wide { grid-column: 1 / -1; }
.card h2 { margin: 0; font-size: 17px; }
.card h3 { margin: 6px 0 0; font-size: 13px; color: var(--muted); font-weight: 600; }
.hint { color: var(--muted); font-size: 12px; margin: 2px 0 10px; }
figure.chart { margin: 8px 0 4px; }
figure.chart svg { display: block; max-width: 100%; height: auto; overflow: visible; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
.subgrid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 8px 24px; }
.trends { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 8px 20px; }
.trends figure.chart { border: 1px solid var(--line); border-radius: 8px; padding: 6px 8px 2px; margin: 0; }
ul.actions { margin: 8px 0 0; padding-left: 18px; font-size: 13px; }
ul.actions li { margin: 3px 0; }
.table-wrap { max-height: 560px; overflow: auto; border: 1px solid var(--line); border-radius: 8px; margin-top: 10px; }
table.alerts { border-collapse: collapse; width: 100%; font-size: 12.5px; }
table.alerts th { position: sticky; top: 0; background: #f7f9fb; text-align: left; padding: 7px 10px;
  border-bottom: 1px solid var(--line); color: var(--muted); font-weight: 600; }
table.alerts td { padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.alerts small { color: var(--muted); }
.sev { display: inline-block; min-width: 56px; text-align: center; border-radius: 10px; padding: 1px 8px;
  font-size: 11px; font-weight: 700; color: #fff; background: #8fa6bf; }
.sev.high { background: #d73027; } .sev.medium { background: #f0a202; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 8px 0 24px; }
@media print { body { background: #fff; } .card { box-shadow: none; border: 1px solid var(--line);
  break-inside: avoid; } .kpis { margin-top: 12px; } .table-wrap { max-height: none; } }
"""
# Nothing may be fetched: no scripts at all, styles and images only inline.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render_report(serving_db: Path, as_of: dt.date | None = None) -> str:
    """The whole HTML page for one as-of date (default: the latest)."""
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        day = as_of or con.execute("SELECT max(as_of_date) FROM customer_tier_list").fetchone()[0]
        if day is None:
            raise ValueError(f"{serving_db}: customer_tier_list is empty, nothing to report")
        series = company_kpis(con, day)
        currency = report_currency(con, day)
        reps = rep_rows(con, day)
        alerts, alert_count = alert_section(con, day)
        sections = [
            tier_section(con, day, currency), funnel_section(con, day), lifecycle_section(con, day),
            leaderboard_section(reps, currency), satisfaction_section(con, day, reps), allocation_section(con, day),
            win_section(con, day, currency), trend_section(series, day, currency), alerts,
        ]
    finally:
        con.close()
    title = f"销售分层报告 SalesTier report · {day.isoformat()}"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{escape(title)}</h1><div class="sub">截至 as of {day.isoformat()} · '
        "客户分层、漏斗、生命周期、销售排行、预警 tiers, funnel, lifecycle, reps, alerts</div></header>"
        f'<main>{kpi_cards(series, day, alert_count, currency)}<div class="grid">{"".join(sections)}</div></main>'
        "<footer>SalesTier · 离线静态报告 offline static report · 数据来自 data from serving/salestier.duckdb"
        "</footer></body></html>\n"
    )


def report_path(reports_dir: Path, as_of: dt.date) -> Path:
    return reports_dir / f"salestier-report-{as_of.isoformat()}.html"


def write_report(serving_db: Path, reports_dir: Path, as_of: dt.date | None = None) -> Path:
    """Write one as-of date's report atomically (temp file + rename); returns its path."""
    day = as_of or max(as_of_dates(serving_db), default=None)
    if day is None:
        raise ValueError(f"{serving_db}: customer_tier_list is empty, nothing to report")
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
