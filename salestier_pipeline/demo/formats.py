"""Vectorised text formatting of timestamps and amounts, as CRMs print them.

The world keeps time as int64 seconds since 1970-01-01 (naive local time) so
that arithmetic on millions of rows stays in numpy. Formatting goes through
small look-up tables (one string per calendar day in range, one per second of
the day) so two million timestamps format in about a second, with no per-row
``strftime``.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

DAY = 86_400
HOUR = 3_600
MINUTE = 60
NEVER = np.iinfo(np.int64).max // 4  # "has not happened": compares after every real time
EPOCH = dt.date(1970, 1, 1)

# date part patterns (strftime, except yyyy/M/d which has no padding-free directive)
DATE_PATTERNS = {
    "mdy": "%m/%d/%Y",
    "ymd": "%Y-%m-%d",
    "ymd_slash": "yyyy/M/d",
    "compact": "%Y%m%d",
}
TIME_PATTERNS = {"hms": True, "hm": False}


def zfill(values: np.ndarray, width: int) -> np.ndarray:
    """Integers as zero-padded text (object array); safe on empty input."""
    values = np.asarray(values, dtype=np.int64)
    if values.size == 0:
        return np.empty(0, dtype=object)
    return np.char.zfill(values.astype(str), width).astype(object)


def to_ts(day: dt.date) -> int:
    """Seconds since epoch of a date's midnight."""
    return (day - EPOCH).days * DAY


def _format_day(day: dt.date, pattern: str) -> str:
    if pattern == "yyyy/M/d":
        return f"{day.year}/{day.month}/{day.day}"
    return day.strftime(pattern)


@lru_cache(maxsize=8)
def _time_table(seconds: bool) -> np.ndarray:
    """' HH:mm:ss' (or ' HH:mm') for every second of a day."""
    s = np.arange(DAY)
    hh = np.char.zfill((s // HOUR).astype(str), 2)
    mm = np.char.zfill((s // MINUTE % 60).astype(str), 2)
    out = np.char.add(np.char.add(np.char.add(" ", hh), ":"), mm)
    if seconds:
        out = np.char.add(np.char.add(out, ":"), np.char.zfill((s % 60).astype(str), 2))
    return out.astype(object)


def fmt_ts(ts: np.ndarray, date: str, time: str | None = None) -> np.ndarray:
    """Format timestamps: date in DATE_PATTERNS, optional time 'hms' / 'hm'; NEVER -> ''."""
    ts = np.asarray(ts, dtype=np.int64)
    out = np.full(ts.shape, "", dtype=object)
    ok = ts < NEVER
    if not ok.any():
        return out
    t = ts[ok]
    days = t // DAY
    d0 = int(days.min())
    span = int(days.max()) - d0 + 1
    pattern = DATE_PATTERNS[date]
    table = np.array(
        [_format_day(EPOCH + dt.timedelta(days=d0 + i), pattern) for i in range(span)],
        dtype=object,
    )
    text = table[days - d0]
    if time is not None:
        text = text + _time_table(TIME_PATTERNS[time])[t % DAY]
    out[ok] = text
    return out


def _int_text(values: np.ndarray, thousands: bool) -> np.ndarray:
    """Non-negative integers as text, optionally with ',' thousands separators."""
    head = np.asarray(values, dtype=np.int64).copy()
    if not thousands:
        return head.astype(str).astype(object)
    tail = np.full(head.shape, "", dtype=object)
    while (m := head >= 1000).any():
        group = zfill(head[m] % 1000, 3)
        tail[m] = "," + group + tail[m]
        head[m] //= 1000
    return head.astype(str).astype(object) + tail


def fmt_amount(values: np.ndarray, style: np.ndarray | str) -> np.ndarray:
    """Format amounts per row style.

    Styles: 'plain' 1234.50, 'comma' 1,234.50, 'yen' ¥1,234.50, 'yuan' 1234.5元
    (integers drop the decimals in the yuan style, as Chinese UIs do),
    'yen_fw' ￥1,234.50 (full-width sign, for GBK files where ¥ does not exist).
    """
    cents = np.rint(np.asarray(values, dtype=float) * 100).astype(np.int64)
    n = cents.shape[0]
    styles = np.broadcast_to(np.asarray(style, dtype=object), (n,))
    whole, frac = cents // 100, cents % 100
    frac_txt = zfill(frac, 2)
    out = np.empty(n, dtype=object)
    for name in ("plain", "comma", "yen", "yen_fw", "yuan"):
        m = styles == name
        if not m.any():
            continue
        w = _int_text(whole[m], thousands=name != "plain" and name != "yuan")
        if name == "yuan":
            f = frac[m]
            dec = np.where(f == 0, "", "." + frac_txt[m])
            dec = np.where((f != 0) & (f % 10 == 0), "." + (f // 10).astype(str).astype(object), dec)
            out[m] = w + dec + "元"
            continue
        txt = w + "." + frac_txt[m]
        out[m] = {"yen": "¥", "yen_fw": "￥"}.get(name, "") + txt
    return out


def excel_serial(ts: np.ndarray) -> np.ndarray:
    """Excel serial day numbers (1900 system) for xlsx date cells."""
    return np.asarray(ts, dtype=np.int64) / DAY + 25569.0
