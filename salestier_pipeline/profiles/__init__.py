"""Source profiles: how one CRM's exports map onto the canonical schema."""

from salestier_pipeline.profiles.loader import (
    ColumnSpec,
    ModuleSpec,
    Profile,
    ProfileError,
    load_profile,
    load_profiles,
)

__all__ = ["ColumnSpec", "ModuleSpec", "Profile", "ProfileError", "load_profile", "load_profiles"]
