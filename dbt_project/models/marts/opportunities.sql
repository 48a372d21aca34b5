{{ config(**latest_only_config()) }}
-- Deals as of the latest run (one row per deal), with the named flags of
-- int_opportunities. team / region / manager_rep_id: the roster row of the owner on
-- attribution_date (a closed deal: its close date; an open deal: the run date), i.e.
-- the team the deal counts for in kpi_snapshot and funnel_conversion.
with

deals as (
    select * from {{ ref('int_opportunities') }}
),

reps as (
    select * from {{ ref('int_reps') }}
),

final as (
    select
        {{ as_of() }} as as_of_date,
        d.opportunity_id,
        d.source_system,
        d.source_record_id,
        d.opportunity_name,
        d.account_id,
        d.owner_rep_id,
        coalesce(r.rep_name, d.owner_name) as owner_name,
        d.attributed_manager_rep_id as manager_rep_id,
        d.attributed_team as team,
        d.attributed_region as region,
        d.attribution_date,
        d.lead_source,
        d.deal_type,
        {{ r2('d.amount') }} as amount,
        d.currency,
        d.amount_original,
        d.currency_original,
        d.fx_date,
        d.stage_raw,
        d.status_raw,
        d.stage,
        d.stage_order,
        d.furthest_stage,
        d.furthest_stage_order,
        d.is_open,
        d.is_closed,
        d.is_won,
        d.is_lost,
        d.is_void,
        d.is_stale,
        d.is_overdue,
        {{ r2('d.probability') }} as probability,
        {{ r2('d.weighted_amount') }} as weighted_amount,
        d.created_at,
        d.close_date,
        d.closed_date,
        d.close_date_source,
        d.stage_entered_at,
        d.last_activity_at,
        d.days_since_touch,
        d.days_open,
        d.cycle_days,
        d.has_negative_cycle,
        d.lost_reason,
        d.is_stage_mapped,
        d.version_count
    from deals as d
    left join reps as r on r.rep_id = d.owner_rep_id
)

select * from final
{{ keep_newest_filter() }}
order by opportunity_id
