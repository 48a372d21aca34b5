"""Picklist maps declared in profiles, handed to dbt as one small Parquet file (ingest writes it).

Built-in profiles keep their maps in the dbt seeds (stage_map, status_map,
activity_type_map); a user profile may declare its own in YAML so that adding
a CRM needs no dbt edit. dbt unions both (int_*_map models); a seed row wins.
"""

from __future__ import annotations

import pandas as pd

from salestier_pipeline.profiles.loader import Profile

MAP_TYPES = {
    "kind": "VARCHAR",  # stage | status | activity_type
    "source_system": "VARCHAR",
    "raw_value": "VARCHAR",
    "stage": "VARCHAR",
    "is_won": "BOOLEAN",
    "is_lost": "BOOLEAN",
    "is_void": "BOOLEAN",
    "default_probability": "DOUBLE",
    "activity_type": "VARCHAR",
}


def profile_maps(profiles: dict[str, Profile]) -> pd.DataFrame:
    """Every map rule of every profile as rows, in a stable order."""
    rows = []
    for name in sorted(profiles):
        profile = profiles[name]
        for kind, rules in (("stage", profile.stages), ("status", profile.statuses),
                            ("activity_type", profile.activity_types)):
            rows += [{
                "kind": kind, "source_system": name, "raw_value": r.raw, "stage": r.stage,
                "is_won": r.is_won, "is_lost": r.is_lost, "is_void": r.is_void,
                "default_probability": r.probability, "activity_type": r.activity_type,
            } for r in rules]
    return pd.DataFrame(rows, columns=list(MAP_TYPES))

