"""Every SALESTIER_* option (and the DAGSTER_HOME / SALESTIER_LANDING overrides), read once (SPEC §7).

`load_settings()` is the one place that reads the environment: each value is validated there (a bad
one raises ValueError naming the variable and the value) and everything below it receives a frozen
Settings, or the part of it it needs, as an argument. Paths are always absolute: DuckDB bakes relative
paths into views, and dbt runs from its own project directory.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from salestier_pipeline.redact import Secrets, known_secrets

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
PACKAGE_DIR = Path(__file__).resolve().parent

# names of the variables that messages elsewhere quote, so a user knows what to raise
MIN_FREE_ENV = "SALESTIER_MIN_FREE_MB"
KEEP_TARGETS_ENV = "SALESTIER_DBT_KEEP_TARGETS"
DUCKDB_MEMORY_ENV = "SALESTIER_DUCKDB_MEMORY_MB"
SENSOR_SETTLE_ENV = "SALESTIER_SENSOR_SETTLE_SECONDS"
WRITE_SETTLE_ENV = "SALESTIER_WRITE_SETTLE_SECONDS"
MAX_CELLS_ENV = "SALESTIER_XLSX_MAX_CELLS"
MAX_BYTES_ENV = "SALESTIER_XLSX_MAX_BYTES"
MAX_CELL_CHARS_ENV = "SALESTIER_MAX_CELL_CHARS"
MAX_MAGNITUDE_ENV = "SALESTIER_MAX_MAGNITUDE"
PG_DSN_ENV = "SALESTIER_PG_DSN"
PG_SCHEMA_ENV = "SALESTIER_PG_SCHEMA"
WEBHOOK_ENV = "SALESTIER_ALERT_WEBHOOK_URL"
SMTP_ENV = "SALESTIER_ALERT_SMTP_"  # + HOST, PORT, USER, PASSWORD, FROM, TO, STARTTLS


def machine_memory_mb() -> int:
    """Physical memory, or the cgroup's limit when it is lower (a container sees the host's RAM)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    limit = Path("/sys/fs/cgroup/memory.max")
    text = limit.read_text().strip() if limit.is_file() else "max"
    return min(total, int(text) // (1024 * 1024)) if text.isdigit() else total


def machine_cpus() -> int:
    """CPUs this process may run on (its affinity: a container or taskset may allow fewer than the host has)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def default_duckdb_threads() -> int:
    """DuckDB worker threads for dbt: one per CPU. More threads than CPUs only contend: at 100x the demo on
    2 CPUs, `dbt build` took 42.7-45.6 s with 4 DuckDB threads and 37.6-38.5 s with 2 (docs/performance.md)."""
    return machine_cpus()


MEMORY_ENV = "SALESTIER_MEMORY_MB"
# What a night's processes hold besides the memory its DuckDB and its file reads are given, measured at 100x
# the demo (docs/performance.md, "Within 1.5 GB"): the orchestrator (Dagster and the definitions) ≈ 370 MB,
# dbt's own Python ≈ 190 MB beside its DuckDB, a file worker's imports ≈ 250 MB.
ORCHESTRATOR_MB = 384
DBT_PROCESS_MB = 192
FILE_WORKER_MB = 256
MARGIN_MB = 64


def default_memory_budget_mb(machine_mb: int | None = None) -> int:
    """What the whole night (its process tree) may hold: a sixteenth of the machine, from 1 to 4 GB."""
    return max(1024, min(4096, (machine_mb if machine_mb is not None else machine_memory_mb()) // 16))


def default_duckdb_memory_mb(budget_mb: int | None = None) -> int:
    """dbt's DuckDB memory_limit: the budget less the orchestrator and dbt's Python beside it (at least
    256 MB; DuckDB spills the rest to disk). 1.5 GB budget: 896 MB."""
    budget = budget_mb if budget_mb is not None else default_memory_budget_mb()
    return max(256, budget - ORCHESTRATOR_MB - DBT_PROCESS_MB - MARGIN_MB)


def default_ingest_memory_mb(budget_mb: int | None = None) -> int:
    """What the files read at once may take together: the budget less the orchestrator and two file workers'
    own memory (at least 256 MB; a larger file is read alone). 1.5 GB budget: 640 MB."""
    budget = budget_mb if budget_mb is not None else default_memory_budget_mb()
    return max(256, budget - ORCHESTRATOR_MB - 2 * FILE_WORKER_MB)


DEFAULT_MIN_FREE_MB = 200.0  # a night writes raw Parquet, the warehouse, a serving candidate and run storage
DEFAULT_PG_SCHEMA = "salestier"
_ON = ("on", "1", "true", "yes")
_OFF = ("off", "0", "false", "no")


@dataclass(frozen=True)
class IngestLimits:
    """Bounds on what ingest reads: beyond them a file or value is a typo or an attack, not data."""

    max_cells: int = 10_000_000  # cells an xlsx sheet may declare or span (calamine allocates the grid)
    max_bytes: int = 300 * 1024 * 1024  # inflated size of all parts of a workbook together
    max_cell_chars: int = 1 << 20  # longest CSV cell
    max_magnitude: float = 1e15  # largest absolute number; more would overflow DECIMAL(38, 10) money columns
    write_settle_seconds: float = 120.0  # a file changed this recently may still be being copied

    def parse_key(self) -> tuple[int, float]:
        """The limits that change what a loaded file becomes, so part of its raw version key (the
        workbook limits only fail a file, and a failed file is never reused)."""
        return self.max_cell_chars, self.max_magnitude


DEFAULT_LIMITS = IngestLimits()  # what pure functions use unless the caller passes the settings' limits


@dataclass(frozen=True)
class PostgresTarget:
    """The optional PostgreSQL copy of the published tables; no DSN, no publish."""

    dsn: str | None = field(default=None, repr=False)
    schema: str = DEFAULT_PG_SCHEMA


@dataclass(frozen=True)
class SmtpChannel:
    """Where failure emails go (SALESTIER_ALERT_SMTP_*)."""

    host: str
    to: tuple[str, ...]
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "salestier@localhost"
    starttls: bool = True


@dataclass(frozen=True)
class AlertChannels:
    """Alert channels besides the alert log, which always works."""

    webhook_url: str | None = field(default=None, repr=False)  # its path or query is a token
    smtp: SmtpChannel | None = None


@dataclass(frozen=True)
class Settings:
    """Where SalesTier reads and writes, and its options; one home holds everything of a deployment."""

    home: Path
    as_of: str | None = None
    max_quarantine_share: float = 0.2
    timezone: str = "UTC"
    partition_start: str = "2010-01-01"
    reporting_currency: str = "USD"  # every published money figure is in it (dbt var reporting_currency)
    landing_dir: Path | None = None  # SALESTIER_LANDING; None: <home>/landing
    dagster_dir: Path | None = None  # DAGSTER_HOME; None: <home>/dagster
    automation: bool = False  # schedule and new-export sensor start RUNNING (the deployed config)
    min_free_mb: float = DEFAULT_MIN_FREE_MB
    dbt_keep_targets: int = 2  # dbt target folders kept under <home>/dbt/target
    dbt_threads: int = 4
    duckdb_threads: int = field(default_factory=default_duckdb_threads)
    memory_budget_mb: int = field(default_factory=default_memory_budget_mb)  # the night's process tree
    duckdb_memory_mb: int = field(default_factory=default_duckdb_memory_mb)  # dbt's DuckDB memory_limit
    ingest_workers: int = field(default_factory=lambda: min(4, machine_cpus()))  # processes reading files
    ingest_memory_mb: int = field(default_factory=default_ingest_memory_mb)  # files read at once stay within it
    sensor_settle_seconds: float = 120.0  # a batch without a marker is complete after this long unchanged
    limits: IngestLimits = field(default_factory=IngestLimits)
    postgres: PostgresTarget = field(default_factory=PostgresTarget)
    alerts: AlertChannels = field(default_factory=AlertChannels)
    notes: tuple[str, ...] = ()  # warnings of load_settings (a value it fell back from), for the CLI to print

    @property
    def landing(self) -> Path:
        return self.landing_dir or self.home / "landing"

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
        return self.dagster_dir or self.home / "dagster"

    @property
    def secrets(self) -> Secrets:
        """The exact secret values every written text is masked for (redact)."""
        smtp_password = self.alerts.smtp.password if self.alerts.smtp else None
        return known_secrets(self.postgres.dsn, self.alerts.webhook_url, smtp_password)

    def dbt_env(self) -> dict[str, str]:
        """Environment dbt needs: the warehouse file, the raw Parquet root, the thread counts and DuckDB's
        memory limit (profiles.yml)."""
        return {
            "SALESTIER_WAREHOUSE": str(self.warehouse),
            "SALESTIER_RAW_DIR": str(self.raw),
            "SALESTIER_DBT_THREADS": str(self.dbt_threads),
            "SALESTIER_DUCKDB_THREADS": str(self.duckdb_threads),
            DUCKDB_MEMORY_ENV: str(self.duckdb_memory_mb),
        }


@contextmanager
def scoped_env(values: Mapping[str, str]) -> Iterator[None]:
    """Set `values` in os.environ for what starts inside the block, then put back what was there.

    dagster-dbt copies os.environ when `dbt.cli(...)` spawns dbt, so the variables reach dbt without
    leaking into the rest of the process (the next asset, the next date of a backfill)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _Reader:
    """Typed, validated reads of one environment mapping; a blank value counts as unset."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str) -> str | None:
        value = self.env.get(name)
        return value.strip() if value is not None and value.strip() else None

    def path(self, name: str) -> Path | None:
        value = self.text(name)
        return Path(value).resolve() if value else None

    def whole(self, name: str, default: int, low: int = 1, high: int | None = None) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            bound = f"from {low} to {high}" if high is not None else f">= {low}"
            raise ValueError(f"{name} must be a whole number {bound}, not {self.env[name]!r}")
        return value

    def number(self, name: str, default: float, low: float = 0.0, high: float | None = None,
               above: bool = False) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        ok = (value > low if above else value >= low) and (high is None or value <= high)  # nan fails both
        if not ok:
            bound = f"from {low:g} to {high:g}" if high is not None else f"{'>' if above else '>='} {low:g}"
            raise ValueError(f"{name} must be a number {bound}, not {self.env[name]!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() in _ON + _OFF:
            return raw.lower() in _ON
        raise ValueError(f"{name} must be on or off (1/0, true/false, yes/no), not {self.env[name]!r}")


def _timezone(read: _Reader) -> str:
    name = read.text("SALESTIER_TIMEZONE") or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"SALESTIER_TIMEZONE must be an IANA time zone such as Asia/Shanghai, not {name!r}") from None
    return name


def _partition_start(read: _Reader) -> str:
    value = read.text("SALESTIER_PARTITION_START") or "2010-01-01"
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise ValueError(f"SALESTIER_PARTITION_START must be a date YYYY-MM-DD, not {value!r}")


def _currency(read: _Reader) -> str:
    code = (read.text("SALESTIER_REPORTING_CURRENCY") or "USD").upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(f"SALESTIER_REPORTING_CURRENCY must be a three-letter currency code such as USD, "
                         f"not {read.env['SALESTIER_REPORTING_CURRENCY']!r}")
    return code


def _min_free_mb(read: _Reader) -> tuple[float, tuple[str, ...]]:
    """An unreadable SALESTIER_MIN_FREE_MB falls back to the default with a note: it never disables the check."""
    raw = read.text(MIN_FREE_ENV)
    try:
        return (float(raw) if raw else DEFAULT_MIN_FREE_MB), ()
    except ValueError:
        return DEFAULT_MIN_FREE_MB, (f"{MIN_FREE_ENV}={read.env[MIN_FREE_ENV]!r} is not a number: "
                                     f"using {DEFAULT_MIN_FREE_MB:g}",)


def _limits(read: _Reader) -> IngestLimits:
    default = IngestLimits()
    return IngestLimits(
        max_cells=read.whole(MAX_CELLS_ENV, default.max_cells),
        max_bytes=read.whole(MAX_BYTES_ENV, default.max_bytes),
        max_cell_chars=read.whole(MAX_CELL_CHARS_ENV, default.max_cell_chars),
        max_magnitude=read.number(MAX_MAGNITUDE_ENV, default.max_magnitude, above=True),
        write_settle_seconds=read.number(WRITE_SETTLE_ENV, default.write_settle_seconds),
    )


def _alerts(read: _Reader) -> AlertChannels:
    url = read.text(WEBHOOK_ENV)
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:  # the value is not quoted: it holds a token
            raise ValueError(f"{WEBHOOK_ENV} must be an http:// or https:// URL with a host (value not shown)")
    host, to = read.text(SMTP_ENV + "HOST"), read.text(SMTP_ENV + "TO")
    if (host is None) != (to is None):
        raise ValueError(f"{SMTP_ENV}HOST and {SMTP_ENV}TO go together: set both or neither "
                         f"(HOST={host!r}, TO={to!r})")
    smtp = None
    if host is not None and to is not None:
        recipients = tuple(a.strip() for a in to.split(",") if a.strip())
        if not recipients:
            raise ValueError(f"{SMTP_ENV}TO must list at least one address, not {read.env[SMTP_ENV + 'TO']!r}")
        user = read.text(SMTP_ENV + "USER")
        smtp = SmtpChannel(
            host=host, to=recipients, port=read.whole(SMTP_ENV + "PORT", 587, high=65535), user=user,
            password=read.env.get(SMTP_ENV + "PASSWORD") or None,  # as given: spaces may be part of it
            sender=read.text(SMTP_ENV + "FROM") or user or "salestier@localhost",
            starttls=read.flag(SMTP_ENV + "STARTTLS", True),
        )
    return AlertChannels(webhook_url=url, smtp=smtp)


def load_settings(env: Mapping[str, str] = os.environ) -> Settings:
    """The one read of the environment: every option validated, paths resolved; the home defaults to ./data."""
    read = _Reader(env)
    min_free, notes = _min_free_mb(read)
    budget = read.whole(MEMORY_ENV, default_memory_budget_mb(), low=512)
    return Settings(
        home=read.path("SALESTIER_HOME") or (PROJECT_ROOT / "data").resolve(),
        as_of=env.get("SALESTIER_AS_OF") or None,  # checked against the partitions by the CLI, naming the range
        max_quarantine_share=read.number("SALESTIER_MAX_QUARANTINE_SHARE", 0.2, high=1.0),
        timezone=_timezone(read),
        partition_start=_partition_start(read),
        reporting_currency=_currency(read),
        landing_dir=read.path("SALESTIER_LANDING"),
        dagster_dir=read.path("DAGSTER_HOME"),
        automation=read.flag("SALESTIER_AUTOMATION", False),
        min_free_mb=min_free,
        dbt_keep_targets=read.whole(KEEP_TARGETS_ENV, 2),
        dbt_threads=read.whole("SALESTIER_DBT_THREADS", 4),
        duckdb_threads=read.whole("SALESTIER_DUCKDB_THREADS", default_duckdb_threads()),
        memory_budget_mb=budget,
        duckdb_memory_mb=read.whole(DUCKDB_MEMORY_ENV, default_duckdb_memory_mb(budget), low=64),
        ingest_workers=read.whole("SALESTIER_INGEST_WORKERS", min(4, machine_cpus())),
        ingest_memory_mb=read.whole("SALESTIER_INGEST_MEMORY_MB", default_ingest_memory_mb(budget), low=64),
        sensor_settle_seconds=read.number(SENSOR_SETTLE_ENV, 120.0),
        limits=_limits(read),
        postgres=PostgresTarget(env.get(PG_DSN_ENV) or None, read.text(PG_SCHEMA_ENV) or DEFAULT_PG_SCHEMA),
        alerts=_alerts(read),
        notes=notes,
    )


def automation_on() -> bool:
    """SALESTIER_AUTOMATION=on (the deployed config) starts the nightly schedule and the
    new-export sensor as RUNNING; a laptop or CI leaves them stopped."""
    return load_settings().automation
