"""RawLayout (Python) and the dbt sources (YAML globs) name the same folders of the raw layer."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from salestier_pipeline.ingest.layout import RawLayout, file_key, safe_part
from salestier_pipeline.schema import ALL_MODULES

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "dbt_project" / "models" / "staging" / "_sources.yml"


def _globs() -> dict[str, str]:
    """Each raw source's path pattern relative to the raw root, from its external_location."""
    [raw] = [s for s in yaml.safe_load(SOURCES.read_text(encoding="utf-8"))["sources"] if s["name"] == "raw"]
    default = raw["meta"]["external_location"]
    out = {}
    for table in raw["tables"]:
        location = (table.get("meta") or {}).get("external_location", default)
        [pattern] = re.findall(r"}}/([^']+)'", location)
        out[table["name"]] = pattern.replace("{name}", table["name"])
    return out


def _matches(path: Path, glob: str) -> bool:
    """DuckDB's glob: `**/` spans any folders (also none), `*` stays within one name."""
    pattern = re.escape(glob).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
    return re.fullmatch(pattern, path.as_posix()) is not None


def test_every_python_path_is_read_by_the_dbt_source_of_its_table(tmp_path: Path) -> None:
    layout = RawLayout(tmp_path)
    globs = _globs()
    written = {
        **{m: layout.records(m, "zoho", "2026-11-27", "zoho/2026-11-27/Deals.csv", "0123abcd") for m in ALL_MODULES},
        "ingest_files": layout.file_results("2026-11-27", "opportunities"),
        "ingest_quarantine": layout.quarantine("opportunities", "zoho", "2026-11-27", "Deals.csv", "0123abcd"),
        "profile_maps": layout.profile_maps,
    }
    assert set(written) == set(globs)
    for table, path in written.items():
        assert _matches(path.relative_to(tmp_path), globs[table]), (table, globs[table], path)
    for module in ALL_MODULES:  # the typed empty file is read too, so a module without exports still has columns
        assert _matches(layout.schema_file(module).relative_to(tmp_path), globs[module])
    assert not _matches(Path("accounts/x.csv"), globs["accounts"])


def test_names_from_files_never_reach_a_path() -> None:
    assert file_key("zoho/2026-11-27/Deals.csv") != file_key("zoho/2026-11-27/Deals.txt")
    assert len(file_key("x' (FORMAT parquet); --.csv")) == 16
    assert safe_part("zoho") == "zoho"
    hostile = safe_part("../o'brien [x]")
    assert "/" not in hostile and "'" not in hostile and hostile != safe_part("../o'brien [y]")
