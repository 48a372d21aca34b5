"""Header normalisation and module detection.

Files are recognised by their header row, not their name (SPEC §1.1), so two
exports of the same module in different UI languages land in the same table.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from salestier_pipeline.profiles import ModuleSpec, Profile

_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")
_SPACES = re.compile(r"\s+")


def normalise_header(header: str) -> str:
    """Fold case, width and spacing; drop a trailing '(...)' such as '(%)' or '(元)'."""
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    stripped = _SUFFIX.sub("", text)
    text = stripped or text
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class HeaderMatch:
    """How a file's header row maps onto one module of a profile."""

    module: ModuleSpec
    columns: dict[str, str]  # canonical column -> file header
    missing_required: tuple[str, ...]
    extra_headers: tuple[str, ...]

    @property
    def score(self) -> int:
        return len(self.columns)


def match_module(headers: list[str], module: ModuleSpec) -> HeaderMatch:
    """Map each canonical column to the first alias present in the file."""
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(normalise_header(h), h)
    columns: dict[str, str] = {}
    for col in module.columns:
        for alias in col.headers:
            hit = by_norm.get(normalise_header(alias))
            if hit is not None:
                columns[col.name] = hit
                break
    used = set(columns.values())
    missing = tuple(
        f"{c.name} ({' | '.join(c.headers)})" for c in module.required if c.name not in columns
    )
    extra = tuple(h for h in headers if h not in used)
    return HeaderMatch(module, columns, missing, extra)


class UnknownModuleError(ValueError):
    """No module of the profile accepts this header row."""


def detect_module(headers: list[str], profile: Profile, file_label: str) -> HeaderMatch:
    """Pick the module whose required headers are all present and which maps most columns."""
    matches = [match_module(headers, m) for m in profile.modules]
    complete = [m for m in matches if not m.missing_required]
    if complete:
        return max(complete, key=lambda m: (m.score, -profile.modules.index(m.module)))
    best = max(matches, key=lambda m: (m.score, -len(m.missing_required)))
    raise UnknownModuleError(
        f"{file_label}: header row matches no module of profile '{profile.name}'; "
        f"best match is '{best.module.key}' ({best.module.canonical}), "
        f"missing required header(s): {', '.join(best.missing_required)}"
    )
