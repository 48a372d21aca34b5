"""Durations → minutes, whatever form the CRM writes them in.

Zoho writes `Call Duration` as `mm:ss` or `HH:mm:ss` and also offers a
`Call Duration (in seconds)` column; people write `15 mins`, `1h 30m`, `1.5 hours`,
`90 分钟`. A plain number is minutes, or seconds when the header says so
(`Call_Duration_in_seconds`, `时长(秒)`), or whatever the profile's `unit:` pins.
"""

from __future__ import annotations

import re

import pandas as pd

UNIT_MINUTES = {"seconds": 1 / 60, "minutes": 1.0, "hours": 60.0}
_CLOCK = re.compile(r"^(?:(?P<h>\d{1,3}):)?(?P<m>\d{1,2}):(?P<s>\d{2}(?:\.\d+)?)$")
_PART = (r"(?:(?P<{g}>\d+(?:\.\d+)?)\s*(?:{words}))?")
_WORDS = re.compile(
    r"^" + r"\s*".join([
        _PART.format(g="h", words=r"h|hr|hrs|hour|hours|小时|时"),
        _PART.format(g="m", words=r"m|min|mins|minute|minutes|分钟|分"),
        _PART.format(g="s", words=r"s|sec|secs|second|seconds|秒"),
    ]) + r"$",
    re.IGNORECASE,
)
_SECONDS_HEADER = re.compile(r"sec|秒", re.IGNORECASE)
_HOURS_HEADER = re.compile(r"hour|小时", re.IGNORECASE)


def unit_from_header(header: str) -> str:
    """The unit a plain number in this column is in, from the header's own words."""
    if _SECONDS_HEADER.search(header):
        return "seconds"
    if _HOURS_HEADER.search(header):
        return "hours"
    return "minutes"


def _number(part: pd.Series) -> pd.Series:
    return pd.to_numeric(part, errors="coerce").fillna(0.0).astype("float64")


def parse_minutes(text: pd.Series, unit: str = "minutes") -> tuple[pd.Series, pd.Series]:
    """Minutes per cell of trimmed text, and a mask of cells that are not a duration."""
    present = text.notna()
    plain = pd.to_numeric(text.where(text.str.fullmatch(r"\d+(?:\.\d+)?").fillna(False).astype(bool)),
                          errors="coerce").astype("float64") * UNIT_MINUTES[unit]
    minutes = plain.copy()
    rest = text[present & plain.isna()]  # most columns are plain numbers: the patterns only see the others
    if len(rest):
        clock = rest.str.extract(_CLOCK)
        clock_ok = clock["m"].notna()
        clock_minutes = _number(clock["h"]) * 60 + _number(clock["m"]) + _number(clock["s"]) / 60
        words = rest.str.extract(_WORDS)
        words_ok = words.notna().any(axis=1) & ~clock_ok
        word_minutes = _number(words["h"]) * 60 + _number(words["m"]) + _number(words["s"]) / 60
        minutes.loc[rest.index] = clock_minutes.where(clock_ok, word_minutes.where(words_ok))
    bad = present & minutes.isna()
    return minutes.round(6), bad.astype(bool)
