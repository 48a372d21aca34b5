"""`salestier` command: run the nightly job, backfill, show status, check a profile, generate demo exports.

Exit codes a cron job can rely on: 0 ok (published), 1 a run failed (nothing
published; an alert was sent, also for a full disk), 2 bad usage or input
(nothing to run on, bad dates, invalid profile, a bad SALESTIER_* value).
The settings are read once, by `main`, and passed to each command.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from salestier_pipeline.redact import Secrets, redact
from salestier_pipeline.settings import MIN_FREE_ENV, Settings, load_settings

if TYPE_CHECKING:
    import dagster as dg

JOB = "salestier_nightly"
NEARLY_FULL_MB = 1.0

DAGSTER_YAML_HEADER = "# Written by `salestier run`: a persistent local instance for runs and the UI."
DAGSTER_YAML = DAGSTER_YAML_HEADER + """
# Rewritten by every run while this first line is kept; delete the line to manage the file yourself.
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
# Dagster's SQLite event log with its connections kept open (salestier_pipeline/event_storage.py)
event_log_storage:
  module: salestier_pipeline.event_storage
  class: KeptOpenSqliteEventLogStorage
  config:
    base_dir: {event_dir}
"""


def prepare_dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME under the SalesTier home so runs show up in `dagster dev`.

    The dagster.yaml is ours while it starts with DAGSTER_YAML_HEADER: rewritten to today's content
    (an older home gets the kept-open event log, in the same files); a file without it is the user's."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    content = DAGSTER_YAML.format(event_dir=json.dumps(str(home.resolve() / "history" / "runs")))
    if not config.exists() or (config.read_text(encoding="utf-8").startswith(DAGSTER_YAML_HEADER)
                               and config.read_text(encoding="utf-8") != content):
        config.write_text(content, encoding="utf-8")
    return home


def open_instance(home: Path) -> dg.DagsterInstance:
    """The persistent instance at `home`, opened by path: nothing is written into os.environ."""
    import dagster as dg

    return dg.DagsterInstance.from_config(str(home))


def err(message: str, secrets: Secrets = ()) -> None:
    """One line on stderr, masked: patterns always, the settings' exact secret values when passed."""
    print(redact(message, secrets), file=sys.stderr)


def as_of_problem(settings: Settings, explicit: str | None) -> str | None:
    """A --as-of or SALESTIER_AS_OF that is not a valid partition key, as one line naming it; else None."""
    from salestier_pipeline.partitions import as_of_problem as problem

    if explicit is not None:
        return problem(explicit, "--as-of")
    if settings.as_of is not None:
        return problem(settings.as_of, "SALESTIER_AS_OF")
    return None


def resolve_as_of(settings: Settings, explicit: str | None) -> str | None:
    """--as-of, else SALESTIER_AS_OF, else the latest valid export date (invalid folders are skipped)."""
    from salestier_pipeline.ingest.landing import latest_export_date

    return explicit or settings.as_of or latest_export_date(settings.landing)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from salestier_pipeline.demo.generate import generate_demo

    try:
        as_of = date.fromisoformat(args.as_of)
    except ValueError:
        err(f"--as-of {args.as_of!r} is not a date: expected YYYY-MM-DD")
        return 2
    if not args.scale > 0:  # also NaN
        err(f"--scale {args.scale} must be a positive number (1 is the default demo, 0.04 about 20 accounts)")
        return 2
    landing = Path(args.landing).resolve() if args.landing else settings.landing
    summary = generate_demo(landing, seed=args.seed, scale=args.scale, as_of=as_of)
    print(f"demo exports written to {landing}")
    for key, value in summary.items():
        print(f"  {key}: {value}")
    return 0


def landing_is_empty(landing: Path) -> bool:
    return not landing.exists() or not any(p for p in landing.rglob("*") if p.is_file())


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def free_mb(path: Path) -> float:
    return shutil.disk_usage(_existing(path)).free / 2**20


def disk_space_problem(home: Path, needed_mb: float) -> str | None:
    """Refuse to start a night on a nearly full disk: it would die half-way with a storage traceback."""
    free = free_mb(home)
    if free >= needed_mb:
        return None
    return f"disk full under {home}: {free:.0f} MB free, at least {needed_mb:.0f} MB needed ({MIN_FREE_ENV})"


def _alert_not_run(settings: Settings, as_of: str, run_id: str, message: str) -> None:
    """Alert a night that could not run or whose run storage broke: no event log to read a report from."""
    from salestier_pipeline.alerts import FailureReport, send_alert

    err(message, settings.secrets)
    send_alert(FailureReport(run_id, JOB, as_of, run_error=redact(message, settings.secrets)), settings)


def reap_and_alert(instance: dg.DagsterInstance, settings: Settings) -> list[str]:
    """Mark our runs whose process died (SIGKILL, a native crash) failed, and alert each: it could not."""
    from salestier_pipeline.alerts import alert_run_failure
    from salestier_pipeline.runs import reap_dead_runs

    reaped = reap_dead_runs(instance)
    for run_id in reaped:
        print(f"run {run_id} had ended without reporting (killed or crashed): marked failed, slots freed, alerted")
        alert_run_failure(instance, run_id, settings)
    return reaped


def _fail_own_live_runs(instance: dg.DagsterInstance) -> str:
    """After a storage error, mark this process's unfinished run failed if storage still allows; its id or '-'."""
    import dagster as dg

    from salestier_pipeline.runs import LIVE_STATUSES, PID_TAG

    run_id = "-"
    try:
        for run in instance.get_runs(filters=dg.RunsFilter(statuses=LIVE_STATUSES, tags={PID_TAG: str(os.getpid())})):
            run_id = run.run_id
            instance.report_run_failed(run, message="run storage failed: disk full")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    except Exception:  # noqa: BLE001, S110 - on a full disk this may fail too; the next run reaps it
        pass
    return run_id


def _execute(settings: Settings, as_of: str) -> bool:
    """One in-process run of the nightly job; a failure is alerted here since no daemon watches it.

    A full disk is refused before starting (settings.min_free_mb: SALESTIER_MIN_FREE_MB, default 200) and,
    if it fills during the run, becomes a "disk full under <path>" alert and exit 1 rather than a traceback.
    """
    print(f"SalesTier run: home={settings.home} as_of={as_of}")
    problem = disk_space_problem(settings.home, settings.min_free_mb)
    if problem is not None:
        _alert_not_run(settings, as_of, "not-started", problem)
        return False
    from salestier_pipeline.quality import gx_worker

    gx_worker.start()  # GX loads on the other core while this process loads Dagster and ingests
    run_id, message = "-", None
    try:
        with open_instance(prepare_dagster_home(settings)) as instance:
            try:
                return _run_and_report(instance, settings, as_of)
            except Exception as exc:
                message = disk_full_text(exc, settings.home)
                if message is None:
                    raise
                run_id = _fail_own_live_runs(instance)
    except Exception as exc:
        message = message or disk_full_text(exc, settings.home)
        if message is None:
            raise
    _alert_not_run(settings, as_of, run_id, message)
    err(f"run {run_id} FAILED: nothing was published", settings.secrets)
    return False


def _innermost(exc: BaseException) -> BaseException:
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    return exc


def disk_full_text(exc: BaseException, home: Path) -> str | None:
    """The "disk full under <path>: ..." line when a full disk caused the error, else None.

    A full disk is an ENOSPC / "database or disk is full" anywhere in the chain, or any error while
    less than NEARLY_FULL_MB is left under the home: SQLite reports a failed journal write on a full
    disk as a mere "disk I/O error".
    """
    from salestier_pipeline.alerts import disk_full_error, disk_full_message

    full = disk_full_error(exc)
    if full is None and free_mb(home) < NEARLY_FULL_MB:
        full = _innermost(exc)
    if full is None:
        return None
    where = Path(full.filename).parent if isinstance(full, OSError) and full.filename else home
    return disk_full_message(where, f"{free_mb(where):.0f} MB free; {type(full).__name__}: {full}")


def _run_and_report(instance: dg.DagsterInstance, settings: Settings, as_of: str) -> bool:
    from salestier_pipeline.alerts import alert_run_failure
    from salestier_pipeline.definitions import defs
    from salestier_pipeline.runs import launch_tags

    job = defs.resolve_job_def(JOB)
    reap_and_alert(instance, settings)
    result = job.execute_in_process(partition_key=as_of, instance=instance, raise_on_error=False,
                                    tags=launch_tags())
    if result.success:
        print(f"run {result.run_id} succeeded; published {settings.serving_db}")
        return True
    report = alert_run_failure(instance, result.run_id, settings)
    failed = [s["step"] for s in report.failed_steps]
    err(f"run {result.run_id} FAILED at: {', '.join(failed) or 'unknown step'}; nothing was published",
        settings.secrets)
    err(report.text(), settings.secrets)
    return False


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    problem = as_of_problem(settings, args.as_of)
    if problem is not None:
        err(problem, settings.secrets)
        return 2
    if args.demo_if_empty and landing_is_empty(settings.landing):
        print(f"landing zone {settings.landing} is empty: generating demo exports")
        from salestier_pipeline.demo.generate import generate_demo

        generate_demo(settings.landing)
    as_of = resolve_as_of(settings, args.as_of)
    if as_of is None:
        err(f"no export batches under {settings.landing} (expected <source>/<YYYY-MM-DD>/...)", settings.secrets)
        return 2
    problem = profiles_problem(settings)
    if problem is not None:
        err(problem, settings.secrets)
        return 2
    if args.full_refresh:
        forget_current_state(settings)
        print("full refresh: the current-state tables are rebuilt from every raw batch")
    return 0 if _execute(settings, as_of) else 1


def forget_current_state(settings: Settings) -> None:
    """--full-refresh: the next dbt build rebuilds the current state from every raw batch, and runs even
    when nothing changed. History tables keep their other dates: a run only ever replaces its own."""
    from salestier_pipeline.state_mark import forget_state
    from salestier_pipeline.unchanged import step_started

    forget_state(settings)
    step_started(settings, "dbt")


def profiles_problem(settings: Settings) -> str | None:
    """A broken profile is bad input (exit 2, file:line), found before any run starts."""
    from salestier_pipeline.profiles import ProfileError, load_profiles

    try:
        load_profiles(settings.profiles_dir)
    except ProfileError as exc:
        return str(exc)
    return None


def date_range(start: str, end: str) -> list[str]:
    """Every calendar day from start to end inclusive, as YYYY-MM-DD; ValueError naming the bad value."""
    from salestier_pipeline.partitions import as_of_problem as problem

    for flag, value in (("--from", start), ("--to", end)):
        message = problem(value, flag)
        if message is not None:
            raise ValueError(message)
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"--to {end} is before --from {start}")
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    """One as-of date after the other, in process: never two writers on the warehouse."""
    try:
        dates = date_range(args.start, args.end)
    except ValueError as exc:
        err(f"bad date range: {exc}")
        return 2
    if args.export_dates_only:
        from salestier_pipeline.ingest.landing import export_dates

        present = set(export_dates(settings.landing))
        dates = [d for d in dates if d in present]
    if not dates:
        err("nothing to run in that range", settings.secrets)
        return 2
    problem = profiles_problem(settings)
    if problem is not None:
        err(problem, settings.secrets)
        return 2
    prepare_dagster_home(settings)
    for i, as_of in enumerate(dates, 1):
        print(f"backfill {i}/{len(dates)}: {as_of}")
        if args.full_refresh:  # each date rebuilt from every raw batch, as `run --full-refresh` does
            forget_current_state(settings)
        if not _execute(settings, as_of):
            err(f"backfill stopped at {as_of}; dates after it were not run", settings.secrets)
            return 1
    print(f"backfill done: {len(dates)} as-of date(s) from {dates[0]} to {dates[-1]}")
    return 0


def cmd_validate_profile(args: argparse.Namespace, settings: Settings) -> int:
    from salestier_pipeline.profiles import ProfileError, load_profile

    try:
        profile = load_profile(Path(args.path))
    except (ProfileError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"{args.path}: OK, profile '{profile.name}', date order {profile.date_order}, "
          f"{len(profile.modules)} module(s)")
    for module in profile.modules:
        required = sum(1 for c in module.columns if c.required)
        print(f"  {module.key} -> {module.canonical}: {len(module.columns)} column(s), {required} required")
    if args.against is None:
        return 0
    from salestier_pipeline.ingest.dry_run import dry_run

    folder = Path(args.against)
    if not folder.is_dir():
        print(f"--against {folder}: not a folder", file=sys.stderr)
        return 2
    reports = dry_run(folder, profile, settings.limits)
    print(f"dry run over {len(reports)} file(s) under {folder} (nothing written):")
    for report in reports:
        print("\n".join(report.lines()))
    return 1 if any(r.error for r in reports) or not reports else 0


def _when(value: float | None) -> str:
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


def _indent(text: str) -> str:
    return text.replace("\n", "\n      ")


def recent_runs(settings: Settings, limit: int) -> list[str]:
    """The last runs of the instance, newest first, with what failed in the failed ones."""
    if not (settings.dagster_home / "dagster.yaml").exists():
        return [f"no Dagster instance at {settings.dagster_home}: no run yet"]
    from salestier_pipeline.alerts import PARTITION_TAG, failure_report

    lines = ["last runs (newest first):"]
    with open_instance(settings.dagster_home) as instance:
        try:
            reap_and_alert(instance, settings)  # a run whose process died must not show as STARTED forever
        except Exception as exc:  # noqa: BLE001 - status shows what it can read
            lines.append(f"  (could not mark dead runs failed: {type(exc).__name__}: {exc})")
        records = instance.get_run_records(limit=limit)
        for record in records:
            run = record.dagster_run
            lines.append(f"  {run.run_id}  as-of {run.tags.get(PARTITION_TAG, '-')}  {run.status.value}  "
                         f"start {_when(record.start_time)}  end {_when(record.end_time)}")
            if run.status.value == "FAILURE":
                report = failure_report(instance, run.run_id, settings.home, settings.secrets)
                lines += [_indent(f"    failed step {st['step']}: {st['error']}") for st in report.failed_steps]
                lines += [_indent(f"    failed check {c['asset']}:{c['check']}: {c['text']}")
                          for c in report.failed_checks]
                if report.run_error and not report.failed_steps:
                    lines.append(f"    run error: {report.run_error}")
    if not records:
        lines.append("  none")
    return lines


def published_status(settings: Settings) -> list[str]:
    """What BI tools see now: the serving file's time and its latest as-of date (opened read-only)."""
    serving = settings.serving_db
    if not serving.exists():
        return [f"published: nothing yet ({serving} does not exist)"]
    import duckdb

    lines = [f"published: {serving} (written {_when(serving.stat().st_mtime)})"]
    try:
        con = duckdb.connect(str(serving), read_only=True)
        try:
            latest = con.execute("select max(as_of_date) from customer_tier_list").fetchone()[0]
        finally:
            con.close()
        lines.append(f"  customer_tier_list latest as-of: {latest}")
    except duckdb.Error as exc:
        lines.append(f"  cannot read customer_tier_list: {exc}")
    return lines


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    print(f"SalesTier home: {settings.home}")
    for line in recent_runs(settings, args.limit) + published_status(settings):
        print(redact(line, settings.secrets))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="salestier", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="write deterministic demo Zoho + Fxiaoke exports")
    demo.add_argument("--landing", help="landing directory (default: <home>/landing)")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--as-of", default="2026-11-27", help="last export date of the demo")
    demo.set_defaults(func=cmd_demo)
    run = sub.add_parser("run", help="ingest, build and publish one as-of date through Dagster")
    run.add_argument("--as-of", help="YYYY-MM-DD (default: SALESTIER_AS_OF, else the latest export date)")
    run.add_argument("--demo-if-empty", action="store_true", help="generate demo exports if the landing is empty")
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild the current-state tables from every raw batch (same tables as incremental)")
    run.set_defaults(func=cmd_run)
    backfill = sub.add_parser("backfill", help="run every as-of date of a range, in order, one at a time")
    backfill.add_argument("--from", dest="start", required=True, help="first as-of date, YYYY-MM-DD")
    backfill.add_argument("--to", dest="end", required=True, help="last as-of date, YYYY-MM-DD (inclusive)")
    backfill.add_argument("--export-dates-only", action="store_true",
                          help="only dates that have an export batch in the landing zone")
    backfill.add_argument("--full-refresh", action="store_true",
                          help="rebuild the current-state tables from every raw batch for each date")
    backfill.set_defaults(func=cmd_backfill)
    status = sub.add_parser("status", help="last runs (failed steps and checks) and what is published")
    status.add_argument("--limit", type=int, default=5, help="how many runs to show")
    status.set_defaults(func=cmd_status)
    validate = sub.add_parser("validate-profile", help="check a source profile YAML; errors name file:line")
    validate.add_argument("path")
    validate.add_argument("--against", metavar="FOLDER",
                          help="dry-run the profile over the export files in FOLDER: what would load, nothing written")
    validate.set_defaults(func=cmd_validate_profile)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ValueError as exc:  # a bad SALESTIER_* value is bad input: named, before anything runs
        err(str(exc))
        return 2
    for note in settings.notes:
        err(note)
    return int(args.func(args, settings))


if __name__ == "__main__":
    raise SystemExit(main())
