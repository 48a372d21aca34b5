"""Benchmark: SalesTier's nightly run against the engine's own limits (issue 14; docs/performance.md).

An instrument, not a test: it prints the targets as PASS/FAIL lines but exits 0 when one is missed (1 only
when a measurement could not be taken). Per scale it generates the demo exports once and runs them once in
a warm-up home; then each of `--rounds` interleaved rounds measures, for every scale in turn:
  ingest anchor     DuckDB read_csv / calamine + the profile's mapping + casts -> raw Parquet (tools/anchors.py)
  transform anchor  the project's compiled SQL in DAG order in one DuckDB connection (tools/anchors.py)
  dbt by hand       the nightly `dbt build`, same vars and env, no Dagster
  full run          `salestier run` on a fresh home, its layers (ingest, dbt, publish, other) from the
                    Dagster event log, peak RSS of the whole process tree sampled from /proc
  rerun             the same home and as-of again, nothing changed
  next-day          a new batch the day after the latest, ~1 % of its records changed (tools/next_day.py)
and reports medians and ratios (tools/bench_report.py); bench-results/bench.json holds every figure.

    python -m tools.bench [--scales 1,10,100] [--rounds 3] [--keep] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from salestier_pipeline.settings import PROJECT_ROOT, Settings, load_settings
from tools.anchors import (
    AnchorError,
    build_args,
    compile_manifest,
    dbt_command,
    dbt_env,
    ingest_anchor,
    transform_anchor,
)
from tools.bench_report import (
    LEGEND,
    RUNS,
    RoundResult,
    ScaleResult,
    format_scale,
    format_table,
    round_metrics,
    target_lines,
)
from tools.bench_report import summarize as summarize_rounds
from tools.next_day import add_next_day_batch

PROC = Path("/proc")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024
LAYERS = ("ingest", "dbt", "publish")
OTHER = "other"  # process start, imports, Dagster setup and teardown: run time outside every step
DEFAULT_JSON = Path("bench-results/bench.json")
TAIL_CHARS = 4000


# --------------------------------------------------------------------------- /proc sampling


@dataclass(frozen=True)
class Sample:
    """Resident memory of the whole process tree at one instant (epoch seconds, like Dagster's events)."""

    t: float
    rss: int
    processes: int
    top_name: str = ""  # the largest process of the tree: tells dbt's DuckDB from the Dagster process
    top_rss: int = 0


def parse_ppid(stat_text: str) -> int:
    """Parent pid from /proc/<pid>/stat; the command name may hold spaces and ')' so split after the last ')'."""
    return int(stat_text.rsplit(")", 1)[1].split()[1])


def process_parents(proc: Path = PROC) -> dict[int, int]:
    """pid -> parent pid for every live process (processes may vanish while we read: skip them)."""
    parents: dict[int, int] = {}
    for entry in os.scandir(proc):
        if not entry.name.isdigit():
            continue
        try:
            parents[int(entry.name)] = parse_ppid((proc / entry.name / "stat").read_text())
        except (OSError, IndexError, ValueError):
            continue
    return parents


def descendants(root: int, parents: dict[int, int]) -> set[int]:
    """root and every process below it (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in tree:
            continue
        tree.add(pid)
        todo.extend(children.get(pid, ()))
    return tree


def process_rss(pid: int, proc: Path = PROC) -> int:
    """Resident bytes of one process from statm (cheap: no page walk); 0 if it is gone."""
    try:
        return int((proc / str(pid) / "statm").read_text().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def tree_sample(root: int, proc: Path = PROC) -> Sample:
    """Sum of RSS over the tree. Shared pages count once per process, so this errs high, never low."""
    rss = {pid: process_rss(pid, proc) for pid in descendants(root, process_parents(proc))}
    top = max(rss, key=rss.__getitem__)
    return Sample(time.time(), sum(rss.values()), len(rss), process_name(top, proc), rss[top])


def process_name(pid: int, proc: Path = PROC) -> str:
    """Short command name (a script's name for `#!python` scripts such as dbt)."""
    try:
        return (proc / str(pid) / "comm").read_text().strip()
    except OSError:
        return "?"


class TreeSampler(threading.Thread):
    """Samples a process tree every `interval` seconds until stopped, so short peaks (a dbt model) are seen."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.samples: list[Sample] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while True:
            self.samples.append(tree_sample(self.root))
            if self._stop_event.wait(self.interval):
                return

    def stop(self) -> list[Sample]:
        self._stop_event.set()
        self.join()
        return self.samples


@dataclass
class Measured:
    """One child command: exit code, wall clock, tree RSS samples and the tails of its output."""

    returncode: int
    start: float
    end: float
    samples: list[Sample]
    max_single_rss: int  # largest RSS of any one process of the tree, from the kernel (wait4), no sampling gaps
    stdout_tail: str = ""
    stderr_tail: str = ""

    @property
    def wall(self) -> float:
        return self.end - self.start

    @property
    def peak_rss(self) -> int:
        return max((s.rss for s in self.samples), default=0)

    @property
    def peak(self) -> Sample | None:
        return max(self.samples, key=lambda s: s.rss, default=None)


def tail(path: Path, chars: int = TAIL_CHARS) -> str:
    """Last `chars` characters of a log file: enough to see a traceback without flooding the report."""
    if not path.exists():
        return ""
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - chars * 4))
        return f.read().decode("utf-8", errors="replace")[-chars:]


def run_measured(cmd: Sequence[str], env: dict[str, str], log_prefix: Path, interval: float = 0.1,
                 cwd: Path = PROJECT_ROOT) -> Measured:
    """Run `cmd` while sampling its tree; output goes to files, not pipes, so a chatty child never blocks."""
    out_path, err_path = log_prefix.with_suffix(".stdout"), log_prefix.with_suffix(".stderr")
    log_prefix.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.time()
        # own session: on Ctrl-C the whole tree (dbt too) is stopped, not left running in the background
        proc = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdout=out, stderr=err, start_new_session=True)
        sampler = TreeSampler(proc.pid, interval)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # wait4, not wait(): we also want the kernel's peak RSS
        except BaseException:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            sampler.stop()
            raise
        end = time.time()
        proc.returncode = os.waitstatus_to_exitcode(status)
        samples = sampler.stop()
    return Measured(proc.returncode, start, end, samples, usage.ru_maxrss * 1024,
                    tail(out_path), tail(err_path))


# --------------------------------------------------------------------------- attribution to layers


@dataclass(frozen=True)
class StepEvent:
    """The few fields of a Dagster event record that the attribution needs."""

    step_key: str
    kind: str  # STEP_START, STEP_SUCCESS, STEP_FAILURE or ASSET_MATERIALIZATION
    t: float
    asset_key: tuple[str, ...] = ()


@dataclass
class StepWindow:
    """One step of the run: when it ran, how it ended and which assets it wrote."""

    step_key: str
    start: float
    end: float
    status: str
    asset_keys: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return self.end - self.start


def build_windows(events: Iterable[StepEvent], run_end: float) -> list[StepWindow]:
    """Pair STEP_START with its success/failure; a step with no end (crash) is open until the run ended."""
    windows: dict[str, StepWindow] = {}
    for e in sorted(events, key=lambda e: e.t):
        if e.kind == "STEP_START":
            windows[e.step_key] = StepWindow(e.step_key, e.t, run_end, "running")
        elif e.step_key in windows:
            w = windows[e.step_key]
            if e.kind == "ASSET_MATERIALIZATION":
                w.asset_keys.append(e.asset_key)
            elif e.kind in ("STEP_SUCCESS", "STEP_FAILURE"):
                w.end, w.status = e.t, "success" if e.kind == "STEP_SUCCESS" else "failed"
    return sorted(windows.values(), key=lambda w: w.start)


def layer_of(step_key: str, asset_keys: Sequence[tuple[str, ...]] = ()) -> str:
    """Layer of a step. Asset keys decide first (raw/* is ingest, serving/* and exports/* publish), since
    op names may change; then the step key; dbt's one multi-asset step builds every model and test."""
    prefixes = {k[0] for k in asset_keys if k}
    if prefixes and prefixes <= {"raw"}:
        return "ingest"
    if prefixes and prefixes <= {"serving", "exports"}:
        return "publish"
    key = step_key.lower()
    if "dbt" in key:
        return "dbt"
    if key.startswith(("raw", "ingest", "landing")):
        return "ingest"
    if key.startswith(("serving", "exports", "publish", "tier_lists")):
        return "publish"
    return "dbt" if prefixes else OTHER


def merged_length(intervals: Iterable[tuple[float, float]]) -> float:
    """Total time covered by possibly overlapping intervals (steps of a layer may run side by side)."""
    total, cur_start, cur_end = 0.0, None, None
    for start, end in sorted(intervals):
        if cur_end is None or start > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None:
        total += cur_end - cur_start
    return total


def peak_sample(samples: Sequence[Sample], intervals: Sequence[tuple[float, float]]) -> Sample | None:
    """Sample of highest tree RSS inside any interval; for an interval shorter than the sampling period, the
    last sample before its end stands in (memory then is what the step started with)."""
    candidates: list[Sample] = []
    for start, end in intervals:
        inside = [s for s in samples if start <= s.t <= end]
        if not inside:
            inside = [s for s in samples if s.t <= end][-1:]
        candidates.extend(inside)
    return max(candidates, key=lambda s: s.rss, default=None)


def peak_in(samples: Sequence[Sample], intervals: Sequence[tuple[float, float]]) -> int | None:
    """Highest tree RSS within the intervals (see peak_sample)."""
    peak = peak_sample(samples, intervals)
    return None if peak is None else peak.rss


@dataclass
class LayerStats:
    """Wall time and peak tree RSS of one layer of one run."""

    wall_s: float
    peak_rss_mb: float | None
    steps: int
    top_process: str | None = None  # largest process of the tree at the peak, and its own RSS
    top_process_rss_mb: float | None = None

    @classmethod
    def of(cls, wall: float, peak: Sample | None, steps: int) -> LayerStats:
        if peak is None:
            return cls(round(wall, 3), None, steps)
        return cls(round(wall, 3), _mb(peak.rss), steps, peak.top_name or None, _mb(peak.top_rss))


def attribute(windows: Sequence[StepWindow], samples: Sequence[Sample], run_start: float, run_end: float,
              classify: Callable[[str, Sequence[tuple[str, ...]]], str] = layer_of) -> dict[str, LayerStats]:
    """Per layer: merged step time and peak RSS within its steps. 'other' is the rest of the run (start-up,
    imports, Dagster bookkeeping, unrecognised steps), so the layers add up to the run's wall time."""
    by_layer: dict[str, list[tuple[float, float]]] = {}
    for w in windows:
        by_layer.setdefault(classify(w.step_key, w.asset_keys), []).append((w.start, w.end))
    stats: dict[str, LayerStats] = {}
    for layer in [*(name for name in LAYERS if name in by_layer), *sorted(set(by_layer) - {*LAYERS, OTHER})]:
        intervals = by_layer[layer]
        stats[layer] = LayerStats.of(merged_length(intervals), peak_sample(samples, intervals), len(intervals))
    known = [iv for layer, ivs in by_layer.items() if layer != OTHER for iv in ivs]
    outside = [s for s in samples if not any(a <= s.t <= b for a, b in known)]
    wall = max(0.0, (run_end - run_start) - merged_length(known))
    stats[OTHER] = LayerStats.of(wall, max(outside, key=lambda s: s.rss, default=None), len(by_layer.get(OTHER, [])))
    return stats


def _mb(nbytes: int | None) -> float | None:
    return None if nbytes is None else round(nbytes / MB, 1)


# --------------------------------------------------------------------------- reading what a run left behind


def read_run_events(dagster_home: Path) -> tuple[str | None, str | None, list[StepEvent]]:
    """The latest run of a (fresh) instance: run id, partition (as-of date) and its step events."""
    from dagster import DagsterEventType, DagsterInstance

    kinds = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
             DagsterEventType.ASSET_MATERIALIZATION}
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return None, None, []
        run = runs[0]
        events = []
        for entry in instance.all_logs(run.run_id, of_type=kinds):
            ev = entry.dagster_event
            if ev is None or not entry.step_key:
                continue
            asset_key = tuple(ev.asset_key.path) if ev.asset_key is not None else ()
            events.append(StepEvent(entry.step_key, ev.event_type_value, entry.timestamp, asset_key))
        return run.run_id, run.tags.get("dagster/partition"), events


def ingest_rows_read(raw: Path, as_of: str) -> int | None:
    """Rows the ingest read from landing files, from its own per-file bookkeeping."""
    import duckdb

    pattern = raw / "_ingest" / "files" / f"as_of={as_of}" / "*.parquet"
    if not list(pattern.parent.glob(pattern.name)):
        return None
    with duckdb.connect() as con:
        row = con.execute("select coalesce(sum(rows_read), 0) from read_parquet(?)", [str(pattern)]).fetchone()
    return int(row[0])


def published_rows(serving_db: Path) -> dict[str, int]:
    """Row count of every table in the serving database."""
    import duckdb

    if not serving_db.exists():
        return {}
    with duckdb.connect(str(serving_db), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1").fetchall()]
        return {t: int(con.table(t).count("*").fetchall()[0][0]) for t in tables}


def dir_bytes(path: Path) -> int:
    """Size of every file below path (the landing zone the ingest has to read)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- measuring one scale


def child_env(home: Path) -> dict[str, str]:
    """The caller's environment with this home's paths; other SALESTIER_* settings would skew the run.
    This interpreter's bin directory goes first on PATH, so what the run starts by name is this venv's
    (`make bench` calls .venv/bin/python without activating the venv)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESTIER_") and k != "DAGSTER_HOME"}
    env.update(SALESTIER_HOME=str(home), DAGSTER_HOME=str(home / "dagster"),
               GX_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)]))
    return env


def summarize(m: Measured) -> dict:
    """A child command's figures for the JSON; max_single_process_rss_mb is the kernel's (no sampling gap)."""
    peak = m.peak
    return {"wall_s": round(m.wall, 3), "peak_rss_mb": _mb(m.peak_rss),
            "top_process": peak.top_name if peak else None, "top_process_rss_mb": _mb(peak.top_rss) if peak else None,
            "max_single_process_rss_mb": _mb(m.max_single_rss), "samples": len(m.samples), "returncode": m.returncode}


def salestier(*args: str) -> list[str]:
    """The CLI of this checkout, run by this interpreter."""
    return [sys.executable, "-m", "salestier_pipeline.cli", *args]


def measure_run(home: Path, label: str, interval: float, *args: str) -> dict:
    """One `salestier run` in `home`: wall time, tree RSS, and its layers from the Dagster event log."""
    run = run_measured(salestier("run", *args), child_env(home), home / "bench-logs" / label, interval)
    figures = summarize(run)
    if run.returncode != 0:
        figures["error"] = f"{label} run exited {run.returncode}:\n{run.stderr_tail or run.stdout_tail}"
    try:
        figures["run_id"], figures["as_of"], events = read_run_events(home / "dagster")
    except Exception as exc:  # an instrument reports what it could not read and carries on
        events = []
        figures["error"] = (figures.get("error") or "") + f"\ncannot read the Dagster event log: {exc!r}"
    windows = build_windows(events, run.end)
    figures["layers"] = {k: asdict(v) for k, v in attribute(windows, run.samples, run.start, run.end).items()}
    figures["steps"] = [{"step": w.step_key, "layer": layer_of(w.step_key, w.asset_keys), "status": w.status,
                         "wall_s": round(w.wall, 3), "peak_rss_mb": _mb(peak_in(run.samples, [(w.start, w.end)]))}
                        for w in windows]
    if figures.get("as_of"):
        figures["ingest_rows_read"] = ingest_rows_read(home / "raw", figures["as_of"])
    if run.returncode == 0:
        figures["published_rows"] = sum(published_rows(home / "serving" / "salestier.duckdb").values())
    return figures


def fresh_dir(path: Path) -> Path:
    """An empty folder (what a previous round left there is removed)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def new_home(landing: Path, home: Path) -> Path:
    """A fresh SalesTier home holding a copy of the demo landing zone."""
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(landing, home / "landing")
    return home


@dataclass
class ScaleSetup:
    """What every round of a scale shares: the demo landing, the warm-up home and its compiled project."""

    base: Path
    landing: Path
    warm: Path
    as_of: str
    settings: Settings
    manifest: dict


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def prepare_scale(scale: float, base: Path, interval: float) -> tuple[ScaleResult, ScaleSetup | None]:
    """Generate the demo once, run it once in a warm-up home (the anchors' raw Parquet and reference
    warehouse; it also warms the file cache) and compile the project for it; failures are recorded."""
    result = ScaleResult(scale=scale, root=str(base))
    landing = base / "landing"
    demo = run_measured(salestier("demo", "--landing", str(landing), "--scale", format_scale(scale)),
                        child_env(base / "demo-home"), base / "logs" / "demo", interval)
    result.demo = summarize(demo)
    if demo.returncode != 0:
        result.status, result.error = "failed", f"demo exited {demo.returncode}:\n{demo.stderr_tail}"
        return result, None
    result.landing_mb = round(dir_bytes(landing) / MB, 2)
    result.landing_files = sum(1 for p in landing.rglob("*") if p.is_file())
    warm = new_home(landing, base / "warm")
    result.warm_up = measure_run(warm, "warm-up", interval)
    result.as_of = result.warm_up.get("as_of")
    if result.warm_up.get("error") or not result.as_of:
        result.status, result.error = "failed", result.warm_up.get("error") or "warm-up run has no as-of date"
        return result, None
    settings = load_settings(child_env(warm))
    start = time.perf_counter()
    try:
        manifest = compile_manifest(settings, result.as_of, base / "anchor" / "compile", child_env(warm))
    except AnchorError as exc:
        result.status, result.error = "failed", str(exc)
        return result, None
    result.compile_s = round(time.perf_counter() - start, 3)
    return result, ScaleSetup(base, landing, warm, result.as_of, settings, manifest)


def guarded(rr: RoundResult, name: str, measure: Callable[[], dict]) -> dict | None:
    """Run one anchor; an exception becomes an error of the round, not the end of the bench."""
    try:
        return measure()
    except Exception as exc:  # an instrument reports what it could not measure and carries on
        rr.errors.append(f"{name}: {exc}")
        return None


def transform_figures(setup: ScaleSetup, scale: float) -> dict:
    """The transform anchor of one round, its mismatches against the warm-up run printed as warnings. Its
    failing tests are only recorded: without the hooks, tests of columns a post-hook fills may fail."""
    run = transform_anchor(setup.manifest, fresh_dir(setup.base / "anchor" / "transform"),
                           setup.warm / "warehouse" / "warehouse.duckdb")
    for m in run.mismatches:
        log(f"WARNING scale {format_scale(scale)}x: transform anchor built {m['model']} with {m['anchor_rows']} rows, "
            f"the real run {m['real_rows']}")
    return {**asdict(run), "wall_s": round(run.wall_s, 3)}


def ingest_figures(setup: ScaleSetup) -> dict:
    """The ingest anchor of one round over the demo landing (the same files every run of the scale reads)."""
    run = ingest_anchor(setup.landing, setup.as_of, fresh_dir(setup.base / "anchor" / "ingest"),
                        setup.settings.profiles_dir)
    return {**asdict(run), "wall_s": round(run.wall_s, 3)}


def dbt_by_hand(setup: ScaleSetup, interval: float) -> dict:
    """The nightly `dbt build` without Dagster, on a fresh warehouse over the warm-up home's raw Parquet."""
    scratch = fresh_dir(setup.base / "anchor" / "by-hand")
    env = dbt_env(child_env(setup.warm), setup.settings, setup.as_of, scratch / "warehouse.duckdb")
    cmd = dbt_command(build_args(setup.settings.reporting_currency), scratch)
    m = run_measured(cmd, env, scratch / "dbt", interval, cwd=scratch)
    figures = summarize(m)
    if m.returncode != 0:
        figures["error"] = f"dbt build exited {m.returncode}:\n{m.stdout_tail[-2000:]}"
    return figures


def run_round(setup: ScaleSetup, result: ScaleResult, number: int, interval: float, keep: bool) -> RoundResult:
    """Every measurement of a scale once: anchors, then full run, rerun and next-day run in one fresh home."""
    rr = RoundResult(number)
    rr.ingest_anchor = guarded(rr, "ingest anchor", lambda: ingest_figures(setup))
    rr.transform_anchor = guarded(rr, "transform anchor", lambda: transform_figures(setup, result.scale))
    rr.dbt_by_hand = guarded(rr, "dbt by hand", lambda: dbt_by_hand(setup, interval))
    home = new_home(setup.landing, setup.base / f"round-{number}")
    rr.full = measure_run(home, "full", interval)
    rr.rerun = measure_run(home, "rerun", interval, "--as-of", setup.as_of)
    try:
        day, files = add_next_day_batch(home / "landing")
    except Exception as exc:  # no next-day figure, the rest of the round stands
        rr.errors.append(f"next-day batch: {exc}")
    else:
        result.next_day_as_of = day
        result.next_day_batch = {"files": len(files), "rows": sum(f.rows for f in files),
                                 "of_rows": sum(f.of_rows for f in files), "files_detail": [asdict(f) for f in files]}
        rr.next_day = measure_run(home, "next-day", interval, "--as-of", day)
    for name in ("dbt_by_hand", *RUNS):
        error = (getattr(rr, name) or {}).get("error")
        if error:
            rr.errors.append(f"{name}: {error}")
    if not keep:
        shutil.rmtree(home, ignore_errors=True)
    return rr


def machine_info() -> dict:
    """Enough context to compare figures between machines."""
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), 0)
    return {"cpus": os.cpu_count(), "mem_total_mb": round(mem_kb / 1024), "python": platform.python_version(),
            "platform": platform.platform()}


def parse_scales(text: str) -> list[float]:
    """'1,10,100' -> [1.0, 10.0, 100.0]; a scale must be positive."""
    scales = [float(part) for part in text.split(",") if part.strip()]
    if not scales or any(s <= 0 for s in scales):
        raise argparse.ArgumentTypeError(f"scales must be positive numbers, got {text!r}")
    return scales


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=parse_scales, default=[1.0, 10.0, 100.0], help="default: 1,10,100")
    parser.add_argument("--rounds", type=positive_int, default=3, help="interleaved rounds (default: 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary homes (paths are printed)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"default: {DEFAULT_JSON}")
    parser.add_argument("--interval", type=float, default=0.1, help="RSS sampling period in seconds")
    return parser


def report(results: Sequence[ScaleResult]) -> str:
    """The tables, the target lines and the legend."""
    blocks = [format_table(r) for r in results]
    lines = target_lines(results)
    return "\n\n".join([*blocks, "targets (issue 14; an instrument: a FAIL does not fail the bench):\n"
                         + "\n".join(lines), LEGEND])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="salestier-bench-"))
    results: list[ScaleResult] = []
    setups: dict[float, ScaleSetup] = {}
    try:
        for scale in args.scales:
            log(f"scale {format_scale(scale)}x: demo, warm-up run and dbt compile in {root} ...")
            result, setup = prepare_scale(scale, root / f"scale-{format_scale(scale)}", args.interval)
            results.append(result)
            if setup is None:
                log(f"scale {format_scale(scale)}x FAILED\n{result.error}")
            else:
                setups[scale] = setup
        for number in range(1, args.rounds + 1):  # interleaved: a noisy minute hits every scale alike
            for result in results:
                if result.scale in setups:
                    log(f"round {number}/{args.rounds}, scale {format_scale(result.scale)}x ...")
                    result.rounds.append(run_round(setups[result.scale], result, number, args.interval, args.keep))
                    for error in result.rounds[-1].errors:
                        log(f"round {number}, scale {format_scale(result.scale)}x: {error}")
        for result in results:
            result.summary = summarize_rounds([round_metrics(rr) for rr in result.rounds])
    finally:
        if args.keep:
            log(f"homes kept under {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    text = report(results)
    print(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine_info(),
               "rounds": args.rounds, "interval_s": args.interval, "kept": args.keep,
               "targets": target_lines(results), "results": [asdict(r) for r in results]}
    args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nfigures written to {args.json}")
    failed = any(r.status != "ok" or any(rr.errors for rr in r.rounds) for r in results)
    return 1 if failed else 0  # a measurement that could not be taken; a missed target is only printed


if __name__ == "__main__":
    raise SystemExit(main())
