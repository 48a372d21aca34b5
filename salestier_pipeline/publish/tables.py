"""The published-table contract (SPEC §6.1), read from the dbt manifest.

The contract lives in dbt: each published mart's yml marks it with
``meta: {salestier: {published: true, history: true|false}}`` and enforces a model
contract (a ``data_type`` on every column), so dbt fails a build whose columns or
types drift. This module only reads the parsed manifest (``make manifest``), so the
names, the columns and the history / latest-only split have one home.
``PUBLISHED_TABLES``, ``CONTRACT``, ``HISTORICAL`` and ``LATEST_ONLY`` are computed
on first use (module ``__getattr__``), so importing this module parses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salestier_pipeline.settings import DBT_PROJECT_DIR

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
MARTS_SCHEMA = "marts"

if TYPE_CHECKING:  # computed by __getattr__ below
    PUBLISHED_TABLES: tuple[str, ...]
    CONTRACT: dict[str, tuple[str, ...]]
    HISTORICAL: tuple[str, ...]
    LATEST_ONLY: frozenset[str]


@dataclass(frozen=True)
class Column:
    """One contract column: what BI tools may rely on (dbt checks the type on every build)."""

    name: str
    data_type: str
    description: str


@dataclass(frozen=True)
class PublishedTable:
    """One published mart, as its dbt yml declares it."""

    name: str
    history: bool  # keeps every as-of date; else only the latest as-of date
    description: str
    columns: tuple[Column, ...]  # in contract order (= the table's column order)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


class ManifestNotFoundError(FileNotFoundError):
    """No parsed dbt project: the contract cannot be read."""


def published_from_manifest(manifest: dict[str, Any]) -> dict[str, PublishedTable]:
    """The models marked meta.salestier.published, by name (sorted); a marked model must enforce its contract."""
    tables: dict[str, PublishedTable] = {}
    for node in manifest.get("nodes", {}).values():
        config = node.get("config", {})
        marks = config.get("meta", {}).get("salestier", {})
        if node.get("resource_type") != "model" or not marks.get("published"):
            continue
        name = node["name"]
        if node.get("schema") != MARTS_SCHEMA:  # serving copies from the marts schema only
            raise ValueError(f"published model {name} must be in schema {MARTS_SCHEMA}, not {node.get('schema')}")
        if not config.get("contract", {}).get("enforced"):
            raise ValueError(f"published model {name} must set contract: {{enforced: true}}")
        untyped = [c["name"] for c in node["columns"].values() if not c.get("data_type")]
        if untyped or not node["columns"]:
            raise ValueError(f"published model {name}: every column needs a data_type (missing: {untyped})")
        if not isinstance(marks.get("history"), bool):
            raise ValueError(f"published model {name}: meta.salestier.history must be true or false")
        tables[name] = PublishedTable(
            name=name,
            history=marks["history"],
            description=node.get("description", ""),
            columns=tuple(Column(c["name"], c["data_type"], c.get("description", ""))
                          for c in node["columns"].values()),
        )
    return dict(sorted(tables.items()))


@cache
def published_tables(manifest_path: Path = MANIFEST) -> dict[str, PublishedTable]:
    """The published tables of the parsed dbt project; parsed once per process."""
    if not manifest_path.is_file():
        raise ManifestNotFoundError(
            f"dbt manifest not found at {manifest_path}: run `make manifest` (dbt parse) first")
    return published_from_manifest(json.loads(manifest_path.read_text(encoding="utf-8")))


_DERIVED: dict[str, Callable[[dict[str, PublishedTable]], Any]] = {
    "PUBLISHED_TABLES": lambda tables: tuple(tables),
    # table -> its columns, in contract order
    "CONTRACT": lambda tables: {t.name: t.column_names for t in tables.values()},
    "HISTORICAL": lambda tables: tuple(t.name for t in tables.values() if t.history),
    "LATEST_ONLY": lambda tables: frozenset(t.name for t in tables.values() if not t.history),
}


@cache
def _derived(name: str) -> Any:
    return _DERIVED[name](published_tables())


def __getattr__(name: str) -> Any:
    """PUBLISHED_TABLES, CONTRACT, HISTORICAL and LATEST_ONLY, from the manifest on first use."""
    if name not in _DERIVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _derived(name)
