"""Has anything changed since a step last succeeded? Stamps of a step's inputs and outputs.

A night with no new export, the same code and the same settings would rebuild every table into the same
bytes. Each step that can tell records, after it succeeded, a stamp of what it read and what it left:

- inputs: the as-of date, the code (this package, the dbt project, the GX suites), the settings, and the
  files the step reads (tree_stamp);
- outputs: the files it wrote, as they were when it finished.

The next run of the step compares both with what is there now; only when both are equal may it skip its
work. A change anywhere (a new batch, an edited model or seed, another setting, a touched or deleted
output, a failed earlier step that recorded nothing) means the step runs. The stamps live beside the
outputs (`.salestier-stamps/` in the home) and are plain JSON: deleting the folder forces a full run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from salestier_pipeline.settings import DBT_PROJECT_DIR, PACKAGE_DIR, PROJECT_ROOT, Settings

# files up to this size are stamped by content (ingest rewrites its small bookkeeping files every run,
# with the same bytes); larger ones by size and modification time (raw batches and databases are written
# once per content or by one writer, so a new write is a new stamp)
CONTENT_STAMP_MAX_BYTES = 1 << 20
STAMP_DIR = ".salestier-stamps"
# what the code stamp covers: everything that decides what a step writes
CODE_ROOTS = (PACKAGE_DIR, DBT_PROJECT_DIR / "models", DBT_PROJECT_DIR / "macros", DBT_PROJECT_DIR / "seeds",
              DBT_PROJECT_DIR / "tests", PROJECT_ROOT / "expectations")
CODE_FILES = (DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def tree_stamp(*paths: Path, pattern: str = "*") -> str:
    """One hash over every file matching `pattern` under `paths` (a path may be a file, a folder or
    missing): relative name and size of each, with the content of small files and the modification time
    of large ones."""
    digest = hashlib.sha256()
    for index, root in enumerate(paths):  # the position, not the absolute path: a copied home is the same
        files = [root] if root.is_file() else sorted(p for p in root.rglob(pattern) if p.is_file()) \
            if root.is_dir() else []
        digest.update(f"{index}\0{len(files)}\0".encode())
        for path in files:
            stat = path.stat()
            rel = path.relative_to(root).as_posix() if path != root else path.name
            digest.update(f"{rel}\0{stat.st_size}\0".encode("utf-8", "surrogateescape"))
            if stat.st_size <= CONTENT_STAMP_MAX_BYTES:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            else:
                digest.update(str(stat.st_mtime_ns).encode())
    return digest.hexdigest()


@cache
def code_stamp() -> str:
    """The code that decides what any step writes: a change to any of it reruns every step once."""
    digest = hashlib.sha256()
    files = [*CODE_FILES, *(p for root in CODE_ROOTS if root.is_dir() for p in root.rglob("*")
                            if p.is_file() and "__pycache__" not in p.parts)]
    for path in sorted(files):
        digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def settings_stamp(settings: Settings) -> str:
    """Every setting (a frozen dataclass, secrets included, only ever stored hashed), with the home's own
    path left out: a home copied or moved elsewhere holds the same data."""
    return _digest(repr(settings).replace(str(settings.home), "<home>"))


@dataclass(frozen=True)
class StepStamp:
    """The stamp file of one step in a home: what the step read and left when it last succeeded."""

    home: Path
    step: str

    @property
    def path(self) -> Path:
        return self.home / STAMP_DIR / f"{self.step}.json"

    def recorded(self) -> dict | None:
        try:
            value = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def unchanged(self, inputs: str, outputs: str) -> dict | None:
        """The recorded stamp (with the run that left it) when inputs and outputs are both as recorded."""
        value = self.recorded()
        if value is None or value.get("inputs") != inputs or value.get("outputs") != outputs:
            return None
        return value

    def record(self, inputs: str, outputs: str, run_id: str, result: object = None) -> None:
        """After the step succeeded, with what it found (`result`, JSON) when a skipped rerun must repeat
        it. Written whole, then renamed: a crash leaves the old stamp or none."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps({"inputs": inputs, "outputs": outputs, "run_id": run_id, "result": result}),
                           encoding="utf-8")
        partial.replace(self.path)

    def forget(self) -> None:
        """Before the step writes anything: a step that fails half-way must not look done."""
        self.path.unlink(missing_ok=True)


# dbt and the raw checks read only the raw layer's Parquet; its JSON (the landing manifest with the
# landing files' absolute paths, the per-file sidecars) is ingest's own bookkeeping
RAW_PATTERN = "*.parquet"


def step_inputs(settings: Settings, as_of: str, *read: Path, pattern: str = "*") -> str:
    """The inputs stamp of a step of `as_of` that reads the files matching `pattern` under `read`."""
    return _digest(as_of, code_stamp(), settings_stamp(settings), tree_stamp(*read, pattern=pattern))


# The nightly chain after ingest: each step's files read and written. The dbt step skips only when every
# step of the chain is as its last success left it, so a publish that failed after a good build still reruns.
CHAIN = ("dbt", "serving", "tier_lists", "html_report", "postgres")


def _chain_files(settings: Settings, step: str) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    warehouse = (settings.warehouse, settings.warehouse.with_name(settings.warehouse.name + ".wal"))
    return {
        "dbt": ((settings.raw,), warehouse),
        "serving": (warehouse, (settings.serving_dir,)),
        "tier_lists": ((settings.serving_db,), (settings.exports,)),
        "html_report": ((settings.serving_db,), (settings.reports,)),
        "postgres": ((settings.serving_db,), ()),  # a remote database: what was sent is what was read
    }[step]


def _stamps(settings: Settings, as_of: str, step: str) -> tuple[str, str]:
    read, written = _chain_files(settings, step)
    pattern = RAW_PATTERN if step == "dbt" else "*"
    return step_inputs(settings, as_of, *read, pattern=pattern), tree_stamp(*written)


def step_started(settings: Settings, step: str) -> None:
    """Called before the step writes: until it succeeds again it does not count as done."""
    StepStamp(settings.home, step).forget()


def step_succeeded(settings: Settings, as_of: str, step: str, run_id: str) -> None:
    StepStamp(settings.home, step).record(*_stamps(settings, as_of, step), run_id)


def chain_unchanged(settings: Settings, as_of: str) -> str | None:
    """The run id that left the whole chain as it is now, or None when any step must run again."""
    run_ids = set()
    for step in CHAIN:
        value = StepStamp(settings.home, step).unchanged(*_stamps(settings, as_of, step))
        if value is None:
            return None
        run_ids.add(value.get("run_id", "?"))
    return ", ".join(sorted(run_ids))


def batch_stamp(settings: Settings, batch: Path) -> str:
    """What a raw batch folder's validation depends on: its Parquet files, the code (suites included) and
    the settings; not the as-of date (a batch holds the same rows whatever the run's date)."""
    return _digest(code_stamp(), settings_stamp(settings), tree_stamp(batch, pattern=RAW_PATTERN))


@dataclass(frozen=True)
class ValidatedBatches:
    """The raw batches of one module that passed its blocking raw checks, each with the stamp it had then.

    A batch is validated once: on the night it arrives (or changes, or the code or settings change), not
    again every night after. A batch whose blocking check failed is not recorded, so it is validated (and
    blocks) every night until it is fixed. The outcomes of the last validation are kept with the night
    they belong to (the as-of date and every batch's stamp), so a rerun of that same night repeats them,
    warnings included. Deleting `.salestier-stamps/` validates every batch again."""

    settings: Settings
    module: str

    @property
    def stamp(self) -> StepStamp:
        return StepStamp(self.settings.home, f"raw_checks_{self.module}")

    def _result(self) -> dict:
        value = (self.stamp.recorded() or {}).get("result")
        return value if isinstance(value, dict) else {}

    def _known(self) -> dict[str, str]:
        return self._result().get("validated", {})

    def stamps(self, batches: list[Path]) -> dict[str, str]:
        """Each batch's stamp now, by its folder relative to the raw layer (computed once per night)."""
        return {self._key(b): batch_stamp(self.settings, b) for b in batches}

    def night(self, as_of: str, stamps: dict[str, str]) -> str:
        """What a night's raw checks of the module saw: the as-of date and every batch as it is now."""
        return _digest(as_of, *(f"{key}={stamp}" for key, stamp in stamps.items()))

    def repeated(self, night: str) -> list | None:
        """The outcomes of the last validation when it was of this very night (a rerun), else None."""
        last = self._result().get("last")
        return last["outcomes"] if isinstance(last, dict) and last.get("night") == night else None

    def pending(self, batches: list[Path], stamps: dict[str, str]) -> list[Path]:
        """The batches not validated before in the form they have now (`stamps`: from stamps())."""
        known = self._known()
        return [b for b in batches if known.get(self._key(b)) != stamps[self._key(b)]]

    def add(self, batches: list[Path], stamps: dict[str, str], run_id: str, night: str = "",
            outcomes: list | None = None) -> None:
        """Record `batches` as passed, with the night's outcomes (JSON) that a rerun of it repeats."""
        known = self._known()
        known.update({self._key(b): stamps[self._key(b)] for b in batches})
        self.stamp.record("", "", run_id, {"validated": dict(sorted(known.items())),
                                           "last": {"night": night, "outcomes": outcomes or []}})

    def _key(self, batch: Path) -> str:
        return batch.relative_to(self.settings.raw).as_posix()
