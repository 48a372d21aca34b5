"""A small adapter from Great Expectations 1.x results to Dagster asset checks.

dagster-ge is pinned below GX 1.0, so this is ours: suites are committed JSON
under expectations/<layer>/<name>.json; each expectation's `meta.check` names
the Dagster check, its `severity` decides blocking (critical → ERROR, blocks
downstream; warning / info → WARN).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

import salestier_pipeline.quality  # noqa: F401  (sets the GX environment first)
from salestier_pipeline.markdown import md_escape
from salestier_pipeline.settings import PROJECT_ROOT

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class CheckOutcome:
    """One expectation's verdict in plain data (no GX objects leak out)."""

    check: str
    passed: bool
    critical: bool
    description: str
    expectation: str
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    sample: list[Any] = field(default_factory=list)
    observed: Any = None
    locations: list[str] = field(default_factory=list)  # "file lines 3, 5" of failing rows, when the frame knows

    @property
    def where(self) -> str:
        return "; ".join(self.locations)


def suite_path(layer: str, name: str) -> Path:
    return EXPECTATIONS_DIR / layer / f"{name}.json"


@cache
def load_suite_json(layer: str, name: str) -> dict:
    return json.loads(suite_path(layer, name).read_text(encoding="utf-8"))


def is_critical(expectation: dict) -> bool:
    """A suite entry's severity: `critical` (the default) blocks, anything else warns."""
    return expectation.get("severity", "critical") == "critical"


def check_names(layer: str, name: str) -> list[tuple[str, str, bool]]:
    """(check name, description, critical) for each expectation of a suite."""
    return [
        (e["meta"]["check"], e["meta"].get("description", ""), is_critical(e))
        for e in load_suite_json(layer, name)["expectations"]
    ]


def check_specs(layer: str, name: str, asset_key: dg.AssetKey, prefix: str = "") -> list[dg.AssetCheckSpec]:
    """Declared at definition time so the checks show on the asset in the UI."""
    return [
        dg.AssetCheckSpec(f"{prefix}{check}", asset=asset_key, description=f"[GX {layer}] {desc}", blocking=critical)
        for check, desc, critical in check_names(layer, name)
    ]


def unevaluated_outcomes(layer: str, name: str, observed: str) -> list[CheckOutcome]:
    """Every check of a suite as passed with nothing to validate (`observed` says why), without GX."""
    return [CheckOutcome(e["meta"]["check"], True, is_critical(e),
                         e["meta"].get("description", ""), e["type"], observed=observed)
            for e in load_suite_json(layer, name)["expectations"]]


@cache
def gx_context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def validate_frame(
    frame: pd.DataFrame, layer: str, name: str, runtime_kwargs: dict[str, dict[str, Any]] | None = None
) -> list[CheckOutcome]:
    """Run one suite on a pandas frame; runtime_kwargs fill values known only at run time."""
    return [outcome for outcome, _ in _validate(frame, layer, name, runtime_kwargs)]


def validate_chunks(
    frames: Iterable[pd.DataFrame], layer: str, name: str, runtime_kwargs: dict[str, dict[str, Any]] | None = None
) -> list[CheckOutcome]:
    """One suite over a frame given in chunks, with the outcomes validate_frame gives on the whole frame.

    Holds for chunks in location order that each keep whole the rows a cross-row expectation compares
    (raw_checks.raw_check_chunks): counts add up, the percentage is over the rows that are not missing, and
    the samples and locations are the first failing rows in location order, as GX picks them on one frame."""
    merged: list[list[tuple[CheckOutcome, dict[str, Any]]]] = []
    for frame in frames:
        if merged and frame.empty:
            continue
        results = _validate(frame, layer, name, runtime_kwargs)
        merged = [[r] for r in results] if not merged else [m + [r] for m, r in zip(merged, results, strict=True)]
    return [parts[0][0] if len(parts) == 1 else _merge(parts) for parts in merged]


def _merge(parts: list[tuple[CheckOutcome, dict[str, Any]]]) -> CheckOutcome:
    """One check's outcome over several chunks (see validate_chunks)."""
    first = parts[0][0]
    if not any(r for _, r in parts):  # not validated by GX (a missing column, a value known only later)
        return first
    if any(o.unexpected_count is None for o, _ in parts):  # an aggregate expectation: not chunkable
        raise ValueError(f"check '{first.check}' ({first.expectation}) cannot be merged over chunks")
    unexpected = sum(o.unexpected_count or 0 for o, _ in parts)
    counted = sum((r.get("element_count") or 0) - (r.get("missing_count") or 0) for _, r in parts)
    failing: list[tuple[tuple[str, int], Any, Any]] = []
    for _, r in parts:  # GX pairs each sampled value with its row's index entry (file, line) when it has them
        where = r.get("partial_unexpected_index_list") or []
        for i, value in enumerate(r.get("partial_unexpected_list") or []):
            entry = where[i] if i < len(where) and isinstance(where[i], dict) else None
            key = (str(entry.get("source_file")), int(entry.get("source_line"))) if entry else ("", 0)
            failing.append((key, value, entry))
    failing.sort(key=lambda item: item[0])
    first_failing = failing[:SAMPLE_SIZE]
    return CheckOutcome(
        check=first.check, passed=all(o.passed for o, _ in parts), critical=first.critical,
        description=first.description, expectation=first.expectation, unexpected_count=unexpected,
        unexpected_percent=(unexpected / counted * 100) if counted else first.unexpected_percent,  # as GX computes it
        sample=_jsonable([value for _, value, _ in first_failing]), observed=first.observed,
        locations=_locations([entry for _, _, entry in first_failing if entry is not None]),
    )


def _validate(
    frame: pd.DataFrame, layer: str, name: str, runtime_kwargs: dict[str, dict[str, Any]] | None = None
) -> list[tuple[CheckOutcome, dict[str, Any]]]:
    """Each expectation's outcome with GX's raw result dict (validate_chunks merges those)."""
    import great_expectations as gx

    spec = load_suite_json(layer, name)
    runtime_kwargs = runtime_kwargs or {}
    context = gx_context()
    source_name = f"{layer}_{name}"
    try:
        source = context.data_sources.get(source_name)
    except (KeyError, ValueError):
        source = context.data_sources.add_pandas(source_name)
    try:
        asset = source.get_asset("frame")
    except (LookupError, ValueError):
        asset = source.add_dataframe_asset("frame")
    try:
        batch_def = asset.get_batch_definition("all")
    except (KeyError, ValueError):
        batch_def = asset.add_batch_definition_whole_dataframe("all")
    batch = batch_def.get_batch(batch_parameters={"dataframe": frame})

    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
    if set(LOCATION_COLUMNS) <= set(frame.columns):  # name the file and lines of failing rows
        result_format["unexpected_index_column_names"] = LOCATION_COLUMNS
    outcomes: list[tuple[CheckOutcome, dict[str, Any]] | None] = []
    to_run: dict[str, tuple[int, dict[str, Any]]] = {}  # check -> (its place, its suite item)
    expectations = []
    for item in spec["expectations"]:
        check = item["meta"]["check"]
        kwargs = {**item["kwargs"], **runtime_kwargs.get(check, {})}
        critical = is_critical(item)
        description = item["meta"].get("description", "")
        column = kwargs.get("column")
        if column is not None and column not in frame.columns:
            outcomes.append((CheckOutcome(check, False, critical, description, item["type"],
                                          observed=f"column {column} missing"), {}))
            continue
        if any(v is None for k, v in kwargs.items() if k == "value"):
            outcomes.append((CheckOutcome(check, True, critical, description, item["type"],
                                          observed="not evaluated"), {}))
            continue
        expectation_cls = gx.expectations.registry.get_expectation_impl(item["type"])
        expectations.append(expectation_cls(**kwargs, meta=item.get("meta")))
        to_run[check] = (len(outcomes), item)
        outcomes.append(None)
    if expectations:
        # the whole suite in one validation: GX hashes the frame for each validator it builds (100x, 2 M
        # activities: two thirds of the checks' time when each expectation had its own)
        suite = gx.ExpectationSuite(name=f"{source_name}_suite", expectations=expectations)
        for result in batch.validate(suite, result_format=result_format).results:
            check = result.expectation_config.meta["check"]
            place, item = to_run[check]
            res = result.result or {}
            outcomes[place] = (CheckOutcome(
                check=check,
                passed=bool(result.success),
                critical=is_critical(item),
                description=item["meta"].get("description", ""),
                expectation=item["type"],
                unexpected_count=res.get("unexpected_count"),
                unexpected_percent=res.get("unexpected_percent"),
                sample=_jsonable(list(res.get("partial_unexpected_list") or [])[:SAMPLE_SIZE]),
                observed=_jsonable(res.get("observed_value")),
                locations=_locations(res.get("partial_unexpected_index_list") or []),
            ), res)
    missing = [check for check, (place, _) in to_run.items() if outcomes[place] is None]
    if missing:
        raise RuntimeError(f"GX returned no result for {', '.join(missing)} of suite {layer}/{name}")
    return [o for o in outcomes if o is not None]


LOCATION_COLUMNS = ["source_file", "source_line"]


def _locations(index_list: list[Any]) -> list[str]:
    """'zoho/2026-11-20/deals.csv lines 3, 5' per file, from GX's failing-row index (raw frames carry both)."""
    lines: dict[str, list[int]] = {}
    for entry in index_list:
        if isinstance(entry, dict) and entry.get("source_file") is not None and entry.get("source_line") is not None:
            lines.setdefault(str(entry["source_file"]), []).append(int(entry["source_line"]))
    return [f"{f} line{'s' if len(n) > 1 else ''} {', '.join(map(str, sorted(n)))}" for f, n in sorted(lines.items())]


def to_check_results(
    outcomes: list[CheckOutcome], asset_key: dg.AssetKey, prefix: str = ""
) -> list[dg.AssetCheckResult]:
    """critical → ERROR (blocking), otherwise WARN; failing counts and samples as metadata."""
    results = []
    for o in outcomes:
        metadata: dict[str, Any] = {"expectation": o.expectation}
        if o.unexpected_count is not None:
            metadata["unexpected_count"] = int(o.unexpected_count)
        if o.unexpected_percent is not None:
            metadata["unexpected_percent"] = float(round(o.unexpected_percent, 4))
        if o.sample:
            metadata["sample_values"] = dg.MetadataValue.json(o.sample)
        if o.observed is not None:
            metadata["observed"] = str(o.observed)
        if o.locations:
            metadata["where"] = o.where
        results.append(dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=f"{prefix}{o.check}",
            passed=o.passed,
            severity=dg.AssetCheckSeverity.ERROR if o.critical else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
            description=o.description,
        ))
    return results


def failures_text(outcomes: list[CheckOutcome], table: str, critical_only: bool = True,
                  markdown: bool = False) -> str:
    """One line per failed check: which check, which table, which values.

    Plain text for Failure descriptions and alerts (the UI shows those as text); with `markdown`, a list whose
    values from the data are escaped, for `MetadataValue.md` (a sample value must never render as a link)."""
    esc = md_escape if markdown else str
    lines = []
    for o in outcomes:
        if o.passed or (critical_only and not o.critical):
            continue
        detail = f"{o.unexpected_count} unexpected" if o.unexpected_count is not None else f"observed {esc(o.observed)}"
        sample = f"; e.g. {esc(o.sample)}" if o.sample else ""
        where = f"; at {esc(o.where)}" if o.locations else ""
        line = f"check '{esc(o.check)}' failed on {esc(table)}: {detail}{sample}{where}"
        lines.append(f"- {line}" if markdown else line)
    return "\n".join(lines)
