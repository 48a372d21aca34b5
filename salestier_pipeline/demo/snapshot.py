"""What one export batch contains: records as they were at the batch's cut-off.

A batch's cut-off is the end of its export date. The first batch of a module
carries every record that existed then (full history); later batches carry
only records created or changed since the previous batch *of that module*, so
a module skipped in one batch is caught up in the next one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from salestier_pipeline.demo.crm_model import SourceWorld
from salestier_pipeline.demo.formats import NEVER


@dataclass(frozen=True)
class Cut:
    """Cut-off of a batch (exclusive, seconds) and of the module's previous batch (None = full)."""

    c: int
    prev: int | None


def changed(visible_from: np.ndarray, modified: np.ndarray, cut: Cut) -> np.ndarray:
    """Rows to export in this batch."""
    rows = np.asarray(visible_from) < cut.c
    if cut.prev is not None:
        rows &= np.asarray(modified) >= cut.prev
    return rows


def modified_at(created: np.ndarray, c: int, *changes: np.ndarray) -> np.ndarray:
    """Latest of the creation and every change that happened before c."""
    out = np.asarray(created, dtype=np.int64).copy()
    for ch in changes:
        ch = np.asarray(ch, dtype=np.int64)
        out = np.where(ch < c, np.maximum(out, ch), out)
    return out


def last_activity(world: SourceWorld, c: int) -> np.ndarray:
    """Per account, the time of the latest activity logged before c (NEVER if none)."""
    acts = world.activities
    seen = acts[acts["visible"].to_numpy() < c]
    last = seen.groupby("acc")["ts"].max()
    return last.reindex(np.arange(len(world.accounts))).fillna(NEVER).astype(np.int64).to_numpy()


def label(table: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    """Map integer codes to labels (vectorised)."""
    return np.asarray(table, dtype=object)[np.asarray(codes, dtype=np.int64)]


def styled(idx: np.ndarray, shares: dict[str, float]) -> np.ndarray:
    """A fixed formatting style per record, so a record looks the same in every batch."""
    u = (np.asarray(idx, dtype=np.int64) * 2654435761 % 1000) / 1000.0
    names = list(shares)
    edges = np.cumsum([shares[k] for k in names])
    return np.asarray(names, dtype=object)[np.minimum(np.searchsorted(edges, u, side="right"),
                                                      len(names) - 1)]


def frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Build an all-text export frame in the given column order."""
    return pd.DataFrame({k: np.asarray(v, dtype=object) for k, v in columns.items()})
