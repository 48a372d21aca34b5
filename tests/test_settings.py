"""One read of the environment: load_settings() validates every SALESTIER_* option and returns frozen settings.

Every test passes its own mapping: none depends on (or changes) the environment of the test process, except
the scoped_env tests, which check that it is left as it was.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from salestier_pipeline.redact import redact
from salestier_pipeline.settings import (
    PROJECT_ROOT,
    AlertChannels,
    IngestLimits,
    PostgresTarget,
    Settings,
    SmtpChannel,
    default_duckdb_memory_mb,
    default_ingest_memory_mb,
    default_memory_budget_mb,
    load_settings,
    machine_memory_mb,
    scoped_env,
)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "salestier_pipeline"
PASSWORD = "pg-S3cret-pw"
TOKEN = "T0KEN-9f8e7d6c5b4a"
SMTP_PASSWORD = "smtp-S3cret-77"

EVERY_OPTION = {
    "SALESTIER_HOME": "/srv/st-home",
    "SALESTIER_LANDING": "/mnt/exports",
    "DAGSTER_HOME": "/srv/dagster",
    "SALESTIER_AS_OF": "2026-11-27",
    "SALESTIER_TIMEZONE": "Asia/Shanghai",
    "SALESTIER_PARTITION_START": "2020-01-01",
    "SALESTIER_REPORTING_CURRENCY": " cny ",
    "SALESTIER_AUTOMATION": "ON",
    "SALESTIER_MAX_QUARANTINE_SHARE": "0.35",
    "SALESTIER_MAX_MAGNITUDE": "1e9",
    "SALESTIER_MAX_CELL_CHARS": "5000",
    "SALESTIER_XLSX_MAX_CELLS": "1000",
    "SALESTIER_XLSX_MAX_BYTES": "2048",
    "SALESTIER_WRITE_SETTLE_SECONDS": "0",
    "SALESTIER_SENSOR_SETTLE_SECONDS": "45.5",
    "SALESTIER_MIN_FREE_MB": "50",
    "SALESTIER_DBT_KEEP_TARGETS": " 5 ",
    "SALESTIER_DBT_THREADS": "2",
    "SALESTIER_DUCKDB_THREADS": "1",
    "SALESTIER_MEMORY_MB": "2000",
    "SALESTIER_DUCKDB_MEMORY_MB": "300",
    "SALESTIER_INGEST_WORKERS": "3",
    "SALESTIER_INGEST_MEMORY_MB": "700",
    "SALESTIER_PG_DSN": f"postgresql://salestier:{PASSWORD}@db.example/sales",
    "SALESTIER_PG_SCHEMA": "bi",
    "SALESTIER_ALERT_WEBHOOK_URL": f"https://hooks.example.com/services/{TOKEN}",
    "SALESTIER_ALERT_SMTP_HOST": "mail.example.com",
    "SALESTIER_ALERT_SMTP_TO": "ops@example.com, boss@example.com,",
    "SALESTIER_ALERT_SMTP_PORT": "2525",
    "SALESTIER_ALERT_SMTP_USER": "robot@example.com",
    "SALESTIER_ALERT_SMTP_PASSWORD": SMTP_PASSWORD,
    "SALESTIER_ALERT_SMTP_FROM": "SalesTier <robot@example.com>",
    "SALESTIER_ALERT_SMTP_STARTTLS": "no",
}


class Recording(dict):
    """A mapping that remembers every name looked up: which variables load_settings reads."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: str | None = None) -> str | None:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)


@pytest.fixture()
def other_process_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process environment says something else for every option: the given mapping must win."""
    for name in EVERY_OPTION:
        monkeypatch.setenv(name, "from-os-environ")
    yield


def test_every_option_comes_from_the_given_mapping(other_process_env: None) -> None:
    settings = load_settings(EVERY_OPTION)
    assert settings == Settings(
        home=Path("/srv/st-home"), as_of="2026-11-27", max_quarantine_share=0.35, timezone="Asia/Shanghai",
        partition_start="2020-01-01", reporting_currency="CNY", landing_dir=Path("/mnt/exports"),
        dagster_dir=Path("/srv/dagster"), automation=True, min_free_mb=50.0, dbt_keep_targets=5, dbt_threads=2,
        duckdb_threads=1, memory_budget_mb=2000, duckdb_memory_mb=300, ingest_workers=3, ingest_memory_mb=700,
        sensor_settle_seconds=45.5,
        limits=IngestLimits(max_cells=1000, max_bytes=2048, max_cell_chars=5000, max_magnitude=1e9,
                            write_settle_seconds=0.0),
        postgres=PostgresTarget(EVERY_OPTION["SALESTIER_PG_DSN"], "bi"),
        alerts=AlertChannels(
            webhook_url=f"https://hooks.example.com/services/{TOKEN}",
            smtp=SmtpChannel(host="mail.example.com", to=("ops@example.com", "boss@example.com"), port=2525,
                             user="robot@example.com", password=SMTP_PASSWORD,
                             sender="SalesTier <robot@example.com>", starttls=False)),
    )
    assert settings.landing == Path("/mnt/exports") and settings.dagster_home == Path("/srv/dagster")
    assert settings.serving_db == Path("/srv/st-home/serving/salestier.duckdb")
    assert settings.dbt_env() == {
        "SALESTIER_WAREHOUSE": "/srv/st-home/warehouse/warehouse.duckdb", "SALESTIER_RAW_DIR": "/srv/st-home/raw",
        "SALESTIER_DBT_THREADS": "2", "SALESTIER_DUCKDB_THREADS": "1", "SALESTIER_DUCKDB_MEMORY_MB": "300",
    }


def test_defaults_when_nothing_is_set() -> None:
    settings = load_settings({})
    home = (PROJECT_ROOT / "data").resolve()
    assert settings == Settings(home=home)
    assert (settings.as_of, settings.max_quarantine_share, settings.timezone, settings.partition_start,
            settings.reporting_currency, settings.automation) == (None, 0.2, "UTC", "2010-01-01", "USD", False)
    assert (settings.min_free_mb, settings.dbt_keep_targets, settings.dbt_threads, settings.duckdb_threads,
            settings.sensor_settle_seconds) == (200.0, 2, 4, len(os.sched_getaffinity(0)), 120.0)
    assert settings.ingest_workers == min(4, len(os.sched_getaffinity(0)))
    assert settings.limits == IngestLimits(max_cells=10_000_000, max_bytes=300 * 1024 * 1024,
                                           max_cell_chars=1_048_576, max_magnitude=1e15, write_settle_seconds=120.0)
    assert settings.postgres == PostgresTarget(None, "salestier") and settings.alerts == AlertChannels(None, None)
    assert settings.landing == home / "landing" and settings.dagster_home == home / "dagster"
    assert settings.secrets == () and settings.notes == ()
    assert load_settings({"SALESTIER_HOME": " ", "SALESTIER_PG_DSN": ""}) == settings  # blank = unset


def test_a_home_override_moves_every_derived_path_but_not_an_explicit_landing() -> None:
    moved = dataclasses.replace(load_settings({}), home=Path("/h"))
    assert (moved.landing, moved.raw, moved.dagster_home) == (Path("/h/landing"), Path("/h/raw"), Path("/h/dagster"))
    pinned = dataclasses.replace(load_settings({"SALESTIER_LANDING": "/x"}), home=Path("/h"))
    assert pinned.landing == Path("/x")


def test_relative_paths_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"SALESTIER_HOME": "home", "SALESTIER_LANDING": "in", "DAGSTER_HOME": "dg"})
    assert (settings.home, settings.landing, settings.dagster_home) == (
        tmp_path.resolve() / "home", tmp_path.resolve() / "in", tmp_path.resolve() / "dg")


def test_automation_spellings() -> None:
    assert [load_settings({"SALESTIER_AUTOMATION": v}).automation for v in ("on", "1", "TRUE", "yes")] == [True] * 4
    assert [load_settings({"SALESTIER_AUTOMATION": v}).automation for v in ("off", "0", "false", "No")] == [False] * 4


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SALESTIER_DBT_KEEP_TARGETS", "0", "SALESTIER_DBT_KEEP_TARGETS must be a whole number >= 1, not '0'"),
    ("SALESTIER_DBT_KEEP_TARGETS", "-1", "SALESTIER_DBT_KEEP_TARGETS must be a whole number >= 1, not '-1'"),
    ("SALESTIER_DBT_KEEP_TARGETS", "two", "SALESTIER_DBT_KEEP_TARGETS must be a whole number >= 1, not 'two'"),
    ("SALESTIER_DBT_KEEP_TARGETS", "1.5", "SALESTIER_DBT_KEEP_TARGETS must be a whole number >= 1, not '1.5'"),
    ("SALESTIER_DBT_THREADS", "0", "SALESTIER_DBT_THREADS must be a whole number >= 1, not '0'"),
    ("SALESTIER_INGEST_WORKERS", "two", "SALESTIER_INGEST_WORKERS must be a whole number >= 1, not 'two'"),
    ("SALESTIER_DUCKDB_THREADS", "many", "SALESTIER_DUCKDB_THREADS must be a whole number >= 1, not 'many'"),
    ("SALESTIER_DUCKDB_MEMORY_MB", "32", "SALESTIER_DUCKDB_MEMORY_MB must be a whole number >= 64, not '32'"),
    ("SALESTIER_XLSX_MAX_CELLS", "1e6", "SALESTIER_XLSX_MAX_CELLS must be a whole number >= 1, not '1e6'"),
    ("SALESTIER_XLSX_MAX_BYTES", "300MB", "SALESTIER_XLSX_MAX_BYTES must be a whole number >= 1, not '300MB'"),
    ("SALESTIER_MAX_CELL_CHARS", "0", "SALESTIER_MAX_CELL_CHARS must be a whole number >= 1, not '0'"),
    ("SALESTIER_MAX_MAGNITUDE", "0", "SALESTIER_MAX_MAGNITUDE must be a number > 0, not '0'"),
    ("SALESTIER_MAX_MAGNITUDE", "nan", "SALESTIER_MAX_MAGNITUDE must be a number > 0, not 'nan'"),
    ("SALESTIER_WRITE_SETTLE_SECONDS", "-5", "SALESTIER_WRITE_SETTLE_SECONDS must be a number >= 0, not '-5'"),
    ("SALESTIER_SENSOR_SETTLE_SECONDS", "2m", "SALESTIER_SENSOR_SETTLE_SECONDS must be a number >= 0, not '2m'"),
    ("SALESTIER_MAX_QUARANTINE_SHARE", "20%",
     "SALESTIER_MAX_QUARANTINE_SHARE must be a number from 0 to 1, not '20%'"),
    ("SALESTIER_MAX_QUARANTINE_SHARE", "1.5",
     "SALESTIER_MAX_QUARANTINE_SHARE must be a number from 0 to 1, not '1.5'"),
    ("SALESTIER_TIMEZONE", "Mars/Olympus",
     "SALESTIER_TIMEZONE must be an IANA time zone such as Asia/Shanghai, not 'Mars/Olympus'"),
    ("SALESTIER_PARTITION_START", "2010-02-30",
     "SALESTIER_PARTITION_START must be a date YYYY-MM-DD, not '2010-02-30'"),
    ("SALESTIER_PARTITION_START", "20100101", "SALESTIER_PARTITION_START must be a date YYYY-MM-DD, not '20100101'"),
    ("SALESTIER_REPORTING_CURRENCY", "US$",
     "SALESTIER_REPORTING_CURRENCY must be a three-letter currency code such as USD, not 'US$'"),
    ("SALESTIER_AUTOMATION", "maybe", "SALESTIER_AUTOMATION must be on or off (1/0, true/false, yes/no), not 'maybe'"),
    ("SALESTIER_ALERT_SMTP_STARTTLS", "tls",
     "SALESTIER_ALERT_SMTP_STARTTLS must be on or off (1/0, true/false, yes/no), not 'tls'"),
    ("SALESTIER_ALERT_SMTP_PORT", "70000",
     "SALESTIER_ALERT_SMTP_PORT must be a whole number from 1 to 65535, not '70000'"),
])
def test_a_bad_value_names_its_variable_and_value(name: str, value: str, message: str) -> None:
    smtp = {"SALESTIER_ALERT_SMTP_HOST": "mail", "SALESTIER_ALERT_SMTP_TO": "ops@x"} if "SMTP" in name else {}
    with pytest.raises(ValueError) as caught:
        load_settings({**smtp, name: value})
    assert str(caught.value) == message


def test_half_an_smtp_channel_and_a_bad_webhook_are_refused_without_quoting_a_token() -> None:
    with pytest.raises(ValueError, match=r"^SALESTIER_ALERT_SMTP_HOST and SALESTIER_ALERT_SMTP_TO go together"):
        load_settings({"SALESTIER_ALERT_SMTP_HOST": "mail.example.com"})
    with pytest.raises(ValueError, match=r"^SALESTIER_ALERT_SMTP_TO must list at least one address, not ', '$"):
        load_settings({"SALESTIER_ALERT_SMTP_HOST": "mail", "SALESTIER_ALERT_SMTP_TO": ", "})
    for url in (f"hooks.example.com/{TOKEN}", f"file:///etc/{TOKEN}"):
        with pytest.raises(ValueError) as caught:
            load_settings({"SALESTIER_ALERT_WEBHOOK_URL": url})
        assert str(caught.value).startswith("SALESTIER_ALERT_WEBHOOK_URL must be an http:// or https:// URL")
        assert TOKEN not in str(caught.value)


def test_an_unreadable_min_free_falls_back_with_a_note() -> None:
    settings = load_settings({"SALESTIER_MIN_FREE_MB": "lots"})
    assert settings.min_free_mb == 200.0
    assert settings.notes == ("SALESTIER_MIN_FREE_MB='lots' is not a number: using 200",)
    assert load_settings({"SALESTIER_MIN_FREE_MB": "0"}).min_free_mb == 0.0  # 0 is a value, not "unset"


def test_secrets_are_masked_and_never_shown_by_repr() -> None:
    settings = load_settings(EVERY_OPTION)
    for secret in (PASSWORD, TOKEN, SMTP_PASSWORD):
        assert secret not in repr(settings)
    text = f"connect {EVERY_OPTION['SALESTIER_PG_DSN']} failed; pw {PASSWORD}; hook {TOKEN}; smtp {SMTP_PASSWORD}"
    assert redact(text, settings.secrets) == (
        "connect postgresql://salestier:***@db.example/sales failed; pw ***; hook ***; smtp ***")
    assert redact(f"pw {PASSWORD}") == f"pw {PASSWORD}"  # no secrets passed: only the patterns apply


def test_settings_are_frozen() -> None:
    settings = load_settings({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.home = Path("/elsewhere")  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.limits.max_cells = 1  # type: ignore[misc]


def test_scoped_env_sets_inside_and_restores_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESTIER_TEST_KEPT", "before")
    monkeypatch.delenv("SALESTIER_TEST_NEW", raising=False)
    with scoped_env({"SALESTIER_TEST_KEPT": "inside", "SALESTIER_TEST_NEW": "inside"}):
        assert (os.environ["SALESTIER_TEST_KEPT"], os.environ["SALESTIER_TEST_NEW"]) == ("inside", "inside")
    assert os.environ["SALESTIER_TEST_KEPT"] == "before" and "SALESTIER_TEST_NEW" not in os.environ
    with pytest.raises(RuntimeError, match="dbt died"), scoped_env({"SALESTIER_TEST_NEW": "inside"}):
        raise RuntimeError("dbt died")
    assert "SALESTIER_TEST_NEW" not in os.environ  # restored when the block fails too


def test_only_settings_reads_the_environment() -> None:
    """Every os.environ / getenv in the package is in settings.py (quality/ only silences GX's own telemetry)."""
    allowed = {PACKAGE / "settings.py", PACKAGE / "quality" / "__init__.py"}
    readers = [f"{path.relative_to(ROOT)}:{n}" for path in sorted(PACKAGE.rglob("*.py")) if path not in allowed
               for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if re.search(r"os\.environ|getenv\(", line.split("#")[0]) and '"""' not in line]
    assert readers == []


def test_the_operations_table_lists_every_variable_load_settings_reads() -> None:
    env = Recording({})
    load_settings(env)
    smtp = Recording({"SALESTIER_ALERT_SMTP_HOST": "mail", "SALESTIER_ALERT_SMTP_TO": "ops@x"})
    load_settings(smtp)
    read = env.read | smtp.read
    assert len(read) == len(EVERY_OPTION) == 33
    assert read == set(EVERY_OPTION)
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    table = text[text.index("## Settings"):].split("\n\n## ", 1)[0]
    documented = {name for row in table.splitlines() if row.startswith("| `")
                  for name in re.findall(r"`([A-Z_]+)`", row.split(" | ")[0])}
    assert documented == read
    assert "read once" in table and "salestier_pipeline/settings.py" in table


def test_duckdb_memory_limit_follows_the_machine() -> None:
    """A night's budget is a sixteenth of the machine (1-4 GB); dbt's DuckDB gets it less the orchestrator and
    dbt's Python, the files read at once less the orchestrator and two file workers (never under 256 MB)."""
    machines = (2048, 8192, 12288, 24576, 262144)
    assert [default_memory_budget_mb(mb) for mb in machines] == [1024, 1024, 1024, 1536, 4096]
    assert [default_duckdb_memory_mb(default_memory_budget_mb(mb)) for mb in machines] == [384, 384, 384, 896, 3456]
    assert [default_ingest_memory_mb(default_memory_budget_mb(mb)) for mb in machines] == [256, 256, 256, 640, 3200]
    assert load_settings({}).duckdb_memory_mb == default_duckdb_memory_mb(default_memory_budget_mb(machine_memory_mb()))
    smaller = load_settings({"SALESTIER_MEMORY_MB": "1200"})
    assert (smaller.memory_budget_mb, smaller.duckdb_memory_mb, smaller.ingest_memory_mb) == (1200, 560, 304)
    assert 0 < machine_memory_mb() <= os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
