"""Shared pytest setup: offline, quiet GX, a prepared dbt manifest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from salestier_pipeline.dbt_command import dbt_executable

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


DBT_SOURCES = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def manifest_is_current(project: Path) -> bool:
    """True when target/manifest.json is newer than every file dbt parses."""
    manifest = project / "target" / "manifest.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    files = [p for name in DBT_SOURCES for p in ((project / name).rglob("*") if (project / name).is_dir()
                                                  else [project / name]) if p.is_file()]
    return all(p.stat().st_mtime <= built for p in files)


MANIFEST_ERROR: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """dagster-dbt needs target/manifest.json before test modules that import the assets are even collected:
    parse once per session when the dbt project changed since, so every test file also passes when run alone
    on a fresh clone. A parse error is kept, not raised: tests that need the manifest fail with it
    (dbt_manifest); the others still run."""
    project = ROOT / "dbt_project"
    if manifest_is_current(project):
        return
    dbt = dbt_executable()
    done = subprocess.run([str(dbt), "parse", "--quiet", "--profiles-dir", ".", "--target-path", "target"],
                          cwd=project, capture_output=True, text=True)
    if done.returncode != 0:
        MANIFEST_ERROR.append((done.stdout + done.stderr)[-4000:])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """For `-n auto --dist loadgroup` (pyproject): a test file is one group, so its module fixtures are built
    once, on one worker; files marked xdist_group(raw_fixture.DBT_FIXTURE_GROUP) go together, so the dbt warehouses they
    share (cached per process) are built once per session. Runs before xdist names the groups."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """The parsed manifest, for tests that build or import the dbt assets."""
    assert not MANIFEST_ERROR, f"dbt parse failed:\n{MANIFEST_ERROR[0]}"
    return ROOT / "dbt_project" / "target" / "manifest.json"


@pytest.fixture(scope="session")
def published_demo(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> Path:
    """One demo home (scale 0.2) after one real nightly run, built once per session.

    For tests that only read what a night publishes. A test that runs again or changes the home works on
    its own copy (`copy_home`): copying takes a second, a run takes a minute."""
    from tests.runner import run_salestier

    home = tmp_path_factory.mktemp("published-demo")
    demo = run_salestier(home, "demo", "--scale", "0.2")
    assert demo.returncode == 0, demo.stderr[-3000:]
    run = run_salestier(home, "run")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]
    (home / "run.log").write_text(run.stdout + run.stderr, encoding="utf-8")
    return home

