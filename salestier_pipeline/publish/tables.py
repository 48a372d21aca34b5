"""The published-table contract (SPEC §6.1): names and which keep history."""

from __future__ import annotations

# Table -> the columns BI tools may rely on (SPEC §6.1). More columns are welcome.
CONTRACT: dict[str, tuple[str, ...]] = {
    "customer_tier_list": (
        "as_of_date", "account_id", "account_name", "source_system", "owner_rep_id", "owner_name", "tier",
        "previous_tier", "value_band", "intent_band", "tier_reason", "lifecycle_stage", "days_since_last_activity",
        "service_level_days", "is_past_service_level", "open_pipeline", "weighted_pipeline", "bookings_365d",
        "is_first_snapshot", "currency",
    ),
    "customer_segments": (
        "account_id", "industry", "size_band", "region", "abc_class", "rfm_recency_score", "rfm_frequency_score",
        "rfm_monetary_score", "rfm_segment",
    ),
    "customer_lifecycle": (
        "as_of_date", "account_id", "lifecycle_stage", "previous_stage", "first_purchase_date",
        "last_purchase_date", "days_since_last_purchase",
    ),
    "lifecycle_transitions": ("as_of_date", "from_stage", "to_stage", "accounts", "is_change"),
    "opportunities": (
        "opportunity_id", "source_system", "account_id", "owner_rep_id", "amount", "stage", "furthest_stage",
        "is_won", "is_lost", "is_open", "probability", "created_at", "close_date", "currency", "amount_original",
        "currency_original",
    ),
    "rep_performance": (
        "as_of_date", "rep_id", "rep_name", "manager_rep_id", "team", "region", "period_type", "period_start",
        "bookings", "won_count", "lost_count", "win_rate", "avg_deal_size", "sales_cycle_days", "open_pipeline",
        "weighted_pipeline", "activity_count", "target_amount", "attainment", "pipeline_coverage", "satisfaction",
        "currency",
    ),
    "rep_tier_list": (
        "as_of_date", "rep_id", "rep_name", "manager_rep_id", "team", "rep_tier", "training_focus",
        "incentive_band", "next_period_target", "tier_reason", "leaderboard_basis", "leaderboard_rank", "currency",
    ),
    "funnel_conversion": (
        "as_of_date", "level", "level_key", "stage_order", "stage", "reached", "conversion_rate", "is_bottleneck",
    ),
    "kpi_snapshot": ("as_of_date", "level", "level_key", "kpi", "value", "unit"),
    "win_analysis": (
        "as_of_date", "dimension", "dimension_value", "won_count", "lost_count", "win_rate", "avg_deal_size",
        "sales_cycle_days", "currency",
    ),
    "rep_allocation": (
        "as_of_date", "rep_id", "tier_a_accounts", "tier_b_accounts", "tier_c_accounts", "tier_d_accounts",
        "owned_value", "load_vs_team_median", "over_capacity", "suggested_action", "currency",
    ),
    "risk_alerts": (
        "as_of_date", "alert_type", "severity", "account_id", "opportunity_id", "rep_id", "owner_rep_id", "rule",
        "detail", "amount_at_stake", "currency",
    ),
    "ingest_files": (
        "as_of_date", "source_system", "module", "source_file", "file_sha256", "rows_read", "rows_loaded",
        "rows_quarantined", "status", "error",
    ),
    "ingest_quarantine": (
        "as_of_date", "source_system", "source_file", "line_number", "column_name", "raw_value", "reason", "action",
    ),
}
PUBLISHED_TABLES: tuple[str, ...] = tuple(CONTRACT)

# Tables whose grain starts with as_of_date keep every as-of date (a snapshot
# per run); the others hold the latest as-of date only.
LATEST_ONLY: frozenset[str] = frozenset({"customer_segments", "opportunities", "ingest_quarantine"})
HISTORICAL: tuple[str, ...] = tuple(t for t in PUBLISHED_TABLES if t not in LATEST_ONLY)

MARTS_SCHEMA = "marts"
