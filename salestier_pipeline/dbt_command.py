"""The nightly dbt command and its environment: one definition for the Dagster asset and the bench.

No Dagster or dbt import here, so tools can use it without loading the definitions.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path

from salestier_pipeline.settings import DBT_PROJECT_DIR, PROJECT_ROOT, Settings

DBT_VENV = PROJECT_ROOT / ".venv-dbt"  # `make install` puts dbt-core and its adapter here (Makefile DBT_VENV)


def dbt_executable() -> Path:
    """The dbt CLI: the project's own dbt environment, else a dbt installed beside this interpreter.

    dbt lives in an environment of its own so the orchestrator never imports dbt-core: dagster-dbt
    imports it whenever it can, which costs 1.5 s at every load of the definitions (each run, the UI's
    code server, every test that loads them), and only its CLI is used."""
    own = DBT_VENV / "bin" / "dbt"
    return own if own.is_file() else Path(sys.executable).with_name("dbt")


def dbt_core_version(executable: Path | None = None) -> str:
    """dbt-core's version in the environment of the dbt executable, read from its package metadata:
    `dbt --version` would ask pypi.org first (a hang when offline)."""
    venv = (executable or dbt_executable()).parent.parent
    paths = [str(p) for p in sorted(venv.glob("lib/python*/site-packages"))]
    found = next(iter(metadata.distributions(name="dbt-core", path=paths)), None)
    if found is None:
        raise RuntimeError(f"no dbt-core installed in {venv}: run `make install`")
    return found.version

AS_OF_ENV = "SALESTIER_AS_OF_DATE"  # read by the macro as_of_date_str at execution only


SEEDS_MARK = "seeds.sha256"  # beside the warehouse: the fingerprint of the seeds it holds


def dbt_build_args(reporting_currency: str = "USD", seeds_loaded: bool = False) -> list[str]:
    """The dbt command of one run: every model, seed and data test, money in the reporting currency.

    The as-of date is not a --vars value: dbt re-parses the whole project whenever --vars change, so it
    goes in the environment (dbt_run_env). dbt unit tests check the SQL, not the data: they run once in the
    test suite, not every night. Seeds the warehouse already holds unchanged (seeds_loaded) are not
    reloaded: loading the 14 CSVs is a tenth of a small night's dbt time. dbt then also leaves out the
    seeds' own tests: same files, same test code (seeds_fingerprint), same result as when they last ran."""
    args = ["build", "--exclude-resource-type", "unit_test",
            "--vars", json.dumps({"reporting_currency": reporting_currency})]
    return [*args, "--exclude", "resource_type:seed"] if seeds_loaded else args


SEED_INPUTS = ("seeds", "macros", "tests")  # the CSVs and their properties, and the code of their tests


def project_files_fingerprint(folders: tuple[str, ...], project_dir: Path = DBT_PROJECT_DIR) -> str:
    """sha256 over the names and bytes of every file under the project's `folders`."""
    digest = hashlib.sha256()
    for path in sorted(p for d in folders for p in (project_dir / d).rglob("*") if p.is_file()):
        digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def seeds_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """The fingerprint of SEED_INPUTS: any change there reloads the seeds."""
    return project_files_fingerprint(SEED_INPUTS, project_dir)


def seeds_loaded(settings: Settings, fingerprint: str) -> bool:
    """The warehouse exists and its seeds were last loaded, by a successful build, from these files."""
    mark = settings.warehouse_dir / SEEDS_MARK
    return settings.warehouse.is_file() and mark.is_file() and mark.read_text(encoding="ascii").strip() == fingerprint


def mark_seeds_loaded(settings: Settings, fingerprint: str | None) -> None:
    """After a successful build: record which seeds the warehouse holds (None: forget, reload next time)."""
    mark = settings.warehouse_dir / SEEDS_MARK
    if fingerprint is None:
        mark.unlink(missing_ok=True)
    else:
        mark.write_text(fingerprint + "\n", encoding="ascii")


STATE_SINCE_ENV = "SALESTIER_STATE_SINCE"  # read by dbt_project/macros/current_state.sql (state_mark.py decides)


def dbt_run_env(settings: Settings, as_of: str, state_since: str | None = None) -> dict[str, str]:
    """What dbt's process needs besides the arguments: paths, threads, the run's as-of date and the date the
    current-state tables may be brought forward from (empty: rebuilt in full)."""
    return {**settings.dbt_env(), AS_OF_ENV: as_of, STATE_SINCE_ENV: state_since or ""}
