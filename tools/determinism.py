"""Determinism check: the same exports and as-of date give the same published tables whatever the thread count.

Generates the demo at one scale into a temporary home, runs the nightly job once per DuckDB thread
count (the same home: ingest is skipped after the first run, dbt rebuilds every table) and compares
the content fingerprint of every published table. Exit 1 when any table differs.

    python -m tools.determinism [--scale 10] [--threads 1,2,4] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from salestier_pipeline.quality.fingerprint import table_fingerprints

SALESTIER = str(Path(sys.executable).with_name("salestier"))


def _run(home: Path, *args: str, threads: int | None = None) -> None:
    env = {**os.environ, "SALESTIER_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    env.pop("SALESTIER_AS_OF", None)
    if threads is not None:
        env.update(SALESTIER_DUCKDB_THREADS=str(threads), SALESTIER_DBT_THREADS=str(threads))
    done = subprocess.run([SALESTIER, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"salestier {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--threads", default="1,2,4", help="comma-separated DuckDB thread counts")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    args = parser.parse_args(argv)
    counts = [int(t) for t in args.threads.split(",")]
    home = Path(tempfile.mkdtemp(prefix="salestier-determinism-"))
    try:
        _run(home, "demo", "--scale", str(args.scale))
        results: dict[int, dict[str, str]] = {}
        for count in counts:
            started = time.monotonic()
            _run(home, "run", threads=count)
            results[count] = table_fingerprints(home / "serving" / "salestier.duckdb")
            print(f"threads={count}: {len(results[count])} tables in {time.monotonic() - started:.0f} s")
        first = results[counts[0]]
        differ = sorted({t for r in results.values() for t in r if r.get(t) != first.get(t)})
        for table in sorted(first):
            print(f"  {table:<24} {first[table]}" + ("  DIFFERS" if table in differ else ""))
        print(f"scale {args.scale:g}, threads {args.threads}: "
              + ("identical fingerprints" if not differ else f"{len(differ)} table(s) differ: {', '.join(differ)}"))
        return 1 if differ else 0
    finally:
        if args.keep:
            print(f"home kept at {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
