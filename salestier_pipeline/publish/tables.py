"""The published-table contract (SPEC §6.1): names and which keep history."""

from __future__ import annotations

PUBLISHED_TABLES: tuple[str, ...] = (
    "customer_tier_list",
    "customer_segments",
    "customer_lifecycle",
    "lifecycle_transitions",
    "opportunities",
    "rep_performance",
    "rep_tier_list",
    "funnel_conversion",
    "kpi_snapshot",
    "win_analysis",
    "rep_allocation",
    "risk_alerts",
    "ingest_files",
    "ingest_quarantine",
)

# Tables whose grain starts with as_of_date keep every as-of date (a snapshot
# per run); the others hold the latest as-of date only.
LATEST_ONLY: frozenset[str] = frozenset({"customer_segments", "opportunities", "ingest_quarantine"})
HISTORICAL: tuple[str, ...] = tuple(t for t in PUBLISHED_TABLES if t not in LATEST_ONLY)

MARTS_SCHEMA = "marts"
