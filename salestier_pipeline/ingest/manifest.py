"""Classify every landing file by its header row before any module is ingested.

Done once per run, so each module's ingest reads only its own files and a file
that matches no module fails the run with one clear error.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from salestier_pipeline.ingest.decode import FileReadError, decode_header
from salestier_pipeline.ingest.headers import UnknownModuleError, detect_module
from salestier_pipeline.ingest.landing import LandingFile, list_landing, sha256_of
from salestier_pipeline.profiles import Profile
from salestier_pipeline.settings import DEFAULT_LIMITS, IngestLimits


@dataclass(frozen=True)
class ClassifiedFile:
    """A landing file with the module its header row matched, or why it matched none."""

    path: str
    rel: str
    source: str
    export_date: str
    sha256: str
    module: str | None
    profile_module: str | None
    error: str | None = None
    retryable: bool = True  # False: no wait can fix it (no profile for the folder), fail at once


def classify_file(file: LandingFile, profiles: dict[str, Profile],
                  limits: IngestLimits = DEFAULT_LIMITS) -> ClassifiedFile:
    sha = sha256_of(file.path)
    base = dict(path=str(file.path), rel=file.rel, source=file.source, export_date=file.export_date, sha256=sha)
    profile = profiles.get(file.source)
    if profile is None:
        return ClassifiedFile(**base, module=None, profile_module=None, retryable=False,
                              error=f"{file.rel}: no source profile '{file.source}' "
                                    f"(built in: zoho, fxiaoke; add profiles/{file.source}.yml to the home)")
    try:
        headers = decode_header(file.path, file.rel, limits)
        match = detect_module(headers, profile, file.rel)
    except (FileReadError, UnknownModuleError) as exc:
        return ClassifiedFile(**base, module=None, profile_module=None, error=str(exc))
    return ClassifiedFile(**base, module=match.module.canonical, profile_module=match.module.key)


def build_manifest(landing: Path, as_of: str, profiles: dict[str, Profile],
                   limits: IngestLimits = DEFAULT_LIMITS) -> list[ClassifiedFile]:
    return [classify_file(f, profiles, limits) for f in list_landing(landing, as_of)]


def write_manifest(files: list[ClassifiedFile], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(f) for f in files], ensure_ascii=False, indent=1), encoding="utf-8")


def read_manifest(path: Path) -> list[ClassifiedFile]:
    return [ClassifiedFile(**d) for d in json.loads(path.read_text(encoding="utf-8"))]
