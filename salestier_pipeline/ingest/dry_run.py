"""`salestier validate-profile PROFILE --against FOLDER`: what ingest would make of real files.

The same decode → detect → map code as a run, writing nothing: for each file, the module it
matched, the columns mapped, missing and extra, the format chosen per date / number column, and
how many rows would load, have cells nulled, or be quarantined, with the first reasons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from salestier_pipeline.ingest.decode import FileReadError, decode_file
from salestier_pipeline.ingest.headers import UnknownModuleError, detect_module
from salestier_pipeline.ingest.landing import EXPORT_SUFFIXES, sha256_of
from salestier_pipeline.ingest.mapping import FileContext, map_file
from salestier_pipeline.profiles import Profile
from salestier_pipeline.settings import DEFAULT_LIMITS, IngestLimits

FIRST_REASONS = 5


@dataclass
class FileReport:
    """What ingest would do with one file."""

    path: str
    error: str | None = None
    entry: str = ""
    module: str = ""
    encoding: str = ""
    mapped: dict[str, str] = field(default_factory=dict)  # canonical column -> header
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_blank: int = 0
    cells_nulled: int = 0
    reasons: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if self.error:
            return [f"{self.path}: FAILS: {self.error}"]
        out = [f"{self.path}: {self.entry} -> {self.module} ({self.encoding})",
               f"  rows: {self.rows_read} read, {self.rows_loaded} would load, {self.rows_quarantined} quarantined, "
               f"{self.cells_nulled} cell(s) nulled, {self.rows_blank} blank",
               "  mapped: " + ", ".join(f"{c} <- {h!r}" for c, h in self.mapped.items())]
        formats = {c: f for c, f in self.formats.items() if f not in ("text", "empty")}
        if formats:
            out.append("  formats: " + ", ".join(f"{c}: {f}" for c, f in formats.items()))
        if self.missing:
            out.append("  missing (NULL): " + ", ".join(self.missing))
        if self.extra:
            out.append("  extra (kept in extra_columns): " + ", ".join(self.extra))
        out += [f"  - {r}" for r in self.reasons]
        return out


def export_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES
                  and not p.name.startswith((".", "_")))


def dry_run_file(path: Path, label: str, profile: Profile, limits: IngestLimits = DEFAULT_LIMITS) -> FileReport:
    report = FileReport(label)
    try:
        decoded = decode_file(path, label, limits)
        match = detect_module(decoded.headers, profile, label)
    except (FileReadError, UnknownModuleError) as exc:
        report.error = str(exc)
        return report
    ctx = FileContext(profile.name, dt.date.today().isoformat(), label, sha256_of(path))
    mapped = map_file(decoded, match, profile, ctx, limits)
    report.entry, report.module, report.encoding = match.module.key, match.module.canonical, decoded.encoding
    report.mapped, report.missing, report.extra = dict(match.columns), mapped.missing_columns, mapped.extra_columns
    report.formats = mapped.formats
    report.rows_read = mapped.rows_read + len(decoded.rejects)
    report.rows_loaded = len(mapped.good)
    report.rows_quarantined = mapped.rows_quarantined + len(decoded.rejects)
    report.rows_blank, report.cells_nulled = decoded.rows_blank, mapped.cells_nulled
    reasons = [(r.line, f"line {r.line}: {r.reason}") for r in decoded.rejects]
    reasons += [(int(row.line_number), f"line {row.line_number}, {row.column_name}={row.raw_value!r}: "
                 f"{row.reason} ({row.action})") for row in mapped.quarantine.itertuples()]
    report.reasons = [text for _, text in sorted(reasons, key=lambda r: r[0])][:FIRST_REASONS]
    return report


def dry_run(folder: Path, profile: Profile, limits: IngestLimits = DEFAULT_LIMITS) -> list[FileReport]:
    """Every export file under `folder` through the profile within the run's `limits`, nothing written."""
    return [dry_run_file(p, str(p.relative_to(folder)), profile, limits) for p in export_files(folder)]
