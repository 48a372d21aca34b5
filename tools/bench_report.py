"""What `make bench` reports: per-round figures and ratios, medians over the rounds, a table per scale and the
issue-14 targets as PASS/FAIL lines. Pure: dicts in, text out.

A ratio is taken inside each round (both sides measured minutes apart on the same machine), then the median
over rounds is reported; seconds are medians too. Peak RSS is judged on the worst round.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

LAYER_METRICS = {"ingest": "ingest_s", "dbt": "dbt_s", "publish": "publish_s", "other": "other_s"}
RUNS = ("full", "rerun", "next_day")


@dataclass
class RoundResult:
    """One round of one scale: every measurement once, in the order of the fields."""

    round: int
    ingest_anchor: dict | None = None
    transform_anchor: dict | None = None
    dbt_by_hand: dict | None = None
    full: dict | None = None
    rerun: dict | None = None
    next_day: dict | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class ScaleResult:
    """Everything measured for one scale; what goes into the JSON."""

    scale: float
    status: str = "ok"
    error: str | None = None
    root: str | None = None
    as_of: str | None = None
    next_day_as_of: str | None = None
    landing_mb: float | None = None
    landing_files: int | None = None
    demo: dict | None = None
    warm_up: dict | None = None  # the run that gives the anchors their raw Parquet (not in the medians)
    compile_s: float | None = None
    next_day_batch: dict | None = None
    rounds: list[RoundResult] = field(default_factory=list)
    summary: dict[str, dict] = field(default_factory=dict)


def ratio(part: float | None, whole: float | None) -> float | None:
    """part / whole, or None where either side is missing or the whole is not positive."""
    if part is None or whole is None or whole <= 0:
        return None
    return part / whole


def _wall(figures: Mapping | None) -> float | None:
    """Wall seconds of a measurement that succeeded (a failed run has no honest time)."""
    if not figures or figures.get("returncode", 0) != 0 or figures.get("error"):
        return None
    return figures.get("wall_s")


def round_metrics(r: RoundResult) -> dict[str, float | None]:
    """One round's seconds, MB and ratios; None where a measurement is missing or failed."""
    ia, ta, hand = _wall(r.ingest_anchor), _wall(r.transform_anchor), _wall(r.dbt_by_hand)
    m: dict[str, float | None] = {"ingest_anchor_s": ia, "transform_anchor_s": ta, "dbt_by_hand_s": hand}
    full_ok = _wall(r.full) is not None
    for layer, name in LAYER_METRICS.items():
        m[name] = ((r.full or {}).get("layers") or {}).get(layer, {}).get("wall_s") if full_ok else None
    for run in RUNS:
        figures = getattr(r, run)
        m[f"{run}_s"] = _wall(figures)
        m[f"{run}_rss_mb"] = figures.get("peak_rss_mb") if figures else None
    m["dbt_by_hand_rss_mb"] = (r.dbt_by_hand or {}).get("peak_rss_mb")
    m["ingest_ratio"] = ratio(m["ingest_s"], ia)
    m["dbt_ratio"] = ratio(m["dbt_s"], ta)
    m["dbt_by_hand_ratio"] = ratio(hand, ta)
    m["whole_ratio"] = ratio(m["full_s"], ia + ta if ia is not None and ta is not None else None)
    m["rerun_ratio"] = ratio(m["rerun_s"], m["full_s"])
    m["next_day_ratio"] = ratio(m["next_day_s"], m["full_s"])
    peaks = [m[f"{run}_rss_mb"] for run in RUNS if m[f"{run}_rss_mb"] is not None]
    m["peak_rss_mb"] = max(peaks) if peaks else None
    return m


def summarize(rounds: Sequence[Mapping[str, float | None]]) -> dict[str, dict]:
    """Per metric over the rounds that have it: median, min, max and how many rounds."""
    names = list(dict.fromkeys(name for r in rounds for name in r))
    out = {}
    for name in names:
        values = [r[name] for r in rounds if r.get(name) is not None]
        if values:
            out[name] = {"median": statistics.median(values), "min": min(values), "max": max(values),
                         "n": len(values)}
    return out


# --------------------------------------------------------------------------- the table

# label, seconds metric, peak RSS metric, ratio metric, what the ratio compares
ROWS = (
    ("ingest anchor", "ingest_anchor_s", None, None, "DuckDB read_csv / calamine + mapping + casts"),
    ("transform anchor", "transform_anchor_s", None, None, "compiled SQL, one connection"),
    ("dbt by hand", "dbt_by_hand_s", "dbt_by_hand_rss_mb", "dbt_by_hand_ratio", "dbt by hand : transform anchor"),
    ("full run", "full_s", "full_rss_mb", "whole_ratio", "whole run : (ingest + transform anchors)"),
    ("  ingest", "ingest_s", None, "ingest_ratio", "ingest : ingest anchor"),
    ("  dbt", "dbt_s", None, "dbt_ratio", "dbt step : transform anchor"),
    ("  publish", "publish_s", None, None, ""),
    ("  other", "other_s", None, None, ""),
    ("rerun", "rerun_s", "rerun_rss_mb", "rerun_ratio", "rerun : full run"),
    ("next-day", "next_day_s", "next_day_rss_mb", "next_day_ratio", "next-day : full run"),
)
HEADERS = ("measurement", "s", "s min-max", "ratio", "ratio min-max", "ratio of", "peak RSS MB")


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _cells(summary: Mapping[str, dict], metric: str | None, digits: int) -> tuple[str, str]:
    """(median, min-max) of one metric, '-' when missing."""
    stats = summary.get(metric) if metric else None
    if not stats:
        return "-", "-"
    spread = f"{_fmt(stats['min'], digits)}-{_fmt(stats['max'], digits)}" if stats["n"] > 1 else ""
    return _fmt(stats["median"], digits), spread


def table_rows(summary: Mapping[str, dict]) -> list[list[str]]:
    rows = []
    for label, seconds, rss, ratio_metric, of in ROWS:
        s, s_spread = _cells(summary, seconds, 2)
        q, q_spread = _cells(summary, ratio_metric, 2)
        rows.append([label, s, s_spread, q, q_spread, of if ratio_metric else "", _cells(summary, rss, 0)[0]])
    return rows


def format_scale(scale: float) -> str:
    return f"{scale:g}"


def scale_heading(r: ScaleResult) -> str:
    """What was measured: landing size, dates, the next-day delta, rounds."""
    parts = [f"scale {format_scale(r.scale)}x"]
    if r.landing_mb is not None:
        parts.append(f"landing {r.landing_mb:,.1f} MB in {r.landing_files} files")
    if r.as_of:
        parts.append(f"as-of {r.as_of}")
    if r.next_day_batch:
        parts.append(f"next day {r.next_day_as_of}: {r.next_day_batch['rows']:,} changed records "
                     f"in {r.next_day_batch['files']} files")
    parts.append(f"{len(r.rounds)} round(s), medians")
    return "; ".join(parts)


def format_table(r: ScaleResult) -> str:
    """The fixed-width table of one scale (text left-aligned, numbers right-aligned), or why it is missing."""
    if r.status != "ok" and not r.summary:
        return f"{scale_heading(r)}\n  FAILED: {(r.error or 'not run').strip().splitlines()[-1]}"
    body = table_rows(r.summary)
    widths = [max(len(row[i]) for row in [list(HEADERS), *body]) for i in range(len(HEADERS))]
    text_columns = {0, 5}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i in text_columns else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    out = [scale_heading(r), line(HEADERS), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in body]
    errors = [f"  round {rr.round}: {e.strip().splitlines()[-1] if e.strip() else e}" for rr in r.rounds
              for e in rr.errors]
    if errors:
        out += ["errors (see the JSON for details):", *errors]
    return "\n".join(out)


# --------------------------------------------------------------------------- the targets of issue 14


@dataclass(frozen=True)
class Target:
    """An upper bound on one metric at some scales."""

    label: str
    metric: str
    limits: Mapping[float, float]  # scale -> bound
    worst: bool = False  # judge the worst round (memory must stay bounded every time), not the median


TARGETS = (
    Target("whole run : (ingest + transform anchors)", "whole_ratio", {1.0: 4.0, 10.0: 2.0, 100.0: 2.0}),
    Target("ingest : ingest anchor", "ingest_ratio", {10.0: 2.0, 100.0: 2.0}),
    Target("next-day : full run", "next_day_ratio", {100.0: 0.2}),
    Target("rerun : full run", "rerun_ratio", {100.0: 0.1}),
    Target("peak RSS of the process tree (worst round), MB", "peak_rss_mb", {100.0: 1536.0}, worst=True),
)


def target_lines(results: Sequence[ScaleResult], targets: Sequence[Target] = TARGETS) -> list[str]:
    """PASS / FAIL per target and scale; n/a when that scale was not measured or has no figure."""
    by_scale = {r.scale: r for r in results}
    lines = []
    for t in targets:
        for scale, limit in t.limits.items():
            where = f"{format_scale(scale) + 'x':<6} {t.label} <= {limit:g}"
            r = by_scale.get(scale)
            stats = r.summary.get(t.metric) if r else None
            if stats is None:
                lines.append(f"n/a   {where}  ({'not measured' if r is None else 'no figure: a measurement failed'})")
                continue
            value = stats["max" if t.worst else "median"]
            lines.append(f"{'PASS' if value <= limit else 'FAIL'}  {where}: {value:,.2f}")
    return lines


LEGEND = """\
ratios are taken within each round, then the median over rounds (min-max across rounds).
ingest anchor: DuckDB read_csv (explicit options; Python decodes non-UTF-8) / calamine for xlsx, the profile's
  header mapping and DuckDB casts to the same raw Parquet columns, end to end; no quarantine, no checks.
transform anchor: the project's compiled SQL (every seed, model and data test, hooks not run) in DAG order in
  one DuckDB connection on a fresh database; execution only, compile not timed.
dbt by hand: the nightly `dbt build` (same vars and env, no unit tests), no Dagster, on a fresh warehouse.
full run: `salestier run` on a fresh home; its layers from the Dagster event log (other = outside any step).
rerun: the same home and as-of again, nothing changed. next-day: a new batch dated the day after the latest,
  ~1 % of the latest batch's records with one field changed, run with --as-of that day.
peak RSS: the whole process tree (dbt included), sampled from /proc."""
