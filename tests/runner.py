"""Run the real `salestier` command in a temporary home, as a user or cron would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

SALESTIER = str(Path(sys.executable).with_name("salestier"))
ROOT = Path(__file__).resolve().parent.parent


def salestier_env(home: Path, as_of: str | None = None, extra_env: Mapping[str, str] | None = None) -> dict[str, str]:
    # PYTHONPATH: the command runs the code of this checkout, whatever the venv was installed from
    env = {**os.environ, "SALESTIER_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "PYTHONPATH": str(ROOT)}
    env.pop("SALESTIER_AS_OF", None)
    env["SALESTIER_WRITE_SETTLE_SECONDS"] = "0"  # tests write their files instantly: errors are bad data, no retry
    if as_of:
        env["SALESTIER_AS_OF"] = as_of
    env.update(extra_env or {})
    return env


def run_salestier(home: Path, *args: str, as_of: str | None = None, timeout: int = 1200,
                  extra_env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([SALESTIER, *args], env=salestier_env(home, as_of, extra_env), capture_output=True,
                          text=True, timeout=timeout)


def start_salestier(home: Path, *args: str, as_of: str | None = None,
                    extra_env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """A run in its own process group, so a test can kill it and every child (dbt) at once."""
    return subprocess.Popen([SALESTIER, *args], env=salestier_env(home, as_of, extra_env), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def file_bytes(root: Path) -> dict[str, bytes]:
    """Every file under the served outputs, for byte-for-byte comparisons."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def copy_home(source: Path, target: Path) -> Path:
    """A private copy of a SalesTier home (landing, raw, warehouse, serving, Dagster storage)."""
    shutil.copytree(source, target, symlinks=True)
    return target


def add_next_batch(home: Path, day: str = "2026-11-28") -> tuple[str, str]:
    """A new export batch `day` holding copies of every source's latest batch: (previous date, day).

    Lets a test start from the session's published demo (one night done) and run the next night."""
    previous = ""
    for source in sorted(p for p in (home / "landing").iterdir() if p.is_dir() and p.name != "reference"):
        latest = sorted(d for d in source.iterdir() if d.is_dir())[-1]
        previous = max(previous, latest.name)
        shutil.copytree(latest, source / day)
    return previous, day
