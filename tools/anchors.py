"""The limits `make bench` measures SalesTier against (issue 14): what the engine alone needs for the same work.

transform anchor: the dbt project's own compiled SQL, every seed, model and data test, executed in DAG
    order in ONE DuckDB connection on a fresh database file. Hooks are not run (on a first build they change
    no row count). Checked against the real run's warehouse: same marts, same row counts.
ingest anchor: the same landing files to the same raw Parquet columns, the fastest honest way: DuckDB's CSV
    reader with explicit options (Python decodes non-UTF-8 text), python-calamine for xlsx, the profile's
    header mapping, DuckDB casts. No quarantine and no checks: every file read, every row written.
dbt by hand: the real run's `dbt build`, same vars and env, without Dagster (a fresh warehouse).

Nothing from a file reaches SQL text: values are bound parameters; SQL text holds the manifest's compiled
code and relation names (the project's own code) or identifiers the code makes (column0, column1, ...).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import heapq
import json
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from python_calamine import CalamineWorkbook

from salestier_pipeline.dbt_command import dbt_build_args, dbt_executable, dbt_run_env
from salestier_pipeline.ingest.csv_text import sniff_delimiter
from salestier_pipeline.ingest.dates import FAMILIES, candidate_families, to_strptime
from salestier_pipeline.ingest.decode import detect_encoding
from salestier_pipeline.ingest.headers import detect_module
from salestier_pipeline.ingest.landing import LandingFile, list_landing
from salestier_pipeline.ingest.mapping import CURRENCY_OF
from salestier_pipeline.ingest.workbook import cell_text
from salestier_pipeline.profiles import Profile, load_profiles
from salestier_pipeline.schema import raw_columns
from salestier_pipeline.settings import DBT_PROJECT_DIR, Settings

DBT = dbt_executable()
EXECUTED = ("seed", "model", "test")
TAIL = 4000


class AnchorError(RuntimeError):
    """An anchor could not be built (dbt compile failed, a landing file has no module)."""


# --------------------------------------------------------------------------- dbt: the real run's command


def dbt_env(base: Mapping[str, str], settings: Settings, as_of: str, warehouse: Path) -> dict[str, str]:
    """The environment the nightly run gives dbt (dbt_run_env: paths, threads, the as-of date), with its own
    warehouse file."""
    return {**base, **dbt_run_env(settings, as_of), "SALESTIER_WAREHOUSE": str(warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def dbt_command(args: list[str], scratch: Path) -> list[str]:
    """`dbt <args>` on the project; target and logs in `scratch`, never in the checkout."""
    return [str(DBT), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(scratch / "target"), "--log-path", str(scratch / "logs")]


def build_args(reporting_currency: str) -> list[str]:
    """The nightly `dbt build` (dbt_build_args): every seed, model and data test, no unit tests; the as-of
    date is in the environment (dbt_env)."""
    return dbt_build_args(reporting_currency)


def compile_args(reporting_currency: str) -> list[str]:
    """`dbt compile` as a first build: full refresh (incremental models compile to their whole select)."""
    return ["compile", *dbt_build_args(reporting_currency)[3:], "--full-refresh",
            "--exclude", "resource_type:unit_test", "--quiet"]


def compile_manifest(settings: Settings, as_of: str, scratch: Path, base_env: Mapping[str, str]) -> dict:
    """Compile the project once for a home that has had a run (its raw Parquet exists): the manifest dict.

    dbt sees an empty scratch warehouse, so `is_incremental()` is false everywhere."""
    scratch.mkdir(parents=True, exist_ok=True)
    env = dbt_env(base_env, settings, as_of, scratch / "warehouse.duckdb")
    done = subprocess.run(dbt_command(compile_args(settings.reporting_currency), scratch), env=env,
                          cwd=scratch, capture_output=True, text=True)
    if done.returncode != 0:
        raise AnchorError(f"dbt compile failed ({done.returncode}):\n{(done.stdout + done.stderr)[-TAIL:]}")
    return json.loads((scratch / "target" / "manifest.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- transform anchor


def execution_order(manifest: Mapping[str, Any]) -> list[str]:
    """unique_ids of every seed, model and data test, parents before children (Kahn's algorithm; ready nodes
    by unique_id, so the order is stable). Edges to anything else (sources, unit tests) are dropped."""
    nodes = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] in EXECUTED}
    parents = {uid: {p for p in n.get("depends_on", {}).get("nodes", []) if p in nodes and p != uid}
               for uid, n in nodes.items()}
    children: dict[str, list[str]] = {uid: [] for uid in nodes}
    for uid, ps in parents.items():
        for p in ps:
            children[p].append(uid)
    waiting = {uid: len(ps) for uid, ps in parents.items()}
    ready = sorted(uid for uid, n in waiting.items() if n == 0)
    order: list[str] = []
    while ready:
        uid = heapq.heappop(ready)
        order.append(uid)
        for child in children[uid]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)
    if len(order) != len(nodes):
        stuck = sorted(set(nodes) - set(order))
        raise AnchorError(f"dependency cycle among {len(stuck)} node(s), e.g. {', '.join(stuck[:3])}")
    return order


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@dataclass
class TransformRun:
    """What the compiled SQL did in one connection: timing, node counts, failing tests, mart row counts."""

    wall_s: float
    seeds: int = 0
    models: int = 0
    tests: int = 0
    failing_tests: list[dict] = field(default_factory=list)  # unique_id, severity, failures
    mart_rows: dict[str, int] = field(default_factory=dict)
    mismatches: list[dict] = field(default_factory=list)  # against the real run's warehouse


def run_node(con: duckdb.DuckDBPyConnection, node: Mapping[str, Any]) -> int | None:
    """Execute one node; a data test returns its failing-row count."""
    kind, relation = node["resource_type"], node.get("relation_name")
    if kind == "seed":
        config = node.get("config") or {}
        params = {"path": str(Path(node["root_path"]) / node["original_file_path"]),
                  "delim": config.get("delimiter") or ","}
        if config.get("column_types"):
            params["types"] = dict(config["column_types"])
        options = ", types = $types" if "types" in params else ""
        # relation_name is the manifest's own quoted name; the CSV path and options are bound
        con.execute(f"create table {relation} as select * from read_csv($path, header = true, "  # noqa: S608 - manifest relation name
                    f"delim = $delim, quote = '\"', escape = '\"'{options})", params)
        return None
    code = node["compiled_code"]
    if kind == "test":
        # the compiled code is the project's own SQL; newlines keep a trailing `--` comment inside
        return int(con.execute(f"select count(*) from (\n{code}\n) as dbt_test").fetchall()[0][0])  # noqa: S608 - compiled project SQL
    what = "view" if node["config"].get("materialized") == "view" else "table"  # incremental: a first build
    con.execute(f"create {what} {relation} as (\n{code}\n)")
    return None


def mart_relations(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Every mart model: name -> quoted relation name."""
    return {n["name"]: n["relation_name"] for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and "marts" in n.get("fqn", [])}


def row_counts(con: duckdb.DuckDBPyConnection, relations: Mapping[str, str]) -> dict[str, int]:
    """Rows of each relation; one missing from the database counts as -1."""
    counts = {}
    for name, relation in relations.items():
        try:
            counts[name] = int(con.execute(f"select count(*) from {relation}").fetchall()[0][0])  # noqa: S608 - manifest relation name
        except duckdb.CatalogException:
            counts[name] = -1
    return counts


def compare_counts(anchor: Mapping[str, int], real: Mapping[str, int]) -> list[dict]:
    """Marts whose row count differs (-1: the table is missing on that side)."""
    return [{"model": name, "anchor_rows": anchor.get(name, -1), "real_rows": real.get(name, -1)}
            for name in sorted(set(anchor) | set(real)) if anchor.get(name, -1) != real.get(name, -1)]


def transform_anchor(manifest: Mapping[str, Any], folder: Path, real_warehouse: Path | None = None) -> TransformRun:
    """Execute the compiled project in one connection on a fresh database file in `folder`; time only the
    execution. The file is named after the manifest's database (catalog "warehouse" -> warehouse.duckdb), so
    the compiled relation names resolve unchanged."""
    nodes = manifest["nodes"]
    order = execution_order(manifest)
    catalog = next(nodes[uid]["database"] for uid in order)
    path = folder / f"{catalog}.duckdb"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    schemas = sorted({nodes[uid]["schema"] for uid in order if nodes[uid]["resource_type"] != "test"})
    run = TransformRun(wall_s=0.0)
    start = time.perf_counter()
    con = duckdb.connect(str(path))
    try:
        for schema in schemas:
            con.execute(f"create schema if not exists {quote(catalog)}.{quote(schema)}")
        for uid in order:
            node = nodes[uid]
            failures = run_node(con, node)
            kind = node["resource_type"]
            run.seeds += kind == "seed"
            run.models += kind == "model"
            run.tests += kind == "test"
            if failures:
                severity = str((node.get("config") or {}).get("severity", "error")).lower()
                run.failing_tests.append({"unique_id": uid, "severity": severity, "failures": failures})
        run.wall_s = time.perf_counter() - start
        run.mart_rows = row_counts(con, mart_relations(manifest))
    finally:
        con.close()
    if real_warehouse is not None:
        with duckdb.connect(str(real_warehouse), read_only=True) as real:
            run.mismatches = compare_counts(run.mart_rows, row_counts(real, mart_relations(manifest)))
    return run


# --------------------------------------------------------------------------- ingest anchor


@dataclass
class IngestRun:
    """The ingest anchor's figures: time end to end, files by kind, rows written."""

    wall_s: float
    files: int = 0
    rows: int = 0
    decoded_in_python: int = 0  # non-UTF-8 CSV files
    xlsx: int = 0
    by_module: dict[str, int] = field(default_factory=dict)


class Params:
    """Bound parameters of one statement: every value goes here, the SQL text only names $p<n>."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def column_names(width: int) -> list[str]:
    """Positional names: the SQL refers to columns by these, never by a file's header text."""
    return [f"column{i}" for i in range(width)]


def load_xlsx(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[str], int]:
    """First sheet via calamine as a view `landing_rows` of text columns: (headers, header line)."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    at = next((i for i, row in enumerate(rows) if any(cell_text(v) for v in row)), None)
    if at is None:
        raise AnchorError(f"{path}: no header row")
    headers = [(cell_text(v) or "").strip() for v in rows[at]]
    while headers and not headers[-1]:
        headers.pop()
    body = [[cell_text(v) for v in row] for row in rows[at + 1:]]
    body = [(row + [None] * len(headers))[:len(headers)] for row in body if any(row)]
    table = pa.table({name: pa.array([row[i] for row in body], type=pa.string())
                      for i, name in enumerate(column_names(len(headers)))})
    con.register("landing_rows", table)
    return headers, at + 1


def load_csv(con: duckdb.DuckDBPyConnection, path: Path, data: bytes, label: str,
             scratch: Path) -> tuple[list[str], int, bool]:
    """A CSV export as a view `landing_rows` read by DuckDB (explicit options, all text): (headers, header line,
    decoded in Python). Non-UTF-8 text is decoded strictly by Python and handed over as a temp UTF-8 file."""
    encoding = detect_encoding(data, label)  # strict: raises on bytes no supported encoding reads
    source, in_python = path, encoding not in ("utf-8", "utf-8-sig")
    if in_python:
        source = scratch / "decoded.csv"
        source.write_text(data.decode(encoding), encoding="utf-8")
    head = data[:65536].decode("utf-8-sig" if not in_python else encoding, errors="ignore")
    lines = head.splitlines()
    at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if at is None:
        raise AnchorError(f"{label}: no header row")
    sep = sniff_delimiter(lines[at])
    headers = [h.strip() for h in next(csv.reader([lines[at]], delimiter=sep))]
    rel = con.read_csv(str(source), header=False, skiprows=at + 1, sep=sep, quotechar='"', escapechar='"',
                       all_varchar=True, names=column_names(len(headers)))
    rel.create_view("landing_rows", replace=True)
    return headers, at + 1, in_python


def date_candidates(pinned: tuple[str, ...], date_order: str, excel: bool) -> list[list[str]]:
    """strptime format lists to choose from: the pinned formats, else the ingest's date families in the
    profile's day/month order (ISO text is read by a plain cast first)."""
    if pinned:
        return [[to_strptime(p) for p in pinned]]
    special = {"ISO8601", "epoch_ms", "excel_serial"}
    return [list(FAMILIES[f]) for f in candidate_families(date_order, excel) if f not in special]


def pick_formats(con: duckdb.DuckDBPyConnection, candidates: Mapping[str, list[list[str]]]) -> dict[str, list[str]]:
    """Per date column, the format list that reads most of its values in the file's first 200 rows (the first
    that reads them all); one query for every column of the file."""
    chosen = {column: lists[0] for column, lists in candidates.items() if len(lists) == 1}
    sampled = [(column, lists) for column, lists in candidates.items() if len(lists) > 1]
    if not sampled:
        return chosen
    params, counts = Params(), []
    for column, lists in sampled:
        text = f"nullif(trim({column}), '')"
        counts += [f"count({text})", *(f"count(try_strptime({text}, {params(f)}::VARCHAR[]))" for f in lists)]
    row = con.execute(f"select {', '.join(counts)} from (select * from landing_rows limit 200)",  # noqa: S608 - code-made names only
                      params.values).fetchall()[0]
    at = 0
    for column, lists in sampled:
        present, read = row[at], row[at + 1: at + 1 + len(lists)]
        at += 1 + len(lists)
        best = max(range(len(lists)), key=lambda i: (read[i], -i))
        chosen[column] = lists[best] if present else []
    return chosen


def typed(column: str, duck_type: str, bind: Params, formats: list[str]) -> str:
    """DuckDB expression turning a text column into its canonical type (NULL where it does not parse)."""
    text = f"nullif(trim({column}), '')"
    number = f"try_cast(regexp_replace({text}, '[^0-9eE.+-]', '', 'g') as DOUBLE)"
    if duck_type == "DOUBLE":
        return number
    if duck_type == "BIGINT":
        return f"try_cast({number} as BIGINT)"
    if duck_type in ("DATE", "TIMESTAMP"):
        stamp = f"try_cast({text} as TIMESTAMP)"
        if formats:
            stamp = f"coalesce({stamp}, try_strptime({text}, {bind(formats)}::VARCHAR[]))"
        return f"cast({stamp} as DATE)" if duck_type == "DATE" else stamp
    return text


def mapped_select(con: duckdb.DuckDBPyConnection, headers: list[str], header_line: int, file: LandingFile,
                  profile: Profile, sha: str, ingested_at: str, excel: bool) -> tuple[str, dict, str]:
    """The select over `landing_rows` that yields the module's raw columns: (sql, params, module)."""
    match = detect_module(headers, profile, file.rel)
    spec, module = match.module, match.module.canonical
    position = {h: i for i, h in reversed(list(enumerate(headers)))}  # the first of duplicate headers
    source_col = {canonical: f"column{position[h]}" for canonical, h in match.columns.items()}
    specs = {c.name: c for c in spec.columns}
    types = raw_columns(module)
    dates = {source_col[name]: date_candidates((specs[name].formats if name in specs else ()) or profile.date_formats,
                                               profile.date_order, excel)
             for name in source_col if types.get(name) in ("DATE", "TIMESTAMP") and name not in spec.constants}
    formats = pick_formats(con, dates)
    bind = Params()
    exprs: dict[str, str] = {}
    for name, duck_type in types.items():
        if name in spec.constants:
            expr = f"cast({bind(spec.constants[name])} as {duck_type})"
        elif name in source_col:
            col = specs.get(name)
            expr = typed(source_col[name], duck_type, bind, formats.get(source_col[name], []))
            if col is not None and col.multiply is not None:
                expr = f"({expr} * {bind(col.multiply)})"
        else:
            expr = f"cast(null as {duck_type})"
        exprs[name] = expr
    keys = [source_col[k] for k in spec.natural_key if k in source_col]
    if "source_record_id" not in source_col and keys:
        parts = " || chr(31) || ".join(f"coalesce(lower(trim({k})), '')" for k in keys)
        exprs["source_record_id"] = f"'nk-' || substr(md5({parts}), 1, 20)"
    if module in CURRENCY_OF and "currency" in exprs:
        exprs["currency"] = f"coalesce({exprs['currency']}, {bind(profile.default_currency)})"
    used = set(match.columns.values())
    extras = [(h, i) for i, h in enumerate(headers) if h and h not in used]
    exprs.update({
        "source_system": bind(file.source),
        "export_date": f"cast({bind(file.export_date)} as DATE)",
        "source_file": bind(file.rel),
        "ingested_at": f"cast({bind(ingested_at)} as TIMESTAMP)",
        "source_line": f"cast(row_number() over () + {bind(header_line)} as BIGINT)",
        "file_sha256": bind(sha),
    })
    if extras:
        pairs = ", ".join(f"{bind(h)}, column{i}" for h, i in extras)
        exprs["extra_columns"] = f"cast(json_object({pairs}) as VARCHAR)"
    select = ", ".join(f"{expr} as {quote(name)}" for name, expr in exprs.items())  # raw_columns order
    # only code-made expressions and canonical column names; every value is in bind.values
    return f"select {select} from landing_rows", bind.values, module  # noqa: S608 - code-made SQL


def ingest_anchor(landing: Path, as_of: str, out: Path, profiles_dir: Path | None = None) -> IngestRun:
    """Every landing file of batches <= as_of to raw-column Parquet under `out`, timed end to end
    (listing, hashing, decoding, reading, mapping, typing, writing)."""
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    profiles = load_profiles(profiles_dir)
    ingested_at = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    run, written = IngestRun(wall_s=0.0), []
    con = duckdb.connect()
    try:
        for i, file in enumerate(list_landing(landing, as_of)):
            excel = file.path.suffix.lower() in (".xlsx", ".xlsm")
            data = file.path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            if excel:
                headers, header_line = load_xlsx(con, file.path)
                run.xlsx += 1
            else:
                headers, header_line, in_python = load_csv(con, file.path, data, file.rel, out)
                run.decoded_in_python += in_python
            del data
            sql, params, module = mapped_select(con, headers, header_line, file, profiles[file.source], sha,
                                                ingested_at, excel)
            target = out / module / f"{i:05d}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            con.sql(sql, params=params).write_parquet(str(target), compression="zstd")
            if excel:  # a registered table shadows a view of the same name: gone before the next file
                con.unregister("landing_rows")
            else:
                con.execute("drop view landing_rows")
            written.append((module, target))
            run.files += 1
    finally:
        con.close()
    run.wall_s = time.perf_counter() - start
    for module, target in written:
        rows = pq.read_metadata(target).num_rows
        run.rows += rows
        run.by_module[module] = run.by_module.get(module, 0) + rows
    (out / "decoded.csv").unlink(missing_ok=True)
    return run
