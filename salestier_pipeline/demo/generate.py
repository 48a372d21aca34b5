"""Generate the demo landing zone: Zoho and Fxiaoke export batches plus reference files.

    from salestier_pipeline.demo.generate import generate_demo
    summary = generate_demo(Path("data/landing"), seed=42, scale=1.0)

Four weekly batches end at the as-of date. The first carries the full history
as it stood that day; later ones carry only records created or changed since
the module's previous batch (deals that moved stage or closed, orders that
shipped, new activities). One later batch per source skips a module entirely,
so carry-over of the last version is exercised downstream. Everything is a
function of (seed, scale, as_of): no wall clock, same bytes every run.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from salestier_pipeline.demo import fxiaoke_writer, roster, zoho_writer
from salestier_pipeline.demo.crm_deals import WON, build_deals
from salestier_pipeline.demo.crm_events import build_activities, build_feedback, build_orders
from salestier_pipeline.demo.crm_model import (
    FXIAOKE,
    ZOHO,
    Horizon,
    SourceSpec,
    SourceWorld,
    build_accounts,
    build_contacts,
    build_leads,
    company_names,
)
from salestier_pipeline.demo.formats import DAY, to_ts
from salestier_pipeline.demo.snapshot import Cut

DEFAULT_AS_OF = dt.date(2026, 11, 27)
HISTORY_DAYS = 730  # 24 months
BATCH_OFFSETS = (21, 14, 7, 0)  # days before as_of of each weekly export
SKIPPED = {"zoho": {2: "leads"}, "fxiaoke": {2: "feedback"}}  # batch index -> module left out
# records per tenant at scale 1, before the split by rep head-count
VOLUME = {"accounts": 500, "deals": 3000, "activities": 20000, "leads": 600, "feedback": 900}
MINIMUM = {"accounts": 8, "deals": 30, "activities": 100, "leads": 10, "feedback": 10}


def _rng(seed: int, *stream: int) -> np.random.Generator:
    """An independent, reproducible stream per (source, component)."""
    return np.random.default_rng([seed, *stream])


def build_world(spec: SourceSpec, k: int, people: pd.DataFrame, share: float, scale: float,
                seed: int, h: Horizon) -> SourceWorld:
    """Build one tenant's full history."""
    n = {m: max(MINIMUM[m], round(v * scale * share)) for m, v in VOLUME.items()}
    reps = people[(people["source"] == spec.name) & (people["level"] != "manager")]
    reps = reps.reset_index(drop=True)
    company, domain = company_names(_rng(seed, k, 1), spec, n["accounts"] + n["leads"])
    accounts = build_accounts(_rng(seed, k, 2), spec, reps, n["accounts"], h,
                              company[: n["accounts"]], domain[: n["accounts"]])
    world = SourceWorld(spec, reps, accounts, build_contacts(_rng(seed, k, 3), spec, accounts, h))
    build_deals(_rng(seed, k, 4), world, n["deals"], h)
    build_orders(_rng(seed, k, 5), world, h)
    build_activities(_rng(seed, k, 6), world, n["activities"], h)
    build_feedback(_rng(seed, k, 7), world, n["feedback"], h)
    world.leads = build_leads(_rng(seed, k, 8), world, n["leads"], h, company[n["accounts"]:])
    return world


def _write_atomic(path: Path, writer) -> None:
    """Write to a hidden temp name, then rename: a sensor never sees half a file."""
    tmp = path.with_name(f".{path.name}.part")
    writer(tmp)
    os.replace(tmp, path)


def _reference(landing: Path, people: pd.DataFrame, worlds: dict[str, SourceWorld], seed: int,
               h: Horizon) -> dict[str, int]:
    ref = landing / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    reps = roster.reps_csv(people)
    bookings = {}
    for name, w in worlds.items():
        d = w.deals
        won = (d["outcome"].to_numpy() == WON) & (d["close"].to_numpy() < h.t_end)
        bookings[name] = float(d["amount"].to_numpy()[won].sum())
    targets = roster.build_targets(_rng(seed, 9), people, bookings, h.start, h.as_of)
    for name, df in (("reps.csv", reps), ("targets.csv", targets)):
        _write_atomic(ref / name, lambda p, df=df: df.to_csv(p, index=False, encoding="utf-8",
                                                              lineterminator="\n"))
    return {"reps": len(reps), "targets": len(targets)}


def _batches(landing: Path, source: str, world: SourceWorld, dates: list[dt.date]) -> dict:
    """Write every batch of one source; returns rows per module per export date."""
    counts: dict[str, dict[str, int]] = {}
    prev: dict[str, int] = {}
    modules = zoho_writer.MODULES if source == "zoho" else fxiaoke_writer.MODULES
    for i, day in enumerate(dates):
        folder = landing / source / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        c = to_ts(day) + DAY
        for module, spec in modules.items():
            if SKIPPED[source].get(i) == module:
                continue
            df = spec[-1](world, Cut(c, prev.get(module)))
            prev[module] = c
            if df.empty:  # nothing changed: CRMs export no file rather than a bare header
                continue
            if source == "zoho":
                path = folder / spec[0]
                _write_atomic(path, lambda p, df=df: zoho_writer.write(df, p))
            else:
                path = folder / f"{spec[0]}_{day:%Y%m%d}{spec[1]}"
                _write_atomic(path, lambda p, df=df, m=module: fxiaoke_writer.write(m, df, p))
            counts.setdefault(module, {})[day.isoformat()] = len(df)
    return counts


def generate_demo(landing: Path, *, seed: int = 42, scale: float = 1.0,
                  as_of: dt.date = DEFAULT_AS_OF) -> dict:
    """Write the demo exports under ``landing`` and return what was written.

    Files: ``<landing>/<zoho|fxiaoke>/<export_date>/<file>`` and
    ``<landing>/reference/{reps,targets}.csv``. Existing files with the same
    names are replaced; nothing else in ``landing`` is touched.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    landing = Path(landing)
    h = Horizon(as_of - dt.timedelta(days=HISTORY_DAYS), as_of)
    people = roster.build_roster(_rng(seed, 0), scale, h.start, as_of)
    sellers = people[people["level"] != "manager"]
    worlds = {}
    for k, spec in enumerate((ZOHO, FXIAOKE), start=1):
        share = float((sellers["source"] == spec.name).mean())
        worlds[spec.name] = build_world(spec, k, people, share, scale, seed, h)
    dates = [as_of - dt.timedelta(days=d) for d in BATCH_OFFSETS]
    rows: dict[str, dict] = {"reference": _reference(landing, people, worlds, seed, h)}
    for source, world in worlds.items():
        rows[source] = _batches(landing, source, world, dates)
    return {
        "landing": str(landing),
        "seed": seed,
        "scale": scale,
        "as_of": as_of.isoformat(),
        "history_start": h.start.isoformat(),
        "export_dates": [d.isoformat() for d in dates],
        "skipped": {s: {dates[i].isoformat(): m for i, m in v.items()} for s, v in SKIPPED.items()},
        "rows": rows,
        "records": {
            s: {"reps": len(w.reps), "accounts": len(w.accounts), "contacts": len(w.contacts),
                "leads": len(w.leads), "opportunities": len(w.deals),
                "activities": len(w.activities), "orders": len(w.orders),
                "feedback": len(w.feedback)}
            for s, w in worlds.items()
        },
    }
