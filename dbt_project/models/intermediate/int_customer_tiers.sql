-- Customer tier (SPEC §5.1) for every account as of the run date.
--   value band:  ABC class (A/B/C -> H/M/L via abc_value_bands) for accounts that
--                purchased in the trailing window, else the potential of their size
--                band (size_bands.potential_value_band)
--   intent band: pipeline points (2: an open deal at stage >= intent_high_stage_order
--                or weighted pipeline >= intent_high_weighted_pipeline; 1: any open
--                deal) + engagement points (2: >= engagement_high_activities_short
--                activities in the short window; 1: >= engagement_medium_activities_long
--                in the long window); >= intent_high_min_points -> H,
--                >= intent_medium_min_points -> M, else L. A source without an activity
--                export has no engagement signal: its pipeline points count double (the
--                signal that exists carries the whole 0-4 scale), days since contact and
--                is_past_service_level stay NULL, and tier_reason says so.
--   tier:        tier_matrix(value_band, intent_band)
--   service level: service_levels.service_level_days of the tier; is_past_service_level
--                when the days since the last contact (never contacted: since the
--                account was created) exceed it
--   tier_reason: the inputs in words, then the trailing satisfaction (it does not change
--                the tier; it feeds the low_satisfaction alert)
--   Deterministic numbers: money from int_account_engagement is rounded by r2 and
--   satisfaction / shares come rounded by r4 (macros/as_of.sql) before any threshold
--   or text, and texts round half away from zero (number_text), so a rerun gives the
--   same tier and the same tier_reason byte for byte.
with

accounts as (
    select * from {{ ref('int_accounts') }}
),

rfm as (
    select * from {{ ref('int_account_rfm') }}
),

engagement as (
    select * from {{ ref('int_account_engagement') }}
),

lifecycle as (
    select * from {{ ref('int_account_lifecycle') }}
),

satisfaction as (
    select * from {{ ref('int_account_satisfaction') }}
),

stages as (
    select * from {{ ref('stages') }}
),

joined as (
    select
        a.*,
        rfm.abc_class,
        rfm.monetary as purchases_365d,
        rfm.frequency as purchase_count_365d,
        rfm.monetary_share,
        rfm.rfm_recency_score,
        rfm.rfm_frequency_score,
        rfm.rfm_monetary_score,
        rfm.rfm_segment,
        e.open_deals,
        {{ r2('e.open_pipeline') }} as open_pipeline,
        {{ r2('e.weighted_pipeline') }} as weighted_pipeline,
        e.max_open_stage_order,
        open_stage.stage as max_open_stage,
        {{ r2('e.bookings_365d') }} as bookings_365d,
        e.activities_30d,
        e.activities_90d,
        e.last_activity_at,
        e.days_since_last_activity,
        e.has_activity_export,
        lc.lifecycle_stage,
        lc.first_purchase_date,
        lc.last_purchase_date,
        lc.days_since_last_purchase,
        sat.satisfaction,
        sat.satisfaction_responses,
        sat.nps,
        coalesce(abc.value_band, sb.potential_value_band, 'L') as value_band,
        case
            when e.max_open_stage_order >= {{ var('intent_high_stage_order') }}
              or {{ r2('e.weighted_pipeline') }} >= {{ var('intent_high_weighted_pipeline') }} then 2
            when e.open_deals > 0 then 1
            else 0
        end as pipeline_points,
        case
            when not e.has_activity_export then null
            when e.activities_30d >= {{ var('engagement_high_activities_short') }} then 2
            when e.activities_90d >= {{ var('engagement_medium_activities_long') }} then 1
            else 0
        end as engagement_points
    from accounts as a
    left join rfm on rfm.account_id = a.account_id
    left join {{ ref('abc_value_bands') }} as abc on abc.abc_class = rfm.abc_class
    left join {{ ref('size_bands') }} as sb on sb.size_band = a.size_band
    left join engagement as e on e.account_id = a.account_id
    left join stages as open_stage on open_stage.stage_order = e.max_open_stage_order
    left join lifecycle as lc on lc.account_id = a.account_id
    left join satisfaction as sat on sat.account_id = a.account_id
),

pointed as (
    select
        *,
        coalesce(pipeline_points + engagement_points, 2 * pipeline_points) as intent_points
    from joined
),

banded as (
    select
        *,
        case
            when intent_points >= {{ var('intent_high_min_points') }} then 'H'
            when intent_points >= {{ var('intent_medium_min_points') }} then 'M'
            else 'L'
        end as intent_band
    from pointed
),

tiered as (
    select
        b.*,
        m.tier,
        sl.service_level_days,
        -- days since the last contact; never contacted -> days since the account was created
        case when b.has_activity_export then coalesce(
            b.days_since_last_activity,
            case when cast(b.created_at as date) <= {{ as_of() }}
                 then {{ days_between('b.created_at', as_of()) }} end
        ) end as days_since_contact
    from banded as b
    left join {{ ref('tier_matrix') }} as m
        on m.value_band = b.value_band and m.intent_band = b.intent_band
    left join {{ ref('service_levels') }} as sl on sl.tier = m.tier
),

final as (
    select
        *,
        -- never contacted and no creation date: past its service level; no activity
        -- export: not measured (NULL)
        case when has_activity_export
             then coalesce(days_since_contact > service_level_days, true) end as is_past_service_level,
        'value ' || value_band || ': '
        || case
            when abc_class is not null
                then 'ABC ' || abc_class || ' (' || {{ money_text('purchases_365d') }} || ' purchases in '
                     || {{ var('rfm_window_days') }} || ' d, ' || {{ number_text('100 * monetary_share', 1) }} || '% of total)'
            else 'no purchase in ' || {{ var('rfm_window_days') }} || ' d, size band ' || size_band
                 || coalesce(' (' || employees || ' employees)', '')
           end
        || '; intent ' || intent_band || ': ' || intent_points || ' points = pipeline ' || pipeline_points
        || case
            when open_deals > 0
                then ' (' || open_deals || ' open, furthest ' || max_open_stage
                     || ', weighted ' || {{ money_text('weighted_pipeline') }} || ')'
            else ' (no open deal)'
           end
        || case
            when has_activity_export
                then ' + engagement ' || engagement_points
                     || ' (' || activities_30d || ' activities in ' || {{ var('engagement_short_days') }} || ' d, '
                     || activities_90d || ' in ' || {{ var('engagement_long_days') }} || ' d, '
                     || coalesce('last ' || days_since_last_activity || ' d ago', 'no activity') || ')'
            else ' x 2; engagement not measured (no activity export for source ' || source_system || ')'
           end
        || ' -> tier ' || tier
        || '; satisfaction '
        || case
            when satisfaction_responses > 0
                then {{ number_text('satisfaction', 2) }} || ' (' || satisfaction_responses || ' response(s) in '
                     || {{ var('satisfaction_window_days') }} || ' d' || coalesce(', NPS ' || {{ number_text('nps', 0) }}, '') || ')'
            else 'n/a (no feedback in ' || {{ var('satisfaction_window_days') }} || ' d)'
           end as tier_reason
    from tiered
)

select * from final
