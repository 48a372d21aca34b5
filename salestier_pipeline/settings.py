"""Paths and options from the environment (SPEC §7), always absolute.

Absolute paths matter: DuckDB bakes relative paths into views, and dbt runs
from its own project directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Settings:
    """Where SalesTier reads and writes; one home holds everything of a deployment."""

    home: Path
    as_of: str | None = None
    max_quarantine_share: float = 0.2
    timezone: str = "UTC"
    partition_start: str = "2010-01-01"
    reporting_currency: str = "USD"  # every published money figure is in it (dbt var reporting_currency)

    @property
    def landing(self) -> Path:
        return Path(os.environ.get("SALESTIER_LANDING", self.home / "landing")).resolve()

    @property
    def raw(self) -> Path:
        return self.home / "raw"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def warehouse(self) -> Path:
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def serving_dir(self) -> Path:
        return self.home / "serving"

    @property
    def serving_db(self) -> Path:
        return self.serving_dir / "salestier.duckdb"

    @property
    def exports(self) -> Path:
        return self.home / "exports"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def profiles_dir(self) -> Path:
        return self.home / "profiles"

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME", self.home / "dagster")).resolve()

    def dbt_env(self) -> dict[str, str]:
        """Environment dbt needs: the warehouse file and the raw Parquet root."""
        return {
            "SALESTIER_WAREHOUSE": str(self.warehouse),
            "SALESTIER_RAW_DIR": str(self.raw),
        }


def automation_on() -> bool:
    """SALESTIER_AUTOMATION=on (the deployed config) starts the nightly schedule and the
    new-export sensor as RUNNING; a laptop or CI leaves them stopped."""
    return os.environ.get("SALESTIER_AUTOMATION", "off").strip().lower() in ("on", "1", "true", "yes")


def load_settings() -> Settings:
    """Read SALESTIER_* variables; the home defaults to ./data of the project."""
    home = Path(os.environ.get("SALESTIER_HOME", PROJECT_ROOT / "data")).resolve()
    return Settings(
        home=home,
        as_of=os.environ.get("SALESTIER_AS_OF") or None,
        max_quarantine_share=float(os.environ.get("SALESTIER_MAX_QUARANTINE_SHARE", "0.2")),
        timezone=os.environ.get("SALESTIER_TIMEZONE", "UTC"),
        partition_start=os.environ.get("SALESTIER_PARTITION_START", "2010-01-01"),
        reporting_currency=(os.environ.get("SALESTIER_REPORTING_CURRENCY") or "USD").strip().upper(),
    )
