"""dbt at run time: no network (no `dbt --version`), artifacts in the home, old target folders pruned."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from salestier_pipeline.assets.dbt import (
    RUN_FOLDER,
    SalesTierDbtCliResource,
    dbt_project,
    prune_target_runs,
    run_target_path,
)
from salestier_pipeline.dbt_command import dbt_executable
from salestier_pipeline.settings import KEEP_TARGETS_ENV, PROJECT_ROOT, load_settings
from tests.runner import SALESTIER, run_salestier, salestier_env

ROOT = Path(__file__).resolve().parent.parent

# Loaded by every Python process of a run (salestier and the dbt subprocess) through PYTHONPATH: records each
# name lookup and each IPv4/IPv6 connect, via the interpreter's audit events.
NET_HOOK = '''
import os, socket, sys
_log = os.environ.get("SALESTIER_TEST_NET_LOG")
_LOOKUPS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"}
def _hook(event, args):
    if event in _LOOKUPS or (event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6)):
        detail = args[1:] if event == "socket.connect" else args
        with open(_log, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {' '.join(sys.argv[:2])}: {event} {detail}\\n")
if _log:
    sys.addaudithook(_hook)
'''


def _folder(root: Path, when: dt.datetime, run_id: str = "0123abcd-ffff") -> Path:
    path = run_target_path(root, run_id, when)
    path.mkdir(parents=True)
    (path / "run_results.json").write_text("{}", encoding="utf-8")
    return path


# --- pure ---------------------------------------------------------------------------------------------------

def test_run_folders_sort_by_start_time_and_match_the_pattern(tmp_path: Path) -> None:
    early = run_target_path(tmp_path, "acd90891-30a9-4db9", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    late = run_target_path(tmp_path, "00000000-0000", dt.datetime(2026, 1, 2, 3, 4, 6, tzinfo=dt.UTC))
    assert early.name.startswith("20260102T030405Z-acd90891-") and RUN_FOLDER.fullmatch(early.name)
    assert sorted([late.name, early.name]) == [early.name, late.name]
    assert run_target_path(tmp_path, "acd90891") != run_target_path(tmp_path, "acd90891")  # a retry gets its own


def test_prune_keeps_the_newest_n_and_touches_nothing_else(tmp_path: Path) -> None:
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    runs = [_folder(tmp_path, start + dt.timedelta(hours=h)) for h in range(5)]
    (tmp_path / "notes").mkdir()
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    (tmp_path / "20260301T000000Z-not-a-run").mkdir()
    removed = prune_target_runs(tmp_path, keep=2)
    assert sorted(removed) == runs[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [runs[3].name, runs[4].name, "notes", "manifest.json", "20260301T000000Z-not-a-run"])
    assert prune_target_runs(tmp_path, keep=2) == []


def test_prune_never_removes_the_current_folder(tmp_path: Path) -> None:
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    current = _folder(tmp_path, start)  # oldest by name, e.g. a clock set back
    newer = [_folder(tmp_path, start + dt.timedelta(days=d)) for d in (1, 2, 3)]
    prune_target_runs(tmp_path, keep=1, current=current)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([current.name, newer[-1].name])
    assert prune_target_runs(tmp_path / "missing", keep=1) == []


def test_keep_setting() -> None:
    assert load_settings({}).dbt_keep_targets == 2
    assert load_settings({KEEP_TARGETS_ENV: " 5 "}).dbt_keep_targets == 5
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(ValueError, match=rf"{KEEP_TARGETS_ENV} must be a whole number >= 1, not '{bad}'"):
            load_settings({KEEP_TARGETS_ENV: bad})


def locked_version(package: str) -> str:
    """The version requirements.lock pins, which `make install` put in the dbt environment."""
    pins = dict(line.split("==", 1) for line in (PROJECT_ROOT / "requirements.lock").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    return pins[package].strip()


def test_dbt_version_comes_from_the_installed_package_without_running_dbt() -> None:
    spawned: list[tuple] = []

    def hook(event: str, args: tuple) -> None:
        if event in ("subprocess.Popen", "os.exec", "os.posix_spawn") and watching:
            spawned.append(args)

    watching = True
    sys.addaudithook(hook)
    try:
        resource = SalesTierDbtCliResource(project_dir=dbt_project(),
                                           dbt_executable=str(dbt_executable()))
        assert resource._cli_version == Version(locked_version("dbt-core"))
        assert resource._cli_version.major == 1  # dbt-core: dagster-dbt drives it as dbt-core, not Fusion
    finally:
        watching = False
    assert spawned == []


# --- a real run ---------------------------------------------------------------------------------------------

@pytest.fixture()
def net_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """PYTHONPATH with the audit hook first; the log of lookups and connects it writes."""
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(NET_HOOK, encoding="utf-8")
    log = tmp_path / "net.log"
    return {"PYTHONPATH": f"{hook_dir}{os.pathsep}{ROOT}", "SALESTIER_TEST_NET_LOG": str(log)}, log


def test_the_network_hook_sees_a_lookup(net_env: tuple[dict[str, str], Path]) -> None:
    """The measurement of the next test can fail: one lookup in a child process is recorded."""
    extra, log = net_env
    subprocess.run([sys.executable, "-c", "import socket; socket.getaddrinfo('localhost', 9)"],
                   env={**os.environ, **extra}, check=True)
    assert "socket.getaddrinfo ('localhost', 9" in log.read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_run_makes_no_lookup_and_keeps_dbt_artifacts_in_the_home(
    tmp_path: Path, dbt_manifest: Path, net_env: tuple[dict[str, str], Path]
) -> None:
    home = tmp_path / "home"
    assert run_salestier(home, "demo", "--scale", "0.1").returncode == 0
    targets = home / "dbt" / "target"
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    old = [_folder(targets, start + dt.timedelta(days=d)) for d in range(3)]  # three earlier runs' folders
    checkout_target = ROOT / "dbt_project" / "target"
    before = set(os.listdir(checkout_target))
    extra, log = net_env
    env = {**salestier_env(home), **extra, KEEP_TARGETS_ENV: "2"}
    run = subprocess.run([SALESTIER, "run"], env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]
    run_id = re.search(r"run ([0-9a-f-]{36}) succeeded", run.stdout).group(1)

    assert not log.exists(), log.read_text(encoding="utf-8")  # no name lookup, no IP connect, in any process
    new_in_checkout = set(os.listdir(checkout_target)) - before
    assert not new_in_checkout, f"the run wrote {new_in_checkout} into the checkout"
    kept = sorted(p.name for p in targets.iterdir())
    assert len(kept) == 2 and kept[0] == old[-1].name, kept
    current = targets / kept[1]
    assert current.name.split("-")[1] == run_id.replace("-", "")[:8]
    assert (current / "run_results.json").stat().st_size > 1000 and (current / "manifest.json").exists()
    assert (current / "dbt.log").exists()  # logs go with the artifacts
