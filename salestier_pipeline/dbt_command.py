"""The nightly dbt command and its environment: one definition for the Dagster asset and the bench.

No Dagster or dbt import here, so tools can use it without loading the definitions.
"""

from __future__ import annotations

import json

from salestier_pipeline.settings import Settings

AS_OF_ENV = "SALESTIER_AS_OF_DATE"  # read by the macro as_of_date_str at execution only


def dbt_build_args(reporting_currency: str = "USD") -> list[str]:
    """The dbt command of one run: every model, seed and data test, money in the reporting currency.

    The as-of date is not a --vars value: dbt re-parses the whole project whenever --vars change, so it
    goes in the environment (dbt_run_env). dbt unit tests check the SQL, not the data: they run once in the
    test suite, not every night."""
    return ["build", "--exclude-resource-type", "unit_test",
            "--vars", json.dumps({"reporting_currency": reporting_currency})]


def dbt_run_env(settings: Settings, as_of: str) -> dict[str, str]:
    """What dbt's process needs besides the arguments: paths, threads and the run's as-of date."""
    return {**settings.dbt_env(), AS_OF_ENV: as_of}
