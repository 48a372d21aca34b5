"""SVG primitives and charts of the HTML report: numbers in, inline SVG text out (no data access).

Every chart is drawn in Python as inline SVG, so the page needs no script, font or image from anywhere.
Every text that reaches the SVG is HTML-escaped here; the output is deterministic for the same input.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

# Tier colours (strong hues for charts; the XLSX uses light fills of the same hues).
TIER_COLOURS = {"A": "#1a9850", "B": "#3a7dc9", "C": "#f0a202", "D": "#d6604d"}
REP_TIER_COLOURS = {"top": "#1a9850", "core": "#3a7dc9", "developing": "#f0a202"}
SEVERITY_COLOURS = {"high": "#d73027", "medium": "#f0a202", "low": "#8fa6bf", "info": "#c5ced8"}

GREY, INK, MUTED, GRID = "#b8c2cc", "#1f2a37", "#6b7785", "#e6eaef"

STAGES_ZH = {"lead_identified": "潜在客户识别", "initial_contact": "初步接触", "needs_analysis": "需求分析",
             "solution": "解决方案提供", "follow_up": "客户跟进", "closed_won": "成交"}
LIFECYCLE_ORDER = ("none", "prospect", "new", "active", "reactivated", "at_risk", "churned")
LIFECYCLE_ZH = {"none": "首次出现", "prospect": "潜在", "new": "新客户", "active": "活跃", "reactivated": "召回",
                "at_risk": "流失风险", "churned": "已流失"}
LIFECYCLE_COLOURS = {"none": "#9aa5b1", "prospect": "#8fa6bf", "new": "#66bd63", "active": "#1a9850",
                     "reactivated": "#3a7dc9", "at_risk": "#f0a202", "churned": "#d73027"}
WIDTH = 640


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


def num(value: Any) -> float | None:
    """A mart number as a float; None for NULL and NaN (nothing to draw)."""
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
               currency: str = "", lower_is_better: bool = False) -> str:
    """Small-multiple trend: line + dots over the snapshot history, last value called out (a rise is green,
    or red when lower_is_better)."""
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
        good, bad = ("#d73027", "#1a9850") if lower_is_better else ("#1a9850", "#d73027")
        arrow, colour = ("▲", good) if change > 0 else ("▼", bad) if change < 0 else ("■", MUTED)
        parts.append(text(x1, 32, f"{arrow} {fmt_value(abs(change), kind, currency)} vs prev.", 10, "end", colour))
    parts.append(text(x0, h - 8, points[0][0].isoformat(), 10, "start", MUTED))
    if len(points) > 1:
        parts.append(text(x1, h - 8, points[-1][0].isoformat(), 10, "end", MUTED))
    return svg(w, h, "".join(parts), title)
