"""publish.tables reads the published-table contract from the dbt manifest (the marts' enforced contracts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from salestier_pipeline.publish import tables
from salestier_pipeline.publish.tables import (
    CONTRACT,
    HISTORICAL,
    LATEST_ONLY,
    MANIFEST,
    PUBLISHED_TABLES,
    ManifestNotFoundError,
    published_from_manifest,
    published_tables,
)


def _model(name: str, columns: dict[str, str | None], published: bool = True, history: Any = True,
           enforced: bool = True, schema: str = "marts") -> dict[str, Any]:
    return {
        "resource_type": "model", "name": name, "schema": schema, "description": f"{name} table",
        "config": {"contract": {"enforced": enforced},
                   "meta": {"salestier": {"published": published, "history": history}} if published else {}},
        "columns": {c: {"name": c, "data_type": t, "description": f"{c} text"} for c, t in columns.items()},
    }


def _manifest(*models: dict[str, Any]) -> dict[str, Any]:
    return {"nodes": {f"model.salestier.{m['name']}": m for m in models}
            | {"test.salestier.x": {"resource_type": "test", "name": "x", "config": {}}}}


def test_published_models_in_contract_order_and_split_by_history() -> None:
    found = published_from_manifest(_manifest(
        _model("zeta", {"as_of_date": "date", "b": "bigint", "a": "string"}),
        _model("alpha", {"id": "string"}, history=False),
        _model("internal", {"id": "string"}, published=False, enforced=False),
    ))
    assert list(found) == ["alpha", "zeta"], "only the marked models, sorted by name"
    assert found["zeta"].column_names == ("as_of_date", "b", "a"), "contract order, not sorted"
    assert [c.data_type for c in found["zeta"].columns] == ["date", "bigint", "string"]
    assert found["zeta"].history and not found["alpha"].history
    assert found["alpha"].columns[0].description == "id text"


@pytest.mark.parametrize(("model", "message"), [
    (_model("m", {"id": "string"}, enforced=False), "must set contract"),
    (_model("m", {"id": "string", "x": None}), r"needs a data_type \(missing: \['x'\]\)"),
    (_model("m", {}), "needs a data_type"),
    (_model("m", {"id": "string"}, history="yes"), "history must be true or false"),
    (_model("m", {"id": "string"}, schema="intermediate"), "must be in schema marts"),
])
def test_a_published_model_without_a_full_contract_is_refused(model: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        published_from_manifest(_manifest(model))


def test_missing_manifest_says_run_make_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestNotFoundError, match="run `make manifest`"):
        published_tables(tmp_path / "target" / "manifest.json")


def test_a_manifest_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(_manifest(_model("t", {"as_of_date": "date"}))), encoding="utf-8")
    assert published_tables(path)["t"].column_names == ("as_of_date",)


def test_the_project_manifest_gives_the_public_names() -> None:
    assert published_tables() is published_tables(), "parsed once"
    assert MANIFEST.is_file()
    assert list(PUBLISHED_TABLES) == sorted(CONTRACT) and len(PUBLISHED_TABLES) >= 14
    assert set(HISTORICAL) | LATEST_ONLY == set(PUBLISHED_TABLES) and not set(HISTORICAL) & LATEST_ONLY
    assert {"customer_segments", "opportunities", "ingest_quarantine"} <= LATEST_ONLY
    assert {"customer_tier_list", "kpi_snapshot", "lifecycle_transitions"} <= set(HISTORICAL)
    assert all(CONTRACT[t][0] == "as_of_date" for t in PUBLISHED_TABLES)
    with pytest.raises(AttributeError):
        tables.NOT_A_NAME  # noqa: B018 - the module __getattr__ knows only the derived names
