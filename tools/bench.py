"""Benchmark: demo data at several scales through the full nightly run.

An instrument, not a test: no thresholds. For each scale it generates demo
exports into a temporary home, runs `salestier run` as a child process while
sampling the resident memory of that process tree (dbt is a grandchild) from
/proc, then reads each Dagster step's start and end from the run's event log
and attributes wall time and peak memory to the layers ingest, dbt and publish.

    python -m tools.bench [--scales 1,10,100] [--keep] [--json PATH]
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

from salestier_pipeline.settings import PROJECT_ROOT

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


def rate(amount: float | None, seconds: float | None) -> float | None:
    """amount per second, or None where either side is missing or the time is zero."""
    if amount is None or not seconds:
        return None
    return amount / seconds


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


# --------------------------------------------------------------------------- one scale


@dataclass
class ScaleResult:
    """Everything measured for one scale; what goes into the JSON."""

    scale: float
    status: str = "ok"
    error: str | None = None
    home: str | None = None
    as_of: str | None = None
    run_id: str | None = None
    demo: dict | None = None
    run: dict | None = None
    layers: dict[str, dict] = field(default_factory=dict)
    steps: list[dict] = field(default_factory=list)
    landing_mb: float | None = None
    landing_files: int | None = None
    ingest_rows_read: int | None = None
    published_rows: int | None = None
    published_rows_by_table: dict[str, int] = field(default_factory=dict)


def child_env(home: Path) -> dict[str, str]:
    """The caller's environment with this home's paths; other SALESTIER_* settings would skew the run.
    This interpreter's bin directory goes first on PATH: dagster-dbt looks up `dbt` there, and
    `make bench` calls .venv/bin/python without activating the venv."""
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


def bench_scale(scale: float, home: Path, interval: float) -> ScaleResult:
    """Generate, run and measure one scale in `home`; failures are recorded, not raised."""
    result = ScaleResult(scale=scale, home=str(home))
    env, logs, py = child_env(home), home / "bench-logs", sys.executable
    landing = home / "landing"
    demo = run_measured([py, "-m", "salestier_pipeline.cli", "demo", "--landing", str(landing),
                         "--scale", format_scale(scale)], env, logs / "demo", interval)
    result.demo = summarize(demo)
    if demo.returncode != 0:
        result.status, result.error = "failed", f"demo exited {demo.returncode}:\n{demo.stderr_tail}"
        return result
    result.landing_mb = round(dir_bytes(landing) / MB, 2)
    result.landing_files = sum(1 for p in landing.rglob("*") if p.is_file())

    run = run_measured([py, "-m", "salestier_pipeline.cli", "run"], env, logs / "run", interval)
    result.run = summarize(run)
    if run.returncode != 0:
        result.status = "failed"
        result.error = f"run exited {run.returncode}:\n{run.stderr_tail or run.stdout_tail}"
    try:
        result.run_id, result.as_of, events = read_run_events(home / "dagster")
    except Exception as exc:  # an instrument reports what it could not read and carries on
        events = []
        result.error = (result.error or "") + f"\ncannot read the Dagster event log: {exc!r}"
        result.status = "failed"
    windows = build_windows(events, run.end)
    result.steps = [{"step": w.step_key, "layer": layer_of(w.step_key, w.asset_keys), "status": w.status,
                     "wall_s": round(w.wall, 3), "peak_rss_mb": _mb(peak_in(run.samples, [(w.start, w.end)]))}
                    for w in windows]
    result.layers = {k: asdict(v) for k, v in attribute(windows, run.samples, run.start, run.end).items()}
    if result.as_of:
        result.ingest_rows_read = ingest_rows_read(home / "raw", result.as_of)
    if run.returncode == 0:
        result.published_rows_by_table = published_rows(home / "serving" / "salestier.duckdb")
        result.published_rows = sum(result.published_rows_by_table.values())
    return result


# --------------------------------------------------------------------------- report


def format_scale(scale: float) -> str:
    return f"{scale:g}"


def _num(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _top(figures: dict) -> str:
    """'dbt 2,650.3': which process held most of the tree's memory at the peak."""
    if not figures.get("top_process"):
        return "-"
    return f"{figures['top_process']} {_num(figures.get('top_process_rss_mb'))}"


def table_rows(r: ScaleResult) -> list[list[str]]:
    """One line per phase of a scale: demo, each layer, other, and the whole run."""
    label = f"{format_scale(r.scale)}x" + ("" if r.status == "ok" else " FAILED")
    rows: list[list[str]] = []
    if r.demo:
        rows.append([label, "demo", _num(r.demo["wall_s"], 2), _num(r.demo["peak_rss_mb"]), _top(r.demo), "-", "-",
                     _num(r.landing_mb), "-"])
    for layer, s in r.layers.items():
        amount = {"ingest": r.ingest_rows_read, "publish": r.published_rows}.get(layer)
        mb = r.landing_mb if layer == "ingest" else None
        rows.append([label, layer, _num(s["wall_s"], 2), _num(s["peak_rss_mb"]), _top(s), _num(amount),
                     _num(rate(amount, s["wall_s"]), 0), _num(mb), _num(rate(mb, s["wall_s"]), 2)])
    if r.run:
        wall = r.run["wall_s"]
        rows.append([label, "run total", _num(wall, 2), _num(r.run["peak_rss_mb"]), _top(r.run),
                     _num(r.ingest_rows_read), _num(rate(r.ingest_rows_read, wall), 0), _num(r.landing_mb),
                     _num(rate(r.landing_mb, wall), 2)])
    return rows or [[label, "not run", *["-"] * (len(HEADERS) - 2)]]


LEGEND = ("\nrows: read from landing files (ingest, run total) or written to serving tables (publish). "
          "MB: landing size.\npeak RSS: the run's whole process tree (dbt included) sampled from /proc; "
          "other = run time outside any step (start-up, imports, Dagster).\n"
          "largest process: the single biggest process of the tree at that peak, and its own RSS.")
HEADERS = ["scale", "phase", "wall s", "peak RSS MB", "largest process MB", "rows", "rows/s", "MB", "MB/s"]


def format_table(results: Sequence[ScaleResult]) -> str:
    """Fixed-width text table; numbers right-aligned. rows = rows read (ingest, run) or published (publish)."""
    body = [row for r in results for row in table_rows(r)]
    widths = [max(len(c) for c in col) for col in zip(HEADERS, *body, strict=True)]
    out, previous = [_line(HEADERS, widths), "  ".join("-" * w for w in widths)], None
    for row in body:
        if previous is not None and row[0] != previous:
            out.append("")  # a blank line between scales
        out.append(_line(row, widths))
        previous = row[0]
    return "\n".join(out)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    """Text columns (scale, phase) left-aligned, numbers right-aligned."""
    return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=parse_scales, default=[1.0, 10.0, 100.0], help="default: 1,10,100")
    parser.add_argument("--keep", action="store_true", help="keep the temporary homes (paths are printed)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"default: {DEFAULT_JSON}")
    parser.add_argument("--interval", type=float, default=0.1, help="RSS sampling period in seconds")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="salestier-bench-"))
    results: list[ScaleResult] = []
    try:
        for scale in args.scales:
            print(f"bench: scale {format_scale(scale)}x in {root} ...", file=sys.stderr, flush=True)
            result = bench_scale(scale, root / f"scale-{format_scale(scale)}", args.interval)
            results.append(result)
            if result.status != "ok":
                print(f"bench: scale {format_scale(scale)}x FAILED\n{result.error}", file=sys.stderr, flush=True)
            else:
                print(f"bench: scale {format_scale(scale)}x done in {result.run['wall_s']:.1f} s",
                      file=sys.stderr, flush=True)
    finally:
        if args.keep:
            print(f"bench: homes kept under {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(format_table(results))
    print(LEGEND)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine_info(),
               "interval_s": args.interval, "kept": args.keep, "results": [asdict(r) for r in results]}
    args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nfigures written to {args.json}")
    return 0 if all(r.status == "ok" for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
