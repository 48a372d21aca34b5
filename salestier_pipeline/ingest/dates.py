"""Dates and times: ONE format per column, inferred from its values among a wide family.

Per-value guessing (pandas 'mixed', dayfirst) reads 03/04 as March in one row and
April in the next; a column-wide format cannot. Day/month order is settled by the
values (a day > 12 decides), else by the profile's `date_order`. A profile may pin
formats (`date_formats:` for the profile, `format:` for one column) in the
`dd-MM-yyyy HH:mm` notation users know from Excel and Java; `to_strptime` turns
them into the strptime codes DuckDB's vectorised `try_strptime` reads.
"""

from __future__ import annotations

import re

import pandas as pd

from salestier_pipeline.ingest import regex_columns as rx
from salestier_pipeline.ingest.duck import cursor
from salestier_pipeline.ingest.regex_columns import Pattern

SAMPLE = 2000
PROBE = 64  # cells every family is tried on before the sample is scored (see _shortlist)
EXCEL_EPOCH = pd.Timestamp("1899-12-30")

_TIMES = (" %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", " %I:%M%p", "")


def _with_times(*dates: str) -> tuple[str, ...]:
    return tuple(f"{d}{t}" for d in dates for t in _TIMES)


# name -> strptime formats. Within a family a value may carry a time or not (exports
# mix '2024/3/7' and '2024/3/7 10:05'); %d and %m also read one digit.
FAMILIES: dict[str, tuple[str, ...]] = {
    "ISO8601": ("ISO8601",),  # with T, fractions, Z or an offset (dropped: wall-clock time is kept)
    "yyyy-M-d": _with_times("%Y-%m-%d"),
    "yyyy/M/d": _with_times("%Y/%m/%d"),
    "MM/dd/yyyy": _with_times("%m/%d/%Y"),
    "dd/MM/yyyy": _with_times("%d/%m/%Y"),
    "MM-dd-yyyy": _with_times("%m-%d-%Y"),
    "dd-MM-yyyy": _with_times("%d-%m-%Y"),
    "dd.MM.yyyy": _with_times("%d.%m.%Y"),
    "MM/dd/yy": _with_times("%m/%d/%y"),
    "dd/MM/yy": _with_times("%d/%m/%y"),
    "dd-MMM-yyyy": _with_times("%d-%b-%Y", "%d-%B-%Y", "%d-%b-%y"),
    "d MMM yyyy": _with_times("%d %b %Y", "%d %B %Y"),
    "MMM d, yyyy": _with_times("%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y"),
    "yyyy年M月d日": _with_times("%Y年%m月%d日"),
    "yyyyMMdd": ("%Y%m%d",),
    "epoch_ms": ("epoch_ms",),
    "excel_serial": ("excel_serial",),
}
# A column that reads whole under one of these may still read under its twin: only the
# full column (a day > 12) can tell them apart, so both are tried on it.
TWINS = {"MM/dd/yyyy": "dd/MM/yyyy", "MM-dd-yyyy": "dd-MM-yyyy", "MM/dd/yy": "dd/MM/yy"}
TWINS |= {b: a for a, b in TWINS.items()}
DAY_FIRST = ("dd/MM/yyyy", "dd-MM-yyyy", "dd/MM/yy")

_JAVA = [("yyyy", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("M", "%m"),
         ("dd", "%d"), ("d", "%d"), ("HH", "%H"), ("H", "%H"), ("hh", "%I"), ("h", "%I"), ("mm", "%M"),
         ("ss", "%S"), ("SSS", "%g"), ("a", "%p"), ("XXX", "%z"), ("Z", "%z")]
_JAVA_TOKEN = re.compile("|".join(re.escape(t) for t, _ in sorted(_JAVA, key=lambda p: -len(p[0]))))


def to_strptime(pattern: str) -> str:
    """'dd-MM-yyyy HH:mm' → '%d-%m-%Y %H:%M'; text in single quotes is literal ('T')."""
    mapping = dict(_JAVA)
    out = []
    for i, part in enumerate(pattern.split("'")):
        if i % 2:
            out.append(part.replace("%", "%%"))
        else:
            out.append(_JAVA_TOKEN.sub(lambda m: mapping[m[0]], part.replace("%", "%%")))
    return "".join(out)


def strptime_column(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """DuckDB's vectorised try_strptime over a list of formats (first match wins), naive UTC."""
    with cursor() as con:
        con.register("cells", pd.DataFrame({"v": text.reset_index(drop=True)}))
        con.execute("SET TimeZone = 'UTC'")
        values = con.execute(
            "select try_strptime(v, ?::VARCHAR[])::TIMESTAMP as t from cells", [list(formats)]
        ).df()["t"]
    values.index = text.index
    values = values.astype("datetime64[us]")
    return values.mask(values.dt.year < 1000)  # %Y reads '26' as year 26: a 2-digit year is never that


# a Z or UTC offset after the last digit (kept: the digit; no lookbehind, so pyarrow can run it)
_ZONE_SUFFIX = Pattern.of(r"([{d}])(?:Z|[+-][{d}]{{2}}:?[{d}]{{2}})$")


def parse_family(text: pd.Series, family: str) -> pd.Series:
    if family == "ISO8601":
        iso = text.where(text.str.match(r"^\d{4}-\d{2}-\d{2}").fillna(False).astype(bool))
        # the wall-clock time the export shows is kept, like every other time: a Z or offset is dropped
        iso = rx.replace(iso, _ZONE_SUFFIX, r"\1")
        return pd.to_datetime(iso, format="ISO8601", errors="coerce").astype("datetime64[us]")
    if family == "epoch_ms":
        digits = text.where(text.str.fullmatch(r"\d{12,13}").fillna(False).astype(bool))
        values = pd.to_datetime(pd.to_numeric(digits, errors="coerce"), unit="ms", errors="coerce")
        return values.astype("datetime64[us]")
    if family == "excel_serial":
        num = text.where(text.str.fullmatch(r"\d{4,5}(\.\d+)?").fillna(False).astype(bool))
        days = pd.to_numeric(num, errors="coerce").round(6)
        return (EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).astype("datetime64[us]")
    return strptime_column(text, FAMILIES[family])


SPECIAL = ("ISO8601", "epoch_ms", "excel_serial")  # parsed by pandas, not strptime
STRPTIME_FAMILIES = tuple(f for f in FAMILIES if f not in SPECIAL)
# one count per strptime family, its formats bound as $n: the text holds no value, only placeholders
_SCORE = "count(*) filter (where year(try_strptime(v, $N::VARCHAR[])::TIMESTAMP) >= 1000)"
_SCORES_SQL = "select " + ", ".join(  # noqa: S608 - built from a constant and placeholder numbers only
    _SCORE.replace("$N", "$" + str(i + 1)) for i in range(len(STRPTIME_FAMILIES))) + " from cells"


def strptime_scores(text: pd.Series) -> dict[str, int]:
    """How many cells each strptime family reads (as strptime_column would), all in one DuckDB query:
    a column is scored against a dozen families, and one query per family cost more than the parsing."""
    with cursor() as con:
        con.register("cells", pd.DataFrame({"v": text.reset_index(drop=True)}))
        con.execute("SET TimeZone = 'UTC'")
        row = con.execute(_SCORES_SQL, [list(FAMILIES[f]) for f in STRPTIME_FAMILIES]).fetchone()
    return {f: int(n) for f, n in zip(STRPTIME_FAMILIES, row, strict=True)}


def _family_scores(sample: pd.Series, families: list[str]) -> dict[str, int]:
    """Cells of the sample each family reads: one family on its own, several strptime ones in one query."""
    scores = {f: int(parse_family(sample, f).notna().sum()) for f in families if f in SPECIAL}
    rest = [f for f in families if f not in SPECIAL]
    if len(rest) == 1:
        scores[rest[0]] = int(strptime_column(sample, FAMILIES[rest[0]]).notna().sum())
    elif rest:
        scores |= {f: n for f, n in strptime_scores(sample).items() if f in rest}
    return scores


def _shortlist(sample: pd.Series, families: list[str]) -> list[str]:
    """Families worth parsing the whole column with: the first (in order) that reads the whole
    sample (plus its d/m twin, which only the full column can rule out), else the best.

    Only a family that reads all of a small probe of the sample can read all of the sample. The
    families are therefore walked in order against the probe (ISO 8601 alone first, the strptime
    families in one query when the walk reaches them) and only a family that reads the whole probe
    is scored on the sample: a clean column costs a probe and one family, not every format on every
    sampled cell. A column no family reads whole is scored in full, as before."""
    probe = sample.iloc[:: max(1, len(sample) // PROBE)]
    on_probe: dict[str, int] = {}
    for family in families:
        if family not in on_probe:
            on_probe |= _family_scores(probe, [family] if family in SPECIAL else list(STRPTIME_FAMILIES))
        if on_probe[family] == len(probe) and (
                len(probe) == len(sample) or _family_scores(sample, [family])[family] == len(sample)):
            return [family, TWINS[family]] if family in TWINS else [family]
    scores = _family_scores(sample, families)
    top = max(scores.values())
    return [f for f in families if scores[f] == top]


def candidate_families(date_order: str, excel: bool) -> list[str]:
    families = [f for f in FAMILIES if excel or f != "excel_serial"]
    if date_order == "DMY":  # day-first twins are tried first, so an ambiguous column reads day-first
        for family in DAY_FIRST:
            twin = TWINS[family]
            a, b = families.index(twin), families.index(family)
            families[a], families[b] = families[b], families[a]
    return families


def infer_dates(text: pd.Series, date_order: str = "YMD", excel: bool = False,
                pinned: tuple[str, ...] = ()) -> tuple[pd.Series, str, str]:
    """Values, the family (or pinned formats) chosen, and what was tried, for one column of trimmed text."""
    present = text.dropna()
    if pinned:
        formats = tuple(to_strptime(p) for p in pinned)
        return strptime_column(text, formats), " | ".join(pinned), " | ".join(pinned)
    if present.empty:
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]"), "empty", ""
    families = candidate_families(date_order, excel)
    sample = present.iloc[:: max(1, len(present) // SAMPLE)]
    best: tuple[int, str, pd.Series] | None = None
    for family in _shortlist(sample, families):
        values = parse_family(text, family)
        ok = int(values.notna().sum())
        if best is None or ok > best[0]:
            best = (ok, family, values)
        if best[0] == len(present):  # every cell read: a later family can only tie, and a tie keeps the first
            break
    assert best is not None
    return best[2], best[1], best[1]
