"""Shared pytest setup: offline, quiet GX, a prepared dbt manifest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """dagster-dbt needs target/manifest.json to import the definitions."""
    project = ROOT / "dbt_project"
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run([str(dbt), "parse", "--quiet", "--profiles-dir", ".", "--target-path", "target"],
                   cwd=project, check=True)
    return project / "target" / "manifest.json"
