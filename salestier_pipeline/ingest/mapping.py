"""Map a decoded file onto its canonical module; split good rows from quarantined ones.

Pure: a frame of text in, a typed frame and a quarantine frame out. A bad value in a
column the row cannot do without (its key, a required or critical column, see
schema/canonical.yml `column_rules`) quarantines the row; anywhere else the cell
becomes NULL, the row loads, and the cell is recorded with action = nulled.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from salestier_pipeline.ingest.decode import DecodedFile
from salestier_pipeline.ingest.duck import cursor
from salestier_pipeline.ingest.durations import parse_minutes, unit_from_header
from salestier_pipeline.ingest.headers import HeaderMatch
from salestier_pipeline.ingest.parse import (
    Parsed,
    fold_width,
    out_of_range,
    parse_amount,
    parse_datetime,
    parse_integer,
    parse_number,
)
from salestier_pipeline.profiles import Profile
from salestier_pipeline.profiles.loader import ColumnSpec
from salestier_pipeline.schema import column_rules, critical_columns, module_columns, raw_columns
from salestier_pipeline.settings import DEFAULT_LIMITS, MAX_MAGNITUDE_ENV, IngestLimits

# Modules whose rows carry a currency, and the money column whose cells may name it ("¥1,200", "USD 5");
# the cell's code, else the currency column, else the profile's default_currency fills `currency`.
CURRENCY_OF: dict[str, str] = {"opportunities": "amount", "orders": "amount", "accounts": "annual_revenue"}


QUARANTINE_COLUMNS = [
    "source_system", "export_date", "module", "source_file", "file_sha256",
    "line_number", "column_name", "raw_value", "reason", "action",
]


@dataclass(frozen=True)
class FileContext:
    """Where a file came from: lineage stamped on every row."""

    source_system: str
    export_date: str  # YYYY-MM-DD
    source_file: str  # relative to the landing zone
    file_sha256: str
    ingested_at: str = ""  # ISO timestamp (UTC); lineage only


@dataclass
class MappedFile:
    """The outcome of mapping one file."""

    module: str
    good: pd.DataFrame
    quarantine: pd.DataFrame
    rows_read: int
    missing_columns: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)
    cells_nulled: int = 0

    @property
    def rows_quarantined(self) -> int:
        return self.rows_read - len(self.good)


def _text(series: pd.Series) -> pd.Series:
    s = series.astype("string[pyarrow]").str.strip()
    return s.mask(s == "")


def _parse_column(
    column: ColumnSpec, duck_type: str, raw: pd.Series, header: str, profile: Profile, excel: bool
) -> tuple[Parsed, pd.Series | None]:
    """Typed values of one mapped column (and the currency its amounts name)."""
    name = column.name
    rules = column_rules()
    if duck_type in ("DATE", "TIMESTAMP"):
        parsed = parse_datetime(raw, profile.date_order, excel, column.formats or profile.date_formats)
        if duck_type == "DATE":
            parsed = Parsed(parsed.values.dt.normalize(), parsed.bad, parsed.how, parsed.reasons)
        return parsed, None
    if name in rules["durations"]:
        unit = column.unit or unit_from_header(header)
        minutes, bad = parse_minutes(_text(raw), unit)
        return Parsed(minutes, bad, f"duration ({unit})"), None
    if duck_type == "DOUBLE" and name in rules["money"]:
        return parse_amount(raw, column.decimal)
    if duck_type == "DOUBLE":
        return parse_number(raw, column.decimal), None
    if duck_type == "BIGINT":
        return parse_integer(raw), None
    return Parsed(_text(raw), pd.Series(False, index=raw.index), "text"), None


def derive_ids(frame: pd.DataFrame, key: tuple[str, ...]) -> pd.Series:
    """Deterministic id from natural-key values (md5 of normalised text), NA if all empty."""
    def norm(column: str) -> pd.Series:
        if column not in frame:
            return pd.Series(pd.NA, index=frame.index, dtype="string")
        return fold_width(frame[column]).str.strip().str.lower()

    parts = pd.DataFrame({f"k{i}": norm(c) for i, c in enumerate(key)}, index=frame.index)
    empty = parts.isna().all(axis=1).to_numpy()
    # md5 of the parts joined by chr(31), empty parts as '': expressions of the relational API, no SQL text
    joined = duckdb.FunctionExpression("concat_ws", duckdb.ConstantExpression("\x1f"), *(
        duckdb.CoalesceOperator(duckdb.ColumnExpression(f"k{i}"), duckdb.ConstantExpression(""))
        for i in range(len(key))))
    digest = duckdb.FunctionExpression("substr", duckdb.FunctionExpression("md5", joined),
                                       duckdb.ConstantExpression(1), duckdb.ConstantExpression(20))
    hashed = duckdb.FunctionExpression("concat", duckdb.ConstantExpression("nk-"), digest).alias("h")
    with cursor() as con:
        ids = con.from_df(parts.reset_index(drop=True)).select(hashed).df()["h"]
    ids.index = frame.index
    return ids.astype("string").mask(empty)


def _is_critical(column: str, spec_columns: dict[str, ColumnSpec], critical: frozenset[str]) -> bool:
    option = spec_columns[column].on_error if column in spec_columns else None
    if option is not None:
        return option == "quarantine"
    return column in critical or (column in spec_columns and spec_columns[column].required)


def map_file(decoded: DecodedFile, match: HeaderMatch, profile: Profile, ctx: FileContext,
             limits: IngestLimits = DEFAULT_LIMITS) -> MappedFile:
    """Type every mapped column, stamp lineage, quarantine rows that break a rule, null bad optional cells.
    Consumes `decoded.rows`: each text column is dropped once parsed (callers read the mapped file only).

    A number beyond ±limits.max_magnitude is a typo or an attack, and would overflow the warehouse's
    DECIMAL(38, 10) money columns."""
    spec = match.module
    module = spec.canonical
    rows = decoded.rows
    n = len(rows)
    excel = decoded.file_format == "xlsx"
    types = raw_columns(module)
    spec_columns = {c.name: c for c in spec.columns}
    required_values = tuple(column_rules()["required_values"].get(module, ()))
    critical = critical_columns(module) | {"source_record_id", *spec.natural_key, *required_values}
    non_negative = set(column_rules()["non_negative"])
    out = pd.DataFrame(index=rows.index)
    problems: list[pd.DataFrame] = []
    formats: dict[str, str] = {}

    def flag(mask: pd.Series, column: str, header: str, reason: str) -> None:
        if mask.any():
            problems.append(pd.DataFrame({
                "row": rows.index[mask.to_numpy()],
                "column": column,
                "column_name": header,
                "raw_value": rows.loc[mask, header].astype("string") if header in rows else pd.NA,
                "reason": reason,
                "critical": _is_critical(column, spec_columns, critical),
            }))

    # a text column is dropped from `rows` once the last column parsed from it is done: a large export's text
    # and its typed columns are not all held at once (100x, 112 MB of calls: worker peak 841 -> 747 MB);
    # the headers read after the loop (required values, extra columns) stay
    later = {match.columns[c] for c in required_values if c in match.columns} | set(match.extra_headers)
    uses = Counter(match.columns.values())
    currency: pd.Series | None = None
    for column, header in match.columns.items():
        duck_type = types[column]
        col_spec = spec_columns.get(column) or ColumnSpec(column, (header,))
        parsed, cur = _parse_column(col_spec, duck_type, rows[header], header, profile, excel)
        out[column] = parsed.values * col_spec.multiply if col_spec.multiply is not None else parsed.values
        formats[column] = parsed.how
        kind = {"DATE": "date", "TIMESTAMP": "date"}.get(duck_type, parsed.how.split(" ")[0])
        if parsed.reasons is None:
            flag(parsed.bad, column, header, f"unparseable {kind} for {column}")
        else:
            for reason in sorted(parsed.reasons.dropna().unique()):
                detail = f" ({reason})" if reason else ""
                flag((parsed.reasons == reason).fillna(False).astype(bool), column, header,
                     f"unparseable {kind} for {column}{detail}")
        if duck_type in ("DATE", "TIMESTAMP"):
            flag(out_of_range(parsed.values).fillna(False).astype(bool), column, header,
                 f"{column} out of range (1990-01-01 .. 2099-12-31)")
        if duck_type in ("DOUBLE", "BIGINT"):
            limit = limits.max_magnitude
            flag((out[column].abs() > limit).fillna(False).astype(bool), column, header,
                 f"{column} beyond ±{limit:g} ({MAX_MAGNITUDE_ENV})")
        if column in non_negative:
            flag((parsed.values < 0).fillna(False).astype(bool), column, header, f"negative {column}")
        if cur is not None and column == CURRENCY_OF.get(module):
            currency = cur
        uses[header] -= 1
        if not uses[header] and header not in later and header in rows:
            del rows[header]

    for column, value in spec.constants.items():
        out[column] = value
    for column in required_values:  # an empty cell here leaves the row meaningless
        if column in match.columns and column not in spec.constants:
            header = match.columns[column]
            flag(_text(rows[header]).isna().astype(bool), column, header, f"missing {column}")
    if "currency" in types and module in CURRENCY_OF:
        given = out["currency"] if "currency" in out else pd.Series(pd.NA, index=rows.index, dtype="string")
        detected = currency if currency is not None else pd.Series(pd.NA, index=rows.index, dtype="string")
        out["currency"] = given.fillna(detected).fillna(profile.default_currency or pd.NA)

    if ("source_record_id" not in out or out["source_record_id"].isna().all()) and spec.natural_key:
        out["source_record_id"] = derive_ids(out, spec.natural_key)
    missing_id = out["source_record_id"].isna() if "source_record_id" in out else pd.Series(True, index=rows.index)
    if missing_id.any():
        header = match.columns.get("source_record_id") or "+".join(
            match.columns.get(c, c) for c in spec.natural_key
        )
        problems.append(pd.DataFrame({
            "row": rows.index[missing_id.to_numpy()],
            "column": "source_record_id",
            "column_name": header,
            "raw_value": pd.NA,
            "reason": "missing record id" if not spec.natural_key else
            f"missing record id (natural key {', '.join(spec.natural_key)} is empty)",
            "critical": True,
        }))

    issues = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(
        columns=["row", "column", "column_name", "raw_value", "reason", "critical"])
    bad_rows = pd.Index(issues.loc[issues["critical"].astype(bool), "row"].unique())
    issues["action"] = issues["row"].isin(bad_rows).map({True: "row_quarantined", False: "nulled"})
    nulled = issues[issues["action"] == "nulled"]
    for column, cells in nulled.groupby("column", sort=False):
        out.loc[cells["row"].to_numpy(), column] = pd.NA
    good = out.drop(index=bad_rows)

    good = good.assign(
        source_system=ctx.source_system,
        export_date=pd.Timestamp(ctx.export_date),
        source_file=ctx.source_file,
        source_line=decoded.line_numbers.to_numpy()[good.index.to_numpy()],
        file_sha256=ctx.file_sha256,
        ingested_at=pd.Timestamp(ctx.ingested_at) if ctx.ingested_at else pd.NaT,
    )
    extras = [h for h in match.extra_headers if h]
    if extras:
        extra_frame = rows.loc[good.index, [c for c in rows.columns if c in extras]]
        lines = extra_frame.to_json(orient="records", lines=True, force_ascii=False)
        good["extra_columns"] = lines.splitlines() if len(extra_frame) else []
    for column in types:
        if column not in good:
            good[column] = pd.NA
    good = good[list(types)].reset_index(drop=True)

    q = pd.DataFrame({
        "source_system": ctx.source_system,
        "export_date": pd.Timestamp(ctx.export_date),
        "module": module,
        "source_file": ctx.source_file,
        "file_sha256": ctx.file_sha256,
        "line_number": decoded.line_numbers.to_numpy()[issues["row"].to_numpy(dtype="int64")],
        "column_name": issues["column_name"].astype("string"),
        "raw_value": issues["raw_value"].astype("string"),
        "reason": issues["reason"].astype("string"),
        "action": issues["action"].astype("string"),
    }, columns=QUARANTINE_COLUMNS).sort_values(["line_number", "column_name"], kind="stable").reset_index(drop=True)

    mapped = set(match.columns) | set(spec.constants)
    missing = [c for c in module_columns(module) if c not in mapped and c != "currency"]
    return MappedFile(module, good, q, n, missing, extras, formats, len(nulled))
