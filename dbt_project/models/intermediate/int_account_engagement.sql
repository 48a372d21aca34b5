-- Intent inputs per account (SPEC §5.1): open pipeline and its furthest stage,
-- activities in the short / long windows, days since the last activity.
-- A source without any activity export has no engagement signal at all:
-- has_activity_export is false and the last activity stays NULL (the CRM's own
-- "last activity" field is read only alongside an activity export), so tiers and
-- service levels say "not measured" instead of "never contacted".
with

accounts as (
    select * from {{ ref('int_accounts') }}
),

open_deals as (
    select
        account_id,
        count(*) as open_deals,
        sum(amount_value) as open_pipeline,
        sum(weighted_amount) as weighted_pipeline,
        max(stage_order) as max_open_stage_order
    from {{ ref('int_opportunities') }}
    where is_open and account_id is not null
    group by account_id
),

won_deals as (
    select
        account_id,
        sum(amount_value) as bookings_365d
    from {{ ref('int_opportunities') }}
    where is_won and account_id is not null
      and {{ days_between('closed_date', as_of()) }} < {{ var('rfm_window_days') }}
    group by account_id
),

activity_sources as (
    select distinct source_system from {{ ref('stg_crm__activities') }}
),

activity as (
    select
        account_id,
        count(case when {{ days_between('occurred_date', as_of()) }} < {{ var('engagement_short_days') }} then 1 end) as activities_short,
        count(case when {{ days_between('occurred_date', as_of()) }} < {{ var('engagement_long_days') }} then 1 end) as activities_long,
        max(occurred_at) as last_logged_activity_at
    from {{ ref('int_activities') }}
    where is_counted and account_id is not null
    group by account_id
),

final as (
    select
        a.account_id,
        coalesce(o.open_deals, 0) as open_deals,
        coalesce(o.open_pipeline, 0) as open_pipeline,
        coalesce(o.weighted_pipeline, 0) as weighted_pipeline,
        o.max_open_stage_order,
        coalesce(w.bookings_365d, 0) as bookings_365d,
        coalesce(act.activities_short, 0) as activities_30d,
        coalesce(act.activities_long, 0) as activities_90d,
        -- the CRM's own "last activity" field counts too (Fxiaoke 最后跟进时间)
        -- (the later of the two, either one when the other is missing)
        s.source_system is not null as has_activity_export,
        case when s.source_system is not null then
            {{ greatest_non_null([
                'act.last_logged_activity_at',
                'case when cast(a.crm_last_activity_at as date) <= ' ~ as_of() ~ ' then a.crm_last_activity_at end',
            ]) }}
        end as last_activity_at
    from accounts as a
    left join activity_sources as s on s.source_system = a.source_system
    left join open_deals as o on o.account_id = a.account_id
    left join won_deals as w on w.account_id = a.account_id
    left join activity as act on act.account_id = a.account_id
)

select
    *,
    {{ days_between('last_activity_at', as_of()) }} as days_since_last_activity
from final
