"""Vectorised helpers for drawing realistic times (working hours, seasonality).

Everything is int64 seconds since epoch, so whole columns are drawn at once.
"""

from __future__ import annotations

import numpy as np

from salestier_pipeline.demo.formats import DAY, HOUR

# Month weights of new-deal creation: budgets open in autumn, so deals created
# Sep-Nov close in Q4 and Q4 bookings come out clearly stronger.
MONTH_WEIGHT = np.array([0.8, 0.85, 1.0, 0.95, 1.0, 1.0, 0.9, 1.05, 1.25, 1.35, 1.3, 0.85])


def weekday(ts: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return (np.asarray(ts) // DAY + 3) % 7


def month_of(ts: np.ndarray) -> np.ndarray:
    """Calendar month 1..12 of each timestamp."""
    days = (np.asarray(ts, dtype=np.int64) // DAY).astype("datetime64[D]")
    return days.astype("datetime64[M]").astype(np.int64) % 12 + 1


def quarter_of(ts: np.ndarray) -> np.ndarray:
    """Calendar quarter 1..4."""
    return (month_of(ts) - 1) // 3 + 1


def work_hours(
    rng: np.random.Generator, ts: np.ndarray, start_h: float = 8.5, end_h: float = 18.5
) -> np.ndarray:
    """Move each time to a weekday (mostly) and to office hours of that day."""
    days = np.asarray(ts, dtype=np.int64) // DAY
    wd = (days + 3) % 7
    keep_weekend = rng.random(days.shape[0]) < 0.05
    shift = np.where(wd == 5, -1, np.where(wd == 6, 1, 0))
    days = days + np.where(keep_weekend, 0, shift)
    tod = rng.uniform(start_h * HOUR, end_h * HOUR, days.shape[0]).astype(np.int64)
    return days * DAY + tod


def between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Uniform time in [lo, hi]; where hi < lo, returns lo."""
    lo = np.asarray(lo, dtype=np.int64)
    span = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    return lo + (rng.random(lo.shape[0]) * span).astype(np.int64)


def seasonal_days(
    rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, first_day: int, last_day: int
) -> np.ndarray:
    """Draw a day in [lo, hi] (day numbers) from the seasonal, slowly growing density."""
    days = np.arange(first_day, last_day + 1)
    w = MONTH_WEIGHT[month_of(days * DAY) - 1]
    w = w * np.linspace(0.9, 1.1, days.shape[0])
    w = w * np.where(weekday(days * DAY) >= 5, 0.15, 1.0)
    cdf = np.cumsum(w) / w.sum()
    lo_i = np.clip(np.asarray(lo) - first_day, 0, days.shape[0] - 1)
    hi_i = np.clip(np.asarray(hi) - first_day, 0, days.shape[0] - 1)
    c_lo = np.where(lo_i > 0, cdf[np.maximum(lo_i - 1, 0)], 0.0)
    c_hi = cdf[hi_i]
    u = c_lo + rng.random(lo_i.shape[0]) * np.maximum(c_hi - c_lo, 0)
    idx = np.minimum(np.searchsorted(cdf, u, side="left"), hi_i)
    return first_day + np.maximum(idx, lo_i)


def clip_ts(ts: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Clip times into [lo, hi] (hi wins when the interval is empty)."""
    return np.minimum(np.maximum(ts, lo), hi)
