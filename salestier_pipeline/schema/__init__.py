"""The canonical raw schema shared by ingest and dbt (canonical.yml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

CANONICAL_PATH = Path(__file__).with_name("canonical.yml")

CRM_MODULES = ("accounts", "contacts", "leads", "opportunities", "activities", "orders", "feedback")
REFERENCE_MODULES = ("reps", "targets")
ALL_MODULES = CRM_MODULES + REFERENCE_MODULES


@cache
def canonical() -> dict:
    """The parsed canonical.yml: {'lineage': {...}, 'modules': {...}}."""
    return yaml.safe_load(CANONICAL_PATH.read_text(encoding="utf-8"))


def lineage_columns() -> dict[str, str]:
    return dict(canonical()["lineage"])


def module_columns(module: str) -> dict[str, str]:
    """Business columns of a module with their DuckDB types."""
    return dict(canonical()["modules"][module])


def raw_columns(module: str) -> dict[str, str]:
    """All columns of a raw Parquet file of the module, in file order."""
    return {**lineage_columns(), **module_columns(module)}


def column_rules() -> dict:
    """money / non_negative / durations column names and the critical columns per module."""
    return canonical()["column_rules"]


def critical_columns(module: str) -> frozenset[str]:
    return frozenset(column_rules()["critical"].get(module, ()))
