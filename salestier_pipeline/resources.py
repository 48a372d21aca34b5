"""Dagster resources: where SalesTier lives, settable by env (default) or Dagster config."""

import dataclasses
from pathlib import Path

import dagster as dg

from salestier_pipeline.settings import Settings, load_settings


class SalesTierResource(dg.ConfigurableResource):
    """Home directory and options; unset fields fall back to SALESTIER_* variables."""

    home: str | None = None
    max_quarantine_share: float | None = None

    def settings(self) -> Settings:
        """load_settings() (the one read of the environment, validated) with this resource's config on top."""
        base = load_settings()
        changes: dict = {}
        if self.home:
            changes["home"] = Path(self.home).resolve()
        if self.max_quarantine_share is not None:
            changes["max_quarantine_share"] = self.max_quarantine_share
        return dataclasses.replace(base, **changes) if changes else base
