"""`salestier` command: run the nightly job, generate demo exports.

Exit codes a cron job can rely on: 0 published, 1 the run failed (nothing
published), 2 bad usage or nothing to run on.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from salestier_pipeline.settings import Settings, load_settings

DAGSTER_YAML = """# Written by `salestier run`: a persistent local instance for runs and the UI.
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""


def prepare_dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME under the SalesTier home so runs show up in `dagster dev`."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def resolve_as_of(settings: Settings, explicit: str | None) -> str | None:
    from salestier_pipeline.ingest.landing import latest_export_date

    return explicit or settings.as_of or latest_export_date(settings.landing)


def cmd_demo(args: argparse.Namespace) -> int:
    from salestier_pipeline.demo.generate import generate_demo

    settings = load_settings()
    landing = Path(args.landing).resolve() if args.landing else settings.landing
    summary = generate_demo(landing, seed=args.seed, scale=args.scale, as_of=date.fromisoformat(args.as_of))
    print(f"demo exports written to {landing}")
    for key, value in summary.items():
        print(f"  {key}: {value}")
    return 0


def landing_is_empty(landing: Path) -> bool:
    return not landing.exists() or not any(p for p in landing.rglob("*") if p.is_file())


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.demo_if_empty and landing_is_empty(settings.landing):
        print(f"landing zone {settings.landing} is empty: generating demo exports")
        from salestier_pipeline.demo.generate import generate_demo

        generate_demo(settings.landing)
    as_of = resolve_as_of(settings, args.as_of)
    if as_of is None:
        print(f"no export batches under {settings.landing} (expected <source>/<YYYY-MM-DD>/...)", file=sys.stderr)
        return 2
    prepare_dagster_home(settings)
    import dagster as dg

    from salestier_pipeline.definitions import defs
    from salestier_pipeline.runs import launch_tags, reap_dead_runs

    print(f"SalesTier run: home={settings.home} as_of={as_of}")
    job = defs.resolve_job_def("salestier_nightly")
    with dg.DagsterInstance.get() as instance:
        for run_id in reap_dead_runs(instance):
            print(f"run {run_id} had been killed: marked failed, its warehouse slot freed")
        result = job.execute_in_process(partition_key=as_of, instance=instance, raise_on_error=False,
                                        tags=launch_tags())
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        print(f"run {result.run_id} FAILED at: {', '.join(failed) or 'unknown step'}; nothing was published",
              file=sys.stderr)
        return 1
    print(f"run {result.run_id} succeeded; published {settings.serving_db}")
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
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
